"""TFO003 optimizer-rebuilt-every-step: an eager loop builds a new optimizer every step.

Detection: :mod:`fixer.rules.loops`, shared with TFO002 (``detect`` there reports TFO003 when
the loop applies the optimizer itself); the move: :mod:`fixer.moves.before_loop`.

What the update trains is read from every spelling of it (``Facts.updated_variables``):
``apply_gradients([(grad, w)])``, ``zip(grads, variables)`` with ``variables`` a list built
before, ``compute_gradients(..., var_list=...)`` then ``apply_gradients(grads_and_vars)``,
``minimize(loss, [w])`` and ``var_list=``, and Keras 3's ``apply(grads, variables)``; and a
recompile, ``model.compile(optimizer=Adam(...))`` followed by ``model.fit(...)``
(``Facts.update_of``), in ``report_eager_loop_recompiles_each_epoch``.

Fixtures: ``report_eager_loop_rebuilds_optimizer_every_step``,
``report_eager_loop_apply_gradients_list_of_pairs``,
``report_eager_loop_zip_with_a_list_built_before``,
``report_eager_loop_minimize_var_list_positional``,
``report_eager_loop_keras3_apply_variables_named_before``,
``report_eager_loop_compute_gradients_then_apply``,
``report_tf_eager_loop_rebuilds_momentum_optimizer`` (runnable: a silent bug, proven against a
reference),
``hoist_unused_suppressions_removed``; left alone in
``keep_trial_loop_builds_model_and_optimizer``,
``keep_trial_loop_new_optimizer_inside_steps_of_fresh_model``,
``keep_eager_loop_new_variable_each_iteration``, ``keep_recompile_with_fresh_model_each_trial``,
``keep_eager_loop_periodic_warm_restart`` (under an ``if`` on what the loop changes),
``keep_kfold_loop_resets_weights`` (``model.set_weights`` in the loop)
and ``keep_eager_loop_clears_session`` (a loop
body that calls ``clear_session()`` restarts training on purpose).
"""

from __future__ import annotations

from fixer.findings import Applicability
from fixer.rules.base import Example, Rule

RULE = Rule(
    code="TFO003",
    name="optimizer-rebuilt-every-step",
    summary="an eager loop builds a new optimizer every step, resetting its state",
    catches="""\
An optimizer built in the body of a loop that runs eagerly (outside any traced function) and
applied in that loop (`apply_gradients`, `minimize` or `apply`) to variables of a model that
outlives the iteration; often written inline:
`tf.keras.optimizers.Adam(lr).apply_gradients(zip(grads, model.trainable_variables))`. A loop
that recompiles the same model with a new optimizer before each `fit`
(`model.compile(optimizer=tf.keras.optimizers.Adam(lr))`) counts too.

Left alone: a loop that builds a fresh model each iteration (trials, hyper-parameter searches)
or calls `tf.keras.backend.clear_session()` or resets the trained model's weights
(`model.set_weights(initial)`, a new fold), a rebuild under an `if` that tests what the loop
changes (`if step % 100 == 0:`, a deliberate warm restart), and an update whose trained
variables cannot be told.""",
    why="""\
Nothing crashes, but each step starts from a new optimizer: Adam's moment estimates, momentum
and the step count are thrown away every iteration, so the model does not train the way the
code says (with Adam, every update is the first step of a new optimizer).""",
    fix_title="Build the optimizer once, before the loop",
    fix_availability=Applicability.UNSAFE,
    safe="""\
Never safe: the program runs as it is, and building the optimizer once before the loop changes
the training results. That is the point, but review the change. With `--unsafe-fixes` the
optimizer is built once before the outermost loop that does not change its arguments (an
inline optimizer is bound to `optimizer`), and the loop uses it.""",
    unsafe="""\
The fix is always unsafe (applied only with `--unsafe-fixes`; a report says
`[fixable, unsafe]`). It stops before an outer loop that rebinds a name its arguments read (a
learning rate set per epoch: then it is built once per epoch, before the inner loop). Refused
when the innermost loop rebinds such a name, when the optimizer's name is assigned elsewhere in
the loop too, or when the call sits in a `try` block, a comprehension or a `with` block it
would have to leave.""",
    example=Example(
        before="""\
import tensorflow as tf

model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
dataset = tf.data.Dataset.from_tensor_slices((tf.ones((8, 2)), tf.ones((8, 1)))).batch(4)

for x, y in dataset:
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(model(x) - y))
    grads = tape.gradient(loss, model.trainable_variables)
    tf.keras.optimizers.Adam(1e-3).apply_gradients(zip(grads, model.trainable_variables))
""",
        after="""\
import tensorflow as tf

model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
dataset = tf.data.Dataset.from_tensor_slices((tf.ones((8, 2)), tf.ones((8, 1)))).batch(4)

optimizer = tf.keras.optimizers.Adam(1e-3)
for x, y in dataset:
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(model(x) - y))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
""",
    ),
)
