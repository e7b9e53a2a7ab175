"""``--format text``: ``path:line:col: CODE [applicability] message``, one finding a line.

Only findings in force: suppressed findings are not listed, and error findings and unreadable
files are left to the command line, which prints them on stderr. Control characters from file
names and source text are shown escaped (:mod:`fixer.output.escaping`).
"""

from __future__ import annotations

from fixer.findings import Diagnostic
from fixer.output.escaping import printable
from fixer.output.records import FileReport, RunInfo


class TextEmitter:
    """``only_unfixed`` (``--write``, ``--diff``, ``--check``): list only the findings whose fix
    this run does not apply, the ones left to do by hand or with ``--unsafe-fixes``."""

    def __init__(self, *, only_unfixed: bool = False) -> None:
        self.only_unfixed = only_unfixed

    def _listed(self, diagnostic: Diagnostic) -> bool:
        if diagnostic.is_error:
            return False
        return not self.only_unfixed or diagnostic.fix is None or not diagnostic.fix.applied

    def file(self, report: FileReport) -> str:
        return "".join(printable(d.render()) + "\n" for d in report.diagnostics if self._listed(d))

    def finish(self, run: RunInfo) -> str:
        return ""
