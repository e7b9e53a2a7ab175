"""The text of the bot's comments: suggestion blocks, code fences, inert paths and messages, and
the hidden markers that let a later run recognise its own comments.

A marker is the last line of a body the bot wrote, so text quoted above it (a file name, a
message) can never pose as one: paths and messages are put on one line before they are written.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

FINGERPRINT = re.compile(r"[0-9a-f]{64}")
_MARKER = "<!-- fixer:{kind} {value} -->"
_LAST_MARKER = re.compile(r"\n<!-- fixer:(finding|review|outdated|autofix) ([0-9a-f,]*) -->\s*\Z")
_BACKTICKS = re.compile(r"`+")
_LINE_BREAKS = re.compile(r"[\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029]+")


def marker(kind: str, values: Iterable[str]) -> str:
    """The hidden last line of a body: its kind and the fingerprints (or SHA) it stands for."""
    return _MARKER.format(kind=kind, value=",".join(values))


def read_marker(body: str) -> tuple[str, list[str]] | None:
    """The kind and values of the marker that ends ``body``, if it ends with one."""
    found = _LAST_MARKER.search(body)
    if found is None:
        return None
    values = [value for value in found.group(2).split(",") if value]
    return found.group(1), values


def fence(text: str) -> str:
    """A backtick fence longer than any run of backticks in ``text`` (at least three)."""
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    return "`" * max(3, longest + 1)


def code_block(text: str, info: str) -> str:
    """``text`` as a fenced block that nothing inside it can close."""
    mark = fence(text)
    body = text if text.endswith("\n") or not text else text + "\n"
    return f"{mark}{info}\n{body}{mark}"


def one_line(text: str) -> str:
    """``text`` with every line break turned into a space."""
    return _LINE_BREAKS.sub(" ", text)


def inert(text: str) -> str:
    """A message for Markdown: one line, HTML escaped, mentions broken."""
    return html.escape(one_line(text).strip(), quote=False).replace("@", "@\u200b")


def code_span(text: str) -> str:
    """A path as inline code that its own backticks cannot end."""
    text = one_line(text)
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    mark = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{mark}{pad}{text}{pad}{mark}"
