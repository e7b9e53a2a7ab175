"""Destination: module scope, or the enclosing factory function, just before the traced def.

A traced function defined at module level (or in a block at module level, such as
``with strategy.scope():``) gets its optimizer built just before it, above its decorators; one
defined in a factory function gets it in the factory, just before the nested def, where it may
still read the factory's parameters. Module scope and the factory share everything but their
wording and one check, ``check_strategy`` (module scope may be outside a distribution strategy's
scope), so one module holds both. The moved name keeps its spelling when it is free there,
otherwise it becomes ``<function>_<name>`` (:meth:`~fixer.analysis.planner.Planner.choose_name`).

Fixtures: module scope in ``hoist_adam_in_train_step``, ``hoist_inside_strategy_scope_block``,
``hoist_renamed_when_module_optimizer_taken``, ``hoist_inline_renamed_when_optimizer_taken``,
``report_module_move_refused_under_strategy``, ``report_name_bound_after_function``,
``report_name_rebound_after_function``, ``report_move_changes_when_arguments_are_read``; the
factory in ``hoist_factory_multiline_schedule``, ``hoist_factory_nested_def_first``,
``hoist_factory_uses_factory_parameter``, ``hoist_closure_move_fine_under_strategy``,
``report_factory_arg_reads_step_parameter``; refused for a traced def inside a loop
(``report_traced_step_defined_in_loop``) and for absl flags read at module scope
(``report_absl_flag_read_at_module_scope``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import libcst as cst

from fixer.analysis.facts import Binding, Facts, nodes_in
from fixer.analysis.plan import BoundCall, Hoisted, Reference
from fixer.moves import checks

if TYPE_CHECKING:
    from fixer.analysis.planner import Planner
    from fixer.moves.hoist import Site


def plan_scope_move(planner: Planner, site: Site, moved: Sequence[Binding]) -> str | None:
    """Module scope, or the enclosing (factory) function, just before the traced def."""
    facts = planner.facts
    func = site.func
    owner = site.owner
    destination = facts.scopes[func]
    assert destination is not None
    reason = check_defined_in_loop(facts, func) or checks.check_reads(
        facts, site, moved, destination
    )
    if reason is None and isinstance(owner, cst.Module):
        reason = check_strategy(facts, func) or check_flags(facts, site, moved)
    if reason is not None:
        return reason
    func_scope = facts.inner_scope(func)
    when = (
        "when the module is imported"
        if isinstance(owner, cst.Module)
        else f"when `{owner.name.value}` is called"  # type: ignore[union-attr]
    )
    caveats = checks.caveats(facts, site, moved, destination, when)
    notes: list[str] = []
    for name in dict.fromkeys(b.name for b in moved):
        group = planner.group_of(name, func_scope, moved)
        new = planner.choose_name(name, func, destination, group, inside=func_scope)
        if new != name:
            notes.append(f"as `{new}`")
            planner.point_group_at(name, Reference(new), func_scope, group)
    anchor_column = facts.start(func).column
    hoisted: list[Hoisted] = list(planner.remove_moved(moved, anchor_column))
    if site.bound is None:
        name = planner.choose_name("optimizer", func, destination, set(), inside=func_scope)
        target = Reference(name)
        enclosing = facts.enclosing_statement(site.call)
        planner.replaced[site.call] = target
        hoisted.append(BoundCall(target, site.call, facts.start(enclosing).column - anchor_column))
        notes.append(f"as `{target.name}`")
    planner.insertions.setdefault((func, False), []).extend(hoisted)
    planner.blank_after[func] = 2 if isinstance(facts.parents.get(func), cst.Module) else 1
    if isinstance(owner, cst.FunctionDef):
        where = f"in `{owner.name.value}`, before `{func.name.value}`"
    elif isinstance(facts.parents.get(func), cst.Module):
        where = "at module scope"
    else:
        where = f"at module level, just before `{func.name.value}` in the same block"
    notes.extend(f"together with `{b.name}`" for b in site.feeders)
    detail = f" {', '.join(notes)}" if notes else ""
    if isinstance(owner, cst.Module) and not facts.is_script():
        # A library module: building at import time is a visible change worth saying.
        caveats += "; note: this module now builds it at import time"
    planner.report(
        site,
        site.applicability,
        f"{site.fix_word}: build it once {where}{detail}{caveats}",
    )
    return None


def check_strategy(facts: Facts, func: cst.FunctionDef) -> str | None:
    """Optimizer variables belong to the strategy in scope when they are created: with any
    sign of a strategy in the module, module scope may be outside it."""
    if any(facts.within(func, block.body) for block in facts.collector.scope_blocks):
        return None  # the move stays inside the same `with strategy.scope():` block
    if not facts.collector.strategy_signs:
        return None
    node, what = min(facts.collector.strategy_signs, key=lambda sign: facts.sort_key(sign[0]))
    return (
        f"this module uses a distribution strategy ({what} on line {facts.start(node).line}), "
        "and at module scope the optimizer would be created outside it; create it inside "
        "`with strategy.scope():` and pass it to "
        f"`{func.name.value}`"
    )


def check_defined_in_loop(facts: Facts, func: cst.FunctionDef) -> str | None:
    """A traced def inside a loop is a new function, traced anew, on every iteration: the
    optimizer moved just before it would still be rebuilt each time."""
    loops = facts.enclosing_loops(func)
    if not loops:
        return None
    return (
        f"`{func.name.value}` is defined inside the loop on line {facts.start(loops[-1]).line}, "
        "so it is a new function on every iteration; define it, and build the optimizer, once "
        "before the loop"
    )


def check_flags(facts: Facts, site: Site, moved: Sequence[Binding]) -> str | None:
    """absl flags are parsed when the program starts (``app.run``): read at import time, as a
    move to module scope would, they raise ``UnparsedFlagAccessError``."""
    for node in site.moved_nodes(moved):
        for attribute in nodes_in(node, cst.Attribute):
            text = facts.code(attribute)
            if text.startswith("FLAGS.") or ".FLAGS." in text:
                return (
                    f"its arguments read `{text}`, and absl parses flags only when the program "
                    "starts, so reading it at module scope fails on import; build the optimizer "
                    "in `main()` after the flags are parsed and pass it in"
                )
    return None
