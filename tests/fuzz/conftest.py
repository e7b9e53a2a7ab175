from __future__ import annotations

from hypothesis import settings
from profiles import PROFILE

settings.load_profile(PROFILE)
