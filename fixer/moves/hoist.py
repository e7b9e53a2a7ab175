"""Move one optimizer out of the function that builds it: the pipeline of TFO001, TFO004, TFO005.

A rule hands over a :class:`Site` (the call, the statements that go with it, the finding's
headline); :func:`plan_site` runs the checks every such move passes (:mod:`fixer.moves.checks`),
then plans the move at its destination: ``__init__`` for a method (:mod:`fixer.moves.instance`),
module scope or the enclosing factory otherwise (:mod:`fixer.moves.scope`). It reports the
finding with the outcome (the fix, or why not) and asks the gate whether the fix is made; a fix
held back is rolled back.

Fixtures: ``hoist_one_step_moved_other_reported`` (one site moved, another refused),
``hoist_two_traced_functions_get_own_optimizers``, ``report_optimizer_assigned_in_if_else``
(``check_bindings``), ``report_arg_reads_step_local`` and ``report_arg_reads_step_parameter``
(``check_reads``), ``keep_suppressed_in_every_place`` (the gate drops a suppressed fix).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst

from fixer.analysis.facts import Binding, Owner
from fixer.analysis.plan import Decision
from fixer.findings import Applicability
from fixer.moves import checks
from fixer.moves.instance import plan_instance_move
from fixer.moves.scope import plan_scope_move
from fixer.rules.base import Rule

if TYPE_CHECKING:
    from fixer.analysis.planner import Planner


@dataclass
class Site:
    """One optimizer to move out of ``func``: its call, the statements that go with it, and the
    outcome so far (a caveat found on the way makes a safe fix unsafe)."""

    call: cst.Call
    func: cst.FunctionDef  # the function that builds it
    owner: Owner  # where ``func`` is defined: the module, a factory function or a class
    bound: Binding | None  # the ``name = Optimizer(...)`` statement, if any
    feeders: list[Binding]  # statements that move with it (a schedule, a wrapped optimizer)
    rule: Rule
    headline: str  # the finding's message before "; <outcome>"
    applicability: Applicability = Applicability.SAFE
    # How a refusal ends when the arguments read a local of ``func``: what to do instead.
    read_advice: str = "; build it outside and pass it in"

    def moved_nodes(self, moved: Sequence[Binding]) -> list[cst.CSTNode]:
        """What moves: the bound statements, and the call itself when it is used inline."""
        nodes: list[cst.CSTNode] = [b.small for b in moved]
        if self.bound is None:
            nodes.append(self.call)
        return nodes

    @property
    def fix_word(self) -> str:
        """How the outcome names the fix: a rule whose fixes are always unsafe changes training
        on purpose, and says so."""
        if self.rule.fix_availability is Applicability.UNSAFE:
            return "fix (unsafe: training results change, as intended)"
        if self.applicability is Applicability.UNSAFE:
            return "fix (unsafe)"
        return "fix"


def plan_site(planner: Planner, site: Site) -> None:
    """Check the move, plan it at its destination, report the finding, and let the gate decide."""
    facts = planner.facts
    func = site.func
    moved = [*site.feeders, *([site.bound] if site.bound is not None else [])]
    reason = (
        checks.not_resolved(facts, site, planner.traced)
        or checks.chosen_at_run_time(facts, site.call)
        or checks.blocked_by_context(facts, site.call, func)
    )
    if reason is None:
        reason = checks.builds_more_than_optimizer(facts, site)
    if reason is None:
        reason = checks.check_owner(site, planner.traced)
    if reason is None:
        reason = checks.check_bindings(facts, site, moved)
    snapshot = planner.snapshot()
    if reason is None and isinstance(site.owner, cst.ClassDef):
        reason = plan_instance_move(planner, site, moved, site.owner)
    elif reason is None:
        reason = plan_scope_move(planner, site, moved)
    if reason is not None:
        planner.report(site, Applicability.NONE, f"not moved: {reason}")
    decision = (
        None if reason is not None else planner.decide(site.rule, site.applicability, site.call)
    )
    if decision is not Decision.APPLY:
        # A fix held back: the finding stays, edits go. A finding not in force (suppressed,
        # not selected) must not even change the names other fixes take.
        planner.restore(snapshot, keep_names=decision is not Decision.DROP)
