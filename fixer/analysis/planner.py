"""The planner: runs the rules over a file's facts, in order, and gathers their findings and the
edits of the fixes the gate lets through into a frozen :class:`~fixer.analysis.plan.Plan`.

The :class:`Planner` is what rules and moves write to: the findings (``report``, ``report_at``),
the edits being planned (insertions, removals, renamed references) with ``snapshot`` and
``restore`` to roll back a fix the gate holds back, and the names the moved optimizers take
(``choose_name``: free at the destination, not captured where they are read).
"""

from __future__ import annotations

import keyword
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst
from libcst.metadata import Assignment, BaseAssignment, Scope

from fixer import names
from fixer.analysis.facts import BUILTINS, Binding, Facts, Traced, prepare
from fixer.analysis.plan import (
    Decision,
    FixGate,
    Hoisted,
    Insertion,
    MovedStatement,
    NewInit,
    Plan,
    Reference,
    SiteKey,
    default_gate,
)
from fixer.findings import Applicability, Diagnostic
from fixer.rules import DETECTORS
from fixer.rules.base import Rule

if TYPE_CHECKING:
    from fixer.moves import Site


def analyse(
    wrapper: cst.MetadataWrapper,
    path: str,
    table: names.NameTable = names.DEFAULT_NAMES,
    *,
    unsafe_fixes: bool = False,
) -> Plan:
    """Find every optimizer built while tracing and plan its move (or the reason it can't).

    Unsafe fixes (they change how an already-running program trains) are planned only with
    ``unsafe_fixes``; their findings are reported either way.
    """
    return plan(prepare(wrapper, path, table), default_gate(unsafe_fixes))


def plan(facts: Facts, gate: FixGate) -> Plan:
    """The plan for ``facts``: every finding, and the fixes ``gate`` lets through."""
    return Planner(facts, gate).plan()


@dataclass
class Edits:
    """The planner's edits, as copied to roll back a fix that is held back."""

    insertions: dict[tuple[cst.BaseStatement, bool], list[Hoisted]]
    blank_after: dict[cst.BaseStatement, int]
    removed_lines: set[cst.SimpleStatementLine]
    removed_smalls: set[cst.BaseSmallStatement]
    replaced: dict[cst.Call, Reference]
    references: dict[cst.Name, Reference]
    new_inits: dict[cst.ClassDef, NewInit]
    reserved: set[str]


class Planner:
    """The plan being built for one file: the findings so far, the edits of the fixes the gate
    let through, and the names those fixes took."""

    def __init__(self, facts: Facts, gate: FixGate) -> None:
        self.facts = facts
        self.gate = gate
        self.traced: Mapping[cst.FunctionDef, Traced] = facts.traced_functions()
        self.reserved: set[str] = set()  # names given to moved optimizers in this plan
        self.partners: dict[cst.Call, list[cst.Call]] = {}  # see pair()
        self.diagnostics: list[Diagnostic] = []
        self.insertions: dict[tuple[cst.BaseStatement, bool], list[Hoisted]] = {}
        self.blank_after: dict[cst.BaseStatement, int] = {}
        self.removed_lines: set[cst.SimpleStatementLine] = set()
        self.removed_smalls: set[cst.BaseSmallStatement] = set()
        self.replaced: dict[cst.Call, Reference] = {}
        self.references: dict[cst.Name, Reference] = {}
        self.attributes_taken: dict[cst.ClassDef, set[str]] = {}
        self.new_inits: dict[cst.ClassDef, NewInit] = {}

    def plan(self) -> Plan:
        """Run the rules, then freeze what they found and planned."""
        for detect in DETECTORS:
            detect(self)
        self.diagnostics.sort(key=lambda d: (d.line, d.column, d.code))
        insertions = tuple(
            Insertion(anchor, tuple(hoisted), self.blank_after.get(anchor, 0), after)
            for (anchor, after), hoisted in self.insertions.items()
        )
        return Plan(
            diagnostics=tuple(self.diagnostics),
            insertions=insertions,
            removed_lines=frozenset(self.removed_lines),
            removed_smalls=frozenset(self.removed_smalls),
            replaced_calls=dict(self.replaced),
            references=dict(self.references),
        )

    # ----------------------------------------------------------------- edits

    def snapshot(self) -> Edits:
        """A copy of every planned edit, to roll back a fix that is not applied."""
        return Edits(
            {key: list(value) for key, value in self.insertions.items()},
            dict(self.blank_after),
            set(self.removed_lines),
            set(self.removed_smalls),
            dict(self.replaced),
            dict(self.references),
            dict(self.new_inits),
            set(self.reserved),
        )

    def restore(self, snapshot: Edits, keep_names: bool = True) -> None:
        """Go back to ``snapshot``; the names reserved since stay taken unless ``keep_names`` is
        False."""
        self.insertions = snapshot.insertions
        self.blank_after = snapshot.blank_after
        self.removed_lines = snapshot.removed_lines
        self.removed_smalls = snapshot.removed_smalls
        self.replaced = snapshot.replaced
        self.references = snapshot.references
        self.new_inits = snapshot.new_inits
        if not keep_names:
            self.reserved = snapshot.reserved

    def remove_moved(self, moved: Sequence[Binding], anchor_column: int) -> list[MovedStatement]:
        """Mark the moved statements for removal; they come back at the destination."""
        a = self.facts
        statements: list[MovedStatement] = []
        for binding in moved:
            small: cst.BaseSmallStatement | None = None
            if len(binding.line.body) > 1:
                small = binding.small
                self.removed_smalls.add(small)
            else:
                self.removed_lines.add(binding.line)
            dedent = a.start(binding.line).column - anchor_column
            statements.append(MovedStatement(binding.line, small, dedent))
        return statements

    # ----------------------------------------------------------------- findings

    def report(self, site: Site, applicability: Applicability, outcome: str) -> None:
        """The finding of ``site``: its headline, then the outcome (the fix, or why not)."""
        self.report_at(site.call, site.rule, applicability, f"{site.headline}; {outcome}")

    def report_at(
        self,
        call: cst.Call,
        rule: Rule,
        applicability: Applicability,
        message: str,
        fixed_with: tuple[int, int] | None = None,
    ) -> None:
        """A finding at ``call``, with the lines whose suppression comments apply to it."""
        span = self.facts.positions[call]
        self.diagnostics.append(
            Diagnostic(
                path=self.facts.path,
                line=span.start.line,
                column=span.start.column + 1,
                code=rule.code,
                message=message,
                applicability=applicability,
                end_line=span.end.line,
                end_column=span.end.column + 1,
                fixed_with=fixed_with,
                suppressible_at=self.suppressible_at(call),
                own_lines=self.own_lines(call),
            )
        )

    def decide(self, rule: Rule, applicability: Applicability, call: cst.Call) -> Decision:
        """What becomes of the fix planned for the finding at ``call`` (the gate decides)."""
        start = self.facts.start(call)
        key = SiteKey(
            rule.code,
            start.line,
            start.column + 1,
            applicability,
            self.suppressible_at(call),
            self.own_lines(call),
        )
        return self.gate(key)

    def pair(self, first: cst.Call, second: cst.Call) -> None:
        """Two findings of one bug (TFO004: the traced call and the helper's construction): a
        suppression of either applies to both, so that one is never left without its fix."""
        self.partners.setdefault(first, []).append(second)
        self.partners.setdefault(second, []).append(first)

    def suppressible_at(self, call: cst.Call) -> tuple[int, ...]:
        lines = set(self.facts.suppressible_at(call))
        for partner in self.partners.get(call, ()):
            lines.update(self.facts.suppressible_at(partner))
        return tuple(sorted(lines))

    def own_lines(self, call: cst.Call) -> tuple[int, ...]:
        lines: set[int] = set()
        for node in (call, *self.partners.get(call, ())):
            span = self.facts.positions[node]
            lines.update(range(span.start.line, span.end.line + 1))
        return tuple(sorted(lines))

    # ----------------------------------------------------------------- names

    def choose_name(
        self,
        name: str,
        func: cst.FunctionDef | str,
        destination: Scope,
        group: set[BaseAssignment],
        inside: Scope | None = None,
    ) -> str:
        """``name`` when free at the destination, else ``<function>_<name>`` (then ``_2``...).

        ``inside`` is the scope the references are placed in: the name must not be bound there.
        """
        chosen = name
        if not self.is_free(name, destination, group, inside):
            prefix = func if isinstance(func, str) else func.name.value
            base = f"{prefix}_{name}" if prefix else name
            chosen, n = base, 1
            while not self.is_free(chosen, destination, set(), inside):
                n += 1
                chosen = f"{base}_{n}"
        self.reserved.add(chosen)
        return chosen

    def is_free(
        self,
        name: str,
        destination: Scope,
        group: set[BaseAssignment],
        inside: Scope | None = None,
    ) -> bool:
        """Binding ``name`` in ``destination`` changes the meaning of no other code, and no
        binding in ``inside`` would capture the references placed there."""
        a = self.facts
        if name in self.reserved or name in BUILTINS or keyword.iskeyword(name):
            return False
        if inside is not None:
            for scope in a.scopes_within(inside):
                if any(x not in group for x in a.assignments_of(scope, name)):
                    return False
        if any(x not in group for x in a.assignments_of(destination, name)):
            return False
        for access in a.accesses_in(destination, name):
            referents = access.referents
            if referents and all(r in group for r in referents):
                continue
            if referents and all(
                r.scope is not destination and a.is_descendant_scope(r.scope, destination)
                for r in referents
            ):
                continue  # shadowed by a local of a nested function
            return False
        return True

    def group_of(
        self, name: str, func_scope: Scope, moved: Sequence[Binding]
    ) -> set[BaseAssignment]:
        """The assignments of ``name`` that the moved statements make."""
        return {
            x for x in self.facts.assignments_of(func_scope, name) if self.facts.in_group(x, moved)
        }

    def point_group_at(
        self, name: str, reference: Reference, func_scope: Scope, group: set[BaseAssignment]
    ) -> None:
        """Make every binding and read of the moved name refer to ``reference``."""
        for assignment in group:
            if isinstance(assignment, Assignment) and isinstance(assignment.node, cst.Name):
                self.references[assignment.node] = reference
        for access in self.facts.accesses_in(func_scope, name):
            if any(r in group for r in access.referents) and isinstance(access.node, cst.Name):
                self.references[access.node] = reference
