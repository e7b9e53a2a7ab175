"""The fixture inputs the fuzz tests start from, decoded as Python decodes them."""

from __future__ import annotations

import io
import tokenize
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent.parent / "fixtures"
CASES = sorted(p.parent.name for p in FIXTURES.glob("*/input.py"))
# Fixed by fixer, one safe fix or more.
POSITIVE = [case for case in CASES if case.startswith("hoist_")]


def text(case: str) -> str:
    """A fixture's ``input.py`` as text: its coding cookie or BOM decides the encoding."""
    data = (FIXTURES / case / "input.py").read_bytes()
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    return data.decode(encoding)
