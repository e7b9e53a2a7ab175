"""Text that comes from the files (their names, their source) made safe to show.

A file name may hold a newline, an ANSI escape sequence (``ESC[2J`` clears a terminal), a
right-to-left override, or bytes that are not UTF-8 (kept by Python as lone surrogates).
:func:`printable` shows each such character as a Python escape, so that one finding is one
line and nothing reaches the terminal raw; :func:`json_text` keeps JSON valid UTF-8.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Control, format (bidirectional overrides, zero-width), surrogate, line and paragraph
# separator characters: invisible, or they move the cursor.
_UNSAFE = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape(character: str) -> str:
    if character in _NAMED:
        return _NAMED[character]
    code = ord(character)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, kept by surrogateescape
        return f"\\x{code - 0xDC00:02x}"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def printable(text: str) -> str:
    """``text`` with every control or invisible character written as an escape."""
    if text.isprintable():
        return text
    return "".join(_escape(c) if unicodedata.category(c) in _UNSAFE else c for c in text)


def printable_lines(text: str) -> str:
    """:func:`printable` applied to each ``\n``-separated line of ``text``."""
    return "\n".join(printable(part) for part in text.split("\n"))


def json_text(value: Any, **options: Any) -> str:
    """``json.dumps`` whose text always encodes as UTF-8: a lone surrogate (a file name byte
    that is not UTF-8) is written as its ``\\udcXX`` escape."""
    text = json.dumps(value, ensure_ascii=False, **options)
    return _SURROGATE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
