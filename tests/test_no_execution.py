"""fixer reads the code it analyses and never runs it: not the files, not a ``conftest.py`` or a
``setup.py`` next to them, not a notebook's cells. Every file here writes a marker file when it
is imported or executed, and holds a finding, so that it goes all the way through the engine."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SITE = (
    "import tensorflow as tf\n\n\n@tf.function\ndef step(x):\n"
    "    opt = tf.keras.optimizers.Adam(1e-3)\n    return x\n"
)
FORMATS = ["text", "json", "json-lines", "sarif", "github", "gitlab"]
RUNS = [("report", fmt) for fmt in FORMATS] + [
    (mode, fmt) for mode in ("diff", "check", "write", "stdin") for fmt in ("text", "sarif")
]


def _side_effect(marker: Path, who: str) -> str:
    return f"open({str(marker / who)!r}, 'w').write('ran')\n"


def _project(root: Path, marker: Path) -> None:
    package = root / "pkg"
    package.mkdir()
    for name in ("conftest.py", "setup.py", "pkg/__init__.py", "pkg/train.py", "noxfile.py"):
        who = name.replace("/", "_")
        (root / name).write_text(_side_effect(marker, who) + SITE)
    (root / "pkg" / "__main__.py").write_text(
        "import subprocess\n" + _side_effect(marker, "main") + SITE
    )
    cell = _side_effect(marker, "notebook") + SITE
    notebook = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "id": "c1",
                "metadata": {},
                "outputs": [],
                "source": cell.splitlines(keepends=True),
            }
        ],
        "metadata": {"kernelspec": {"language": "python", "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (root / "train.ipynb").write_text(json.dumps(notebook, indent=1) + "\n")


@pytest.mark.parametrize(("mode", "fmt"), RUNS, ids=[f"{m}-{f}" for m, f in RUNS])
def test_nothing_is_executed(tmp_path: Path, mode: str, fmt: str) -> None:
    root = tmp_path / "project"
    marker = tmp_path / "markers"
    root.mkdir()
    marker.mkdir()
    _project(root, marker)
    args = ["--format", fmt]
    if mode in ("diff", "check") and fmt != "text":
        args += ["--output-file", str(tmp_path / "report")]
    stdin = None
    if mode == "stdin":
        args += ["--write", "--stdin-filename", "pkg/train.py"]
        if fmt != "text":
            args += ["--output-file", str(tmp_path / "report")]
        stdin = (root / "pkg" / "train.py").read_bytes()
    else:
        if mode != "report":
            args.append(f"--{mode}")
        args.append(".")
    proc = subprocess.run(
        [sys.executable, "-m", "fixer", *args],
        cwd=root,
        input=stdin,
        capture_output=True,
        check=False,
        env={k: v for k, v in os.environ.items() if k != "PYTHONSTARTUP"},
    )
    assert proc.returncode == 1, proc.stderr  # the findings were found: every file was read
    assert sorted(p.name for p in marker.iterdir()) == []
