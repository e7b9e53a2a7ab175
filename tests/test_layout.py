"""The layout holds: light layers stay light, each rule is one module, no import runs in circles."""

from __future__ import annotations

import importlib
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

import fixer
from fixer.rules import RULES
from fixer.rules.base import Rule

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
FIXTURE_NAME = re.compile(r"``((?:hoist|keep|report)_[a-z0-9_]+)``")  # as docstrings cite them


def _modules() -> list[str]:
    """Every module of the package but ``fixer.__main__``, which runs the program."""
    found = pkgutil.walk_packages(fixer.__path__, "fixer.")
    return sorted(info.name for info in found if info.name != "fixer.__main__")


def test_light_layers_do_not_import_libcst() -> None:
    """The command line imports LibCST only once a file passes the pre-filter."""
    code = (
        "import fixer.cli, fixer.runner, fixer.findings, fixer.rules, fixer.output, "
        "fixer.explain, fixer.rulesets; import sys; print('libcst' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert done.stdout.strip() == "False"


def test_every_module_imports_first() -> None:
    """Each module of fixer imports in an interpreter where no other fixer module is loaded yet:
    no import cycle at module initialisation, whatever is imported first."""
    code = """
import importlib, sys
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m == "fixer" or m.startswith("fixer.")]:
        del sys.modules[loaded]
    importlib.import_module(name)
"""
    done = subprocess.run(
        [sys.executable, "-c", code, *_modules()], capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.code)
def test_each_rule_is_a_module_named_after_its_code(rule: Rule) -> None:
    module = importlib.import_module(f"fixer.rules.{rule.code.lower()}")
    assert module.RULE is rule
    assert module.__doc__ is not None
    assert module.__doc__.startswith(f"{rule.code} {rule.name}: ")


def test_fixtures_named_in_docstrings_exist() -> None:
    named: dict[str, str] = {}
    for name in _modules():
        if name.startswith(("fixer.rules", "fixer.moves")):
            doc = importlib.import_module(name).__doc__ or ""
            for fixture in FIXTURE_NAME.findall(doc):
                named.setdefault(fixture, name)
    assert named, "no module docstring names a fixture"
    missing = {f: where for f, where in named.items() if not (FIXTURES / f / "input.py").is_file()}
    assert not missing, missing


def test_the_analysis_keeps_its_public_names() -> None:
    """What ``fixer/analysis.py`` offered before it became a package is still importable."""
    analysis = importlib.import_module("fixer.analysis")
    names = [
        "Binding",
        "BoundCall",
        "Construction",
        "Decision",
        "Facts",
        "FixGate",
        "Hoisted",
        "Insertion",
        "Loop",
        "MovedStatement",
        "NewInit",
        "Owner",
        "Plan",
        "Reference",
        "SiteKey",
        "Traced",
        "analyse",
        "default_gate",
        "plan",
        "prepare",
    ]
    assert [name for name in names if not hasattr(analysis, name)] == []
