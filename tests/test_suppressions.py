"""Suppression comments, rule selection and fixes as text edits, at the engine's level."""

from __future__ import annotations

import random
import textwrap

import pytest

from fixer import fix_source
from fixer.edits import apply_edits, text_edits
from fixer.findings import Applicability, TextEdit
from fixer.rulesets import Layer, RulePolicy, RuleSet, SelectorError, expand

STEP = """\
import tensorflow as tf


@tf.function
def step(x):
    opt = tf.keras.optimizers.Adam(0.1){comment}
    return opt
"""


def _step(comment: str) -> str:
    return STEP.format(comment=comment)


@pytest.mark.parametrize(
    "comment",
    [
        "  # fixer: ignore[TFO001]",
        "  # fixer: ignore",
        "  # Fixer:ignore[tfo001]",
        "  # noqa: TFO001",
        "  # noqa:E501,TFO001",
        "  # noqa: E501 TFO001",
        "  # noqa",
        "  # type: ignore  # fixer: ignore[TFO003,TFO001]",
    ],
)
def test_a_comment_on_the_line_suppresses(comment: str) -> None:
    result = fix_source(_step(comment))
    assert result.diagnostics == ()
    assert [d.code for d in result.suppressed] == ["TFO001"]
    assert result.suppressed[0].suppressed_by is not None
    assert not result.changed  # a suppressed finding is not fixed either


@pytest.mark.parametrize(
    "comment",
    [
        "  # fixer: ignore[TFO003]",  # another code
        "  # noqa: E501",  # another tool's code only
        "  # fixer: ignored",  # not the directive
        "  # nofixer: ignore",
    ],
)
def test_a_comment_that_does_not_apply_leaves_the_finding(comment: str) -> None:
    result = fix_source(_step(comment))
    assert [d.code for d in result.diagnostics] == ["TFO001"]
    assert result.suppressed == ()
    assert result.changed


def test_a_directive_inside_a_string_is_not_a_comment() -> None:
    source = _step("").replace("return opt", 'return opt, "# noqa"')
    assert [d.code for d in fix_source(source).diagnostics] == ["TFO001"]


def test_a_suppressed_finding_does_not_change_another_fix() -> None:
    source = textwrap.dedent(
        """\
        import tensorflow as tf


        @tf.function
        def a(x):
            opt = tf.keras.optimizers.Adam(0.1)  # fixer: ignore
            return opt


        @tf.function
        def b(x):
            opt = tf.keras.optimizers.SGD(0.1)
            return opt
        """
    )
    result = fix_source(source)
    assert [d.code for d in result.diagnostics] == ["TFO001"]
    # Without the suppressed one competing for it, b's optimizer keeps its own name.
    assert "\nopt = tf.keras.optimizers.SGD(0.1)\n" in result.fixed
    assert "b_opt" not in result.fixed


def test_unused_suppressions_are_reported_only_on_request_and_fixed() -> None:
    source = _step("  # noqa: TFO003, E501")
    quiet = fix_source(source)
    assert [d.code for d in quiet.diagnostics] == ["TFO001"]
    asked = fix_source(source, rules=RuleSet(report_unused_ignores=True))
    codes = [(d.code, d.applicability) for d in asked.diagnostics]
    assert codes == [("TFO001", Applicability.SAFE), ("TFO100", Applicability.SAFE)]
    unused = asked.diagnostics[1]
    assert (unused.line, unused.column) == (6, 42)
    assert "remove TFO003 from it" in unused.message
    assert "opt = tf.keras.optimizers.Adam(0.1)  # noqa: E501\n" in asked.fixed


def test_two_unused_directives_in_one_comment() -> None:
    source = "x = 1  # fixer: ignore[TFO001]  # noqa: TFO005\n"
    result = fix_source(source, rules=RuleSet(report_unused_ignores=True))
    assert [d.code for d in result.diagnostics] == ["TFO100", "TFO100"]
    assert result.fixed == "x = 1\n"


def test_selection_layers_and_prefixes() -> None:
    assert expand("tfo00") == {"TFO001", "TFO002", "TFO003", "TFO004", "TFO005"}
    assert expand("ALL") >= {"TFO001", "TFO100"}
    with pytest.raises(SelectorError, match="unknown code or prefix `TFO7`"):
        expand("TFO7")
    with pytest.raises(SelectorError, match="always on"):
        expand("TFO9")
    policy = RulePolicy(
        layers=(Layer(select=("TFO00",), ignore=("TFO003",)), Layer(ignore=("TFO1",)))
    )
    rules = policy.for_file("a.py")
    assert rules.enabled == {"TFO001", "TFO002", "TFO004", "TFO005"}
    assert rules.is_enabled("TFO900")  # errors are always on
    assert not fix_source(_step(""), rules=RuleSet(enabled=frozenset({"TFO003"}))).diagnostics


def test_extend_unsafe_fixes_holds_a_safe_fix_back() -> None:
    rules = RuleSet(unsafe=frozenset({"TFO001"}))
    result = fix_source(_step(""), rules=rules)
    assert [d.applicability for d in result.diagnostics] == [Applicability.UNSAFE]
    assert not result.changed
    assert fix_source(_step(""), rules=rules, unsafe_fixes=True).changed


def test_a_helper_and_its_traced_call_share_one_fix() -> None:
    source = textwrap.dedent(
        """\
        import tensorflow as tf


        def make():
            return tf.keras.optimizers.Adam(0.1)


        @tf.function
        def step(x):
            opt = make()
            return opt
        """
    )
    result = fix_source(source, with_edits=True)
    fixes = {d.fix.id for d in result.diagnostics if d.fix is not None}
    assert [d.code for d in result.diagnostics] == ["TFO004", "TFO004"]
    assert len(fixes) == 1
    edits = next(d.fix.edits for d in result.diagnostics if d.fix is not None)
    assert apply_edits(source, edits) == result.fixed


def test_a_held_back_unsafe_fix_carries_edits_that_apply_alone() -> None:
    source = textwrap.dedent(
        """\
        import tensorflow as tf

        model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
        for x, y in data:
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(model(x) - y)
            grads = tape.gradient(loss, model.trainable_variables)
            tf.keras.optimizers.Adam(1e-3).apply_gradients(zip(grads, model.trainable_variables))
        """
    )
    held = fix_source(source, with_edits=True)
    (finding,) = held.diagnostics
    assert finding.fix is not None and not finding.fix.applied and finding.fix.edits
    applied = fix_source(source, with_edits=True, unsafe_fixes=True)
    assert applied.diagnostics[0].fix is not None and applied.diagnostics[0].fix.applied
    assert apply_edits(source, finding.fix.edits) == applied.fixed


@pytest.mark.parametrize("seed", range(5))
def test_text_edits_round_trip(seed: int) -> None:
    rng = random.Random(seed)
    pieces = ["a", "b", "\n", "\r\n", "é", "  ", "x = 1\n", "\f", "\u2028"]
    for _ in range(400):
        before = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 15)))
        after = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 15)))
        edits = text_edits(before, after)
        assert apply_edits(before, edits) == after
        for edit in edits:  # never between the two characters of a CRLF
            for line, column in (
                (edit.start_line, edit.start_column),
                (edit.end_line, edit.end_column),
            ):
                rows = before.split("\n")
                if line <= len(rows) and column > 1:
                    assert not (
                        rows[line - 1][column - 2 : column - 1] == "\r"
                        and column - 1 == len(rows[line - 1])
                    )


def test_overlapping_edits_are_refused() -> None:
    with pytest.raises(ValueError, match="overlap"):
        apply_edits("abcdef\n", [TextEdit(1, 1, 1, 4, "x"), TextEdit(1, 3, 1, 5, "y")])
    with pytest.raises(ValueError, match="outside"):
        apply_edits("abc\n", [TextEdit(5, 1, 5, 1, "x")])


def test_a_noqa_on_the_def_line_is_about_that_line_only() -> None:
    source = _step("").replace("def step(x):", "def step(x):  # noqa")
    assert [d.code for d in fix_source(source).diagnostics] == ["TFO001"]
    fixer_ignore = _step("").replace("def step(x):", "def step(x):  # fixer: ignore")
    assert fix_source(fixer_ignore).diagnostics == ()


HELPER = """\
import tensorflow as tf


def make():
    return tf.keras.optimizers.Adam(0.1){at_helper}


@tf.function
def step(x):
    opt = make(){at_call}
    return opt
"""


@pytest.mark.parametrize(
    ("at_helper", "at_call"),
    [("  # noqa: TFO004", ""), ("", "  # fixer: ignore[TFO004]"), ("", "  # noqa")],
)
def test_a_suppression_at_either_tfo004_finding_silences_both(at_helper: str, at_call: str) -> None:
    result = fix_source(HELPER.format(at_helper=at_helper, at_call=at_call))
    assert result.diagnostics == ()
    assert [d.code for d in result.suppressed] == ["TFO004", "TFO004"]
    assert not result.changed
