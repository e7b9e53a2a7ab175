"""TFO005 optimizer-built-per-call: an untraced step function builds its optimizer on each call,
and a loop calls it every step.

Detection: ``fixer/analysis.py`` (``plan_per_call``).
"""

from __future__ import annotations

from fixer.findings import Applicability
from fixer.rules.base import Example, Rule
from fixer.rules.tfo001 import REFUSALS

RULE = Rule(
    code="TFO005",
    name="optimizer-built-per-call",
    summary="a step function builds a new optimizer on each call and a loop calls it per step",
    catches="""\
The most common form in public training scripts: a step function that is not traced (a
function, or a method of a class) builds its optimizer and applies it to a model it does not
build itself, and a loop of the same file calls that function for every batch.

Left alone: a step that also builds the model it trains (a fresh model per call).""",
    why="""\
Nothing crashes, but every call starts from a new optimizer: Adam's moment estimates, momentum
and the step count restart on every step, so training silently differs from what is written.""",
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
