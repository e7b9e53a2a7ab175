"""TFO004 optimizer-built-by-helper-while-tracing: a traced function calls a helper that builds
an optimizer.

Detection: ``fixer/analysis.py`` (``plan_helpers``).
"""

from __future__ import annotations

from fixer.findings import Applicability
from fixer.rules.base import SINGLETON_VARIABLES_ERROR, Example, Rule
from fixer.rules.tfo001 import REFUSALS

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
