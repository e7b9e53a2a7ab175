"""Golden fixtures: fixtures/<case>/{input.py, expected.py, diagnostics.txt}, byte for byte.

A case may hold other modules next to ``input.py`` (a package folder such as ``trainlib/``, or a
module ``optim.py``) that ``input.py`` imports: they are read as the runner reads a file's
sibling modules (:mod:`fixer.siblings`), and must hold no finding themselves.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fixer import fix_source
from fixer.config import load_config
from fixer.exports import ImportedHelper
from fixer.names import DEFAULT_NAMES
from fixer.rulesets import DEFAULT_RULES, RuleSet
from fixer.siblings import Repository, helpers_for

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


# The files of a case that are not other modules of its program.
CASE_FILES = frozenset({"input.py", "expected.py", "expected_unsafe.py", "reference.py"})


def case_modules(case: Path) -> list[Path]:
    """The other modules of a multi-file case: every ``.py`` file in it but its own files."""
    return sorted(
        p
        for p in case.rglob("*.py")
        if "__pycache__" not in p.parts and not (p.parent == case and p.name in CASE_FILES)
    )


def _imported(case: Path, name: str, source: bytes) -> dict[str, ImportedHelper]:
    return dict(helpers_for(Repository(DEFAULT_NAMES), case / name, source))


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_fixture(case: Path, update_goldens: bool) -> None:
    source = (case / "input.py").read_bytes()
    rules = _rules(case)
    imported = _imported(case, "input.py", source)
    result = fix_source(source, "input.py", rules=rules, imported=imported)
    diagnostics = _render(result.diagnostics)
    expected_path = case / "expected.py"
    diagnostics_path = case / "diagnostics.txt"
    if update_goldens:
        expected_path.write_bytes(result.fixed)
        diagnostics_path.write_bytes(diagnostics)

    assert not result.errors, diagnostics.decode()
    assert result.fixed == expected_path.read_bytes()
    assert diagnostics == diagnostics_path.read_bytes()

    unsafe = fix_source(source, "input.py", unsafe_fixes=True, rules=rules, imported=imported)
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
    imported = _imported(case, "expected.py", expected)
    again = fix_source(expected, "expected.py", rules=rules, imported=imported)
    assert again.fixed == expected
    assert not again.fixable, [d.render() for d in again.fixable]
    unsafe_path = case / "expected_unsafe.py"
    if unsafe_path.exists():
        unsafe = unsafe_path.read_bytes()
        again_unsafe = fix_source(
            unsafe, "expected_unsafe.py", unsafe_fixes=True, rules=rules, imported=imported
        )
        assert again_unsafe.fixed == unsafe
        assert not [d for d in again_unsafe.diagnostics if d.applicability.name != "NONE"]


@pytest.mark.parametrize("case", [c for c in CASES if case_modules(c)], ids=lambda case: case.name)
def test_other_modules_of_a_case_hold_no_finding(case: Path) -> None:
    for module in case_modules(case):
        source = module.read_bytes()
        result = fix_source(
            source, module.name, imported=_imported(module.parent, module.name, source)
        )
        assert not result.diagnostics, [d.render() for d in result.diagnostics]
