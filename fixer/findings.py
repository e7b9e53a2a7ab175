"""Findings: stable codes, their documentation, and how one renders."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Applicability(enum.Enum):
    """Whether fixer can fix a finding, as Ruff classifies fixes."""

    SAFE = "fixable"
    UNSAFE = "fixable, unsafe"
    NONE = "not fixable"


@dataclass(frozen=True)
class Rule:
    """A kind of finding. The code is never reused for another meaning."""

    code: str
    name: str
    summary: str
    doc: str


OPTIMIZER_IN_TRACED_FUNCTION = Rule(
    code="TFO001",
    name="optimizer-in-traced-function",
    summary="an optimizer built inside a tf.function creates variables on every trace",
    doc="""\
An optimizer constructed inside a function that ``tf.function`` traces creates ``tf.Variable``s
while tracing, and TensorFlow 2.21 stops on the first call with ``ValueError: tf.function only
supports singleton tf.Variables created on the first call``. The fix builds it once, outside the
traced body (module scope, or the enclosing factory function), and the body uses that instance.

Before::

    @tf.function
    def train_step(x, y):
        optimizer = tf.keras.optimizers.Adam(learning_rate=0.001)
        ...

After::

    optimizer = tf.keras.optimizers.Adam(learning_rate=0.001)


    @tf.function
    def train_step(x, y):
        ...
""",
)

OPTIMIZER_PER_ITERATION_TRACED = Rule(
    code="TFO002",
    name="optimizer-per-iteration-into-traced-function",
    summary="a loop builds a new optimizer each iteration and passes it to a tf.function",
    doc="""\
Each new optimizer object makes the traced function retrace, and the retrace creates variables
again: TensorFlow fails on the second iteration. The fix (safe) builds it once before the loop.

Before::

    for epoch in range(epochs):
        optimizer = tf.keras.optimizers.Adam(1e-3)
        for x, y in dataset:
            train_step(x, y, optimizer)

After::

    optimizer = tf.keras.optimizers.Adam(1e-3)
    for epoch in range(epochs):
        for x, y in dataset:
            train_step(x, y, optimizer)
""",
)

OPTIMIZER_REBUILT_EVERY_STEP = Rule(
    code="TFO003",
    name="optimizer-rebuilt-every-step",
    summary="an eager loop builds a new optimizer every step, resetting its state",
    doc="""\
Nothing crashes, but the optimizer's state (Adam's moments, the step count, momentum) restarts
every iteration, so the model does not train the way the code says. The fix builds it once before
the loop; it is unsafe because training results change (as intended): review it.

Before::

    for x, y in dataset:
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x))
        grads = tape.gradient(loss, model.trainable_variables)
        tf.keras.optimizers.Adam(1e-3).apply_gradients(zip(grads, model.trainable_variables))

After::

    optimizer = tf.keras.optimizers.Adam(1e-3)
    for x, y in dataset:
        ...
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
""",
)

OPTIMIZER_BUILT_BY_TRACED_HELPER = Rule(
    code="TFO004",
    name="optimizer-built-by-helper-while-tracing",
    summary="a helper that builds an optimizer is called from a traced function",
    doc="""\
A function of the same module that builds an optimizer runs inside the trace when a tf.function
calls it (directly or through other functions), so the optimizer is created while tracing and
TensorFlow fails on the first call. Reported at the construction and at the traced call; when the
helper returns the optimizer, the fix (safe) moves the call out of the traced body.

Before::

    def make_optimizer():
        return tf.keras.optimizers.Adam(1e-3)

    @tf.function
    def train_step(x, y):
        optimizer = make_optimizer()
        ...

After::

    optimizer = make_optimizer()


    @tf.function
    def train_step(x, y):
        ...
""",
)

OPTIMIZER_BUILT_PER_CALL = Rule(
    code="TFO005",
    name="optimizer-built-per-call",
    summary="a step function builds a new optimizer on each call and a loop calls it per step",
    doc="""\
The most common form in public training scripts: ``train_step`` (eager, not traced) builds its
optimizer, and the training loop calls it for every batch. Nothing crashes, but the optimizer's
state restarts on every step. The fix (unsafe: training results change, as intended) builds it
once at module scope, or in ``__init__`` for a method. Refused when the loop also rebuilds the
model, or the constructor reads a parameter (the learning rate may change between calls).

Before::

    def train_step(x, y):
        optimizer = tf.keras.optimizers.Adam(1e-3)
        ...
        optimizer.apply_gradients(zip(grads, model.trainable_variables))

    for x, y in dataset:
        train_step(x, y)

After::

    optimizer = tf.keras.optimizers.Adam(1e-3)


    def train_step(x, y):
        ...
""",
)

SYNTAX_ERROR = Rule(
    code="TFO900",
    name="syntax-error",
    summary="the file could not be parsed; nothing in it was checked or changed",
    doc="""\
The file is not valid Python (or not valid in its declared encoding), so fixer cannot analyse it.
It is left untouched and the run exits with status 2.
""",
)

INTERNAL_ERROR = Rule(
    code="TFO901",
    name="internal-error",
    summary="fixer failed on this file; it was left untouched",
    doc="""\
fixer hit an unexpected condition (a bug: please report it with the file) or produced a result that
does not parse. The file is left untouched and the run exits with status 2.
""",
)

RULES: tuple[Rule, ...] = (
    OPTIMIZER_IN_TRACED_FUNCTION,
    OPTIMIZER_PER_ITERATION_TRACED,
    OPTIMIZER_REBUILT_EVERY_STEP,
    OPTIMIZER_BUILT_BY_TRACED_HELPER,
    OPTIMIZER_BUILT_PER_CALL,
    SYNTAX_ERROR,
    INTERNAL_ERROR,
)


@dataclass(frozen=True)
class Diagnostic:
    """One finding at a position of the original file (1-based line and column)."""

    path: str
    line: int
    column: int
    code: str
    message: str
    applicability: Applicability = Applicability.NONE
    is_error: bool = False

    def render(self) -> str:
        """``path:line:col: CODE message``, with error findings unmarked."""
        if self.is_error:
            return f"{self.path}:{self.line}:{self.column}: {self.code} {self.message}"
        return (
            f"{self.path}:{self.line}:{self.column}: {self.code} "
            f"[{self.applicability.value}] {self.message}"
        )


class FindingsView:
    """What every result type says about its ``diagnostics``."""

    diagnostics: tuple[Diagnostic, ...]

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.is_error)

    @property
    def fixable(self) -> tuple[Diagnostic, ...]:
        """Findings with a safe fix."""
        return tuple(d for d in self.diagnostics if d.applicability is Applicability.SAFE)

    @property
    def unsafe(self) -> tuple[Diagnostic, ...]:
        """Findings whose fix is unsafe (applied only with ``unsafe_fixes``)."""
        return tuple(d for d in self.diagnostics if d.applicability is Applicability.UNSAFE)
