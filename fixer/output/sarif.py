"""``--format sarif``: one SARIF 2.1.0 log, for GitHub code scanning and other SARIF viewers.

One run: ``tool.driver`` describes every rule (its documentation as ``help``); each finding in
force or suppressed is a result (suppressed ones carry ``suppressions``), with a ``fixes`` entry
when fixer can fix it and a stable ``partialFingerprints["fixer/v1"]`` (the GitLab report's
fingerprint). Files that were not checked (a syntax error, fixer's own failure, a file that could
not be read) are ``toolExecutionNotifications`` of the invocation, which is then not successful.
Columns count Unicode code points (``columnKind``); paths are relative to ``%SRCROOT%``, the
directory fixer ran in, unless they were given as absolute paths.

In a notebook a result's region is in the ``.ipynb`` file's text: the JSON string literals of the
cell's source lines, from the flagged character to the end of the range (so a viewer that shows
the raw file highlights the right line); the location's ``properties`` carry ``cell`` (1-based),
``cellId`` and the position within the cell (``cellLine``, ``cellColumn``, ``cellEndLine``,
``cellEndColumn``). A notebook's fixes are not given as ``fixes`` (their edits are to cell text,
not to the JSON text); ``fixer --write`` makes them.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePath
from typing import Any
from urllib.parse import quote

from fixer import __version__
from fixer.explain import render_rule
from fixer.findings import Applicability, Diagnostic, Fix
from fixer.output.escaping import json_text
from fixer.output.gitlab import Fingerprints
from fixer.output.records import FileReport, RunInfo
from fixer.rules import CRASH_CODES, NOT_CHECKED_CODES, RULES, UNUSED_SUPPRESSION
from fixer.rules.base import Rule

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT = "fixer/v1"
SRCROOT = "%SRCROOT%"
# Where the tool's documentation lives: set it once the project has a public home.
INFORMATION_URI: str | None = None

_RULE_INDEX = {rule.code: index for index, rule in enumerate(RULES)}


def level(code: str) -> str:
    """``error`` when TensorFlow fails or the file was not checked, ``note`` for an unused
    suppression comment, ``warning`` for the silent training bugs."""
    if code in CRASH_CODES or code in NOT_CHECKED_CODES:
        return "error"
    if code == UNUSED_SUPPRESSION.code:
        return "note"
    return "warning"


# ----------------------------------------------------------------------------- rules


def rule_descriptor(rule: Rule) -> dict[str, Any]:
    """A rule as ``tool.driver.rules`` describes it: its summary, the first paragraph of what it
    catches, and its whole documentation (as ``fixer rule`` prints it for ``markdown``)."""
    what = rule.catches.strip().split("\n\n")[0]
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": " ".join(what.split())},
        "help": {"text": rule.doc, "markdown": render_rule(rule)},
        "defaultConfiguration": {"level": level(rule.code)},
    }


def driver() -> dict[str, Any]:
    """``tool.driver``: fixer, its version and every rule, in the order of ``RULES``."""
    tool: dict[str, Any] = {"name": "fixer", "version": __version__}
    if INFORMATION_URI is not None:
        tool["informationUri"] = INFORMATION_URI
    tool["rules"] = [rule_descriptor(rule) for rule in RULES]
    return tool


# ----------------------------------------------------------------------------- results


def artifact_location(path: str) -> dict[str, str]:
    """A path as shown: relative ones become POSIX URIs under ``%SRCROOT%``."""
    pure = PurePath(path)
    if pure.is_absolute():
        return {"uri": pure.as_uri()}
    posix = pure.as_posix()  # PurePath drops a leading "./"
    return {"uri": quote(posix, safe="/", errors="surrogateescape"), "uriBaseId": SRCROOT}


def _region(line: int, column: int, end_line: int, end_column: int) -> dict[str, int]:
    return {"startLine": line, "startColumn": column, "endLine": end_line, "endColumn": end_column}


def _location(path: str, diagnostic: Diagnostic) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": artifact_location(path)}
    d = diagnostic
    if d.cell is not None:
        # A notebook: the region is in the .ipynb file's own text (the JSON strings of the
        # cell's source), which is what a SARIF viewer shows; the cell and the position in
        # it are properties of the location.
        cell = d.cell
        physical["region"] = _region(
            cell.file_line, cell.file_column, cell.file_end_line, cell.file_end_column
        )
        properties: dict[str, Any] = {
            "cell": cell.number,
            "cellLine": d.line,
            "cellColumn": d.column,
            "cellEndLine": d.end_line or d.line,
            "cellEndColumn": d.end_column or d.column,
        }
        if cell.id is not None:
            properties["cellId"] = cell.id
        return {"physicalLocation": physical, "properties": properties}
    if d.line >= 1:
        physical["region"] = _region(
            d.line, d.column, d.end_line or d.line, d.end_column or d.column
        )
    return {"physicalLocation": physical}


def _fix(path: str, diagnostic: Diagnostic, fix: Fix) -> dict[str, Any]:
    replacements = []
    for edit in fix.edits:
        replacement: dict[str, Any] = {
            "deletedRegion": _region(
                edit.start_line, edit.start_column, edit.end_line, edit.end_column
            )
        }
        if edit.content:
            replacement["insertedContent"] = {"text": edit.content}
        replacements.append(replacement)
    kind = "Safe" if fix.applicability is Applicability.SAFE else "Unsafe"
    description = f"{kind} fix for {diagnostic.code} ({diagnostic.rule.name})"
    if fix.applicability is not Applicability.SAFE:
        description += ": it changes how the program behaves; review it"
    return {
        "description": {"text": description},
        "artifactChanges": [
            {"artifactLocation": artifact_location(path), "replacements": replacements}
        ],
    }


def result(path: str, diagnostic: Diagnostic, fingerprint: str) -> dict[str, Any]:
    """One finding (in force or suppressed) as a SARIF result."""
    d = diagnostic
    item: dict[str, Any] = {
        "ruleId": d.code,
        "ruleIndex": _RULE_INDEX[d.code],
        "level": level(d.code),
        "message": {"text": d.message},
        "locations": [_location(path, d)],
        "partialFingerprints": {FINGERPRINT: fingerprint},
    }
    if d.fix is not None and d.fix.edits and d.cell is None:  # a notebook's are not in JSON text
        item["fixes"] = [_fix(path, d, d.fix)]
    if d.suppressed_by is not None:
        item["suppressions"] = [{"kind": "inSource", "justification": d.suppressed_by}]
    return item


def _notification(path: str, diagnostic: Diagnostic) -> dict[str, Any]:
    d = diagnostic
    return {
        "level": "error",
        "message": {"text": f"{path}: {d.message}"},
        "locations": [_location(path, d)],
        "associatedRule": {"id": d.code, "index": _RULE_INDEX[d.code]},
    }


def _read_error(path: str, message: str) -> dict[str, Any]:
    return {
        "level": "error",
        "message": {"text": f"{path}: {message}"},
        "locations": [{"physicalLocation": {"artifactLocation": artifact_location(path)}}],
    }


class SarifEmitter:
    """Collects results and notifications; prints the log at the end."""

    def __init__(self) -> None:
        self._fingerprints = Fingerprints()
        self._results: list[dict[str, Any]] = []
        self._notifications: list[dict[str, Any]] = []

    def file(self, report: FileReport) -> str:
        path = report.path
        if report.error is not None:
            self._notifications.append(_read_error(path, report.error))
        # Fingerprints in the GitLab report's order (findings in force, then suppressed ones),
        # so that a finding has the same fingerprint in both; results in the order of the file.
        in_force = [d for d in report.diagnostics if not d.is_error]
        listed = [
            (d, self._fingerprints(path, d.code, d.message))
            for d in (*in_force, *report.suppressed)
        ]
        listed.sort(key=lambda pair: (pair[0].line, pair[0].column))
        self._results.extend(result(path, d, fingerprint) for d, fingerprint in listed)
        self._notifications.extend(_notification(path, d) for d in report.diagnostics if d.is_error)
        return ""

    def log(self) -> dict[str, Any]:
        """The SARIF log of the files seen so far."""
        return {
            "$schema": SCHEMA,
            "version": "2.1.0",
            "runs": [
                {
                    "tool": {"driver": driver()},
                    "invocations": [
                        {
                            "executionSuccessful": not self._notifications,
                            "toolExecutionNotifications": self._notifications,
                        }
                    ],
                    "columnKind": "unicodeCodePoints",
                    "results": self._results,
                }
            ],
        }

    def finish(self, run: RunInfo) -> str:
        return json_text(self.log(), indent=2) + "\n"


def sarif_log(reports: Iterable[FileReport]) -> dict[str, Any]:
    """The SARIF log of these files, as data."""
    emitter = SarifEmitter()
    for report in reports:
        emitter.file(report)
    return emitter.log()
