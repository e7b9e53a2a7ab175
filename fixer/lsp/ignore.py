"""The "Ignore TFO001 on this line" action: the suppression comment fixer reads, added to a line
of the flagged code, and proved to work by checking the result again.

A line can refuse a comment (it ends inside a string, or with a backslash continuation): each
candidate is checked with the engine, and a line whose comment would not suppress the finding is
not offered.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from fixer.edits import apply_edits
from fixer.findings import Diagnostic, TextEdit
from fixer.lsp.checking import Governance

# An existing ``# fixer: ignore[...]`` with codes on the line: the code joins its list.
_LISTED = re.compile(r"#\s*fixer\s*:\s*ignore\[(?P<codes>[^\]\r\n]*)\]", re.IGNORECASE)


def _candidate(line_text: str, line: int, code: str) -> TextEdit:
    listed = _LISTED.search(line_text)
    if listed is not None:
        at = listed.end("codes")
        separator = "," if listed.group("codes").strip() else ""
        return TextEdit(line, at + 1, line, at + 1, f"{separator}{code}")
    content = line_text.rstrip("\r").rstrip(" \t")
    end = len(line_text.rstrip("\r"))
    return TextEdit(line, len(content) + 1, line, end + 1, f"  # fixer: ignore[{code}]")


def _key(d: Diagnostic) -> tuple[str, int, int]:
    return d.code, d.line, d.column


def suppressed_in_file(finding: Diagnostic, governing: Governance) -> Callable[[str], bool]:
    """Whether ``finding`` is suppressed in a new text of its file (checked by the engine)."""

    def suppressed(after: str) -> bool:
        from fixer.engine import fix_source

        result = fix_source(after, governing.path, names=governing.names, rules=governing.rules)
        if result.errors:
            return False
        return _key(finding) in {_key(d) for d in result.suppressed} and _key(finding) not in {
            _key(d) for d in result.diagnostics
        }

    return suppressed


def ignore_edit(
    text: str, finding: Diagnostic, suppressed: Callable[[str], bool]
) -> TextEdit | None:
    """The edit that suppresses ``finding`` with ``# fixer: ignore[CODE]`` on the first line of
    the flagged code that takes it (the call's own line first), as ``suppressed`` judges the
    new text; None when no line does."""
    lines = text.split("\n")
    candidates = [finding.line, *(n for n in finding.own_lines if n != finding.line)]
    for line in candidates:
        if not 1 <= line <= len(lines):
            continue
        edit = _candidate(lines[line - 1], line, finding.code)
        if suppressed(apply_edits(text, [edit])):
            return edit
    return None
