"""What every output format renders: one record per file, then the run's totals."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from fixer.findings import Diagnostic


@dataclass(frozen=True)
class FileReport:
    """One file's findings as a renderer sees them.

    ``diagnostics`` holds the findings in force and the error findings (``is_error``: TFO900,
    TFO901); ``suppressed`` the findings a comment suppresses (shown by the machine formats only).
    ``error`` is set instead when the file could not be read at all (or a path named on the
    command line does not exist). ``changed``: this run's ``--diff`` or ``--write`` changes it.
    """

    path: str
    diagnostics: tuple[Diagnostic, ...] = ()
    suppressed: tuple[Diagnostic, ...] = ()
    error: str | None = None
    changed: bool = False


@dataclass(frozen=True)
class RunInfo:
    """The whole run, for formats that are one document: the paths checked (in order) and the
    counts of the summary line (files, findings, fixable, errors, changed_files, generated)."""

    files: tuple[str, ...] = ()
    counts: Mapping[str, int] = field(default_factory=dict)
    mode: str = "report"  # report, diff, write or check


class Emitter(Protocol):
    """A renderer: text to write after each file, and text to write at the end."""

    def file(self, report: FileReport) -> str: ...

    def finish(self, run: RunInfo) -> str: ...
