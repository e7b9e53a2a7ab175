"""TFO005 optimizer-built-per-call: an untraced step function builds its optimizer on each call,
and a loop calls it every step.

Detection: a function (or method) called from a loop of the file (``loop_callers``) that builds
an optimizer and applies it to variables it does not build itself. The fix is always unsafe:
the optimizer moves as TFO001's would (:func:`fixer.moves.plan_site`), or, when an identical
optimizer already exists at module scope, the local copy is deleted
(``delete_shadowing_copy``).

Fixtures: ``report_step_function_builds_optimizer_each_call``,
``report_step_function_learning_rate_parameter``, ``report_step_function_rate_halved_by_caller``
(a rate that varies: the finding names `learning_rate.assign` and schedules),
``report_caller_passes_new_model_each_call`` (a new model passed to each call: refused),
``report_step_function_shadows_module_optimizer``, ``report_trainer_method_called_per_batch``;
per-call rebuilds in methods of plain classes in
``report_tf_plain_class_rebuilds_optimizers_each_step`` (runnable: the unfixed program trains
otherwise than one optimizer per network would; one attribute per optimizer) and, refused,
``report_plain_class_with_slots_rebuilds_optimizer``; one level up, an optimizer rebuilt per
episode in ``report_episode_function_rebuilds_optimizer``, and a recompile per episode
(``model.compile(optimizer=Adam(...))`` then ``fit``) in
``report_recompile_each_episode_in_method``; left alone in
``keep_step_function_builds_its_own_model``, ``keep_plain_class_builds_optimizer_in_init``,
``keep_episode_function_clears_session`` (``clear_session()``) and
``keep_episode_method_rebuilds_network`` (``rebuilds_attribute``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fixer import names
from fixer.findings import Applicability
from fixer.lazy import lazy
from fixer.rules.base import Example, Rule
from fixer.rules.tfo001 import REFUSALS

if TYPE_CHECKING:
    import libcst as cst
    from libcst import metadata

    from fixer import analysis, moves
    from fixer.analysis import facts as facts_module
    from fixer.analysis.facts import Binding, Construction, Facts, Owner
    from fixer.analysis.planner import Planner
    from fixer.moves import Site
else:
    cst = lazy("libcst")
    metadata = lazy("libcst.metadata")
    analysis = lazy("fixer.analysis")
    facts_module = lazy("fixer.analysis.facts")
    moves = lazy("fixer.moves")

RULE = Rule(
    code="TFO005",
    name="optimizer-built-per-call",
    summary="a step function builds a new optimizer on each call and a loop calls it per step",
    catches="""\
The most common form in public training scripts: a step function that is not traced (a
function, or a method of a class) builds its optimizer and applies it to a model it does not
build itself, and a loop of the same file calls that function for every batch.

This includes a function called once per episode or per outer iteration that builds its
optimizer and then trains for several steps (the state restarts every episode), and methods of
plain classes called once per step (`learner.update(...)`), with the optimizer inline
(`tf.keras.optimizers.Adam(lr).apply_gradients(...)`) or assigned; and a recompile,
`model.compile(optimizer=tf.keras.optimizers.Adam(lr))` followed by `model.fit(...)` in a
method called once per episode: the fix builds it once and passes the same instance to
`compile`.

Left alone: a step that also builds the model it trains (a fresh model per call, or a method
that assigns the `self.<network>` it trains), and one that calls
`tf.keras.backend.clear_session()`, which starts training afresh on purpose.""",
    why="""\
Nothing crashes, but every call starts from a new optimizer: Adam's moment estimates, momentum
and the step count restart on every step, so training silently differs from what is written.""",
    fix_title="Build the optimizer once, outside the step",
    fix_availability=Applicability.UNSAFE,
    safe="""\
Never safe: the program runs as it is, and building the optimizer once changes the training
results. That is the point, but review the change. With `--unsafe-fixes` the optimizer is
built once, at module scope just before the function (or in the enclosing factory), or in
`__init__` as `self.<attr>` for a method, as for TFO001. When an identical optimizer is already
assigned at module scope and the local one merely shadows it, the fix deletes the local one.""",
    unsafe=f"""\
The fix is always unsafe (applied only with `--unsafe-fixes`). Refused when the loop also
builds a new model for each call (one optimizer must not serve two models), and for the same
reasons as TFO001, below. When the arguments read a parameter or local variable of the step,
which may change from call to call, the finding suggests keeping one optimizer and updating
its `learning_rate` instead.

{REFUSALS}""",
    example=Example(
        before="""\
import tensorflow as tf

model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
dataset = tf.data.Dataset.from_tensor_slices((tf.ones((8, 2)), tf.ones((8, 1)))).batch(4)


def train_step(x, y):
    optimizer = tf.keras.optimizers.Adam(1e-3)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(model(x) - y))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss


for x, y in dataset:
    train_step(x, y)
""",
        after="""\
import tensorflow as tf

model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
dataset = tf.data.Dataset.from_tensor_slices((tf.ones((8, 2)), tf.ones((8, 1)))).batch(4)


optimizer = tf.keras.optimizers.Adam(1e-3)


def train_step(x, y):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(model(x) - y))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss


for x, y in dataset:
    train_step(x, y)
""",
    ),
)


def detect(planner: Planner) -> None:
    """Step functions that build their optimizer on each call, called from a loop."""
    facts = planner.facts
    traced = planner.traced
    reported = {(d.line, d.column) for d in planner.diagnostics}
    callers = loop_callers(facts)
    for c in facts.collector.constructions:
        func = c.owner
        if (
            c.kind is names.Kind.SCHEDULE
            or c.assumed
            or not isinstance(func, cst.FunctionDef)
            or func in traced
            or func not in callers
            or facts.enclosing_loops(c.call)
            or facts.lazy_singleton(c.call, func)
        ):
            continue
        position = facts.start(c.call)
        if (position.line, position.column + 1) in reported:
            continue
        binding = facts.binding(c.call)
        update = facts.update_in(c.call, binding, func)
        if update is None:
            continue
        variables = facts.updated_variables(update)
        func_scope = facts.inner_scope(func)
        built_here = [
            v
            for v in variables
            for x in facts.assignments_of(func_scope, v)
            if not facts.is_parameter(x)
        ]
        if not variables or built_here or rebuilds_attribute(facts, func, update):
            continue  # it trains something it builds itself: a fresh model per call
        if facts.session_reset_in(func) is not None or facts.weights_reset_in(func, variables):
            continue  # clear_session() or reset weights: each call starts afresh on purpose
        plan_per_call_site(planner, c, func, binding, callers[func])


def rebuilds_attribute(facts: Facts, func: cst.FunctionDef, update: cst.Call) -> bool:
    """The update trains ``self.<attr>...`` and ``func`` assigns ``self.<attr>`` itself (a method
    that builds a new network and its optimizer on each call)."""
    self_name = facts_module.self_parameter(func)
    if self_name is None:
        return False
    trained = {
        node.attr.value
        for node in facts_module.nodes_in(update, cst.Attribute)
        if isinstance(node.value, cst.Name) and node.value.value == self_name
    }
    for node in facts_module.nodes_in(func, cst.Attribute):
        if (
            isinstance(node.value, cst.Name)
            and node.value.value == self_name
            and node.attr.value in trained
            and isinstance(facts.parents.get(node), cst.AssignTarget)
        ):
            return True
    return False


def loop_callers(facts: Facts) -> dict[cst.FunctionDef, cst.Call]:
    """Functions called from a loop of this file, each with one such call."""
    methods: dict[str, list[cst.FunctionDef]] = {}
    for func in facts.collector.owner_of:
        methods.setdefault(func.name.value, []).append(func)
    found: dict[cst.FunctionDef, cst.Call] = {}
    for call in facts.collector.all_calls:
        if not facts.enclosing_loops(call):
            continue
        callee: cst.FunctionDef | None = None
        if isinstance(call.func, cst.Name):
            callee = facts.function_named(call.func)
        elif isinstance(call.func, cst.Attribute):
            candidates = methods.get(call.func.attr.value, [])
            if len(candidates) == 1 and isinstance(
                facts.collector.owner_of[candidates[0]], cst.ClassDef
            ):
                callee = candidates[0]
        if callee is not None:
            found.setdefault(callee, call)
    return found


def plan_per_call_site(
    planner: Planner,
    c: Construction,
    func: cst.FunctionDef,
    binding: Binding | None,
    caller: cst.Call,
) -> None:
    """The optimizer ``func`` builds on each call from the loop around ``caller``."""
    facts = planner.facts
    loop = facts.enclosing_loops(caller)[0]
    owner = facts.collector.owner_of[func]
    headline = (
        f"optimizer `{facts.label(c.call)}` is built on every call of `{func.name.value}`, which "
        f"the loop on line {facts.start(loop).line} calls on every iteration, so its state "
        "(moments, step count) restarts each time and training silently differs from what is "
        "written"
    )
    site = moves.Site(
        c.call,
        func,
        owner,
        binding,
        [],
        RULE,
        headline,
        Applicability.UNSAFE,
        read_advice=(
            " that may change from call to call; keep one optimizer and update its "
            "`learning_rate` instead"
        ),
    )
    scope = facts.scopes.get(caller)
    model = next(
        (
            arg.value.value
            for arg in caller.args
            if isinstance(arg.value, cst.Name)
            and "model" in arg.value.value.lower()
            and scope is not None
            and facts.assigned_in(arg.value.value, scope, loop)
        ),
        None,
    )
    built = next(
        (
            facts.code(arg.value)
            for arg in caller.args
            if isinstance(arg.value, cst.Call) and builds_model(facts, arg.value)
        ),
        None,
    )
    if model is None and built is not None:
        reason = (
            f"the loop on line {facts.start(loop).line} passes a new model to each call "
            f"(`{built}`), and one optimizer must not serve two models"
        )
        planner.report(site, Applicability.NONE, f"not moved: {reason}")
        return
    if model is not None:
        reason = (
            f"the loop on line {facts.start(loop).line} also builds a new `{model}` for each "
            "call, and one optimizer must not serve two models"
        )
        planner.report(site, Applicability.NONE, f"not moved: {reason}")
        return
    shadowed = identical_module_optimizer(facts, binding, owner)
    if shadowed is not None:
        delete_shadowing_copy(planner, site, binding, shadowed)
        return
    moves.plan_site(planner, site)


def builds_model(facts: Facts, call: cst.Call) -> bool:
    """A call that builds a model: a Keras model class, or a function named for it
    (``make_model(...)``, ``build_network(...)``)."""
    callee = call.func
    if facts.variable_built(call) == "a model":
        return True
    name = callee.attr.value if isinstance(callee, cst.Attribute) else getattr(callee, "value", "")
    lowered = str(name).lower()
    return any(word in lowered for word in ("model", "network", "net")) and lowered.startswith(
        ("make", "build", "create", "new", "get_", "init")
    )


def identical_module_optimizer(
    facts: Facts, binding: Binding | None, owner: Owner
) -> cst.SimpleStatementLine | None:
    """A module-level ``name = <the same call>`` that the local binding merely shadows."""
    if binding is None or not isinstance(owner, cst.Module):
        return None
    local = binding.small
    assert isinstance(local, (cst.Assign, cst.AnnAssign))
    assert local.value is not None
    for statement in facts.module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if (
                isinstance(small, cst.Assign)
                and len(small.targets) == 1
                and isinstance(small.targets[0].target, cst.Name)
                and small.targets[0].target.value == binding.name
                and facts.code(small.value) == facts.code(local.value)
            ):
                return statement
    return None


def delete_shadowing_copy(
    planner: Planner, site: Site, binding: Binding | None, shadowed: cst.SimpleStatementLine
) -> None:
    """The fix for a shadowing copy: delete it, so the module-level one is used."""
    facts = planner.facts
    assert binding is not None
    func = site.func
    reason = moves.check_bindings(facts, site, [binding])
    if reason is not None:
        planner.report(site, Applicability.NONE, f"not moved: {reason}")
        return
    if (
        len(binding.line.body) == 1
        and planner.decide(site.rule, Applicability.UNSAFE, site.call) is analysis.Decision.APPLY
    ):
        planner.removed_lines.add(binding.line)
    planner.report(
        site,
        Applicability.UNSAFE if len(binding.line.body) == 1 else Applicability.NONE,
        f"an identical `{binding.name}` already exists at module scope (line "
        f"{facts.start(shadowed).line}) and this local one in `{func.name.value}` merely "
        f"shadows it; {site.fix_word}: delete the local one",
    )
