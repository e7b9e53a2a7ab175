"""fix_source on small programs: name resolution, refusals, bytes, and bad input."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from pathlib import Path

import pytest

from fixer import Applicability, NameTable, fix_source
from fixer.names import Kind, constructor_kind, is_tracing_decorator

ROOT = Path(__file__).resolve().parent.parent


def _fix(source: str) -> tuple[str, list[str]]:
    result = fix_source(textwrap.dedent(source), "t.py")
    return result.fixed, [d.render() for d in result.diagnostics]


STEP = """\
{imports}

{decorator}
def step(x):
    opt = {ctor}(0.1)
    return opt
"""


@pytest.mark.parametrize(
    ("imports", "decorator", "ctor"),
    [
        ("import tensorflow as tf", "@tf.function", "tf.keras.optimizers.Adam"),
        ("import tensorflow as tf2", "@tf2.function", "tf2.keras.optimizers.Adam"),
        ("import tensorflow", "@tensorflow.function", "tensorflow.keras.optimizers.SGD"),
        (
            "from tensorflow import function as compiled\nimport tensorflow as tf",
            "@compiled",
            "tf.optimizers.Adam",
        ),
        (
            "import tensorflow as tf\nfrom tensorflow.keras.optimizers import Adam as A",
            "@tf.function(jit_compile=True)",
            "A",
        ),
        (
            "import tensorflow as tf\nfrom tensorflow.keras import optimizers",
            "@tf.function(reduce_retracing=True, input_signature=None)",
            "optimizers.RMSprop",
        ),
        ("import tensorflow as tf\nimport keras", "@tf.function", "keras.optimizers.Adam"),
        ("import tensorflow as tf\nimport tf_keras", "@tf.function", "tf_keras.optimizers.Adam"),
        (
            "import tensorflow.compat.v1 as v1\nimport tensorflow as tf",
            "@tf.function",
            "v1.train.AdamOptimizer",
        ),
        ("import tensorflow as tf", "@tf.function", "tf.compat.v1.train.MomentumOptimizer"),
        (
            "import tensorflow as tf\nimport tensorflow_addons as tfa",
            "@tf.function",
            "tfa.optimizers.AdamW",
        ),
        ("import tensorflow as tf", "@tf.function", "tf.keras.optimizers.legacy.Adam"),
        ("import tensorflow as tf", "@tf.function", "tf.keras.optimizers.experimental.AdamW"),
        ("import tensorflow as tf", "@tf.function", "tf.keras.optimizers.get"),
    ],
)
def test_every_import_spelling_is_resolved(imports: str, decorator: str, ctor: str) -> None:
    source = STEP.format(imports=imports, decorator=decorator, ctor=ctor)
    fixed, findings = _fix(source)
    assert len(findings) == 1 and "[fixable]" in findings[0], findings
    assert f"\nopt = {ctor}(0.1)\n\n\n{decorator}\ndef step(x):\n    return opt\n" in fixed


@pytest.mark.parametrize(
    "source",
    [
        # A class of the file's own that happens to be called Adam.
        """
        import tensorflow as tf
        class Adam:
            pass
        @tf.function
        def step():
            opt = Adam()
        """,
        # The TF name imported, then shadowed by a local class: ambiguous, never matched.
        """
        import tensorflow as tf
        from tensorflow.keras.optimizers import Adam
        class Adam:
            pass
        @tf.function
        def step():
            opt = Adam()
        """,
        # PyTorch and optax.
        """
        import torch
        import optax
        import tensorflow as tf
        @tf.function
        def step(params):
            a = torch.optim.Adam(params)
            b = optax.adam(0.1)
        """,
        # Mentioned only in strings and comments.
        """
        import tensorflow as tf
        @tf.function
        def step():
            # tf.keras.optimizers.Adam() would crash here
            return "tf.keras.optimizers.Adam()"
        """,
        # A decorator called `function` that is not TensorFlow's.
        """
        import tensorflow as tf
        from mylib import function
        @function
        def step():
            opt = tf.keras.optimizers.Adam()
        """,
        # Not traced at all.
        """
        import tensorflow as tf
        def build():
            return tf.keras.optimizers.Adam()
        """,
        # The lazy singleton the TensorFlow guide recommends.
        """
        import tensorflow as tf
        opt = None
        @tf.function
        def step():
            global opt
            if opt is None:
                opt = tf.keras.optimizers.Adam()
            return opt
        """,
        # Calls of calls are not resolved as constructors.
        """
        import tensorflow as tf
        @tf.function
        def step(factory):
            opt = factory()(0.1)
        """,
        # A schedule alone is not an optimizer.
        """
        import tensorflow as tf
        @tf.function
        def step():
            return tf.keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.9)
        """,
    ],
)
def test_never_matched(source: str) -> None:
    fixed, findings = _fix(source)
    assert findings == []
    assert fixed == textwrap.dedent(source)


def test_call_form_moves_before_the_def() -> None:
    fixed, findings = _fix(
        """\
        import tensorflow as tf


        def step_fn(x):
            opt = tf.keras.optimizers.Adam()
            return x


        step = tf.function(step_fn, jit_compile=True)
        other = tf.function(reduce_retracing=True)(step_fn)
        """
    )
    assert len(findings) == 1
    assert fixed.startswith(
        "import tensorflow as tf\n\n\nopt = tf.keras.optimizers.Adam()\n\n\ndef step_fn(x):\n"
        "    return x\n"
    )


def test_tf_function_of_a_name_from_another_scope_is_not_followed() -> None:
    source = textwrap.dedent(
        """\
        import tensorflow as tf
        from elsewhere import step_fn
        step = tf.function(step_fn)
        """
    )
    assert _fix(source) == (source, [])


def test_refusal_names_the_blocking_variable() -> None:
    _, findings = _fix(
        """\
        import tensorflow as tf
        @tf.function
        def step(x, lr):
            scale = 2.0
            a = tf.keras.optimizers.Adam(lr)
            b = tf.keras.optimizers.SGD(scale * 0.1)
        """
    )
    assert "not moved: its arguments read `lr`, a parameter of `step`" in findings[0]
    assert "not moved: its arguments read `scale`, a local variable of `step`" in findings[1]
    assert all("[not fixable]" in finding for finding in findings)


def test_unknown_name_blocks_the_move() -> None:
    _, findings = _fix(
        """\
        import tensorflow as tf
        @tf.function
        def step():
            opt = tf.keras.optimizers.Adam(undefined_rate)
        """
    )
    assert "`undefined_rate` is not defined in this file" in findings[0]


def test_strategy_scope_inside_the_traced_body_is_refused() -> None:
    _, findings = _fix(
        """\
        import tensorflow as tf
        strategy = tf.distribute.MirroredStrategy()
        @tf.function
        def step():
            with strategy.scope():
                opt = tf.keras.optimizers.Adam()
        """
    )
    assert "under `strategy.scope()`" in findings[0] and "[not fixable]" in findings[0]


def test_tf_function_method_moves_onto_the_instance() -> None:
    fixed, findings = _fix(
        """\
        import tensorflow as tf
        class Trainer(tf.Module):
            def __init__(self, lr):
                super().__init__()
                self.lr = lr
                self.w = tf.Variable(1.0)

            @tf.function
            def step(self):
                opt = tf.keras.optimizers.Adam(self.lr)
                return opt
        """
    )
    assert "[fixable]" in findings[0] and "as `self.opt`" in findings[0]
    assert "        self.lr = lr\n        self.opt = tf.keras.optimizers.Adam(self.lr)\n" in fixed
    assert "        return self.opt\n" in fixed


def test_each_traced_function_keeps_its_own_optimizer() -> None:
    fixed, findings = _fix(
        """\
        import tensorflow as tf


        @tf.function
        def gen_step():
            optimizer = tf.keras.optimizers.Adam()
            return optimizer


        @tf.function
        def disc_step():
            optimizer = tf.keras.optimizers.Adam()
            return optimizer
        """
    )
    assert "\noptimizer = tf.keras.optimizers.Adam()\n" in fixed
    assert "\ndisc_step_optimizer = tf.keras.optimizers.Adam()\n" in fixed
    assert "    return disc_step_optimizer\n" in fixed
    assert len(findings) == 2


def test_str_in_str_out_and_bytes_in_bytes_out() -> None:
    source = "import tensorflow as tf\n@tf.function\ndef f():\n    o = tf.keras.optimizers.Adam()\n"
    assert isinstance(fix_source(source).fixed, str)
    assert isinstance(fix_source(source.encode()).fixed, bytes)
    assert fix_source(source.encode()).fixed == fix_source(source).fixed.encode()


@pytest.mark.parametrize(
    ("prefix", "newline", "encoding"),
    [
        (b"\xef\xbb\xbf", b"\n", "utf-8"),
        (b"", b"\r\n", "utf-8"),
        (b"# -*- coding: latin-1 -*-\n", b"\n", "latin-1"),
    ],
)
def test_bytes_encoding_bom_and_newlines_survive(
    prefix: bytes, newline: bytes, encoding: str
) -> None:
    lines = [
        "import tensorflow as tf",
        "NAME = 'caf\xe9'",
        "@tf.function",
        "def f():",
        "    o = tf.keras.optimizers.Adam()",
    ]
    source = prefix + newline.join(line.encode(encoding) for line in lines) + newline
    result = fix_source(source, "t.py")
    assert result.fixed.startswith(prefix + lines[0].encode() + newline)
    assert "caf\xe9".encode(encoding) in result.fixed
    assert result.fixed.count(newline) == result.fixed.count(b"\n")
    assert b"o = tf.keras.optimizers.Adam()" + newline + newline + newline + b"@tf" in result.fixed


@pytest.mark.parametrize(
    ("source", "needle"),
    [
        (b"def f(:\n    pass\n", "TFO900 syntax error"),
        (b"x = '\xff\xfe'\n", "TFO900"),
        (b"# -*- coding: no-such-codec -*-\nx = 1\n", "TFO900"),
        ("x = (\n", "TFO900"),
    ],
)
def test_bad_input_is_a_finding_not_an_exception(source: bytes | str, needle: str) -> None:
    result = fix_source(source, "bad.py")
    assert result.fixed == source
    assert len(result.errors) == 1
    assert needle in result.errors[0].render()
    assert result.errors[0].render().startswith("bad.py:")


def test_applicability_and_rendering() -> None:
    result = fix_source(
        "import tensorflow as tf\n@tf.function\ndef f(x):\n    o = tf.keras.optimizers.Adam(x)\n",
        "t.py",
    )
    (diagnostic,) = result.diagnostics
    assert diagnostic.applicability is Applicability.NONE
    assert (diagnostic.line, diagnostic.column) == (4, 9)
    assert diagnostic.render().startswith("t.py:4:9: TFO001 [not fixable] ")


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("tensorflow.keras.optimizers.Adam", Kind.OPTIMIZER),
        ("tensorflow.keras.optimizers.legacy.SGD", Kind.OPTIMIZER),
        ("tensorflow.keras.optimizers.get", Kind.OPTIMIZER),
        ("keras.optimizers.AdamW", Kind.OPTIMIZER),
        ("tensorflow.compat.v1.train.MomentumOptimizer", Kind.OPTIMIZER),
        ("tensorflow.compat.v1.train.GradientDescentOptimizer", None),  # creates no variables
        ("tensorflow_addons.optimizers.CyclicalLearningRate", Kind.SCHEDULE),
        ("tensorflow.keras.mixed_precision.LossScaleOptimizer", Kind.WRAPPER),
        ("tensorflow.keras.optimizers.schedules.PiecewiseConstantDecay", Kind.SCHEDULE),
        ("tensorflow.keras.optimizers.Optimizer", None),
        ("tensorflow.keras.optimizers.serialize", None),
        ("tensorflow.keras.optimizers.Adam.from_config", Kind.OPTIMIZER),
        ("tensorflow.keras.mixed_precision.LossScaleOptimizer.from_config", Kind.WRAPPER),
        ("tensorflow.keras.optimizers.get.from_config", None),
        ("tensorflow.keras.layers.Dense.from_config", None),
        ("tensorflow.keras.optimizers.Adam.get_config", None),
        ("tensorflow.compat.v1.train.Saver", None),
        ("torch.optim.Adam", None),
        ("Adam", None),
    ],
)
def test_constructor_table(name: str, kind: Kind | None) -> None:
    assert constructor_kind({name}) is kind


def test_tracing_decorator_needs_every_resolution_to_agree() -> None:
    assert is_tracing_decorator({"tensorflow.function"})
    assert not is_tracing_decorator({"tensorflow.function", "mylib.function"})
    assert not is_tracing_decorator(set())


def test_project_names_from_configuration() -> None:
    source = textwrap.dedent(
        """\
        from mylib.optim import Fancy
        from mylib.compile import trace


        @trace
        def step():
            opt = Fancy()
        """
    )
    assert fix_source(source).diagnostics == ()
    table = NameTable(
        extra_optimizers=frozenset({"mylib.optim.*"}),
        extra_tracers=frozenset({"mylib.compile.trace"}),
    )
    result = fix_source(source, "t.py", names=table)
    assert [d.code for d in result.fixable] == ["TFO001"]
    assert "\nopt = Fancy()\n\n\n@trace\n" in result.fixed


# Regressions found by review: each of these once produced a broken program.


def test_inline_name_is_not_captured_by_a_parameter_of_the_step() -> None:
    source = """\
        import tensorflow as tf
        @tf.function
        def train_step(grads, variables, optimizer="sgd"):
            tf.keras.optimizers.SGD(0.1).apply_gradients(zip(grads, variables))
            return optimizer
        """
    # The step trains its parameter ``variables``: one optimizer would serve every caller's
    # variables, so the fix is unsafe (applied on request).
    result = fix_source(textwrap.dedent(source), "t.py", unsafe_fixes=True)
    (finding,) = [d.render() for d in result.diagnostics]
    assert "as `train_step_optimizer`" in finding
    assert "it trains `variables`, a parameter of `train_step`" in finding
    assert "    train_step_optimizer.apply_gradients(zip(grads, variables))\n" in result.fixed


def test_a_name_deleted_in_the_step_blocks_the_move() -> None:
    _, findings = _fix(
        """\
        import tensorflow as tf
        @tf.function
        def step():
            opt = tf.keras.optimizers.SGD(0.1)
            opt.apply_gradients([])
            del opt
        """
    )
    assert "not moved: `opt` is deleted with `del` in `step`" in findings[0]


def test_a_lazy_local_is_not_a_singleton() -> None:
    _, findings = _fix(
        """\
        import tensorflow as tf
        @tf.function
        def step(x, opt=None):
            if opt is None:
                opt = tf.keras.optimizers.Adam(0.01)
            return opt
        """
    )
    assert len(findings) == 1 and "TFO001" in findings[0]


def test_default_values_and_decorator_arguments_are_not_traced() -> None:
    source = textwrap.dedent(
        """\
        import tensorflow as tf
        @tf.function(input_signature=None)
        def step(x, opt=tf.keras.optimizers.Adam(0.01)):
            return opt
        """
    )
    assert _fix(source) == (source, [])


def test_a_read_before_the_build_blocks_the_move() -> None:
    _, findings = _fix(
        """\
        import tensorflow as tf
        optimizer = tf.keras.optimizers.Adam()
        @tf.function
        def step(grads):
            print(optimizer)
            optimizer = tf.keras.optimizers.SGD()
            optimizer.apply_gradients(grads)
        """
    )
    assert "`optimizer` is read on line 5 of `step` before it is built" in findings[0]


def test_star_import_of_an_optimizer_namespace() -> None:
    fixed, findings = _fix(
        """\
        import tensorflow as tf
        from tensorflow.keras.optimizers import *
        @tf.function
        def step():
            opt = Adam(0.1)
        """
    )
    assert len(findings) == 1 and "optimizer `Adam`" in findings[0]
    assert "\nopt = Adam(0.1)\n" in fixed
    source = textwrap.dedent(
        """\
        import tensorflow as tf
        from tensorflow.keras.optimizers import *
        from mylib import Adam
        @tf.function
        def step():
            opt = Adam(0.1)
        """
    )
    assert _fix(source) == (source, [])


def test_cr_only_line_endings_are_an_error_not_a_rewrite() -> None:
    source = (
        b"import tensorflow as tf\r@tf.function\rdef f():\r    o = tf.keras.optimizers.Adam()\r"
    )
    result = fix_source(source, "mac.py")
    assert result.fixed == source
    assert [d.code for d in result.errors] == ["TFO900"]


# --------------------------------------------------------------------------- scopes


def _scope_signature(scopes: Mapping[object, object]) -> tuple[object, ...]:
    """Every node's scope, and every scope's assignments and accesses, by node identity."""
    from libcst.metadata import Scope

    def node_id(item: object) -> object:
        """A scope or an assignment by its node; the global scope and builtins by kind."""
        node = getattr(item, "node", None)
        return id(node) if node is not None else (type(item).__name__, getattr(item, "name", ""))

    per_node = sorted(
        (id(node), type(scope).__name__, node_id(scope)) for node, scope in scopes.items()
    )
    details = []
    for scope in {s for s in scopes.values() if isinstance(s, Scope)}:
        assignments = sorted((a.name, node_id(a)) for a in scope.assignments)
        accesses = sorted(
            (id(a.node), tuple(sorted(node_id(r) for r in a.referents))) for a in scope.accesses
        )
        details.append((type(scope).__name__, node_id(scope), assignments, accesses))
    return tuple(per_node), tuple(sorted(details, key=repr))


@pytest.mark.parametrize(
    "case", sorted(p.name for p in (ROOT / "fixtures").iterdir() if (p / "input.py").is_file())
)
def test_metadata_is_libcsts(case: str) -> None:
    """``fixer.analysis.metadata`` drives LibCST's own visitors without the batched passes: the
    same scopes, assignments, accesses and positions as ``MetadataWrapper.resolve`` gives."""
    import libcst as cst
    from libcst.metadata import PositionProvider, ScopeProvider

    from fixer.analysis.metadata import positions_of, scopes_of

    module = cst.parse_module((ROOT / "fixtures" / case / "input.py").read_bytes())
    wrapper = cst.MetadataWrapper(module, unsafe_skip_copy=True)
    ours = scopes_of(module)
    theirs = wrapper.resolve(ScopeProvider)
    assert set(ours) == set(theirs)
    assert _scope_signature(ours) == _scope_signature(theirs)
    assert dict(positions_of(wrapper)) == dict(wrapper.resolve(PositionProvider))
