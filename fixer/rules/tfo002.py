"""TFO002 optimizer-per-iteration-into-traced-function: a loop builds a new optimizer each
iteration and passes it to a tf.function.

Detection: :mod:`fixer.rules.loops`, shared with TFO003 (``detect`` there reports TFO002 when
the optimizer is passed to a tf.function of the file); the move: :mod:`fixer.moves.before_loop`.

Fixtures: ``hoist_loop_new_optimizer_each_epoch_into_traced_step``,
``hoist_tf_new_optimizer_each_epoch``, ``report_loop_learning_rate_from_loop_variable``.
A step returned by a factory (``train_step = make_step(model)``):
``hoist_factory_step_new_optimizer_each_epoch``,
``report_factory_step_learning_rate_from_epoch``; left alone when the factory's step is not
traced: ``keep_factory_returns_untraced_step``.
"""

from __future__ import annotations

from fixer.findings import Applicability
from fixer.rules.base import SINGLETON_VARIABLES_ERROR, Example, Rule

RULE = Rule(
    code="TFO002",
    name="optimizer-per-iteration-into-traced-function",
    summary="a loop builds a new optimizer each iteration and passes it to a tf.function",
    catches="""\
An optimizer built in the body of a loop, outside any traced function, and passed as an
argument to a tf.function of the same file (a decorated def, a name bound to
`tf.function(fn)`, or a name bound to what a factory of the file returns, `train_step =
make_step(model)` where `make_step` returns a traced function), typically a new optimizer per
epoch given to one `train_step`. A loop that also builds a new model each iteration and passes
it to the step is reported as well, but not fixed (see below).""",
    why=f"""\
Each new optimizer object is a new argument, so the tf.function retraces, and the new trace
creates the new optimizer's variables. The first iteration runs; TensorFlow stops on the
second:

    {SINGLETON_VARIABLES_ERROR}""",
    fix_title="Build the optimizer once, before the loop",
    fix_availability=Applicability.SAFE,
    safe="""\
The fix builds the optimizer once, before the outermost loop (every new object retraces, so it
must leave every loop), keeping its name, or binding an inline optimizer to `optimizer`. It is
safe: the program crashed on the second iteration, and now trains with one optimizer.""",
    unsafe="""\
Refused when the arguments read a name that one of the enclosing loops rebinds (a learning rate
taken from the loop variable), when the optimizer's name is assigned elsewhere in the loop too,
when the loop also builds a new model that it passes to the step (one optimizer must not serve
two models), or when the call sits in a `try` block, a comprehension or a
`with` block it would have to leave. The finding names the blocking variable.""",
    example=Example(
        before="""\
import tensorflow as tf

model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
dataset = tf.data.Dataset.from_tensor_slices((tf.ones((8, 2)), tf.ones((8, 1)))).batch(4)


@tf.function
def train_step(x, y, optimizer):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(model(x) - y))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss


for epoch in range(10):
    optimizer = tf.keras.optimizers.Adam(1e-3)
    for x, y in dataset:
        train_step(x, y, optimizer)
""",
        after="""\
import tensorflow as tf

model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
dataset = tf.data.Dataset.from_tensor_slices((tf.ones((8, 2)), tf.ones((8, 1)))).batch(4)


@tf.function
def train_step(x, y, optimizer):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(model(x) - y))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss


optimizer = tf.keras.optimizers.Adam(1e-3)
for epoch in range(10):
    for x, y in dataset:
        train_step(x, y, optimizer)
""",
    ),
    crashes=True,
)
