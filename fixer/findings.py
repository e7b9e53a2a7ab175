"""Findings: one finding at a place of a file, its fix as text edits, and how one renders.

What each code means, and its documentation, is in :mod:`fixer.rules`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fixer.rules.base import Rule


class Applicability(enum.Enum):
    """Whether fixer can fix a finding, as Ruff classifies fixes."""

    SAFE = "fixable"
    UNSAFE = "fixable, unsafe"
    NONE = "not fixable"


@dataclass(frozen=True)
class TextEdit:
    """Replace the text from (start_line, start_column) up to, not including, (end_line,
    end_column) with ``content``. Lines and columns are 1-based and count Unicode code points of
    the decoded file; lines are separated by ``\\n`` (a ``\\r`` before it is part of its line).
    An insertion has start == end."""

    start_line: int
    start_column: int
    end_line: int
    end_column: int
    content: str
    cell: int | None = None  # in a notebook: the cell (numbered as CellRef) the lines are in


@dataclass(frozen=True)
class CellRef:
    """Where a notebook finding is: its cell (1-based, every cell counted, markdown included),
    the cell's nbformat ``id`` if it has one, and where its range lies in the notebook's own
    text (the JSON strings of the cell's ``source``), for formats that point into the file."""

    number: int
    id: str | None
    file_line: int
    file_column: int
    file_end_line: int
    file_end_column: int


@dataclass(frozen=True)
class Fix:
    """The edits that fix a finding, expressed on the original file.

    Findings of one file that cannot be fixed separately (two optimizers hoisted to the same
    place, or the two findings of a helper and its traced call) carry the same ``id`` and the
    same edits: apply each ``id`` once. ``applied`` says whether this run's output (``--diff``,
    ``--write``) includes it: safe fixes are, unsafe ones only with ``--unsafe-fixes``.
    The edits are computed only on request (``fix_source(..., with_edits=True)``, as the JSON
    and SARIF formats do); otherwise ``edits`` is empty and ``id`` is 0.
    """

    id: int
    applicability: Applicability
    edits: tuple[TextEdit, ...]
    applied: bool


@dataclass(frozen=True)
class Diagnostic:
    """One finding at a position of the original file (1-based line and column; the end is
    exclusive, as in LSP and SARIF)."""

    path: str
    line: int
    column: int
    code: str
    message: str
    applicability: Applicability = Applicability.NONE
    is_error: bool = False
    end_line: int = 0  # 0: the same as ``line`` / ``column`` (errors without a range)
    end_column: int = 0
    fix: Fix | None = None
    suppressed_by: str | None = None  # the comment that suppresses it, e.g. ``noqa: TFO001``
    # For a finding fixed by another finding's fix (TFO004 at the helper's construction): the
    # (line, column) of that finding.
    fixed_with: tuple[int, int] | None = None
    # The lines on which a suppression comment applies to this finding: those of the flagged
    # code, and the header lines of the function and loops it sits in.
    suppressible_at: tuple[int, ...] = field(default=(), compare=False, repr=False)
    # The lines of the flagged code itself (and of its partner finding, for TFO004): a noqa comment
    # applies only there, as in Ruff; fixer's own directive also on the headers.
    own_lines: tuple[int, ...] = field(default=(), compare=False, repr=False)
    # In a notebook: the cell; ``line`` and ``column`` (and the ends) are then within the cell.
    cell: CellRef | None = None

    @property
    def place(self) -> str:
        """``path:line:col``, or ``path:cell N:line:col`` in a notebook."""
        if self.cell is not None:
            return f"{self.path}:cell {self.cell.number}:{self.line}:{self.column}"
        return f"{self.path}:{self.line}:{self.column}"

    @property
    def rule(self) -> Rule:
        from fixer.rules import RULES_BY_CODE  # the rules import this module

        return RULES_BY_CODE[self.code]

    @property
    def is_crash(self) -> bool:
        """TensorFlow fails on this (as opposed to training silently differently)."""
        from fixer.rules import CRASH_CODES

        return self.code in CRASH_CODES

    def render(self) -> str:
        """``path:line:col: CODE message`` (``path:cell N:line:col`` in a notebook), with error
        findings unmarked."""
        if self.is_error:
            return f"{self.place}: {self.code} {self.message}"
        return f"{self.place}: {self.code} [{self.applicability.value}] {self.message}"


class FindingsView:
    """What every result type says about its ``diagnostics``."""

    diagnostics: tuple[Diagnostic, ...]

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.is_error)

    @property
    def fixable(self) -> tuple[Diagnostic, ...]:
        """Findings with a safe fix."""
        return tuple(d for d in self.diagnostics if d.applicability is Applicability.SAFE)

    @property
    def unsafe(self) -> tuple[Diagnostic, ...]:
        """Findings whose fix is unsafe (applied only with ``unsafe_fixes``)."""
        return tuple(d for d in self.diagnostics if d.applicability is Applicability.UNSAFE)
