"""The rules' documentation is complete, true to the engine, and rendered the same everywhere."""

from __future__ import annotations

import ast
import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest

import fixer
from fixer.explain import (
    find_rule,
    render_rule,
    render_rule_list,
    render_rules,
    render_rules_json,
    rule_record,
    rules_markdown_table,
    unknown_rule_message,
)
from fixer.findings import Applicability
from fixer.rules import CRASH_CODES, RULES
from fixer.rules.base import Rule

README = Path(__file__).resolve().parent.parent / "README.md"

# Written out here rather than imported, so that a wrong constant in fixer cannot pass.
TENSORFLOW_ERROR = (
    "ValueError: tf.function only supports singleton tf.Variables created on the first call. "
    "Make sure the tf.Variable is only created once or created outside tf.function."
)
FIXABLE = [rule for rule in RULES if rule.fix_availability is not Applicability.NONE]
CODE_RULES = [rule for rule in FIXABLE if rule.code != "TFO100"]  # found by the analysis


def _ids(rules: list[Rule]) -> list[str]:
    return [rule.code for rule in rules]


@pytest.mark.parametrize("rule", RULES, ids=_ids(list(RULES)))
def test_every_part_is_written(rule: Rule) -> None:
    assert re.fullmatch(r"TFO[0-9]{3}", rule.code)
    assert re.fullmatch(r"[a-z]+(-[a-z0-9]+)*", rule.name)
    assert rule.summary.strip() and not rule.summary.endswith(".")
    assert [section.key for section in rule.sections] == ["catches", "why", "safe", "unsafe"]
    for section in rule.sections:
        assert section.title.strip()
        assert section.text.strip(), f"{rule.code}: empty section {section.key}"
        assert section.text == section.text.strip(), f"{rule.code}: {section.key} padded"
        assert section.text.strip() in rule.doc
    assert rule.example.before.strip() and rule.example.after.strip()
    assert rule.example.before.endswith("\n") and rule.example.after.endswith("\n")


def test_codes_and_names_are_unique() -> None:
    assert len({rule.code for rule in RULES}) == len(RULES)
    assert len({rule.name for rule in RULES}) == len(RULES)


def test_doc_holds_the_sections_and_the_example() -> None:
    rule = find_rule("TFO001")
    assert rule is not None
    doc = rule.doc
    positions = [doc.index(section.title) for section in rule.sections]
    assert positions == sorted(positions)
    assert doc.index("Before::") < doc.index("After::")
    assert "    optimizer = tf.keras.optimizers.Adam(learning_rate=1e-3)\n" in doc
    unchanged = find_rule("TFO900")
    assert unchanged is not None
    assert "After::" not in unchanged.doc and "fixer leaves it unchanged" in unchanged.doc


@pytest.mark.parametrize("rule", RULES, ids=_ids(list(RULES)))
def test_crash_rules_quote_the_tensorflow_error(rule: Rule) -> None:
    if rule.code in CRASH_CODES:
        assert TENSORFLOW_ERROR in rule.doc
        assert f"    {TENSORFLOW_ERROR}" in rule.why.splitlines()  # verbatim, on its own line
    else:
        assert "ValueError" not in rule.doc  # the silent kinds do not claim a crash


def test_crash_codes_are_the_fixable_crashes() -> None:
    assert {"TFO001", "TFO002", "TFO004"} == set(CRASH_CODES)


@pytest.mark.parametrize("rule", RULES, ids=_ids(list(RULES)))
def test_before_example_parses(rule: Rule) -> None:
    if rule.code == "TFO900":
        with pytest.raises(SyntaxError):
            ast.parse(rule.example.before)
        return
    ast.parse(rule.example.before)
    ast.parse(rule.example.after)


@pytest.mark.parametrize("rule", CODE_RULES, ids=_ids(CODE_RULES))
def test_fix_source_turns_before_into_after(rule: Rule) -> None:
    unsafe = rule.fix_availability is Applicability.UNSAFE
    result = fixer.fix_source(rule.example.before, "example.py", unsafe_fixes=unsafe)
    assert result.fixed == rule.example.after
    assert {d.code for d in result.diagnostics} == {rule.code}
    assert {d.applicability for d in result.diagnostics} == {rule.fix_availability}
    # The fixed example is final: fixer finds nothing more in it.
    again = fixer.fix_source(rule.example.after, "example.py", unsafe_fixes=True)
    assert not again.changed and not again.diagnostics


@pytest.mark.parametrize(
    "rule",
    [r for r in CODE_RULES if r.fix_availability is Applicability.UNSAFE],
    ids=lambda r: r.code,
)
def test_unsafe_examples_are_left_alone_without_unsafe_fixes(rule: Rule) -> None:
    result = fixer.fix_source(rule.example.before, "example.py")
    assert not result.changed
    assert [d.code for d in result.diagnostics] == [rule.code]


def test_fixable_crash_examples_move_the_optimizer_out() -> None:
    for code in ("TFO001", "TFO002", "TFO004"):
        rule = find_rule(code)
        assert rule is not None and rule.fix_availability is Applicability.SAFE
        before = rule.example.before.splitlines()
        after = rule.example.after.splitlines()
        built = next(line for line in before if line.lstrip().startswith("optimizer = "))
        # The statement leaves its indented place and comes back at a shallower one.
        moved = next(line for line in after if line.strip() == built.strip())
        assert len(moved) - len(moved.lstrip()) < len(built) - len(built.lstrip())


def test_unused_suppression_example() -> None:
    rulesets = pytest.importorskip("fixer.rulesets")
    rule = find_rule("TFO100")
    assert rule is not None
    rules = dataclasses.replace(rulesets.DEFAULT_RULES, report_unused_ignores=True)
    result = fixer.fix_source(rule.example.before, "example.py", rules=rules)
    assert result.fixed == rule.example.after
    assert [d.code for d in result.diagnostics] == ["TFO100"]


def test_syntax_error_example() -> None:
    rule = find_rule("TFO900")
    assert rule is not None and rule.example.before == rule.example.after
    result = fixer.fix_source(rule.example.before, "example.py")
    assert result.fixed == rule.example.after
    assert [(d.code, d.is_error) for d in result.diagnostics] == [("TFO900", True)]


def test_internal_error_leaves_the_file_as_it_was(monkeypatch: pytest.MonkeyPatch) -> None:
    rule = find_rule("TFO901")
    assert rule is not None and rule.example.before == rule.example.after
    ast.parse(rule.example.before)

    def fail(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr("fixer.engine.apply_plan", fail)
    source = RULES[0].example.before  # a file that would otherwise change
    result = fixer.fix_source(source, "example.py")
    assert result.fixed == source
    assert [(d.code, d.is_error) for d in result.diagnostics] == [("TFO901", True)]


def test_readme_holds_the_generated_table() -> None:
    text = README.read_text(encoding="utf-8")
    match = re.search(
        r"<!-- rules-table:start -->\n(.*?)<!-- rules-table:end -->", text, flags=re.DOTALL
    )
    assert match is not None, "README.md has no rules-table markers"
    assert match.group(1) == rules_markdown_table(RULES), (
        "README.md's rules table is stale: paste rules_markdown_table(RULES) between the markers"
    )


def test_markdown_table_rows() -> None:
    lines = rules_markdown_table(RULES).splitlines()
    assert lines[0] == "| code | name | summary | fix |"
    assert len(lines) == 2 + len(RULES)
    assert lines[2] == (
        f"| `TFO001` | `optimizer-in-traced-function` | {RULES[0].summary} | safe |"
    )
    assert lines[-1].endswith("| none |")


def test_markdown_table_escapes_pipes() -> None:
    rule = dataclasses.replace(RULES[0], summary="a | b")
    assert "| a \\| b |" in rules_markdown_table([rule])


def test_json_renders_and_round_trips() -> None:
    text = render_rules_json(RULES)
    assert text.endswith("\n")
    data = json.loads(text)
    assert data == [rule_record(rule) for rule in RULES]
    assert [record["code"] for record in data] == [rule.code for rule in RULES]
    for record, rule in zip(data, RULES):
        assert set(record) == {"code", "name", "summary", "fix", "sections", "example"}
        assert record["name"] == rule.name and record["summary"] == rule.summary
        assert (
            record["fix"]
            == {"SAFE": "safe", "UNSAFE": "unsafe", "NONE": "none"}[rule.fix_availability.name]
        )
        assert [s["key"] for s in record["sections"]] == [s.key for s in rule.sections]
        assert [s["text"] for s in record["sections"]] == [s.text for s in rule.sections]
        assert record["example"] == {"before": rule.example.before, "after": rule.example.after}
    assert render_rules_json([]) == "[]\n"


def test_find_rule() -> None:
    assert find_rule("TFO001") is RULES[0]
    assert find_rule("tfo003") is find_rule("TFO003") is not None
    assert find_rule(" TFO900 ") is not None
    assert find_rule("optimizer-built-per-call") is find_rule("TFO005")
    assert find_rule("TFO999") is None
    assert find_rule("") is None
    assert "`XYZ`" in unknown_rule_message("XYZ") and "TFO001" in unknown_rule_message("XYZ")


@pytest.mark.parametrize("rule", RULES, ids=_ids(list(RULES)))
def test_render_rule(rule: Rule) -> None:
    text = render_rule(rule)
    assert text.startswith(f"# {rule.code} {rule.name}\n")
    assert rule.summary[1:] in text
    for section in rule.sections:
        assert f"## {section.title}\n\n{section.text}\n" in text
    for line in rule.example.before.splitlines():
        assert (f"    {line}" if line else "") in text.splitlines()
    if rule.example.before != rule.example.after:
        assert "## Before" in text and "## After" in text
    fix = text.splitlines()[4]
    assert fix.startswith("Fix: " + rule.fix_availability.name.lower())


def test_render_rules_holds_every_rule() -> None:
    text = render_rules(RULES)
    assert [line for line in text.splitlines() if line.startswith("# ")] == [
        f"# {rule.code} {rule.name}" for rule in RULES
    ]


def test_render_rule_list() -> None:
    lines = render_rule_list(RULES).splitlines()
    assert len(lines) == 1 + len(RULES)
    assert lines[0].split() == ["code", "name", "summary"]
    column = lines[0].index("summary")
    for line, rule in zip(lines[1:], RULES):
        assert line.startswith(f"{rule.code}  {rule.name}")
        assert line[column:] == rule.summary
