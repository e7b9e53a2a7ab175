"""TFO001 optimizer-in-traced-function: an optimizer built inside a traced function.

Detection: every traced function (``Facts.traced_functions``: ``@tf.function`` with or without
arguments, ``tf.function(fn)``, ``tf.function(self.method)`` in a method, a Keras ``train_step``, a
function ``strategy.run`` runs in a traced one, the configured tracers) that calls an optimizer
constructor (``names.NameTable``) in its own body; a lazy singleton (``if opt is None: opt =
Adam()``) is left alone. The outermost construction moves, with its feeders (``find_feeders``: a
schedule or a wrapped optimizer bound only for it), through :func:`fixer.moves.plan_site`; where it
goes, and the checks, are in :mod:`fixer.moves`.

Fixtures (detection; the destinations name theirs): ``hoist_adam_in_train_step``,
``hoist_function_call_form``, ``hoist_function_call_of_call``,
``hoist_tf_method_wrapped_by_tf_function_in_init`` (``tf.function(self._train)``),
``hoist_tf_decorator_bound_to_a_name`` (``@compile_fn``),
``hoist_call_form_rebinds_own_name``,
``hoist_tf_adagrad_decorator_args``, ``hoist_jit_compile_not_first_statement``,
``hoist_method_keras_train_step``, ``report_strategy_run_step_fn_builds_optimizer``; import
spellings in ``hoist_import_tensorflow_as_tf2``, ``hoist_import_tensorflow_unaliased``,
``hoist_function_imported_as_alias``, ``hoist_optimizer_class_imported_as_alias``,
``hoist_import_fallback_and_call_form_in_main``, ``hoist_keras_optimizers_module_import``,
``hoist_standalone_keras_import``, ``hoist_legacy_keras_package``,
``hoist_keras_legacy_optimizer``, ``hoist_keras_experimental_optimizer``,
``hoist_compat_v1_train_optimizer``, ``hoist_tensorflow_addons_optimizer``,
``hoist_optimizers_get_single_quotes``, ``hoist_tf_keras_module_alias``,
``hoist_tf_compat_v2_alias``, ``hoist_tf_tab_indented_step``; rebuilt from a configuration in
``hoist_tf_optimizer_from_config`` and ``hoist_tf_optimizer_deserialize_config``; a class picked
with ``getattr`` is reported in ``report_getattr_optimizer_class_in_traced_step``
(``checks.chosen_at_run_time``); a rate the loop rebinds is refused with the alternative named in
``report_tf_step_reads_rate_the_loop_halves``; names the file never imports are assumed and
reported, never moved, in ``report_snippet_without_imports`` and
``report_snippet_optimizers_module_not_imported``, ``report_snippet_tracer_not_imported``
(``checks.not_resolved``), and not assumed
next to another framework's import or a star import (``keep_snippet_imports_torch``,
``keep_snippet_star_import``); a traced builder of models and layers is reported, not moved,
in ``report_traced_method_builds_model_and_optimizer`` and
``report_traced_step_builds_layer_inline`` (``checks.builds_more_than_optimizer``), while a loss
object built beside the optimizer is no obstacle (``hoist_tf_step_builds_loss_and_optimizer``);
what moves along in ``hoist_inline_apply_gradients``,
``hoist_schedule_moves_with_optimizer``, ``hoist_loss_scale_wrapper_one_statement``,
``hoist_loss_scale_wrapper_two_statements``; left alone in ``keep_lazy_singleton_attribute``,
``keep_lazy_singleton_hasattr``,
``keep_lazy_singleton_global``, ``keep_local_class_named_adam``, ``keep_module_level_optimizer``,
``keep_optimizer_in_init_build_compile``, ``keep_optimizer_built_in_factory``,
``keep_schedule_only_in_traced_function``, ``keep_train_step_outside_keras_model``,
``keep_adam_only_in_strings_and_comments``, ``keep_optax_in_jax_jit``,
``keep_torch_optim_non_tf_function_decorator``, ``keep_fit_compile``,
``keep_from_config_of_a_layer``, ``keep_getattr_of_a_layer_class``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from fixer import names
from fixer.findings import Applicability
from fixer.lazy import lazy
from fixer.rules.base import SINGLETON_VARIABLES_ERROR, Example, Rule

if TYPE_CHECKING:
    import libcst as cst
    from libcst import metadata

    from fixer import moves
    from fixer.analysis.facts import Binding, Construction, Facts, Traced
    from fixer.analysis.planner import Planner
else:
    cst = lazy("libcst")
    metadata = lazy("libcst.metadata")
    moves = lazy("fixer.moves")

# The refusals of a move out of a function, shared by TFO001, TFO004 and TFO005.
REFUSALS = """\
The move is refused, and the finding names what blocks it, when: the arguments read a
parameter or local variable of the step function (build it outside and pass it in); they read
a name that is not bound yet where the optimizer would go, or that is rebound after that point;
the file changes a container they read into after that point (`CONFIG["lr"] = args.lr` in
`main()`, `self.config.update(...)` in another method: the finding names the line); the
optimizer's name is assigned more than once in the step (in both branches of an `if`),
declared `global` or `nonlocal`, or deleted; the call sits in a `try` block, a comprehension or
a `with` block it would have to leave; the traced function also builds layers, models, metrics or
`tf.Variable`s, which fail the same way (build everything once outside, or do not trace a
builder); it is created under `strategy.scope()` inside the step,
or the move would go to module scope in a module that uses a `tf.distribute` strategy (Keras 3
then fails with `Mixing different tf.distribute.Strategy objects`); the enclosing factory is
traced too."""

RULE = Rule(
    code="TFO001",
    name="optimizer-in-traced-function",
    summary="an optimizer is built inside a traced function, which fails on its first call",
    catches="""\
An optimizer constructor called in the body of a function that TensorFlow traces: a function
decorated with `@tf.function` (with or without arguments) or wrapped as `tf.function(fn)`; a
`train_step`, `test_step` or `predict_step` method of a Keras model, which Keras wraps in a
tf.function; a function that `strategy.run` runs inside a tf.function; and the tracers listed in
`extra-tracers`. Optimizers are the classes of `tf.keras.optimizers` (with `.legacy` and
`.experimental`), `tf.optimizers`, `keras.optimizers`, `tf_keras.optimizers`,
`tf.compat.v1.train.*Optimizer` and `tensorflow_addons.optimizers`, `optimizers.get(...)`,
`LossScaleOptimizer` wrappers and the classes listed in `extra-optimizers`, whatever the import
spelling. An optimizer used inline (`tf.keras.optimizers.SGD(0.1).apply_gradients(...)`) counts.

Code that never imports the names it uses (a snippet, a notebook cell, an `exec`-assembled
script): `Adam(...)` or `optimizers.Adam(...)`, and `@tf.function`, with nothing in the file
binding them, are taken to be TensorFlow's. The finding says the names are not resolved and is
never fixed. Nothing is assumed in a file with a star import or an import of another framework
with optimizers of those names (`torch`, `optax`, `jax`...).

Left alone: an optimizer built outside and only used inside, the lazy singleton the TensorFlow
guide recommends (`if opt is None: opt = ...`), and optimizers built in `__init__`, `build` or
`compile`.""",
    why=f"""\
An optimizer creates `tf.Variable`s (its step count, then one slot per trained variable). Built
inside a traced body it creates them while tracing, and TensorFlow allows a tf.function to
create variables only once, on its first call, so the program stops on that first call:

    {SINGLETON_VARIABLES_ERROR}

This happens with every optimizer class (plain SGD still has its `iterations` variable), under
Keras 3 and Keras 2 (tf-keras) alike. It is not a harmless warning.""",
    fix_title="Move the optimizer out of the traced function",
    fix_availability=Applicability.SAFE,
    safe="""\
The fix builds the optimizer once, outside the traced body, and the body uses that instance. A
learning-rate schedule built in the step only to feed it, and the optimizer a
`LossScaleOptimizer` wraps, move with it. Where it goes:

- a tf.function at module level: module scope, just before the function (above its
  decorators); inside a `with strategy.scope():` block, at the same place within that block;
- a tf.function defined in a factory function: the factory, just before the nested def, where
  it may still read the factory's parameters;
- a traced method (`train_step`, or a method decorated with `@tf.function`): `__init__`, after
  `super().__init__()` and after the `self.<attr>` its arguments read, kept on `self` (a new
  `__init__` is added to a class that has none).

It keeps its name when that name is free there, otherwise it becomes `<function>_<name>`; an
inline optimizer is bound to `optimizer`. The fix is safe (the crash becomes a working program)
when the arguments read only literals, imported modules and names bound before the destination
and never rebound after it: they have the same value there as at the first call. That includes
an item or an attribute of a dict, list or object bound once to a new value (`CONFIG = {...}`,
`args = parser.parse_args()`, `self.config` set in `__init__`) that nothing in the file assigns
into, deletes from, updates or hands on after the destination.""",
    unsafe=f"""\
The fix is unsafe (applied only with `--unsafe-fixes`) when the arguments are evaluated at
another time than the first call and may differ: they call a function (`get_lr()`), read
`FLAGS.learning_rate`, or read an item or an attribute (`cfg["lr"]`, `args.lr`) of something
the file may change through another name (it is passed to a function, or a method not known to
only read is called on it), now evaluated when the module is imported, the factory is called or
the instance is created; or
when the step trains a model it receives as a parameter, so that calling it with two models
would share one optimizer. A move to module scope in a library module (no loop, call or
`__main__` guard at top level) also notes that the module now builds it at import time.

{REFUSALS}

For a method, it is also refused when the arguments read anything but module names and
`self.<attr>` set in `__init__`, when `__init__` does not call `super().__init__()`, when the
method is a static or class method, or when the class defines `__slots__`.""",
    example=Example(
        before="""\
import tensorflow as tf

model = tf.keras.Sequential([tf.keras.layers.Dense(1)])


@tf.function
def train_step(x, y):
    optimizer = tf.keras.optimizers.Adam(learning_rate=1e-3)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(model(x) - y))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss
""",
        after="""\
import tensorflow as tf

model = tf.keras.Sequential([tf.keras.layers.Dense(1)])


optimizer = tf.keras.optimizers.Adam(learning_rate=1e-3)


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
    """Each traced function that builds optimizers, in the order of the file."""
    facts = planner.facts
    by_function: dict[cst.FunctionDef, list[Construction]] = {}
    for construction in facts.collector.constructions:
        owner = construction.owner
        if isinstance(owner, cst.FunctionDef) and owner in planner.traced:
            by_function.setdefault(owner, []).append(construction)
    for func in sorted(by_function, key=facts.sort_key):
        plan_function(planner, planner.traced[func], by_function[func])


def headline_of(facts: Facts, call: cst.Call, traced: Traced) -> str:
    """The finding's message: the optimizer and the function that traces it."""
    func = traced.func
    if traced.via is not None:
        where = f"`{func.name.value}` ({traced.via})"
    elif (
        isinstance(traced.owner, cst.ClassDef)
        and func not in facts.collector.decorated
        and func.name.value in names.KERAS_STEP_METHODS
        and facts.is_keras_model(traced.owner)
    ):
        where = f"`{traced.owner.name.value}.{func.name.value}` (traced by Keras)"
    else:
        where = f"tf.function `{func.name.value}`"
    unbound = [facts.label(call).partition(".")[0]] if facts.assumed(call) else []
    unbound += ["tf"] if traced.assumed else []
    hedge = ""
    if unbound:
        spelled = " or ".join(f"`{name}`" for name in unbound)
        hedge = f" (not resolved: this file does not import {spelled}; assumed to be TensorFlow's)"
    return (
        f"optimizer `{facts.label(call)}` is built inside {where} and fails on its first "
        f"call{hedge}"
    )


def plan_function(
    planner: Planner,
    traced: Traced,
    constructions: list[Construction],
) -> None:
    """The sites of one traced function: its outermost constructions, each with its feeders
    (schedules and wrapped optimizers fed to it are part of its site, not sites of their own)."""
    facts = planner.facts
    func = traced.func
    calls = {c.call for c in constructions}
    # Outermost constructor calls only: Adam(...) inside LossScaleOptimizer(...) moves with it.
    outermost = [
        c
        for c in constructions
        if not any(
            parent in calls for parent in facts.ancestors(c.call) if isinstance(parent, cst.Call)
        )
    ]
    bindings: dict[cst.Call, Binding] = {}
    for c in outermost:
        found = facts.binding(c.call)
        if found is not None:
            bindings[c.call] = found
    feeders = find_feeders(facts, func, outermost, bindings)
    fed = {binding.small for group in feeders.values() for binding in group}
    for c in outermost:
        if c.kind is names.Kind.SCHEDULE:
            continue
        binding = bindings.get(c.call)
        if binding is not None and binding.small in fed:
            continue
        if facts.lazy_singleton(c.call, func):
            continue
        group = sorted(feeders.get(c.call, []), key=lambda b: facts.sort_key(b.small))
        headline = headline_of(facts, c.call, traced)
        site = moves.Site(c.call, func, traced.owner, binding, group, RULE, headline)
        moves.plan_site(planner, site)


def find_feeders(
    facts: Facts,
    func: cst.FunctionDef,
    outermost: list[Construction],
    bindings: Mapping[cst.Call, Binding],
) -> dict[cst.Call, list[Binding]]:
    """Schedules and optimizers bound to a name read only by one later construction.

    ``lr = ExponentialDecay(...)`` read only by ``Adam(lr)`` moves with the Adam; so does
    ``opt = Adam()`` read only by ``opt = LossScaleOptimizer(opt)``.
    """
    scope = facts.inner_scope(func)
    declared = facts.collector.declared.get(func, set())
    consumer_of: dict[Binding, cst.Call] = {}
    for binding in bindings.values():
        if binding.name in declared:
            continue
        consumers: set[cst.Call | None] = set()
        for access in facts.accesses_in(scope, binding.name):
            if facts.within(access.node, binding.small):
                continue
            if any(
                isinstance(r, metadata.Assignment) and facts.within(r.node, binding.small)
                for r in access.referents
            ):
                consumers.add(find_consumer(facts, access.node, outermost, binding, bindings))
        if len(consumers) != 1:
            continue
        consumer = consumers.pop()
        # The consumer must really read it (``LossScaleOptimizer(opt)``), not merely rebind
        # the same name on another branch.
        if consumer is not None and any(
            facts.within(access.node, consumer) for access in facts.accesses_in(scope, binding.name)
        ):
            consumer_of[binding] = consumer
    # Chains (schedule -> optimizer -> wrapper): every feeder joins its last consumer.
    result: dict[cst.Call, list[Binding]] = {}
    for binding, consumer in consumer_of.items():
        seen = {binding}
        while consumer in bindings and bindings[consumer] in consumer_of:
            step = bindings[consumer]
            if step in seen:
                break
            seen.add(step)
            consumer = consumer_of[step]
        result.setdefault(consumer, []).append(binding)
    return result


def find_consumer(
    facts: Facts,
    node: cst.CSTNode,
    outermost: list[Construction],
    feeder: Binding,
    bindings: Mapping[cst.Call, Binding],
) -> cst.Call | None:
    """The construction whose arguments read ``node``; None if anything else reads it."""
    if facts.sort_key(node) < facts.end_key(feeder.small):
        return None
    for c in outermost:
        if c.kind is not names.Kind.SCHEDULE and facts.within(node, c.call):
            return c.call
    # A read after a wrapper that rebinds the same name reads the wrapper, not the feeder.
    for c in outermost:
        binding = bindings.get(c.call)
        if binding is None or binding.name != feeder.name or binding is feeder:
            continue
        if facts.sort_key(binding.small) > facts.sort_key(feeder.small) and facts.sort_key(
            node
        ) > facts.end_key(binding.small):
            return c.call
    return None
