"""fixer's findings and edits as Language Server Protocol objects, in the negotiated position
encoding. Pure: the text of the document is given, nothing is sent from here."""

from __future__ import annotations

from collections.abc import Iterable

from lsprotocol import types

from fixer.findings import Diagnostic, TextEdit
from fixer.lsp.positions import PositionMap
from fixer.rules import RULES_BY_CODE, UNUSED_SUPPRESSION

SOURCE = "fixer"


def lsp_range(positions: PositionMap, start: int, end: int) -> types.Range:
    """The range between two offsets of the text."""
    first = positions.lsp_position(start)
    last = positions.lsp_position(end)
    return types.Range(types.Position(*first), types.Position(*last))


def finding_range(positions: PositionMap, finding: Diagnostic) -> types.Range:
    """The range of the flagged call (to the end of its line when the finding has no end)."""
    start = positions.offset(finding.line, finding.column)
    if finding.end_line:
        end = positions.offset(finding.end_line, finding.end_column)
    else:
        line_end = positions.text.find("\n", start)
        end = len(positions.text) if line_end == -1 else line_end
        end -= positions.text[start:end].endswith("\r")
    return lsp_range(positions, start, max(start, end))


def severity(code: str) -> types.DiagnosticSeverity:
    """Error for the kinds TensorFlow fails on, warning for those that train silently
    differently, information for an unused suppression."""
    rule = RULES_BY_CODE[code]
    if rule.crashes:
        return types.DiagnosticSeverity.Error
    if rule is UNUSED_SUPPRESSION:
        return types.DiagnosticSeverity.Information
    return types.DiagnosticSeverity.Warning


def lsp_diagnostic(positions: PositionMap, finding: Diagnostic) -> types.Diagnostic:
    rule = RULES_BY_CODE[finding.code]
    return types.Diagnostic(
        range=finding_range(positions, finding),
        message=finding.message,
        severity=severity(finding.code),
        code=finding.code,
        source=SOURCE,
        tags=[types.DiagnosticTag.Unnecessary] if rule is UNUSED_SUPPRESSION else None,
        data={"rule": rule.name, "fix": finding.applicability.name.lower()},
    )


def lsp_edits(positions: PositionMap, edits: Iterable[TextEdit]) -> list[types.TextEdit]:
    return [
        types.TextEdit(
            range=lsp_range(
                positions,
                positions.offset(edit.start_line, edit.start_column),
                positions.offset(edit.end_line, edit.end_column),
            ),
            new_text=edit.content,
        )
        for edit in edits
    ]
