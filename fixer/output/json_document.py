"""``--format json``: the whole run as one JSON document, built from the file records that
``--format json-lines`` prints one a line.

Schema, version 1. Fields may be added within a version; a field that changes meaning or goes
away bumps ``version``.

``--format json`` prints one document::

    {
      "version": 1,
      "files": ["src/train.py", ...],      # every path checked, in order
      "findings": [<finding>, ...],        # every file's findings, suppressed ones included
      "errors": [<error>, ...],
      "summary": {"files": 3, "findings": 2, "fixable": 1, "errors": 0,
                  "changed_files": 1, "generated": 0}
    }

``--format json-lines`` prints one record a line, one per file (the records of ``--shard 1/N``
... ``--shard N/N`` concatenated hold exactly the lines of the unsharded run)::

    {"version": 1, "path": "src/train.py", "findings": [<finding>, ...],
     "errors": [<error>, ...], "changed": false}

A finding::

    {
      "path": "src/train.py",
      "line": 5, "column": 17,             # where it starts
      "end_line": 5, "end_column": 60,     # where it ends (exclusive); the start if no range
      "code": "TFO001",
      "name": "optimizer-in-traced-function",
      "message": "...",
      "applicability": "safe",             # "safe", "unsafe" or "none"
      "fixable": true,                     # applicability is "safe"
      "suppressed": false,                 # a comment suppresses it
      "suppression": null,                 # that comment, e.g. "# noqa: TFO001", or null
      "cell": 4, "cell_id": "a1b2",        # notebooks only (see below), with
      "file_line": 57, "file_end_line": 57,  # the lines of the .ipynb text the finding is on
      "fix": null | {
        "id": 1,
        "applicability": "safe",           # "safe" or "unsafe"
        "applied": true,                   # this run's --diff / --write includes it
        "edits": [{"start": {"line": 5, "column": 1}, "end": {"line": 6, "column": 1},
                   "content": ""}, ...]
      }
    }

An error (a file that could not be parsed, fixer's own failure, or a file that could not be read:
then ``line``, ``column`` and ``code`` are null)::

    {"path": "src/broken.py", "line": 2, "column": 11, "code": "TFO900", "message": "..."}

- In a notebook (``.ipynb``) a finding, an error and an edit also carry ``"cell"`` (the cell's
  1-based number, every cell counted, markdown included; a finding also ``"cell_id"``, the
  cell's nbformat ``id`` or null, and ``"file_line"``/``"file_end_line"``, the lines of the
  notebook's own text that hold it), and their lines and columns are within that cell's source.
  An error about the notebook as a whole (invalid JSON) has no ``"cell"``: its position is in
  the file's text.
- Lines and columns are 1-based and count Unicode code points of the decoded file; a line ends at
  ``\\n`` (a ``\\r`` before it belongs to its line). Ends are exclusive; an insertion's edit has
  ``start == end``.
- ``summary`` counts the findings in force: suppressed findings are listed but not counted.
- Findings of one file that share a ``fix.id`` share one fix (the same edits): apply each id once.
- To reproduce ``--write`` on a file: take every distinct fix (by ``id``) with ``applied: true``
  and apply their edits to the original text in order of position, each replacing its span of
  the original text (the edits of applied fixes do not overlap; insertions at one point go in the
  order listed).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fixer.findings import Applicability, Diagnostic, Fix, TextEdit
from fixer.output.escaping import json_text
from fixer.output.records import FileReport, RunInfo

VERSION = 1

_APPLICABILITY = {
    Applicability.SAFE: "safe",
    Applicability.UNSAFE: "unsafe",
    Applicability.NONE: "none",
}


def _point(line: int, column: int) -> dict[str, int]:
    return {"line": line, "column": column}


def _edit_record(edit: TextEdit) -> dict[str, Any]:
    record: dict[str, Any] = {
        "start": _point(edit.start_line, edit.start_column),
        "end": _point(edit.end_line, edit.end_column),
        "content": edit.content,
    }
    if edit.cell is not None:
        record["cell"] = edit.cell
    return record


def _fix_record(fix: Fix) -> dict[str, Any]:
    return {
        "id": fix.id,
        "applicability": _APPLICABILITY[fix.applicability],
        "applied": fix.applied,
        "edits": [_edit_record(edit) for edit in fix.edits],
    }


def finding_record(diagnostic: Diagnostic) -> dict[str, Any]:
    """One finding (in force or suppressed) as the JSON formats write it."""
    record: dict[str, Any] = {
        "path": diagnostic.path,
        "line": diagnostic.line,
        "column": diagnostic.column,
        "end_line": diagnostic.end_line or diagnostic.line,
        "end_column": diagnostic.end_column or diagnostic.column,
        "code": diagnostic.code,
        "name": diagnostic.rule.name,
        "message": diagnostic.message,
        "applicability": _APPLICABILITY[diagnostic.applicability],
        "fixable": diagnostic.applicability is Applicability.SAFE,
        "suppressed": diagnostic.suppressed_by is not None,
        "suppression": diagnostic.suppressed_by,
        "fix": None if diagnostic.fix is None else _fix_record(diagnostic.fix),
    }
    if diagnostic.cell is not None:
        record["cell"] = diagnostic.cell.number
        record["cell_id"] = diagnostic.cell.id
        record["file_line"] = diagnostic.cell.file_line
        record["file_end_line"] = diagnostic.cell.file_end_line
    return record


def _error_record(diagnostic: Diagnostic) -> dict[str, Any]:
    record: dict[str, Any] = {
        "path": diagnostic.path,
        "line": diagnostic.line,
        "column": diagnostic.column,
        "code": diagnostic.code,
        "message": diagnostic.message,
    }
    if diagnostic.cell is not None:
        record["cell"] = diagnostic.cell.number
    return record


def file_record(report: FileReport) -> dict[str, Any]:
    """The record of one file: one line of ``--format json-lines``."""
    errors = [_error_record(d) for d in report.diagnostics if d.is_error]
    if report.error is not None:
        errors.append(
            {
                "path": report.path,
                "line": None,
                "column": None,
                "code": None,
                "message": report.error,
            }
        )
    listed = [d for d in report.diagnostics if not d.is_error] + list(report.suppressed)
    listed.sort(key=lambda d: (d.line, d.column))  # stable: the engine's order on ties
    return {
        "version": VERSION,
        "path": report.path,
        "findings": [finding_record(d) for d in listed],
        "errors": errors,
        "changed": report.changed,
    }


def document(records: Iterable[dict[str, Any]], run: RunInfo) -> dict[str, Any]:
    """The whole run from its file records: the ``--format json`` document."""
    findings: list[Any] = []
    errors: list[Any] = []
    for record in records:
        findings.extend(record["findings"])
        errors.extend(record["errors"])
    return {
        "version": VERSION,
        "files": list(run.files),
        "findings": findings,
        "errors": errors,
        "summary": dict(run.counts),
    }


class JsonDocumentEmitter:
    """Collects the file records and prints one indented document at the end."""

    def __init__(self) -> None:
        self._records: list[dict[str, Any]] = []

    def file(self, report: FileReport) -> str:
        self._records.append(file_record(report))
        return ""

    def finish(self, run: RunInfo) -> str:
        return json_text(document(self._records, run), indent=2) + "\n"
