"""Findings: stable codes, their documentation, and how one renders."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Applicability(enum.Enum):
    """Whether fixer can fix a finding, as Ruff classifies fixes."""

    SAFE = "fixable"
    UNSAFE = "fixable, unsafe"
    NONE = "not fixable"


@dataclass(frozen=True)
class Section:
    """One part of a rule's documentation: ``key`` is stable (for JSON), ``title`` is shown."""

    key: str
    title: str
    text: str


@dataclass(frozen=True)
class Example:
    """A whole file fixer is given, and the file after fixer's fix: what ``fix_source`` returns
    (with ``unsafe_fixes=True`` for a rule whose fix is unsafe). Equal when nothing changes."""

    before: str
    after: str


@dataclass(frozen=True)
class Rule:
    """A kind of finding. The code is never reused for another meaning.

    Its documentation is kept in parts, from which every consumer renders (``fixer rule``, the
    README table, JSON, SARIF): what it catches, why it is a bug, when the fix is safe, when it
    is unsafe or refused, and an example that the tests run through ``fix_source``.
    ``fix_availability`` is the fix a finding of this kind gets when nothing blocks or weakens
    it; each finding states its own.

    Text is prose wrapped at 100 columns, paragraphs separated by blank lines; lines indented
    by four spaces are verbatim (an error message) and must not be re-wrapped.
    """

    code: str
    name: str
    summary: str
    catches: str
    why: str
    fix_availability: Applicability
    safe: str
    unsafe: str
    example: Example

    @property
    def sections(self) -> tuple[Section, ...]:
        return (
            Section("catches", "What it catches", self.catches),
            Section("why", "Why it is a bug", self.why),
            Section("safe", "When the fix is safe", self.safe),
            Section("unsafe", "When it is unsafe or refused", self.unsafe),
        )

    @property
    def doc(self) -> str:
        """The whole documentation as plain text: the sections, then the example."""
        parts = [f"{section.title}:\n\n{section.text.strip()}" for section in self.sections]
        before = _indent(self.example.before)
        if self.example.before == self.example.after:
            parts.append(f"Example (fixer leaves it unchanged)::\n\n{before}")
        else:
            parts.append(f"Before::\n\n{before}")
            parts.append(f"After::\n\n{_indent(self.example.after)}")
        return "\n\n".join(parts) + "\n"


def _indent(code: str) -> str:
    return "\n".join(f"    {line}" if line else "" for line in code.rstrip("\n").split("\n"))


# What TensorFlow 2.21 raises, under Keras 3 and Keras 2 alike (see TENSORFLOW.md).
SINGLETON_VARIABLES_ERROR = (
    "ValueError: tf.function only supports singleton tf.Variables created on the first call. "
    "Make sure the tf.Variable is only created once or created outside tf.function."
)

_REFUSALS = """\
The move is refused, and the finding names what blocks it, when: the arguments read a
parameter or local variable of the step function (build it outside and pass it in); they read
a name that is not bound yet where the optimizer would go, or that is rebound after that point;
the optimizer's name is assigned more than once in the step (in both branches of an `if`),
declared `global` or `nonlocal`, or deleted; the call sits in a `try` block, a comprehension or
a `with` block it would have to leave; it is created under `strategy.scope()` inside the step,
or the move would go to module scope in a module that uses a `tf.distribute` strategy (Keras 3
then fails with `Mixing different tf.distribute.Strategy objects`); the enclosing factory is
traced too."""

OPTIMIZER_IN_TRACED_FUNCTION = Rule(
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

{_REFUSALS}

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
)

OPTIMIZER_PER_ITERATION_TRACED = Rule(
    code="TFO002",
    name="optimizer-per-iteration-into-traced-function",
    summary="a loop builds a new optimizer each iteration and passes it to a tf.function",
    catches="""\
An optimizer built in the body of a loop, outside any traced function, and passed as an
argument to a tf.function of the same file (a decorated def, or a name bound to
`tf.function(fn)`), typically a new optimizer per epoch given to one `train_step`. A loop
that also builds a new model each iteration and passes it to the step is reported as well, but
not fixed (see below).""",
    why=f"""\
Each new optimizer object is a new argument, so the tf.function retraces, and the new trace
creates the new optimizer's variables. The first iteration runs; TensorFlow stops on the
second:

    {SINGLETON_VARIABLES_ERROR}""",
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
)

OPTIMIZER_REBUILT_EVERY_STEP = Rule(
    code="TFO003",
    name="optimizer-rebuilt-every-step",
    summary="an eager loop builds a new optimizer every step, resetting its state",
    catches="""\
An optimizer built in the body of a loop that runs eagerly (outside any traced function) and
applied in that loop (`apply_gradients`, `minimize` or `apply`) to variables of a model that
outlives the iteration; often written inline:
`tf.keras.optimizers.Adam(lr).apply_gradients(zip(grads, model.trainable_variables))`.

Left alone: a loop that builds a fresh model each iteration (trials, hyper-parameter searches),
and an update whose trained variables cannot be told.""",
    why="""\
Nothing crashes, but each step starts from a new optimizer: Adam's moment estimates, momentum
and the step count are thrown away every iteration, so the model does not train the way the
code says (with Adam, every update is the first step of a new optimizer).""",
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

OPTIMIZER_BUILT_BY_TRACED_HELPER = Rule(
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

{_REFUSALS}""",
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
)

OPTIMIZER_BUILT_PER_CALL = Rule(
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

{_REFUSALS}""",
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

UNUSED_SUPPRESSION = Rule(
    code="TFO100",
    name="unused-suppression",
    summary="a suppression comment that suppresses no finding",
    catches="""\
A `# fixer: ignore` comment (with or without a list of codes), or a `noqa` comment naming `TFO`
codes, that suppresses no finding, or the codes in it that suppress nothing. Reported only
with `--report-unused-ignores` (or `report-unused-ignores = true`). Bare `# noqa` comments and
codes of other tools are never reported: they may belong to another linter.""",
    why="""\
A suppression that no longer suppresses anything hides nothing today, and would silently hide a
real finding tomorrow, when the line changes.""",
    fix_availability=Applicability.SAFE,
    safe="""\
The fix deletes the comment, or only the codes in it that suppress nothing, and keeps the rest
of the line. It is safe: comments do not change what the program does.""",
    unsafe="""\
Never unsafe. Nothing is reported, and so nothing is removed, for a bare `# noqa` comment, or
for the codes of a `noqa` comment that are not `TFO` codes.""",
    example=Example(
        before="""\
import tensorflow as tf

optimizer = tf.keras.optimizers.Adam(1e-3)  # fixer: ignore[TFO001]
""",
        after="""\
import tensorflow as tf

optimizer = tf.keras.optimizers.Adam(1e-3)
""",
    ),
)

SYNTAX_ERROR = Rule(
    code="TFO900",
    name="syntax-error",
    summary="the file could not be parsed; nothing in it was checked or changed",
    catches="""\
A file that is not valid Python, that cannot be decoded in its declared encoding (a coding
cookie, or UTF-8), that contains a null byte, or whose line endings LibCST cannot give back
byte for byte (CR-only). The position is CPython's own, where it has one.

A file found in a directory that the pre-filter rules out (no call that may build an optimizer)
is not parsed at all, so its syntax error is not reported; a file named on the command line
always is.""",
    why="""\
fixer cannot analyse what it cannot parse: any optimizer built while tracing in that file goes
unreported. The run exits with status 2 so that CI does not pass silently.""",
    fix_availability=Applicability.NONE,
    safe="""\
There is no fix: fixer never edits a file it cannot parse. Correct the syntax (or the
encoding) and run fixer again.""",
    unsafe="""\
Always refused: the file is left byte for byte as it was, and the other files of the run are
still processed.""",
    example=Example(
        before="""\
import tensorflow as tf


@tf.function
def train_step(x, y)
    optimizer = tf.keras.optimizers.Adam(1e-3)
    return optimizer
""",
        after="""\
import tensorflow as tf


@tf.function
def train_step(x, y)
    optimizer = tf.keras.optimizers.Adam(1e-3)
    return optimizer
""",
    ),
)

INTERNAL_ERROR = Rule(
    code="TFO901",
    name="internal-error",
    summary="fixer failed on this file; it was left untouched",
    catches="""\
An unexpected failure of fixer itself on one file: an exception while analysing or fixing it,
or a fixed text that would not parse. It is a bug in fixer, not in the file.""",
    why="""\
The file was not (fully) checked, so a finding in it may be missing. The run exits with status
2. Please report it, with the file (or a smaller one that fails the same way).""",
    fix_availability=Applicability.NONE,
    safe="""\
There is no fix: a file on which fixer fails is never written, and a fixed text that does not
parse is never returned.""",
    unsafe="""\
Always refused: the file is left byte for byte as it was, and the other files of the run are
still processed.""",
    example=Example(
        before="""\
import tensorflow as tf

model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
""",
        after="""\
import tensorflow as tf

model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
""",
    ),
)

RULES: tuple[Rule, ...] = (
    OPTIMIZER_IN_TRACED_FUNCTION,
    OPTIMIZER_PER_ITERATION_TRACED,
    OPTIMIZER_REBUILT_EVERY_STEP,
    OPTIMIZER_BUILT_BY_TRACED_HELPER,
    OPTIMIZER_BUILT_PER_CALL,
    UNUSED_SUPPRESSION,
    SYNTAX_ERROR,
    INTERNAL_ERROR,
)


RULES_BY_CODE: dict[str, Rule] = {rule.code: rule for rule in RULES}

# The kinds that make TensorFlow fail (``error`` in CI annotations); the others are silent.
CRASH_CODES = frozenset({"TFO001", "TFO002", "TFO004"})


@dataclass(frozen=True)
class TextEdit:
    """Replace the text from (start_line, start_column) up to, not including, (end_line,
    end_column) with ``content``. Lines and columns are 1-based and count Unicode code points of
    the decoded file; lines are separated by ``\\n`` (a ``\\r`` before it is part of its line).
    An insertion has start == end."""

    start_line: int
    start_column: int
    end_line: int
    end_column: int
    content: str


@dataclass(frozen=True)
class Fix:
    """The edits that fix a finding, expressed on the original file.

    Findings of one file that cannot be fixed separately (two optimizers hoisted to the same
    place, or the two findings of a helper and its traced call) carry the same ``id`` and the
    same edits: apply each ``id`` once. ``applied`` says whether this run's output (``--diff``,
    ``--write``) includes it: safe fixes are, unsafe ones only with ``--unsafe-fixes``.
    The edits are computed only on request (``fix_source(..., with_edits=True)``, as the JSON
    and SARIF formats do); otherwise ``edits`` is empty and ``id`` is 0.
    """

    id: int
    applicability: Applicability
    edits: tuple[TextEdit, ...]
    applied: bool


@dataclass(frozen=True)
class Diagnostic:
    """One finding at a position of the original file (1-based line and column; the end is
    exclusive, as in LSP and SARIF)."""

    path: str
    line: int
    column: int
    code: str
    message: str
    applicability: Applicability = Applicability.NONE
    is_error: bool = False
    end_line: int = 0  # 0: the same as ``line`` / ``column`` (errors without a range)
    end_column: int = 0
    fix: Fix | None = None
    suppressed_by: str | None = None  # the comment that suppresses it, e.g. ``# noqa: TFO001``
    # For a finding fixed by another finding's fix (TFO004 at the helper's construction): the
    # (line, column) of that finding.
    fixed_with: tuple[int, int] | None = None
    # The lines on which a suppression comment applies to this finding: those of the flagged
    # code, and the header lines of the function and loops it sits in.
    suppressible_at: tuple[int, ...] = field(default=(), compare=False, repr=False)

    @property
    def rule(self) -> Rule:
        return RULES_BY_CODE[self.code]

    @property
    def is_crash(self) -> bool:
        """TensorFlow fails on this (as opposed to training silently differently)."""
        return self.code in CRASH_CODES

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
