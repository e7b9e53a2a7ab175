"""TFO004 optimizer-built-by-helper-while-tracing: a traced function calls a helper that builds
an optimizer.

Detection: ``builders`` finds the untraced functions of the file that build an optimizer,
directly or through other such functions; each call of one in a traced body is a site. When the
helper returns what it builds (``returns_optimizer``), the call of the helper moves as TFO001's
construction would (:func:`fixer.moves.plan_site`); otherwise it is reported, not fixed. A
second finding at the construction inside the helper points back at the call.

Two more kinds of helper are called the same way, and their calls move the same way:

- a builder of another module of the repository (``from .optim import build_optimizer``,
  ``import project.optim as optim; optim.build()``), found by qualified name in
  ``Facts.imported``, which the runner fills (:mod:`fixer.siblings`, :mod:`fixer.exports`);
  the finding names the module, and there is no second finding (the helper is in another file);
- a name bound once to a ``lambda`` that builds an optimizer, or to a ``functools.partial`` (by
  qualified name) of an optimizer class or of a builder (``made_by``).

Fixtures: ``hoist_helper_returning_optimizer_called_in_step``,
``hoist_tf_helper_called_from_traced_step``, ``report_helper_applies_update_inside``,
``hoist_unused_suppressions_removed``; left alone in ``keep_untraced_function_builds_optimizer``.
Other modules: ``hoist_tf_helper_module_absolute_import`` (through a second module),
``hoist_tf_helper_module_attribute_call`` (both runnable under Keras 3 and 2),
``hoist_helper_module_relative_import`` (relative imports, a package re-export, a method),
``report_helper_module_refused`` (an argument read from the step; a helper that applies the
update itself), ``keep_helper_module_cached_or_not_an_optimizer`` (a cached optimizer, a schedule,
PyTorch, an import cycle, a local def of the same name). Lambdas and partials:
``hoist_lambda_or_partial_builds_optimizer_in_step``, ``report_lambda_or_partial_refused``,
``keep_lambda_or_partial_builds_no_optimizer``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
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
    from fixer.analysis import facts as analysis_facts
    from fixer.analysis.facts import Construction, Facts, Traced
    from fixer.analysis.planner import Planner
    from fixer.exports import ImportedHelper
else:
    cst = lazy("libcst")
    metadata = lazy("libcst.metadata")
    moves = lazy("fixer.moves")
    analysis_facts = lazy("fixer.analysis.facts")

RULE = Rule(
    code="TFO004",
    name="optimizer-built-by-helper-while-tracing",
    summary="a helper that builds an optimizer is called from a traced function",
    catches="""\
A call, in a traced body, of a function of the same file that builds an optimizer, directly or
through other such functions (`build_optimizer()` calling `make_optimizer()`). Reported twice:
at the traced call, and at the construction inside the helper, pointing back at that call.

Also a call of such a function defined in another module of the repository and imported
(`from .optim import build_optimizer`, `import project.optim as optim` then
`optim.build_optimizer()`; found through other modules too, never by importing them), reported
at the call, naming the module; and a call of a name bound to a `lambda` that builds an
optimizer or to a `functools.partial` of an optimizer class or of such a function.""",
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
    """Calls, inside traced bodies, of functions that build an optimizer: defs of the file,
    builders of other modules it imports, and lambdas or ``functools.partial`` objects."""
    facts = planner.facts
    traced = planner.traced
    builders = find_builders(facts, traced)
    for owner, call in facts.collector.name_calls:
        if not isinstance(owner, cst.FunctionDef) or owner not in traced:
            continue
        assert isinstance(call.func, cst.Name)
        helper = facts.function_named(call.func)
        if helper is not None:
            if helper in builders:
                plan_helper_call(planner, traced[owner], call, helper, builders)
            continue
        made = made_by(facts, call.func, builders)
        if made is not None:
            plan_made_call(planner, traced[owner], call, made)
    if facts.imported:
        for call in facts.collector.all_calls:
            scope = facts.scopes.get(call)
            func = scope.node if isinstance(scope, metadata.FunctionScope) else None
            if not isinstance(func, cst.FunctionDef) or func not in traced:
                continue
            imported = imported_helper(facts, call)
            if imported is not None:
                plan_imported_call(planner, traced[func], call, imported)


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
    if facts.imported:  # a call of another module's builder builds, as a construction would
        for call in facts.collector.all_calls:
            scope = facts.scopes.get(call)
            caller = scope.node if isinstance(scope, metadata.FunctionScope) else None
            if (
                isinstance(caller, cst.FunctionDef)
                and caller not in traced
                and caller not in found
                and imported_helper(facts, call) is not None
            ):
                found[caller] = analysis_facts.Construction(call, names.Kind.OPTIMIZER, caller)
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
                return _gives_back(facts, value)
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
                        return _gives_back(facts, builders[func].call)
    return False


def _gives_back(facts: Facts, call: cst.Call) -> bool:
    """Whether what ``call`` builds is its value: a construction, or a call of another module's
    builder that returns what it builds."""
    if call in facts.construction_calls:
        return True
    helper = imported_helper(facts, call)
    return helper is not None and helper.returns


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


def imported_helper(facts: Facts, call: cst.Call) -> ImportedHelper | None:
    """The builder of another module that ``call`` calls (``build_optimizer()`` imported from
    ``.optim``, ``optim.build()``), when every reading of its callee is that one builder."""
    func = call.func
    if not isinstance(func, (cst.Name, cst.Attribute)):
        return None
    found = {facts.imported.get(name) for name in facts.qualified_names(func)}
    return found.pop() if len(found) == 1 else None


def plan_imported_call(
    planner: Planner, traced: Traced, call: cst.Call, helper: ImportedHelper
) -> None:
    """A call of a builder of another module in a traced function: moved, or reported."""
    facts = planner.facts
    func = traced.func
    if helper.construction_module == helper.module:
        built = f"line {helper.construction_line} there"
    else:
        built = f"in module `{helper.construction_module}`, line {helper.construction_line}"
    spelled = facts.code(call.func)
    called = (
        f"`{spelled}()` of module `{helper.module}`"
        if spelled == helper.name
        else f"`{spelled}()` (`{helper.name}` of module `{helper.module}`)"
    )
    headline = (
        f"{called} builds optimizer `{helper.construction}` ({built}) and is called inside "
        f"tf.function `{func.name.value}`, which fails on its first call"
    )
    site = moves.Site(call, func, traced.owner, facts.binding(call), [], RULE, headline)
    if not helper.returns:
        reason = (
            f"`{helper.name}` builds the optimizer on every call and does not return it; build "
            f"it once outside `{func.name.value}` and pass it in"
        )
        planner.report(site, Applicability.NONE, f"not moved: {reason}")
    elif not facts.lazy_singleton(call, func):
        moves.plan_site(planner, site)


@dataclass(frozen=True)
class Made:
    """A name bound to a lambda or a ``functools.partial`` object that builds an optimizer."""

    name: str
    what: str  # "a lambda" or "`functools.partial` of `X`"
    line: int
    label: str  # the constructor or builder it ends up calling
    returns: bool


def made_by(
    facts: Facts, name: cst.Name, builders: Mapping[cst.FunctionDef, Construction]
) -> Made | None:
    """What ``name`` is bound to, once, when it is a lambda that builds an optimizer
    (``make = lambda: Adam(1e-3)``) or a ``functools.partial`` of a constructor or a builder
    (``make = partial(Adam, learning_rate=1e-3)``), resolved by qualified name."""
    access = facts.access_of.get(name)
    if access is None or len(access.referents) != 1:
        return None
    (referent,) = access.referents
    if not isinstance(referent, metadata.Assignment) or not isinstance(referent.node, cst.Name):
        return None
    target = facts.parents.get(referent.node)
    assign = facts.parents.get(target) if isinstance(target, cst.AssignTarget) else None
    if not isinstance(assign, cst.Assign) or len(assign.targets) != 1:
        return None
    value = assign.value
    line = facts.start(assign).line
    if isinstance(value, cst.Lambda):
        built = _built_by_lambda(facts, value, builders)
        if built is None:
            return None
        label, returns = built
        return Made(name.value, "a lambda", line, label, returns)
    if not isinstance(value, cst.Call) or facts.qualified_names(value.func) != {
        "functools.partial"
    }:
        return None
    positional = [a.value for a in value.args if a.keyword is None and not a.star]
    if not positional:
        return None
    first = positional[0]
    what = f"`functools.partial` of `{facts.code(first)}`"
    if isinstance(first, (cst.Name, cst.Attribute)):
        kind = facts.collector.table.constructor_kind(facts.qualified_names(first))
        if kind in (names.Kind.OPTIMIZER, names.Kind.WRAPPER):
            return Made(name.value, what, line, facts.code(first), True)
    if isinstance(first, cst.Name):
        helper = facts.function_named(first)
        if helper is not None and helper in builders:
            label = facts.label(builders[helper].call)
            return Made(name.value, what, line, label, returns_optimizer(facts, helper, builders))
    return None


def _built_by_lambda(
    facts: Facts, lam: cst.Lambda, builders: Mapping[cst.FunctionDef, Construction]
) -> tuple[str, bool] | None:
    """The optimizer a lambda builds (as labelled) and whether it returns it."""
    for c in facts.collector.constructions:
        if c.owner is lam and c.kind is not names.Kind.SCHEDULE:
            return facts.label(c.call), lam.body is c.call
    body = lam.body
    if isinstance(body, cst.Call) and isinstance(body.func, cst.Name):
        helper = facts.function_named(body.func)
        if helper is not None and helper in builders:
            return facts.label(builders[helper].call), returns_optimizer(facts, helper, builders)
    return None


def plan_made_call(planner: Planner, traced: Traced, call: cst.Call, made: Made) -> None:
    """A call of a lambda or partial that builds an optimizer, in a traced function."""
    facts = planner.facts
    func = traced.func
    headline = (
        f"`{made.name}` ({made.what}, line {made.line}) builds optimizer `{made.label}` and is "
        f"called inside tf.function `{func.name.value}`, which fails on its first call"
    )
    site = moves.Site(call, func, traced.owner, facts.binding(call), [], RULE, headline)
    if not made.returns:
        reason = (
            f"`{made.name}` builds the optimizer on every call and does not return it; build "
            f"it once outside `{func.name.value}` and pass it in"
        )
        planner.report(site, Applicability.NONE, f"not moved: {reason}")
    elif not facts.lazy_singleton(call, func):
        moves.plan_site(planner, site)
