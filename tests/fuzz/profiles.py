"""Hypothesis profiles for the fuzz tests, chosen by ``FIXER_FUZZ``.

``ci`` (the default): a bounded number of examples, derandomized (the same examples on every
run) and without the example database, so the suite is deterministic and quick. ``long``: many
random examples for a campaign (``FIXER_FUZZ=long``); ``FIXER_FUZZ_EXAMPLES=N`` sets the number
of examples of every fuzz test under either profile.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
PROFILE = os.environ.get("FIXER_FUZZ", "ci")

settings.register_profile(
    "ci", derandomize=True, database=None, deadline=None, suppress_health_check=_QUIET
)
settings.register_profile(
    "long", derandomize=False, database=None, deadline=None, suppress_health_check=_QUIET
)


def examples(ci: int, long: int) -> int:
    """How many examples a test runs under the active profile."""
    scale = os.environ.get("FIXER_FUZZ_EXAMPLES")
    if scale:
        return int(scale)
    return long if PROFILE == "long" else ci
