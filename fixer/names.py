"""What counts as ``tf.function`` and as an optimizer: one table of qualified names.

Every lookup here takes the set of fully qualified names LibCST's ``QualifiedNameProvider``
resolved for an expression (``import tensorflow as tf2; tf2.keras.optimizers.Adam`` resolves
to ``tensorflow.keras.optimizers.Adam``), never the spelling in the source.
"""

from __future__ import annotations

import enum
from collections.abc import Collection
from dataclasses import dataclass

TRACING_DECORATORS: frozenset[str] = frozenset(
    {
        "tensorflow.function",
        "tensorflow.compat.v2.function",
        "tensorflow.compat.v1.function",
        "tf_keras.src.utils.tf_utils.function",
    }
)

# Namespaces whose classes construct optimizers (each creates tf.Variables when built).
OPTIMIZER_NAMESPACES: tuple[str, ...] = (
    "tensorflow.keras.optimizers",
    "tensorflow.keras.optimizers.legacy",
    "tensorflow.keras.optimizers.experimental",
    "tensorflow.optimizers",
    "tensorflow.optimizers.legacy",
    "tensorflow.optimizers.experimental",
    "tensorflow.compat.v2.keras.optimizers",
    "tensorflow.compat.v2.keras.optimizers.legacy",
    "tensorflow.compat.v2.keras.optimizers.experimental",
    "tensorflow.compat.v2.optimizers",
    "keras.optimizers",
    "keras.optimizers.legacy",
    "keras.optimizers.experimental",
    "tf_keras.optimizers",
    "tf_keras.optimizers.legacy",
    "tf_keras.optimizers.experimental",
    "tensorflow_addons.optimizers",
)

# Functions of those namespaces that return a new optimizer instance.
OPTIMIZER_FACTORIES: frozenset[str] = frozenset({"get", "deserialize"})

# Class methods that build a new instance of their class (``Adam.from_config(config)``).
ALTERNATE_CONSTRUCTORS: frozenset[str] = frozenset({"from_config"})

# TF1-style optimizers (``tf.compat.v1.train.AdamOptimizer``): only names ending in "Optimizer".
V1_TRAIN_NAMESPACES: tuple[str, ...] = (
    "tensorflow.compat.v1.train",
    "tensorflow.train",
)

# TF1 optimizers that create no variables (no slots): building one while tracing is harmless.
V1_WITHOUT_VARIABLES: frozenset[str] = frozenset(
    {"Optimizer", "GradientDescentOptimizer", "ProximalGradientDescentOptimizer"}
)

# Wrappers that take an optimizer and are themselves optimizers; moved with what they wrap.
WRAPPERS: frozenset[str] = frozenset(
    {
        f"{prefix}.{name}"
        for prefix in (
            "tensorflow.keras.mixed_precision",
            "tensorflow.keras.mixed_precision.experimental",
            "tensorflow.compat.v2.keras.mixed_precision",
            "keras.mixed_precision",
            "tf_keras.mixed_precision",
            "tf_keras.mixed_precision.experimental",
            "tensorflow.compat.v1.mixed_precision",
            "tensorflow.train.experimental",
            "tensorflow.compat.v1.train.experimental",
        )
        for name in ("LossScaleOptimizer", "LossScaleOptimizerV3")
    }
    | {
        "tensorflow_addons.optimizers.MovingAverage",
        "tensorflow_addons.optimizers.SWA",
        "tensorflow_addons.optimizers.Lookahead",
    }
)

# Learning-rate schedules: not optimizers, but one built only to feed an optimizer moves with it.
SCHEDULE_NAMESPACES: tuple[str, ...] = tuple(
    f"{namespace}.schedules"
    for namespace in OPTIMIZER_NAMESPACES
    if not namespace.endswith((".legacy", ".experimental"))
)


# ``clear_session()`` drops every model and optimizer Keras holds: a function or a loop body that
# calls it starts training afresh on purpose, so a new optimizer there is intended.
CLEAR_SESSION: frozenset[str] = frozenset(
    {
        "tensorflow.keras.backend.clear_session",
        "tensorflow.compat.v2.keras.backend.clear_session",
        "tensorflow.compat.v1.keras.backend.clear_session",
        "keras.backend.clear_session",
        "keras.utils.clear_session",
        "tf_keras.backend.clear_session",
    }
)


def clears_session(qualified_names: Collection[str]) -> bool:
    """True when a callee is Keras's ``clear_session`` everywhere."""
    return bool(qualified_names) and all(name in CLEAR_SESSION for name in qualified_names)


# Keras packages: their layers, models, metrics and applications create variables when built.
KERAS_PACKAGES: tuple[str, ...] = (
    "tensorflow.keras",
    "tensorflow.compat.v2.keras",
    "keras",
    "tf_keras",
)

VARIABLE_CLASSES: frozenset[str] = frozenset(
    {"tensorflow.Variable", "tensorflow.compat.v1.Variable", "tensorflow.compat.v2.Variable"}
)


def variable_builder(qualified_names: Collection[str]) -> str | None:
    """What a call builds that creates ``tf.Variable``s besides optimizers: a Keras layer, model,
    metric or application, or a ``tf.Variable``; None for anything else (a loss, a function).

    Every resolution must agree, as for constructors."""
    kinds = {_variable_kind(name) for name in qualified_names}
    if len(kinds) != 1:
        return None
    return kinds.pop()


def _variable_kind(qualified: str) -> str | None:
    if qualified in VARIABLE_CLASSES:
        return "a variable"
    if qualified in KERAS_MODEL_BASES:
        return "a model"
    namespace, leaf = _split(qualified)
    for package in KERAS_PACKAGES:
        if not namespace.startswith(package + "."):
            continue
        module = namespace[len(package) + 1 :]
        if module in ("layers", "layers.experimental") and leaf[:1].isupper():
            return None if leaf in ("Input", "InputSpec", "Layer") else "a layer"
        if module == "metrics" and leaf[:1].isupper() and leaf != "Metric":
            return "a metric"
        if module.startswith("applications.") or (module == "applications" and leaf[:1].isupper()):
            return "a model" if leaf[:1].isupper() else None
        if module == "models" and leaf in ("clone_model", "load_model", "model_from_config"):
            return "a model"
    return None


class Kind(enum.Enum):
    """What a constructor call builds."""

    OPTIMIZER = "optimizer"
    WRAPPER = "optimizer wrapper"
    SCHEDULE = "learning-rate schedule"


def _split(qualified: str) -> tuple[str, str]:
    namespace, _, leaf = qualified.rpartition(".")
    return namespace, leaf


def _kind_of(qualified: str) -> Kind | None:
    if qualified in WRAPPERS:
        return Kind.WRAPPER
    namespace, leaf = _split(qualified)
    if not leaf.isidentifier():
        return None
    if leaf in ALTERNATE_CONSTRUCTORS:  # builds what its class builds; a factory has none
        cls = _split(namespace)[1]
        return None if cls in OPTIMIZER_FACTORIES else _kind_of(namespace)
    if namespace in SCHEDULE_NAMESPACES and leaf[:1].isupper():
        return Kind.SCHEDULE
    if namespace in OPTIMIZER_NAMESPACES:
        if leaf.endswith("LearningRate"):  # tfa.optimizers.CyclicalLearningRate and kin
            return Kind.SCHEDULE
        if leaf in OPTIMIZER_FACTORIES or (leaf[:1].isupper() and leaf != "Optimizer"):
            return Kind.OPTIMIZER
        return None
    if (
        namespace in V1_TRAIN_NAMESPACES
        and leaf.endswith("Optimizer")
        and leaf not in V1_WITHOUT_VARIABLES
    ):
        return Kind.OPTIMIZER
    return None


def _configured(qualified: str, patterns: frozenset[str]) -> bool:
    """``pkg.optim.Fancy`` matches ``pkg.optim.Fancy`` and ``pkg.optim.*``."""
    return qualified in patterns or f"{qualified.rpartition('.')[0]}.*" in patterns


@dataclass(frozen=True)
class NameTable:
    """The names in force: the built-in table plus a project's own, from configuration.

    ``extra_optimizers`` and ``extra_tracers`` hold fully qualified names; an entry ending in
    ``.*`` stands for every name directly in that namespace.
    """

    extra_optimizers: frozenset[str] = frozenset()
    extra_tracers: frozenset[str] = frozenset()

    def constructor_kind(self, qualified_names: Collection[str]) -> Kind | None:
        """The kind built by a call whose callee resolves to ``qualified_names``.

        Every resolution must agree: a name that may be TensorFlow's ``Adam`` or a class of the
        file's own (shadowing it on some path) is not treated as an optimizer.
        """
        kinds = {self._kind(name) for name in qualified_names}
        if len(kinds) != 1:
            return None
        return kinds.pop()

    def _kind(self, qualified: str) -> Kind | None:
        if _configured(qualified, self.extra_optimizers):
            return Kind.OPTIMIZER
        namespace, leaf = _split(qualified)
        if leaf in ALTERNATE_CONSTRUCTORS and _configured(namespace, self.extra_optimizers):
            return Kind.OPTIMIZER
        return _kind_of(qualified)

    def is_optimizer_namespace(self, qualified_names: Collection[str]) -> bool:
        """True when the expression is a namespace of optimizer classes everywhere
        (``tf.keras.optimizers``, or a configured ``pkg.optim.*``): ``getattr(<it>, name)``
        is then an optimizer class that only the running program knows."""
        return bool(qualified_names) and all(
            name in OPTIMIZER_NAMESPACES or f"{name}.*" in self.extra_optimizers
            for name in qualified_names
        )

    def is_tracing_decorator(self, qualified_names: Collection[str]) -> bool:
        """True when the expression is ``tf.function`` (or a configured tracer) everywhere."""
        return bool(qualified_names) and all(
            name in TRACING_DECORATORS or _configured(name, self.extra_tracers)
            for name in qualified_names
        )


DEFAULT_NAMES = NameTable()


def constructor_kind(qualified_names: Collection[str]) -> Kind | None:
    """The built-in table's :meth:`NameTable.constructor_kind`."""
    return DEFAULT_NAMES.constructor_kind(qualified_names)


def is_tracing_decorator(qualified_names: Collection[str]) -> bool:
    """The built-in table's :meth:`NameTable.is_tracing_decorator`."""
    return DEFAULT_NAMES.is_tracing_decorator(qualified_names)


# Keras calls these methods of a Model subclass inside a tf.function (Model.fit/evaluate/predict).
KERAS_STEP_METHODS: frozenset[str] = frozenset({"train_step", "test_step", "predict_step"})

KERAS_MODEL_BASES: frozenset[str] = frozenset(
    f"{namespace}.{name}"
    for namespace in (
        "tensorflow.keras",
        "tensorflow.keras.models",
        "tensorflow.compat.v2.keras",
        "tensorflow.compat.v2.keras.models",
        "keras",
        "keras.models",
        "keras.src.models",
        "keras.src.models.model",
        "tf_keras",
        "tf_keras.models",
    )
    for name in ("Model", "Sequential")
)

# Attributes a Keras Model (or tf.Module) already has: a moved optimizer must not take these.
RESERVED_ATTRIBUTES: frozenset[str] = frozenset(
    {
        "optimizer",
        "loss",
        "losses",
        "metrics",
        "metrics_names",
        "compiled_loss",
        "compiled_metrics",
        "layers",
        "variables",
        "trainable_variables",
        "non_trainable_variables",
        "weights",
        "trainable_weights",
        "non_trainable_weights",
        "trainable",
        "name",
        "name_scope",
        "dtype",
        "dtype_policy",
        "built",
        "input",
        "inputs",
        "output",
        "outputs",
        "input_spec",
        "history",
        "stop_training",
        "distribute_strategy",
        "run_eagerly",
        "jit_compile",
        "steps_per_execution",
        "submodules",
        "train_function",
        "test_function",
        "predict_function",
        "state_updates",
        "updates",
        "compute_dtype",
        "variable_dtype",
    }
)


def is_keras_model_base(qualified_names: Collection[str]) -> bool:
    """True when a base class expression is Keras's ``Model`` or ``Sequential``."""
    return bool(qualified_names) and all(name in KERAS_MODEL_BASES for name in qualified_names)


def is_strategy_constructor(qualified_names: Collection[str]) -> bool:
    """``tf.distribute.MirroredStrategy()`` and friends, and ``tf.distribute.get_strategy()``."""
    return bool(qualified_names) and all(
        name.startswith(("tensorflow.distribute.", "tensorflow.compat.v2.distribute."))
        and (name.endswith("Strategy") or name.endswith(".get_strategy"))
        for name in qualified_names
    )


# Context managers a constructor can leave without changing what it builds.
HARMLESS_CONTEXTS: frozenset[str] = frozenset(
    {
        "tensorflow.GradientTape",
        "tensorflow.name_scope",
        "tensorflow.compat.v1.name_scope",
        "tensorflow.keras.backend.name_scope",
        "keras.backend.name_scope",
        "keras.name_scope",
        "tf_keras.backend.name_scope",
    }
)


# Code that uses names it never imports (a snippet, a notebook cell, an ``exec``-assembled
# script): the spellings under which an unbound name is taken to be TensorFlow's, with a finding
# that says the name is not resolved and no fix. ``<prefix>.<class>`` for a class of
# ``STAR_IMPORTABLE_OPTIMIZERS``, and ``tf.function``.
ASSUMED_OPTIMIZER_PREFIXES: frozenset[str] = frozenset(
    {
        "",
        "optimizers",
        "optimizers.legacy",
        "keras.optimizers",
        "keras.optimizers.legacy",
        "tf.keras.optimizers",
        "tf.keras.optimizers.legacy",
        "tf.optimizers",
    }
)
ASSUMED_TRACERS: frozenset[str] = frozenset({"tf.function"})

# Other frameworks' optimizers go by the same names (``torch.optim.Adam``, ``optax.adam``): a
# file that imports one of these packages gets no assumed optimizer at all.
OTHER_FRAMEWORKS: frozenset[str] = frozenset(
    {
        "torch",
        "optax",
        "jax",
        "flax",
        "haiku",
        "equinox",
        "objax",
        "trax",
        "mxnet",
        "paddle",
        "chainer",
        "mindspore",
        "oneflow",
        "megengine",
        "tinygrad",
        "mlx",
        "deepspeed",
        "timm",
        "pytorch_lightning",
        "lightning",
    }
)


def assumed_optimizer(spelled: str) -> bool:
    """Whether an unbound callee spelled so is taken to be a TensorFlow optimizer class."""
    prefix, _, leaf = spelled.rpartition(".")
    return prefix in ASSUMED_OPTIMIZER_PREFIXES and leaf in STAR_IMPORTABLE_OPTIMIZERS


# Classes a star import of an optimizer namespace brings in (LibCST does not resolve ``*``).
STAR_IMPORTABLE_OPTIMIZERS: frozenset[str] = frozenset(
    {
        "Adadelta",
        "Adafactor",
        "Adagrad",
        "Adam",
        "AdamW",
        "Adamax",
        "Ftrl",
        "Lamb",
        "Lion",
        "LossScaleOptimizer",
        "Nadam",
        "RMSprop",
        "SGD",
    }
)
