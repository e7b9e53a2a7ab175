"""TFO001 optimizer-in-traced-function: an optimizer built inside a traced function.

Detection: ``fixer/analysis.py`` (``plan_function``, ``find_feeders``); the move: its ``plan_site``.
"""

from __future__ import annotations

from fixer.findings import Applicability
from fixer.rules.base import SINGLETON_VARIABLES_ERROR, Example, Rule

# The refusals of a move out of a function, shared by TFO001, TFO004 and TFO005.
REFUSALS = """\
The move is refused, and the finding names what blocks it, when: the arguments read a
parameter or local variable of the step function (build it outside and pass it in); they read
a name that is not bound yet where the optimizer would go, or that is rebound after that point;
the optimizer's name is assigned more than once in the step (in both branches of an `if`),
declared `global` or `nonlocal`, or deleted; the call sits in a `try` block, a comprehension or
a `with` block it would have to leave; it is created under `strategy.scope()` inside the step,
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
and never rebound after it: they have the same value there as at the first call.""",
    unsafe=f"""\
The fix is unsafe (applied only with `--unsafe-fixes`) when the arguments are evaluated at
another time than the first call and may differ: they call a function (`get_lr()`), read a
subscript (`cfg["lr"]`) or an attribute of something not imported (`FLAGS.learning_rate`), now
evaluated when the module is imported, the factory is called or the instance is created; or
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
