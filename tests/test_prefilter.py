"""The pre-filter: sound (the whole pipeline finds the same with it on and off) and selective."""

from __future__ import annotations

import dataclasses
import re
import textwrap
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from fixer import names, prefilter
from fixer.files import SourceFile
from fixer.names import Kind, NameTable
from fixer.prefilter import Prefilter, Verdict, anchor_namespaces, text_imports
from fixer.runner import FileOutcome, RunSettings, default_jobs, process, run

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
CONFIGURED = NameTable(
    extra_optimizers=frozenset({"mylab.optim.Lion", "mylab.fancy.*"}),
    extra_tracers=frozenset({"mylab.compile.traced"}),
)

# --------------------------------------------------------------------------- the corpus


def _newline(source: bytes) -> bytes:
    return b"\r\n" if b"\r\n" in source else b"\n"


def _code_lines(source: bytes, pattern: bytes, replacement: bytes) -> bytes:
    """Replace ``pattern`` on lines that hold no comment or string before it."""
    lines = source.splitlines(keepends=True)
    out = []
    for line in lines:
        position = line.find(pattern)
        if position != -1 and not re.search(rb"[#'\"]", line[:position]):
            line = line.replace(pattern, replacement)
        out.append(line)
    return b"".join(out)


def _after_tf_import(source: bytes, added: bytes) -> bytes:
    nl = _newline(source)
    line = b"import tensorflow as tf" + nl
    return source.replace(line, line + added.replace(b"\n", nl), 1)


def aliased(source: bytes) -> bytes:
    """``tf`` renamed, the optimizers module imported in a parenthesised, commented list."""
    source = re.sub(rb"\btf\.", b"tf_renamed.", source)
    source = source.replace(b"import tensorflow as tf\n", b"import tensorflow as tf_renamed\n")
    source = source.replace(b"import tensorflow as tf\r\n", b"import tensorflow as tf_renamed\r\n")
    nl = _newline(source)
    added = b"from tensorflow.keras import (  # a comment (with a parenthesis)\n"
    added += b"    optimizers as OPT,\n)\n"
    line = b"import tensorflow as tf_renamed" + nl
    source = source.replace(line, line + added.replace(b"\n", nl), 1)
    return _code_lines(source, b"tf_renamed.keras.optimizers.", b"OPT.")


def spelled(source: bytes) -> bytes:
    """Backslash continuations, a callee spread over lines with a comment, and a doctest."""
    nl = _newline(source)
    source = source.replace(
        b"import tensorflow as tf" + nl, b"import tensorflow \\" + nl + b"    as tf" + nl, 1
    )
    source = _code_lines(
        source, b"tf.keras.optimizers.", b"(tf.keras  # over lines" + nl + b"    .optimizers)."
    )
    doctest = b'\n\ndef _documented():\n    """>>> tf.keras.optimizers.SGD(0.1)"""\n'
    return source + doctest.replace(b"\n", nl)


def local_binding(source: bytes) -> bytes:
    """``keras`` bound by an assignment, not an import: LibCST qualifies it as ``keras...``."""
    source = _after_tf_import(source, b"keras = tf.keras\n")
    return _code_lines(source, b"tf.keras.optimizers.", b"keras.optimizers.")


def scoped(source: bytes) -> bytes:
    """A class and a function named like a namespace root: stage 3 follows every scope."""
    nl = _newline(source)
    tail = b"\n\nclass keras:\n    pass\n\n\ndef tensorflow():\n    return None\n"
    return source + tail.replace(b"\n", nl)


def star(source: bytes) -> bytes:
    """``from tensorflow.keras.optimizers import *`` and bare class names."""
    source = _after_tf_import(source, b"from tensorflow.keras.optimizers import *\n")
    for name in (b"Adam", b"SGD", b"RMSprop"):
        source = _code_lines(source, b"tf.keras.optimizers." + name + b"(", name + b"(")
    return source


def configured(source: bytes) -> bytes:
    """The project's own optimizers (see ``CONFIGURED``) in place of Keras's."""
    source = _after_tf_import(
        source, b"from mylab.optim import Lion\nimport mylab.fancy as fancy_optimizers\n"
    )
    source = _code_lines(source, b"tf.keras.optimizers.Adam(", b"Lion(")
    return _code_lines(source, b"tf.keras.optimizers.SGD(", b"fancy_optimizers.Sgd(")


VARIANTS: dict[str, Callable[[bytes], bytes]] = {
    "aliased": aliased,
    "spelled": spelled,
    "local_binding": local_binding,
    "scoped": scoped,
    "star": star,
    "configured": configured,
}

HANDWRITTEN = {
    "configured_tracer.py": """\
        from mylab.compile import traced
        from mylab.optim import Lion as L


        @traced
        def step(x):
            opt = L(0.1)
            return opt
        """,
    "configured_wildcard.py": """\
        import tensorflow as tf
        import mylab.fancy


        @tf.function
        def step(x):
            opt = mylab.fancy.Whatever(0.1)
            return opt
        """,
    "builtin_parenthesised.py": """\
        import tensorflow as tf
        from tensorflow.keras.optimizers import (  # ) in a comment
            Adam as A,
            SGD,
        )


        @tf.function
        def step(x):
            first = (A)(0.1)
            second = (tf.keras
                      # between the parts
                      .optimizers.RMSprop)(0.1)
            return first, second, SGD
        """,
    "keras_assigned.py": """\
        import tensorflow as tf
        import importlib

        keras = importlib.import_module("keras")


        @tf.function
        def step(x):
            opt = keras.optimizers.Adam(0.1)
            return opt
        """,
    "site_call_form_aliased.py": """\
        from tensorflow import function as compiled
        import tensorflow as tf


        def step(x):
            opt = tf.keras.optimizers.Adam(0.1)
            return opt


        step = compiled(step)
        """,
    "site_strategy_run.py": """\
        import tensorflow as tf

        strategy = tf.distribute.MirroredStrategy()


        def replica_step(x):
            opt = tf.keras.optimizers.SGD(0.1)
            return opt


        @tf.function
        def distributed_step(x):
            return strategy.run(replica_step, args=(x,))
        """,
    "site_helper_chain.py": """\
        import tensorflow as tf


        def make_optimizer():
            return tf.keras.optimizers.Adam(0.1)


        def build():
            return make_optimizer()


        @tf.function
        def step(x):
            opt = build()
            return opt
        """,
    "site_method_called_in_loop.py": """\
        import tensorflow as tf


        class Trainer:
            def __init__(self, model):
                self.model = model

            def step(self, x):
                opt = tf.keras.optimizers.Adam(0.1)
                with tf.GradientTape() as tape:
                    loss = self.model(x)
                grads = tape.gradient(loss, self.model.trainable_variables)
                opt.apply_gradients(zip(grads, self.model.trainable_variables))

            def fit(self, data):
                for x in data:
                    self.step(x)
        """,
    "no_site_main_and_init.py": """\
        import tensorflow as tf
        from absl import app


        class Model(tf.keras.Model):
            def __init__(self):
                super().__init__()
                self.opt = tf.keras.optimizers.Adam(0.1)


        def main(argv):
            model = Model()
            model.compile(optimizer=tf.keras.optimizers.SGD(0.1))
            for _ in range(3):
                model.fit(argv)


        if __name__ == "__main__":
            app.run(main)
        """,
    "strings_only.py": '''\
        """Optimizers: tf.keras.optimizers.Adam(0.1) in a docstring."""
        import tensorflow as tf

        TEXT = "tf.keras.optimizers.Adam(0.1)"
        # tf.keras.optimizers.Adam(0.1)
        ''',
}


def _sources(configured_only: bool = False) -> Iterator[tuple[str, bytes]]:
    cases = sorted(FIXTURES.iterdir())
    if not configured_only:
        for case in cases:
            for file in sorted(case.glob("*.py")):
                yield f"{case.name}/{file.name}", file.read_bytes()
        for folder in ("fixer", "tests", "examples"):
            for file in sorted((ROOT / folder).glob("*.py")):
                yield f"{folder}/{file.name}", file.read_bytes()
    kinds = [kind for kind in VARIANTS if configured_only == (kind == "configured")]
    for index, case in enumerate(cases):
        source = (case / "input.py").read_bytes() if (case / "input.py").is_file() else b""
        # Two rewrites per case, in turn: each rewrite meets some forty different programs.
        for kind in dict.fromkeys([kinds[index % len(kinds)], kinds[(index + 1) % len(kinds)]]):
            changed = VARIANTS[kind](source)
            if source and changed != source:
                yield f"{case.name}/{kind}.py", changed
    for name, text in HANDWRITTEN.items():
        yield name, textwrap.dedent(text).encode()


def _write(folder: Path, sources: Iterator[tuple[str, bytes]]) -> list[Path]:
    paths = []
    for index, (name, data) in enumerate(sources):
        path = folder / f"{index:04d}_{name.replace('/', '__')}"
        path.write_bytes(data)
        paths.append(path)
    return paths


def _findings(outcome: FileOutcome) -> tuple[object, ...]:
    result = outcome.result
    assert result is not None
    return tuple(d for d in result.diagnostics if not d.is_error), result.changed, result.fixed


@pytest.mark.parametrize(
    ("table", "configured_only"),
    [(names.DEFAULT_NAMES, False), (CONFIGURED, True)],
    ids=["builtin-names", "configured-names"],
)
def test_same_findings_with_and_without_the_prefilter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, table: NameTable, configured_only: bool
) -> None:
    """The whole pipeline (``runner.process``) over fixtures, their inputs rewritten with other
    import spellings, hand-written cases and fixer's own code, with the pre-filter on and off."""
    import fixer.engine
    from fixer.engine import FixResult

    paths = _write(tmp_path, _sources(configured_only))
    files = [SourceFile(path, explicit=True) for path in paths]
    off = RunSettings(names=table, prefilter=False)
    without = dict(zip(paths, run(files, off, jobs=default_jobs())))
    # The engine is pure: with the pre-filter on, a file it lets through gets the very same call
    # as in the run without, so that call is answered from the run without (halving the time).
    answers = {}
    for path, outcome in without.items():
        assert outcome.result is not None
        source = path.read_bytes()
        fixed = outcome.result.fixed if outcome.result.changed else source
        answers[source, outcome.shown] = FixResult(
            outcome.shown, source, fixed, outcome.result.diagnostics
        )

    def fix_source(source: bytes, path: str, **options: object) -> object:
        return answers[source, path]

    monkeypatch.setattr(fixer.engine, "fix_source", fix_source)
    on = dataclasses.replace(off, prefilter=True)
    gate = Prefilter(table)
    verdicts: Counter[Verdict] = Counter()
    for path in paths:
        assert _findings(process(path, on)) == _findings(without[path]), path.name
        verdicts[gate.verdict(path.read_bytes())] += 1
    findings = sum(len(_findings(outcome)[0]) for outcome in without.values())
    assert findings > (100 if table is names.DEFAULT_NAMES else 20)
    if table is names.DEFAULT_NAMES:
        assert set(verdicts) == set(Verdict), verdicts  # every stage decided some file


# --------------------------------------------------------------------------- the claims it rests on


def _sample_names() -> Iterator[str]:
    leaves = [
        "Adam",
        "SGD",
        "get",
        "deserialize",
        "AdamOptimizer",
        "Optimizer",
        "LossScaleOptimizer",
    ]
    leaves += ["ExponentialDecay", "CyclicalLearningRate", "serialize", "lower", "Zzz"]
    spaces = {
        *names.OPTIMIZER_NAMESPACES,
        *names.V1_TRAIN_NAMESPACES,
        *names.SCHEDULE_NAMESPACES,
        *(wrapper.rpartition(".")[0] for wrapper in names.WRAPPERS),
        "tensorflow",
        "keras",
        "torch.optim",
    }
    for space in sorted(spaces):
        for leaf in leaves:
            yield f"{space}.{leaf}"
    yield from sorted(names.WRAPPERS)


def test_every_builtin_constructor_name_contains_the_needle_and_a_known_namespace() -> None:
    known = anchor_namespaces(names.DEFAULT_NAMES)
    anchored = [
        name
        for name in _sample_names()
        if names.constructor_kind({name}) in (Kind.OPTIMIZER, Kind.WRAPPER)
    ]
    assert len(anchored) > 100
    for name in anchored:
        assert prefilter.BUILTIN_NEEDLE.decode() in name, name
        assert name.rpartition(".")[0] in known, name


def test_the_name_table_has_not_grown_a_kind_of_name_the_prefilter_ignores() -> None:
    """prefilter.anchor_namespaces reads these; a new table of constructor names must be added
    there (and here) for the pre-filter to stay sound."""
    tables = {
        name
        for name, value in vars(names).items()
        if name.isupper() and isinstance(value, (tuple, frozenset))
    }
    assert tables == {
        "TRACING_DECORATORS",
        "OPTIMIZER_NAMESPACES",
        "OPTIMIZER_FACTORIES",
        # ``<class>.from_config``: the class's name (so its namespace) is part of the callee's.
        "ALTERNATE_CONSTRUCTORS",
        "V1_TRAIN_NAMESPACES",
        "V1_WITHOUT_VARIABLES",
        "WRAPPERS",
        "STAR_IMPORTABLE_OPTIMIZERS",  # the analysis's own resolution of ``import *``
        "SCHEDULE_NAMESPACES",
        "KERAS_STEP_METHODS",
        "KERAS_MODEL_BASES",
        "RESERVED_ATTRIBUTES",
        "HARMLESS_CONTEXTS",
        # Unbound names taken for TensorFlow's: prefilter_assumed reads them.
        "ASSUMED_OPTIMIZER_PREFIXES",
        "ASSUMED_TRACERS",
        "OTHER_FRAMEWORKS",
        # Other things that hold variables: they only refuse a move, never anchor a finding.
        "KERAS_PACKAGES",
        "VARIABLE_CLASSES",
        "CLEAR_SESSION",
    }
    assert {field.name for field in dataclasses.fields(NameTable)} == {
        "extra_optimizers",
        "extra_tracers",
    }


# --------------------------------------------------------------------------- stages, one by one


def _verdict(source: str, table: NameTable = names.DEFAULT_NAMES) -> Verdict:
    return Prefilter(table).verdict(textwrap.dedent(source).encode())


# Past stage 3: a possible constructor call is in the syntax tree (stage 4 then decides whether
# it is where a rule looks).
PAST_STAGE_THREE = (Verdict.NO_SITE, Verdict.PARSE)


def test_no_optimizer_text_is_decided_by_bytes() -> None:
    assert _verdict("import tensorflow as tf\nx = tf.constant(1)\n") is Verdict.NO_NAME


def test_configured_names_bring_their_own_needle() -> None:
    source = "from mylab.optim import Lion\nLion()\n"
    assert _verdict(source) is Verdict.NO_NAME
    assert _verdict(source, CONFIGURED) in PAST_STAGE_THREE


def test_text_only_mentions_stop_at_stage_two() -> None:
    assert _verdict("# tf.keras.optimizers.Adam()\nimport os\n") is Verdict.NO_TEXT_CALL
    source = "from keras.src import optimizers\noptimizers.Adam()\n"  # keras.src: not public
    assert _verdict(source) is Verdict.NO_TEXT_CALL


def test_calls_in_strings_stop_at_stage_three() -> None:
    source = '''\
        import tensorflow as tf

        HELP = """
        opt = tf.keras.optimizers.Adam()
        """
        '''
    assert _verdict(source) is Verdict.NO_CALL


def test_doctest_lines_are_not_code() -> None:
    source = '''\
        import tensorflow as tf

        def f():
            """
            >>> tf.keras.optimizers.Adam()
            """
        '''
    assert _verdict(source) is Verdict.NO_TEXT_CALL


@pytest.mark.parametrize(
    "source",
    [
        "import tensorflow as tf\ntf.keras.optimizers.Adam()\n",
        "import tensorflow \\\n  as tf\ntf.keras.optimizers.Adam()\n",
        "from tensorflow.keras.optimizers import (\n  # c\n  Adam as A,\n)\nA()\n",
        "from tensorflow \\\n  .keras import optimizers\noptimizers.Adam()\n",
        "import tensorflow.keras.optimizers as O\nO.Adam()\n",
        "import tensorflow.keras.optimizers\ntensorflow.keras.optimizers.Adam()\n",
        "from tensorflow import keras\nx = (keras  # c\n  .optimizers).SGD(\n)\n",
        "from tensorflow_addons import optimizers as tfa\ntfa.SWA(x)\n",
        "import tensorflow.compat.v1 as v1\nv1.train.AdamOptimizer()\n",
        "keras = load()\nkeras.optimizers.Adam()\n",
        "for keras in ():\n  keras.optimizers.Adam()\n",
        "class keras:\n  class optimizers:\n    Adam = 1\n  optimizers.Adam()\n",
        "\ufeffimport tensorflow as tf\ntf.keras.optimizers.Adam()\n",
        "# moved from x \\\nimport tensorflow as tf\ntf.optimizers.Adam()\n",
        "import tensorflow as tf\nf'{tf.keras.optimizers.Adam()}'\n",
        "import tensorflow as tf\n@tf.keras.optimizers.Adam()\ndef f(): pass\n",
        "import tensorflow as tf;tf.keras.optimizers.Adam()\n",
        "import tensorflow as tf\rtf.keras.optimizers.Adam()\r",
        "import tensorflow as tf\ndef broken(:\n  tf.keras.optimizers.Adam()\n",
        "from tensorflow.keras.optimizers import *\nAdam()\n",
        "from tensorflow.keras.optimizers import *  # c\nx = [SGD()]\n",
    ],
)
def test_possible_constructors_pass_stage_three(source: str) -> None:
    assert Prefilter(names.DEFAULT_NAMES).verdict(source.encode()) in PAST_STAGE_THREE


def test_encodings_are_read_as_python_reads_them() -> None:
    latin = (
        "# -*- coding: latin-1 -*-\nimport tensorflow as tf\ns = 'é'\ntf.keras.optimizers.Adam()\n"
    )
    assert Prefilter(names.DEFAULT_NAMES).verdict(latin.encode("latin-1")) in PAST_STAGE_THREE
    bad = b"# coding: no-such-codec\nx = 1\n"
    assert Prefilter(names.DEFAULT_NAMES).verdict(bad) is Verdict.PARSE  # LibCST says TFO900


def test_text_imports_reads_every_form() -> None:
    source = textwrap.dedent(
        """\
        import a.b as c, d
        from . import e
        from ..f import (g,  # comment (
            h as i)
        from j \\
            .k import l
        x = 1; import m
        """
    ).encode()
    found = {item for item, _ in text_imports(source)}
    expected = {
        prefilter.ImportedName("", "a.b", "c"),
        prefilter.ImportedName("", "d"),
        prefilter.ImportedName(".", "e"),
        prefilter.ImportedName("..f", "g"),
        prefilter.ImportedName("..f", "h", "i"),
        prefilter.ImportedName("j.k", "l"),
        prefilter.ImportedName("", "m"),
    }
    assert expected <= found


def test_a_syntax_error_in_a_file_that_cannot_hold_a_finding_is_not_reported(
    tmp_path: Path,
) -> None:
    """The documented trade-off: files found in a directory that the pre-filter skips are never
    parsed; a file named on the command line still gets a syntax check."""
    broken = tmp_path / "broken.py"
    broken.write_bytes(b"def broken(:\n    pass\n")
    outcome = process(broken, explicit=False)
    assert outcome.result is not None and not outcome.result.parsed
    assert outcome.result.diagnostics == ()
    named = process(broken, explicit=True)
    assert named.result is not None and named.result.errors
    assert named.result.errors[0].code == "TFO900"
    broken.write_bytes(b"import tensorflow as tf\ndef broken(:\n    tf.keras.optimizers.Adam()\n")
    outcome = process(broken)
    assert outcome.result is not None and outcome.result.errors
    assert outcome.result.errors[0].code == "TFO900"


# --------------------------------------------------------------------------- stage 4: sites

_TF = "import tensorflow as tf\nfrom tensorflow.keras.optimizers import Adam\n"


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("@tf.function\ndef step():\n    Adam()\n", id="decorated"),
        pytest.param(
            "from tensorflow import function as compiled\n@compiled\ndef step():\n    Adam()\n",
            id="decorator-aliased",
        ),
        pytest.param(
            "@tf.function(jit_compile=True)\ndef step():\n    Adam()\n", id="decorator-called"
        ),
        pytest.param("def step():\n    Adam()\nstep = tf.function(step)\n", id="call-form"),
        pytest.param(
            "def step():\n    Adam()\nrun = tf.function(reduce_retracing=True)(step)\n",
            id="call-form-configured",
        ),
        pytest.param(
            "def step():\n    Adam()\n@tf.function\ndef outer():\n    strategy.run(step)\n",
            id="strategy-run",
        ),
        pytest.param(
            "class M(Base):\n    def train_step(self, data):\n        Adam()\n", id="keras-step"
        ),
        pytest.param(
            "def make():\n    return Adam()\ndef middle():\n    return make()\n"
            "@tf.function\ndef step():\n    middle()\n",
            id="helper-chain",
        ),
        pytest.param("for _ in range(3):\n    Adam()\n", id="for"),
        pytest.param("while True:\n    Adam()\n", id="while"),
        pytest.param(
            "async def main():\n    async for _ in source():\n        Adam()\n", id="async-for"
        ),
        pytest.param(
            "def step(model):\n    opt = Adam()\n    opt.minimize(loss, model.weights)\n"
            "for _ in range(3):\n    step(model)\n",
            id="called-in-loop-with-update",
        ),
        pytest.param(
            "class T:\n    def step(self):\n        opt = Adam()\n        opt.apply(g, v)\n"
            "    def fit(self):\n        while True:\n            self.step()\n",
            id="method-called-in-loop",
        ),
        pytest.param(
            "def step():\n    Adam()\nstep = tf.function(\uff53\uff54\uff45\uff50)\n",
            id="nfkc-spelling",
        ),
        pytest.param(
            "@tf.function\ndef step():\n    def inner():\n        return Adam()\n    inner()\n",
            id="nested-def",
        ),
        pytest.param(
            "@tf.function\ndef step(name):\n    getattr(tf.keras.optimizers, name)(0.1)\n",
            id="getattr",
        ),
        pytest.param(
            "from tensorflow.keras import optimizers as O\n@tf.function\ndef step(n):\n"
            "    getattr(  # which one\n        (O), n)()\n",
            id="getattr-spelled",
        ),
        pytest.param(
            "@tf.function\ndef step():\n    tf.keras.optimizers.SGD.from_config({})\n",
            id="from-config",
        ),
        pytest.param(
            "make = lambda: tf.keras.optimizers.Adam()\n@tf.function\ndef step():\n    make()\n",
            id="lambda",
        ),
        pytest.param(
            "import functools as ft\nmake = ft.partial(tf.keras.optimizers.Adam, 0.1)\n"
            "@tf.function\ndef step():\n    make()\n",
            id="partial-of-a-class",
        ),
        pytest.param(
            "from functools import partial as bind\nmake = bind(  # the class\n"
            "    tf.keras.optimizers  .  Adam)\n@tf.function\ndef step():\n    make()\n",
            id="partial-aliased-and-spread",
        ),
        pytest.param(
            "def build():\n    return tf.keras.optimizers.Adam()\n"
            "apply = lambda: build()\n@tf.function\ndef step():\n    apply()\n",
            id="lambda-calling-a-builder",
        ),
    ],
)
def test_possible_sites_are_parsed(source: str) -> None:
    assert Prefilter(names.DEFAULT_NAMES).verdict((_TF + source).encode()) is Verdict.PARSE


def test_getattr_of_another_namespace_is_not_a_candidate() -> None:
    source = "import tensorflow as tf\n@tf.function\ndef step(n):\n"
    source += "    getattr(tf.keras.layers, n)()\n    x = 'tf.keras.optimizers'\n"
    assert _verdict(source) is Verdict.NO_TEXT_CALL
    in_a_string = source + "HELP = 'getattr(tf.keras.optimizers, n)()'\n"
    assert _verdict(in_a_string) is Verdict.NO_CALL


def test_configured_tracers_make_sites() -> None:
    source = "from mylab.compile import traced\nfrom mylab.optim import Lion\n"
    source += "def step():\n    Lion()\nstep = traced(step)\n"
    assert _verdict(source, CONFIGURED) is Verdict.PARSE


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("opt = Adam()\n", id="module-level"),
        pytest.param(
            "from absl import app\ndef main(argv):\n    model.compile(optimizer=Adam())\n"
            "if __name__ == '__main__':\n    app.run(main)\n",
            id="absl-main",
        ),
        pytest.param(
            "class M(tf.keras.Model):\n    def __init__(self):\n        super().__init__()\n"
            "        self.opt = Adam()\n    def call(self, x):\n        return x\n",
            id="init",
        ),
        pytest.param(
            "def build():\n    return Adam()\nfor _ in range(3):\n    build()\n",
            id="called-in-loop-without-update",
        ),
        pytest.param(
            "class M:\n    @property\n    def opt(self):\n        return Adam()\n", id="property"
        ),
        pytest.param("def train_step():\n    Adam()\n", id="step-name-outside-a-class"),
        pytest.param(
            "def make():\n    return Adam()\n@tf.function\ndef step(make):\n    pass\n",
            id="name-shadowed-in-traced-signature-only",
        ),
    ],
)
def test_constructors_where_no_rule_looks_stop_at_stage_four(source: str) -> None:
    assert Prefilter(names.DEFAULT_NAMES).verdict((_TF + source).encode()) is Verdict.NO_SITE


# --------------------------------------------------------------------------- the side door


@pytest.mark.parametrize(
    "source",
    [
        "@tf.function\ndef step():\n    opt = Adam(1e-3)\n",
        "@tf.function\ndef step():\n    opt = optimizers.SGD(0.1)\n",
        "import tensorflow as tf\n@tf.function\ndef step():\n    opt = (Adam)(1e-3)\n",
        "def f():\n    from tensorflow.keras.optimizers import Adam\n"
        "@tf.function\ndef step():\n    opt = Adam \\\n (1e-3)\n",
        "@tf.function\ndef step():\n    opt = tf.keras.optimizers.Nadam(\n 1e-3)\n",
    ],
)
def test_an_unimported_optimizer_name_is_parsed(source: str) -> None:
    assert _verdict(source) is Verdict.PARSE


@pytest.mark.parametrize(
    "source",
    [
        "import torch\nfrom torch.optim import Adam\nopt = Adam(params)\n",
        "try:\n    from torch.optim import SGD\nexcept ImportError:\n    SGD = None\nSGD(p)\n",
        "x = 'Adam(1)'\n",
        "# Adam(1)\nprint(1)\n",
        "opt = MyAdam(1)\nAdams(2)\n",
        "opt = tf.Adam.x(1)\n",
    ],
)
def test_an_imported_or_unspelled_name_stays_out(source: str) -> None:
    assert _verdict(source) is not Verdict.PARSE


# --------------------------------------------------------------------------- other modules

HELPER_MODULE = """\
import tensorflow as tf


def make_opt(lr):
    return tf.keras.optimizers.Adam(lr)
"""

# Files without a constructor name of their own (stage 1 rules each out): each may hold a
# finding only at a call of ``project/optim.py``'s builder.
CALLERS = {
    "traced.py": """\
        import tensorflow as tf
        from project.optim import make_opt

        @tf.function
        def step(w):
            opt = make_opt(0.1)
            return w
        """,
    "traced_through_local_def.py": """\
        import tensorflow as tf
        import project.optim as po

        def build():
            return po.make_opt(0.1)

        @tf.function
        def step(w):
            return build()
        """,
    "keras_step_method.py": """\
        import tensorflow as tf
        from .project import optim

        class Model(tf.keras.Model):
            def train_step(self, data):
                opt = optim.make_opt(0.1)
                return {}
        """,
    "called_in_main_only.py": """\
        import tensorflow as tf
        from project.optim import make_opt

        @tf.function
        def step(w):
            return w

        def main():
            opt = make_opt(0.1)
        """,
    "no_traced_function.py": """\
        from project.optim import make_opt

        def main():
            return make_opt(0.1)
        """,
    "builder_not_imported.py": """\
        import tensorflow as tf

        def make_opt(lr):
            return lr

        @tf.function
        def step(w):
            return make_opt(w)
        """,
}


def test_calls_of_other_modules_builders_pass_the_prefilter(tmp_path: Path) -> None:
    """Stage 1 rules these files out; :meth:`Prefilter.may_call` lets through exactly those
    where a call of an imported builder may be in a traced function, and the run with the
    pre-filter finds what the run without it finds."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "__init__.py").write_text("")
    (tmp_path / "project" / "optim.py").write_text(HELPER_MODULE)
    gate = Prefilter(names.DEFAULT_NAMES)
    on, off = RunSettings(), RunSettings(prefilter=False)
    parsed = set()
    for name, text in CALLERS.items():
        path = tmp_path / name
        path.write_text(textwrap.dedent(text))
        assert gate.verdict(path.read_bytes()) is Verdict.NO_NAME, name
        with_gate, without = process(path, on), process(path, off)
        assert _findings(with_gate) == _findings(without), name
        assert with_gate.result is not None
        if with_gate.result.parsed:
            parsed.add(name)
        codes = {d.code for d in _findings(without)[0]}  # type: ignore[attr-defined]
        assert codes == ({"TFO004"} if name in FOUND else set()), name
    assert parsed == FOUND  # the others are ruled out without LibCST


FOUND = {"traced.py", "traced_through_local_def.py", "keras_step_method.py"}


def test_an_unimported_tracer_over_an_imported_optimizer_is_parsed() -> None:
    """``tf`` never imported, ``Adam`` imported: the analysis assumes the tracer, so stage 4,
    which counts only tracers that resolve, must not rule the file out."""
    source = """\
        from tensorflow.keras.optimizers import Adam

        @tf.function
        def step():
            opt = Adam(1e-3)
        """
    assert _verdict(source) is Verdict.PARSE
    imported = "import tensorflow as tf\n" + textwrap.dedent(source)
    assert _verdict(imported) is Verdict.PARSE  # resolves: stage 4 finds the traced def
    decorated_elsewhere = """\
        import tensorflow as tf
        from tensorflow.keras.optimizers import Adam

        def main():
            opt = Adam(1e-3)
        """
    assert _verdict(decorated_elsewhere) is Verdict.NO_SITE
