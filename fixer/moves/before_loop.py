"""Destination: just before a loop, for an optimizer built in its body (TFO002, TFO003).

:func:`choose_loop` picks the outermost enclosing loop the construction may leave: not one that
rebinds a name its arguments read (a learning rate set per epoch), nor one that assigns the
optimizer's name elsewhere, nor one that builds a fresh model of the variables it trains (when
the innermost loop does, a new optimizer per iteration is intended and nothing is said).
:func:`plan_before_loop` checks the context the call would leave and plans the move, binding an
inline optimizer to ``optimizer``.

Fixtures: ``hoist_loop_new_optimizer_each_epoch_into_traced_step``,
``hoist_tf_new_optimizer_each_epoch``, ``report_loop_learning_rate_from_loop_variable``,
``report_eager_loop_rebuilds_optimizer_every_step``,
``keep_trial_loop_builds_model_and_optimizer``,
``keep_trial_loop_new_optimizer_inside_steps_of_fresh_model``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst
from libcst.metadata import Assignment, Scope

from fixer.analysis.facts import Binding, Facts, Loop
from fixer.analysis.plan import BoundCall, Decision, Hoisted, Reference
from fixer.findings import Applicability
from fixer.moves import checks
from fixer.rules.base import Rule

if TYPE_CHECKING:
    from fixer.analysis.planner import Planner


@dataclass(frozen=True)
class LoopSite:
    """An optimizer built in the body of ``loops`` (innermost first), outside traced code."""

    call: cst.Call
    binding: Binding | None  # the ``name = Optimizer(...)`` statement, if any
    scope: Scope  # the scope of the loops
    loops: list[Loop]
    rule: Rule
    applicability: Applicability
    headline: str  # the finding's message before "; <outcome>"


def choose_loop(
    facts: Facts, site: LoopSite, update: cst.Call | None
) -> tuple[Loop | None, str | None, str | None]:
    """The outermost loop the construction can move before.

    Returns the loop, the reason no loop will do, and what stops it leaving an outer loop;
    ``(None, None, None)`` when the loop trains a fresh model each iteration.
    """
    binding, scope = site.binding, site.scope
    read = [
        access
        for access in facts.names_read([binding.small if binding else site.call])
        if any(isinstance(r, Assignment) and r.scope is scope for r in access.referents)
    ]
    variables = facts.updated_variables(update) if update is not None else []
    chosen: Loop | None = None
    outer_blocker: str | None = None
    for depth, loop in enumerate(site.loops):
        fresh = [v for v in variables if facts.assigned_in(v, scope, loop)]
        if fresh:
            if depth == 0:
                return None, None, None
            break
        blocker = next(
            (
                access.node.value
                for access in read
                if isinstance(access.node, cst.Name)
                and facts.assigned_in(access.node.value, scope, loop)
            ),
            None,
        )
        if blocker is None and binding is not None:
            others = [
                x
                for x in facts.assignments_of(scope, binding.name)
                if not facts.in_group(x, [binding])
                and isinstance(x, Assignment)
                and facts.within(x.node, loop)
            ]
            if others:
                message = f"`{binding.name}` is assigned elsewhere in the loop too"
                if chosen is None:
                    return None, message, None
                outer_blocker = message
                break
        if blocker is not None:
            message = (
                f"its arguments read `{blocker}`, which the loop on line "
                f"{facts.start(loop).line} rebinds"
            )
            if chosen is None:
                return None, message, None
            outer_blocker = message
            break
        chosen = loop
    if update is not None and not variables:
        return None, None, None  # cannot tell which variables it updates: say nothing
    return chosen, None, outer_blocker


def plan_before_loop(
    planner: Planner, site: LoopSite, chosen: Loop | None, reason: str | None
) -> None:
    """Move the construction before ``chosen``, unless ``reason`` or the context it would leave
    stops it; report the finding with the outcome, and let the gate decide."""
    facts = planner.facts
    call, binding = site.call, site.binding
    if reason is None:
        reason = checks.chosen_at_run_time(facts, call)
    if reason is None and chosen is not None:
        reason = checks.blocked_by_context(facts, call, chosen)
    if reason is not None or chosen is None:
        planner.report_at(
            call, site.rule, Applicability.NONE, f"{site.headline}; not moved: {reason}"
        )
        return
    column = facts.start(chosen).column
    decision = planner.decide(site.rule, site.applicability, call)
    apply = decision is Decision.APPLY
    note = ""
    hoisted: list[Hoisted] = []
    if binding is None:
        name = planner.choose_name("optimizer", "", site.scope, set())
        if decision is Decision.DROP:
            planner.reserved.discard(name)
        note = f" as `{name}`"
        if apply:
            enclosing = facts.enclosing_statement(call)
            planner.replaced[call] = Reference(name)
            dedent = facts.start(enclosing).column - column
            hoisted.append(BoundCall(Reference(name), call, dedent))
    elif apply:
        hoisted.extend(planner.remove_moved([binding], column))
    if apply:
        planner.insertions.setdefault((chosen, False), []).extend(hoisted)
        planner.blank_after.setdefault(chosen, 0)
    how = (
        "fix"
        if site.applicability is Applicability.SAFE
        else ("fix (unsafe: training results change, as intended)")
    )
    planner.report_at(
        call,
        site.rule,
        site.applicability,
        f"{site.headline}; {how}: build it once before the loop on line "
        f"{facts.start(chosen).line}{note}",
    )
