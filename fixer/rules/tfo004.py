"""TFO004 optimizer-built-by-helper-while-tracing: a traced function calls a helper that builds
an optimizer.

Detection: ``builders`` finds the untraced functions of the file that build an optimizer,
directly or through other such functions; each call of one in a traced body is a site. When the
helper returns what it builds (``returns_optimizer``), the call of the helper moves as TFO001's
construction would (:func:`fixer.moves.plan_site`); otherwise it is reported, not fixed. A
second finding at the construction inside the helper points back at the call.

Fixtures: ``hoist_helper_returning_optimizer_called_in_step``,
``hoist_tf_helper_called_from_traced_step``, ``report_helper_applies_update_inside``,
``hoist_unused_suppressions_removed``; left alone in ``keep_untraced_function_builds_optimizer``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from fixer import names
from fixer.findings import Applicability
from fixer.lazy import lazy
from fixer.rules.base import SINGLETON_VARIABLES_ERROR, Example, Rule
from fixer.rules.tfo001 import REFUSALS

if TYPE_CHECKING:
    import libcst as cst
    from libcst import metadata

    from fixer import moves
    from fixer.analysis.facts import Construction, Facts, Traced
    from fixer.analysis.planner import Planner
else:
    cst = lazy("libcst")
    metadata = lazy("libcst.metadata")
    moves = lazy("fixer.moves")

RULE = Rule(
    code="TFO004",
    name="optimizer-built-by-helper-while-tracing",
    summary="a helper that builds an optimizer is called from a traced function",
    catches="""\
A call, in a traced body, of a function of the same file that builds an optimizer, directly or
through other such functions (`build_optimizer()` calling `make_optimizer()`). Reported twice:
at the traced call, and at the construction inside the helper, pointing back at that call.""",
    why=f"""\
The helper runs inside the trace, so the optimizer it builds creates its variables while
tracing, exactly as if it were written in the step, and TensorFlow stops on the first call:

    {SINGLETON_VARIABLES_ERROR}""",
    fix_title="Move the helper call out of the traced function",
    fix_availability=Applicability.SAFE,
    safe="""\
When the helper returns the optimizer, the fix moves the call of the helper (not the helper)
out of the traced body, to the same destinations as TFO001 (module scope, the enclosing
factory, or `__init__` for a method), and the body uses the one instance. The helper itself is
left as it is. Safe on the same conditions as TFO001.""",
    unsafe=f"""\
Not fixable when the helper builds the optimizer and uses it itself (it applies the update
inside and returns something else): build it once outside the step and pass it in. The move of
the call is unsafe or refused for the same reasons as TFO001; the call's own arguments count as
the optimizer's arguments.

{REFUSALS}""",
    example=Example(
        before="""\
import tensorflow as tf

model = tf.keras.Sequential([tf.keras.layers.Dense(1)])


def make_optimizer():
    return tf.keras.optimizers.Adam(1e-3, clipnorm=1.0)


@tf.function
def train_step(x, y):
    optimizer = make_optimizer()
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(model(x) - y))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss
""",
        after="""\
import tensorflow as tf

model = tf.keras.Sequential([tf.keras.layers.Dense(1)])


def make_optimizer():
    return tf.keras.optimizers.Adam(1e-3, clipnorm=1.0)


optimizer = make_optimizer()


@tf.function
def train_step(x, y):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(model(x) - y))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss
""",
    ),
    crashes=True,
)


def detect(planner: Planner) -> None:
    """Calls, inside traced bodies, of functions that build an optimizer."""
    facts = planner.facts
    traced = planner.traced
    builders = find_builders(facts, traced)
    if not builders:
        return
    for owner, call in facts.collector.name_calls:
        if not isinstance(owner, cst.FunctionDef) or owner not in traced:
            continue
        assert isinstance(call.func, cst.Name)
        helper = facts.function_named(call.func)
        if helper is None or helper not in builders:
            continue
        plan_helper_call(planner, traced[owner], call, helper, builders)


def find_builders(
    facts: Facts, traced: Mapping[cst.FunctionDef, Traced]
) -> dict[cst.FunctionDef, Construction]:
    """Untraced functions that build an optimizer, directly or through other such functions,
    each with the construction it ends up running."""
    found: dict[cst.FunctionDef, Construction] = {}
    for c in facts.collector.constructions:
        owner = c.owner
        if (
            isinstance(owner, cst.FunctionDef)
            and owner not in traced
            and owner not in found
            and c.kind is not names.Kind.SCHEDULE
            and not c.assumed
            and not facts.lazy_singleton(c.call, owner)
        ):
            found[owner] = c
    changed = True
    while changed:
        changed = False
        for owner, call in facts.collector.name_calls:
            if not isinstance(owner, cst.FunctionDef) or owner in traced or owner in found:
                continue
            assert isinstance(call.func, cst.Name)
            callee = facts.function_named(call.func)
            if callee is not None and callee in found:
                found[owner] = found[callee]
                changed = True
    return found


def returns_optimizer(
    facts: Facts, func: cst.FunctionDef, builders: Mapping[cst.FunctionDef, Construction]
) -> bool:
    """Whether ``func`` returns what it builds: ``return Adam()``, ``opt = Adam(); return
    opt``, or ``return other_builder()``."""
    for node in facts.returns_of(func):
        value = node.value
        if isinstance(value, cst.Call):
            if value is builders[func].call and builders[func].owner is func:
                return True
            if isinstance(value.func, cst.Name):
                callee = facts.function_named(value.func)
                if callee is not None and callee in builders and callee is not func:
                    return returns_optimizer(facts, callee, builders)
        if isinstance(value, cst.Name):
            access = facts.access_of.get(value)
            if access is None:
                continue
            for referent in access.referents:
                if isinstance(referent, metadata.Assignment):
                    binding = facts.binding(builders[func].call)
                    if binding is not None and facts.within(referent.node, binding.small):
                        return True
    return False


def plan_helper_call(
    planner: Planner,
    traced: Traced,
    call: cst.Call,
    helper: cst.FunctionDef,
    builders: Mapping[cst.FunctionDef, Construction],
) -> None:
    """The call of ``helper`` in a traced function: moved, or reported; then the finding at the
    construction the helper runs."""
    facts = planner.facts
    func = traced.func
    construction = builders[helper]
    built_in = construction.owner
    assert isinstance(built_in, cst.FunctionDef)
    before = len(planner.diagnostics)
    headline = (
        f"`{helper.name.value}()` builds optimizer `{facts.label(construction.call)}` (line "
        f"{facts.start(construction.call).line}) and is called inside tf.function "
        f"`{func.name.value}`, which fails on its first call"
    )
    site = moves.Site(call, func, traced.owner, facts.binding(call), [], RULE, headline)
    planner.pair(call, construction.call)
    if not returns_optimizer(facts, helper, builders):
        reason = (
            f"`{helper.name.value}` builds the optimizer on every call; build it once "
            f"outside `{func.name.value}` and pass it in"
        )
        planner.report(site, Applicability.NONE, f"not moved: {reason}")
    elif not facts.lazy_singleton(call, func):
        moves.plan_site(planner, site)
    if len(planner.diagnostics) == before:
        return
    # One more finding at the construction itself, pointing at the call that runs it.
    at_call = planner.diagnostics[-1]
    planner.report_at(
        construction.call,
        RULE,
        at_call.applicability,
        f"optimizer `{facts.label(construction.call)}` is built in `{built_in.name.value}`, "
        f"which tf.function `{func.name.value}` calls (line {at_call.line}) and so builds "
        "it while tracing; see the finding at that call",
        fixed_with=(at_call.line, at_call.column),
    )
