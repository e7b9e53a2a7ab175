"""Golden fixtures: fixtures/<case>/{input.py, expected.py, diagnostics.txt}, byte for byte."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixer import fix_source
from fixer.config import load_config
from fixer.rulesets import DEFAULT_RULES, RuleSet

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
CASES = sorted(p for p in FIXTURES.iterdir() if (p / "input.py").is_file())


def _render(result_diagnostics: tuple) -> bytes:  # type: ignore[type-arg]
    return "".join(d.render() + "\n" for d in result_diagnostics).encode()


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 30
    prefixes = {case.name.split("_", 1)[0] for case in CASES}
    assert prefixes == {"hoist", "keep", "report"}, prefixes


def _rules(case: Path) -> RuleSet:
    """A case's own ``fixer.toml`` (e.g. ``report-unused-ignores = true``), as the CLI reads it."""
    config = case / "fixer.toml"
    return load_config(config).rules_for(case / "input.py") if config.exists() else DEFAULT_RULES


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_fixture(case: Path, update_goldens: bool) -> None:
    source = (case / "input.py").read_bytes()
    rules = _rules(case)
    result = fix_source(source, "input.py", rules=rules)
    diagnostics = _render(result.diagnostics)
    expected_path = case / "expected.py"
    diagnostics_path = case / "diagnostics.txt"
    if update_goldens:
        expected_path.write_bytes(result.fixed)
        diagnostics_path.write_bytes(diagnostics)

    assert not result.errors, diagnostics.decode()
    assert result.fixed == expected_path.read_bytes()
    assert diagnostics == diagnostics_path.read_bytes()

    unsafe = fix_source(source, "input.py", unsafe_fixes=True, rules=rules)
    unsafe_path = case / "expected_unsafe.py"
    if update_goldens:
        if unsafe.fixed != result.fixed:
            unsafe_path.write_bytes(unsafe.fixed)
        elif unsafe_path.exists():
            unsafe_path.unlink()
    if unsafe.fixed != result.fixed:
        assert unsafe.fixed == unsafe_path.read_bytes()
    else:
        assert not unsafe_path.exists(), "expected_unsafe.py is only for cases with unsafe fixes"
    assert _render(unsafe.diagnostics) == diagnostics  # the same findings, whatever is applied

    kind = case.name.split("_", 1)[0]
    if kind == "keep":
        assert result.fixed == source and diagnostics == b""
    elif kind == "report":
        assert result.fixed == source and diagnostics != b""
    else:
        assert result.fixed != source


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_expected_is_a_fixed_point(case: Path) -> None:
    expected = (case / "expected.py").read_bytes()
    rules = _rules(case)
    again = fix_source(expected, "expected.py", rules=rules)
    assert again.fixed == expected
    assert not again.fixable, [d.render() for d in again.fixable]
    unsafe_path = case / "expected_unsafe.py"
    if unsafe_path.exists():
        unsafe = unsafe_path.read_bytes()
        again_unsafe = fix_source(unsafe, "expected_unsafe.py", unsafe_fixes=True, rules=rules)
        assert again_unsafe.fixed == unsafe
        assert not [d for d in again_unsafe.diagnostics if d.applicability.name != "NONE"]
