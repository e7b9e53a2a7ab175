"""``--format gitlab``: a GitLab Code Quality report (a JSON array of issues), and the stable
fingerprints that it and SARIF give each finding.

Each issue::

    {"description": "TFO001 ...", "check_name": "TFO001", "fingerprint": "<sha256 hex>",
     "severity": "critical", "location": {"path": "src/train.py", "lines": {"begin": 5, "end": 5}}}

Severity: ``critical`` for the kinds that make TensorFlow fail, ``major`` for the silent training
bugs, ``minor`` for an unused suppression comment, ``blocker`` for a file that was not checked
(a syntax error, fixer's own failure, or a file that could not be read: ``check_name``
``read-error``). Suppressed findings are left out. In a notebook the lines are those of the
``.ipynb`` file's text and the description names the cell (``TFO001 cell 4, line 3: ...``); the
fingerprint does not (it stays when cells are added above).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

from fixer.findings import Diagnostic
from fixer.output.escaping import json_text
from fixer.output.records import FileReport, RunInfo
from fixer.rules import UNUSED_SUPPRESSION

READ_ERROR = "read-error"  # check_name of a file that could not be read

# "the loop on line 12", "(line 5)", "lines 3-4": positions that an edit above would shift.
_LINE_NUMBER = re.compile(r"\b(lines?)\s+\d+(?:\s*[-\u2013]\s*\d+)?")


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def fingerprint_key(path: str, code: str, text: str) -> str:
    """What a finding's fingerprint hashes: its path, its code and its text with every line
    number masked, and not its own line, so that an edit above it keeps its fingerprint."""
    return "\0".join((path, code, _LINE_NUMBER.sub(r"\1 #", text)))


class Fingerprints:
    """Stable fingerprints, given in the order the findings come. The first of identical
    (path, code, text) findings gets the hash of its key; the n-th after it the hash of that hash
    and n, so that duplicates differ (and keep their fingerprints while none is removed)."""

    def __init__(self) -> None:
        self._seen: Counter[str] = Counter()

    def __call__(self, path: str, code: str, text: str) -> str:
        first = _sha256(fingerprint_key(path, code, text))
        occurrence = self._seen[first]
        self._seen[first] += 1
        return first if occurrence == 0 else _sha256(f"{first}:{occurrence}")


def severity(diagnostic: Diagnostic) -> str:
    """The Code Quality severity of a finding."""
    if diagnostic.is_error:
        return "blocker"
    if diagnostic.is_crash:
        return "critical"
    if diagnostic.code == UNUSED_SUPPRESSION.code:
        return "minor"
    return "major"


def _issue(
    description: str, check_name: str, fingerprint: str, level: str, path: str, begin: int, end: int
) -> dict[str, Any]:
    return {
        "description": description,
        "check_name": check_name,
        "fingerprint": fingerprint,
        "severity": level,
        "location": {"path": path, "lines": {"begin": begin, "end": end}},
    }


def issues(report: FileReport, fingerprints: Fingerprints) -> list[dict[str, Any]]:
    """The Code Quality issues of one file: its errors and its findings in force."""
    path = report.path
    found: list[dict[str, Any]] = []
    if report.error is not None:
        fingerprint = fingerprints(path, READ_ERROR, report.error)
        found.append(_issue(report.error, READ_ERROR, fingerprint, "blocker", path, 1, 1))
    for d in report.diagnostics:
        begin, end, where = max(d.line, 1), d.end_line, ""
        if d.cell is not None:  # a notebook: lines of the .ipynb file's text
            begin, end = d.cell.file_line, d.cell.file_end_line
            where = f"cell {d.cell.number}, line {d.line}: "
        found.append(
            _issue(
                f"{d.code} {where}{d.message}",
                d.code,
                fingerprints(path, d.code, d.message),
                severity(d),
                path,
                begin,
                max(end, begin),
            )
        )
    return found


class GitlabEmitter:
    """Collects the issues and prints the JSON array at the end."""

    def __init__(self) -> None:
        self._fingerprints = Fingerprints()
        self._issues: list[dict[str, Any]] = []

    def file(self, report: FileReport) -> str:
        self._issues.extend(issues(report, self._fingerprints))
        return ""

    def finish(self, run: RunInfo) -> str:
        return json_text(self._issues, indent=2) + "\n"


def code_quality(reports: Iterable[FileReport]) -> list[dict[str, Any]]:
    """Every file's issues: the whole report as data."""
    fingerprints = Fingerprints()
    return [issue for report in reports for issue in issues(report, fingerprints)]
