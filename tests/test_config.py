"""Project configuration: ``[tool.fixer]`` in the nearest pyproject.toml, or ``--config``."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from fixer.config import ConfigError, find_config, load_config

STEP = """\
import tensorflow as tf
from mylab.optim import Lion


@tf.function
def step(x):
    opt = Lion(0.1)
    return opt
"""


def fixer(*args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    return subprocess.run(
        [sys.executable, "-m", "fixer", *args], cwd=cwd, capture_output=True, env=env, check=False
    )


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def test_the_nearest_pyproject_with_a_fixer_table_wins(tmp_path: Path) -> None:
    outer = _write(tmp_path / "pyproject.toml", '[tool.fixer]\nextra-optimizers = ["a.B"]\n')
    _write(tmp_path / "pkg" / "pyproject.toml", '[project]\nname = "fixer-like"\n')  # no table
    _write(tmp_path / "pkg" / "src" / "m.py", "")
    assert find_config([str(tmp_path / "pkg" / "src" / "m.py")]) == outer
    inner = _write(tmp_path / "pkg" / "pyproject.toml", "[tool.fixer]\n")
    assert find_config([str(tmp_path / "pkg" / "src")]) == inner
    # Paths in two places: the search starts from the folder holding both.
    _write(tmp_path / "other" / "n.py", "")
    assert find_config([str(tmp_path / "pkg" / "src"), str(tmp_path / "other")]) == outer


def test_values_are_read_and_checked(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "pyproject.toml",
        """\
        [tool.fixer]
        extra-optimizers = ["mylab.optim.Lion", "mylab.fancy.*"]
        extra-tracers = ["mylab.compile.traced"]
        exclude = ["gen"]
        extend-exclude = ["*_pb2.py"]
        """,
    )
    config = load_config(path)
    assert config.root == tmp_path.resolve()
    assert config.extra_optimizers == ("mylab.optim.Lion", "mylab.fancy.*")
    assert config.exclude == ("gen",) and config.extend_exclude == ("*_pb2.py",)
    table = config.names()
    assert table.extra_tracers == frozenset({"mylab.compile.traced"})
    assert load_config(None, root=tmp_path).exclude is None  # None: the defaults


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("unknown-key = 1", "unknown [tool.fixer] option `unknown-key`"),
        ('extra-optimizers = "a.B"', "must be a list of strings"),
        ('extra-optimizers = ["not a name"]', "is not a qualified name"),
        ('extra-tracers = ["a..b"]', "is not a qualified name"),
        ("exclude = [1]", "must be a list of strings"),
        ("extra-optimizers = [", "invalid TOML"),
    ],
)
def test_mistakes_are_reported(tmp_path: Path, body: str, message: str) -> None:
    path = _write(tmp_path / "pyproject.toml", f"[tool.fixer]\n{body}\n")
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_config(path)


def test_configured_optimizers_are_found_through_the_command_line(tmp_path: Path) -> None:
    _write(tmp_path / "src" / "step.py", STEP)
    assert fixer("src", cwd=tmp_path).returncode == 0  # Lion means nothing to fixer by default
    _write(tmp_path / "pyproject.toml", '[tool.fixer]\nextra-optimizers = ["mylab.optim.*"]\n')
    proc = fixer("src", cwd=tmp_path)
    assert proc.returncode == 1
    assert b"src/step.py:7:11: TFO001" in proc.stdout


def test_an_explicit_config_file(tmp_path: Path) -> None:
    _write(tmp_path / "src" / "step.py", STEP)
    config = _write(
        tmp_path / "conf" / "fixer.toml", '[tool.fixer]\nextra-optimizers = ["mylab.optim.Lion"]\n'
    )
    proc = fixer("--config", str(config), "src", cwd=tmp_path)
    assert proc.returncode == 1 and b"TFO001" in proc.stdout
    missing = fixer("--config", "nope.toml", "src", cwd=tmp_path)
    assert missing.returncode == 2
    assert b"fixer: error: nope.toml: cannot read" in missing.stderr


def test_exclusions_from_the_config_are_relative_to_its_folder(tmp_path: Path) -> None:
    _write(
        tmp_path / "pyproject.toml",
        '[tool.fixer]\nextra-optimizers = ["mylab.optim.Lion"]\nextend-exclude = ["/src/gen/"]\n',
    )
    _write(tmp_path / "src" / "gen" / "step.py", STEP)
    _write(tmp_path / "src" / "build" / "step.py", STEP)
    _write(tmp_path / "src" / "own" / "step.py", STEP)
    proc = fixer(".", cwd=tmp_path / "src")  # run from a subfolder: same anchor
    assert proc.stdout.count(b"TFO001") == 1 and b"own/step.py" in proc.stdout
    # --exclude replaces the default exclusions (build); extend-exclude still applies.
    replaced = fixer("--exclude", "nothing", ".", cwd=tmp_path / "src")
    assert replaced.stdout.count(b"TFO001") == 2 and b"build/step.py" in replaced.stdout


def test_a_broken_config_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    _write(tmp_path / "pyproject.toml", "[tool.fixer]\nextra-optimizers = [\n")
    _write(tmp_path / "m.py", "")
    proc = fixer("m.py", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith(b"fixer: error: ") and b"invalid TOML" in proc.stderr
    assert b"Traceback" not in proc.stderr
