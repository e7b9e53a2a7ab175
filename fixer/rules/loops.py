"""TFO002 and TFO003: an optimizer built in the body of a loop outside any traced function.

One detection serves both codes, which differ only in what the loop does with the optimizer:

- passed to a tf.function of the file (``traced_call_of``), it is TFO002: every new optimizer
  retraces the function, which fails on the second iteration; the fix is safe, and the
  optimizer must leave every loop;
- applied in the loop itself (``apply_gradients``, ``minimize``, ``apply``), it is TFO003: its
  state restarts every step; the fix is unsafe, and stops before an outer loop that rebinds
  what its arguments read.

A loop that also builds a fresh model each iteration is left alone (TFO003) or reported without
a fix (TFO002, ``fresh_model_in``). The destination, and its checks, are in
:mod:`fixer.moves.before_loop`. The documentation of each code is in ``tfo002.py`` and
``tfo003.py``, which name their fixtures.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from fixer import names
from fixer.findings import Applicability
from fixer.lazy import lazy
from fixer.rules import tfo002, tfo003

if TYPE_CHECKING:
    import libcst as cst
    from libcst import metadata
    from libcst.metadata import Scope

    from fixer import moves
    from fixer.analysis import facts as facts_module
    from fixer.analysis.facts import Construction, Facts, Loop, Traced
    from fixer.analysis.planner import Planner
else:
    cst = lazy("libcst")
    metadata = lazy("libcst.metadata")
    moves = lazy("fixer.moves")
    facts_module = lazy("fixer.analysis.facts")


def detect(planner: Planner) -> None:
    """Optimizers built in a loop body outside any traced function."""
    facts = planner.facts
    traced = planner.traced
    callables = traced_callables(facts, traced)
    calls = {c.call for c in facts.collector.constructions}
    for c in facts.collector.constructions:
        if c.kind not in (names.Kind.OPTIMIZER, names.Kind.WRAPPER) or c.assumed:
            continue
        if isinstance(c.owner, (cst.ClassDef, cst.Lambda)) or c.owner in traced:
            continue
        if any(
            isinstance(parent, cst.Call) and parent in calls for parent in facts.ancestors(c.call)
        ):
            continue
        loops = facts.enclosing_loops(c.call)
        if not loops or facts.lazy_singleton(c.call, c.owner):
            continue
        plan_loop_site(planner, c, loops, callables)


def traced_callables(facts: Facts, traced: Mapping[cst.FunctionDef, Traced]) -> set[cst.CSTNode]:
    """Nodes that bind a traced callable: its def, ``step = tf.function(fn)`` targets, and
    ``step = make_step(...)`` targets where ``make_step`` returns a traced function."""
    nodes: set[cst.CSTNode] = {func for func, t in traced.items() if t.owner is not None}
    forms: set[cst.Call] = set()
    for call, target in facts.collector.call_forms:
        if facts.def_called(call, target) is None:
            continue
        forms.add(call)
        nodes.update(_targets(facts, call))
    factories = {
        func for func in facts.collector.owner_of if _returns_traced(facts, func, nodes, forms)
    }
    for _owner, call in facts.collector.name_calls:
        assert isinstance(call.func, cst.Name)
        if facts.function_named(call.func) in factories:
            nodes.update(_targets(facts, call))
    return nodes


def _targets(facts: Facts, call: cst.Call) -> list[cst.Name]:
    """The names ``name = <call>`` binds."""
    parent = facts.parents.get(call)
    if not isinstance(parent, cst.Assign):
        return []
    return [t.target for t in parent.targets if isinstance(t.target, cst.Name)]


def _returns_traced(
    facts: Facts, func: cst.FunctionDef, callables: set[cst.CSTNode], forms: set[cst.Call]
) -> bool:
    """A factory: ``func`` returns a traced function it defines (``return step``, ``return
    tf.function(step)``)."""
    for node in facts.returns_of(func):
        value = node.value
        if isinstance(value, cst.Call) and value in forms:
            return True
        access = facts.access_of.get(value) if isinstance(value, cst.Name) else None
        if access is not None and any(
            isinstance(r, metadata.Assignment) and r.node in callables for r in access.referents
        ):
            return True
    return False


def plan_loop_site(
    planner: Planner, c: Construction, loops: list[Loop], callables: set[cst.CSTNode]
) -> None:
    """One optimizer built in ``loops`` (innermost first): TFO002 when it is passed to a
    tf.function, TFO003 when the loop applies it; nothing when it is neither."""
    facts = planner.facts
    binding = facts.binding(c.call)
    scope = facts.scopes.get(c.call)
    if scope is None or isinstance(scope, metadata.ComprehensionScope):
        return
    uses: list[cst.CSTNode] = [c.call]
    if binding is not None:
        uses = [
            access.node
            for access in facts.accesses_in(scope, binding.name)
            if any(facts.in_group(r, [binding]) for r in access.referents)
        ]
    traced_call = next((t for u in uses if (t := traced_call_of(facts, u, callables))), None)
    update = None if traced_call else next((x for u in uses if (x := facts.update_of(u))), None)
    if traced_call is None and update is None:
        return
    if update is not None and any(facts.session_reset_in(loop) for loop in loops):
        return  # clear_session() in the loop: each iteration starts training afresh on purpose
    if update is not None and any(
        facts.weights_reset_in(loop, facts.updated_variables(update)) for loop in loops
    ):
        return  # the weights are reset too (a new fold or trial): a fresh start on purpose
    if update is not None and periodic_restart(facts, c.call, loops):
        return  # ``if step % 100 == 0: opt = Adam()``: a deliberate warm restart
    outermost = loops[-1]
    if traced_call is not None:
        rule, applicability = tfo002.RULE, Applicability.SAFE
        callee = facts.code(traced_call.func)
        problem = (
            f"is built anew on each iteration of the loop on line "
            f"{facts.start(outermost).line} and passed to tf.function `{callee}`, which "
            "retraces for each new optimizer and fails on the second iteration"
        )
    else:
        assert update is not None
        rule, applicability = tfo003.RULE, Applicability.UNSAFE
        problem = (
            f"is rebuilt on every iteration of the loop on line {facts.start(loops[0]).line}, "
            "so its state (moments, step count) restarts each iteration and training "
            "silently differs from what is written"
        )
    headline = f"optimizer `{facts.label(c.call)}` {problem}"
    site = moves.LoopSite(c.call, binding, scope, loops, rule, applicability, headline)
    chosen, reason, outer_blocker = moves.choose_loop(facts, site, update)
    if chosen is None and reason is None:
        return  # a fresh model per iteration: a new optimizer per iteration is intended
    if traced_call is not None and reason is None:
        # Every new object retraces: it must leave every loop, not only the inner one.
        reason = fresh_model_in(facts, loops[-1], scope, traced_call) or outer_blocker
    moves.plan_before_loop(planner, site, chosen, reason)


def periodic_restart(facts: Facts, call: cst.Call, loops: list[Loop]) -> bool:
    """The construction sits under an ``if`` that tests what the loop changes (``step % 3 ==
    0``, ``epoch in milestones``): the optimizer restarts on some iterations, on purpose."""
    scope = facts.scopes.get(call)
    if scope is None:
        return False
    for node in facts.ancestors(call):
        if node is loops[-1]:
            return False
        if (
            isinstance(node, cst.If)
            and facts.within(call, node.body)
            and any(
                facts.assigned_in(name.value, scope, loop)
                for name in facts_module.nodes_in(node.test, cst.Name)
                for loop in loops
            )
        ):
            return True
    return False


def traced_call_of(facts: Facts, use: cst.CSTNode, callables: set[cst.CSTNode]) -> cst.Call | None:
    """The call of a traced function that receives ``use`` as an argument."""
    arg = facts.parents.get(use)
    call = facts.parents.get(arg) if isinstance(arg, cst.Arg) else None
    if not isinstance(call, cst.Call) or not isinstance(call.func, cst.Name):
        return None
    access = facts.access_of.get(call.func)
    if access is None:
        return None
    if any(isinstance(r, metadata.Assignment) and r.node in callables for r in access.referents):
        return call
    return None


def fresh_model_in(facts: Facts, loop: Loop, scope: Scope, traced_call: cst.Call) -> str | None:
    """A loop that also builds a new model per iteration cannot share one optimizer."""
    for arg in traced_call.args:
        if not isinstance(arg.value, cst.Name) or "model" not in arg.value.value.lower():
            continue
        if facts.assigned_in(arg.value.value, scope, loop):
            return (
                f"the loop also builds a new `{arg.value.value}` each iteration, and one "
                "optimizer must not serve two models: build each optimizer with its model"
            )
    return None
