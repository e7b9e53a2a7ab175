"""The frozen plan: what the transform does, and every finding; and the gate that decides, fix
by fix, whether a planned fix is made.

Nodes in the plan are the original nodes of the analysed tree, matched by identity.
:mod:`fixer.transform` applies a plan without deciding anything.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Union

import libcst as cst

from fixer.findings import Applicability, Diagnostic


@dataclass(frozen=True)
class Reference:
    """What a name becomes: ``name``, or ``owner.name`` for an attribute on the instance."""

    name: str
    owner: str | None = None


@dataclass(frozen=True)
class MovedStatement:
    """A statement (or one small statement of a ``;`` line) moved verbatim."""

    line: cst.SimpleStatementLine
    small: cst.BaseSmallStatement | None  # set when the line holds other statements too
    dedent: int


@dataclass(frozen=True)
class BoundCall:
    """An inline constructor call hoisted as ``target = call``; the call becomes ``target``."""

    target: Reference
    call: cst.Call
    dedent: int


@dataclass(frozen=True)
class NewInit:
    """An ``__init__`` added to a class that has none, holding the moved statements."""

    self_name: str
    forwards_to_super: bool
    body: tuple[MovedStatement | BoundCall, ...]


Hoisted = Union[MovedStatement, BoundCall, NewInit]


@dataclass(frozen=True)
class Insertion:
    """Statements to insert before (or after) ``anchor``, a statement of the destination block."""

    anchor: cst.BaseStatement
    hoisted: tuple[Hoisted, ...]
    blank_lines_after: int
    after: bool = False


@dataclass(frozen=True)
class Plan:
    """Everything the transformer does, and every finding."""

    diagnostics: tuple[Diagnostic, ...] = ()
    insertions: tuple[Insertion, ...] = ()
    removed_lines: frozenset[cst.SimpleStatementLine] = frozenset()
    removed_smalls: frozenset[cst.BaseSmallStatement] = frozenset()
    replaced_calls: Mapping[cst.Call, Reference] = field(default_factory=dict)
    references: Mapping[cst.Name, Reference] = field(default_factory=dict)
    # Suppression comments to rewrite (the new text) or delete (None): unused ones, on request.
    comment_edits: Mapping[cst.Comment, str | None] = field(default_factory=dict)

    @property
    def changes_anything(self) -> bool:
        return bool(
            self.insertions or self.removed_lines or self.removed_smalls or self.comment_edits
        )


@dataclass(frozen=True)
class SiteKey:
    """A fix the planner is about to make, as a :data:`FixGate` sees it."""

    code: str
    line: int
    column: int
    applicability: Applicability  # SAFE or UNSAFE
    suppressible_at: tuple[int, ...]  # any suppression comment here applies (see Diagnostic)
    own_lines: tuple[int, ...] = ()  # the flagged code's lines: a bare noqa comment applies here


class Decision(Enum):
    """What becomes of a planned fix."""

    APPLY = "apply"  # made
    HOLD = "hold"  # not made (an unsafe fix held back); the name it would take stays taken
    DROP = "drop"  # not made, and the finding is not in force (suppressed, not selected)


# Decides what becomes of a planned fix; the finding is reported either way.
FixGate = Callable[[SiteKey], Decision]


def default_gate(unsafe_fixes: bool) -> FixGate:
    """Safe fixes always; unsafe ones (they change how a running program trains) on request."""

    def gate(key: SiteKey) -> Decision:
        if key.applicability is Applicability.SAFE or unsafe_fixes:
            return Decision.APPLY
        return Decision.HOLD

    return gate
