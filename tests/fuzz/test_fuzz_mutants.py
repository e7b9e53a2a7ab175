"""A mutation fuzzer over the fixture inputs.

Each example takes a fixture's ``input.py`` and applies a few meaning-preserving mutations
(``mutators.py``: import aliases renamed, ``tf.function`` respelled, functions nested in a
factory or moved into a class, statements wrapped in ``if``/``with``/``try``, tabs or other
indentation, comments and blank lines, unrelated code). On the mutant, fixer must not crash or
fail inside (TFO901); its output must compile and be stable under a second run; when it reports
the file fixed (it changed the file and every finding left has an applied fix), no optimizer
construction may remain inside a traced body, judged by ``oracle.py`` (plain ``ast``, none of
fixer's analysis); and the fixed program must still bind every module-level and class-level
name the mutant bound.

The CI profile runs a bounded, derandomized set of examples (the whole of ``tests/fuzz``: about
a minute of CPU, half that in wall time with ``-n 2``). A long campaign, random, about 15,000
examples over the four fuzz tests (roughly 40 minutes of CPU)::

    FIXER_FUZZ=long python -m pytest tests/fuzz -n 2 -p no:cacheprovider \\
        --hypothesis-show-statistics

``FIXER_FUZZ_EXAMPLES=N`` sets the number of examples of each test instead.
"""

from __future__ import annotations

import warnings

import pytest
from ground import CASES, FIXTURES, text
from hypothesis import given, note, settings
from hypothesis import strategies as st
from mutators import MUTATORS, mutate
from oracle import Construction, defined_names, traced_constructions
from profiles import examples

from fixer import Applicability, FixResult, fix_source
from fixer.rules import INTERNAL_ERROR, SYNTAX_ERROR

STEPS = st.lists(
    st.tuples(st.sampled_from(sorted(MUTATORS)), st.integers(0, 2**16)), min_size=1, max_size=4
)


def _compile(source: str | bytes) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compile(source, "<mutant>", "exec", dont_inherit=True)


def _reported_fixed(result: FixResult[bytes]) -> bool:
    """fixer changed the file and left no finding without an applied (safe) fix."""
    return result.changed and all(d.applicability is Applicability.SAFE for d in result.diagnostics)


def check_mutant(source: str, *, unsafe: bool) -> None:
    """Every property of fixer's output on one (compiling) program."""
    _compile(source)
    result = fix_source(source, "mutant.py", unsafe_fixes=unsafe)
    errors = [
        d.render() for d in result.diagnostics if d.code in (INTERNAL_ERROR.code, SYNTAX_ERROR.code)
    ]
    assert not errors, errors
    if not result.changed:
        return
    note(f"fixed:\n{result.fixed}")
    _compile(result.fixed)
    again = fix_source(result.fixed, "mutant.py", unsafe_fixes=unsafe)
    assert again.fixed == result.fixed, "a second run changed the output"
    lost = defined_names(source) - defined_names(result.fixed)
    assert not lost, f"the fixed program no longer binds {sorted(lost)}"
    applied = {Applicability.SAFE, Applicability.UNSAFE} if unsafe else {Applicability.SAFE}
    if all(d.applicability in applied for d in result.diagnostics):
        left = traced_constructions(result.fixed)
        assert not left, f"reported fixed, but optimizers are still built while tracing: {left}"


@settings(max_examples=examples(ci=120, long=10000))
@given(case=st.sampled_from(CASES), steps=STEPS, unsafe=st.booleans())
def test_meaning_preserving_mutants_of_the_fixtures(
    case: str, steps: list[tuple[str, int]], unsafe: bool
) -> None:
    source = mutate(text(case), steps)
    note(f"mutant of {case} by {steps}:\n{source}")
    check_mutant(source, unsafe=unsafe)


@pytest.mark.parametrize("name", sorted(MUTATORS))
def test_every_mutator_changes_a_fixture_and_keeps_it_compiling(name: str) -> None:
    """No mutator is a silent no-op on the fixtures it is meant for."""
    source = text("hoist_adam_in_train_step")
    changed = 0
    for seed in range(8):
        mutant = mutate(source, [(name, seed)])
        _compile(mutant)
        changed += mutant != source
    assert changed >= 4


def test_the_oracle_sees_what_fixer_fixes() -> None:
    """On every fixture fixer fixes completely, the oracle finds a construction in a traced
    body of the input (or the case is a loop case, TFO002) and none in the expected output;
    every fixture's expected output binds the names its input bound."""
    seen = 0
    for case in CASES:
        source = (FIXTURES / case / "input.py").read_bytes()
        expected = (FIXTURES / case / "expected.py").read_bytes()
        assert defined_names(source) <= defined_names(expected), case
        result = fix_source(source, "input.py")
        if _reported_fixed(result):
            assert traced_constructions(expected) == [], case
            seen += bool(traced_constructions(source))
        if case.startswith("keep_"):
            assert traced_constructions(source) == [] or "suppressed" in case, case
    assert seen >= 60


def test_the_oracle_can_fail() -> None:
    """The judge flags an optimizer left in a traced body (the check above is not vacuous)."""
    source = (
        "import tensorflow as tf\n@tf.function\ndef f():\n    return tf.keras.optimizers.Adam()\n"
    )
    assert traced_constructions(source) == [Construction(4, "f")]


# Mutants the fuzzer found fixer failing on, kept as regression tests (the fix is named).
REGRESSIONS = {
    # A traced method under `try` in a class without `__init__`: TFO901 (an assertion in
    # fixer/moves/instance.py looked for a method directly in the class body). Now reported.
    "method_under_try_in_a_class": (
        "import tensorflow as tf\n"
        "\n"
        "\n"
        "class FzHolder776:\n"
        "    try:\n"
        "        @tf.function\n"
        "        def train_step(self, x):\n"
        "            optimizer = tf.keras.optimizers.Adam(learning_rate=0.001)\n"
        "            return optimizer\n"
        "    finally:\n"
        "        pass\n"
        "train_step = FzHolder776().train_step\n"
    ),
}


@pytest.mark.parametrize("name", sorted(REGRESSIONS))
@pytest.mark.parametrize("unsafe", [False, True])
def test_mutants_the_fuzzer_found(name: str, unsafe: bool) -> None:
    check_mutant(REGRESSIONS[name], unsafe=unsafe)
