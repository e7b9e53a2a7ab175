"""The command line, run as users run it: a subprocess, real files, real ``git apply``."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from fixer import fix_source
from fixer.runner import process

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
# A syntax error is reported for a file that may hold a finding: one naming an optimizer (files
# that cannot hold one are not parsed; see fixer/prefilter.py).
BROKEN = b"import tensorflow as tf\ndef broken(:\n    return tf.keras.optimizers.Adam()\n"
CLEAN = b"import tensorflow as tf\n\nx = 1\n"
FIXABLE = (FIXTURES / "hoist_adam_in_train_step" / "input.py").read_bytes()
FIXABLE_FIXED = (FIXTURES / "hoist_adam_in_train_step" / "expected.py").read_bytes()
UNFIXABLE = (FIXTURES / "report_arg_reads_step_parameter" / "input.py").read_bytes()


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COLUMNS")}
    env["NO_COLOR"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "fixer", *args], cwd=cwd, capture_output=True, env=env, check=False
    )


def no_traceback(proc: subprocess.CompletedProcess[bytes]) -> None:
    assert b"Traceback" not in proc.stderr and b"Traceback" not in proc.stdout


def test_exit_0_when_there_is_nothing_to_do(tmp_path: Path) -> None:
    (tmp_path / "clean.py").write_bytes(CLEAN)
    proc = run("clean.py", cwd=tmp_path)
    assert proc.returncode == 0
    assert proc.stdout == b""
    assert proc.stderr.decode().strip() == "checked 1 file, 0 findings (0 fixable)"


def test_exit_1_with_findings_on_stdout_and_summary_on_stderr(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_bytes(FIXABLE)
    proc = run("train.py", cwd=tmp_path)
    assert proc.returncode == 1
    out = proc.stdout.decode().splitlines()
    assert len(out) == 1
    assert out[0].startswith(
        "train.py:12:17: TFO001 [fixable] optimizer `tf.keras.optimizers.Adam`"
    )
    err = proc.stderr.decode().splitlines()
    assert err == [
        "checked 1 file, 1 finding (1 fixable); run `fixer --diff` to review the fixes or "
        "`fixer --write` to apply them"
    ]
    assert (tmp_path / "train.py").read_bytes() == FIXABLE


def test_exit_2_for_a_missing_path_and_the_rest_still_runs(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_bytes(FIXABLE)
    proc = run("missing.py", "train.py", cwd=tmp_path)
    assert proc.returncode == 2
    no_traceback(proc)
    assert b"fixer: error: missing.py: no such file or directory\n" in proc.stderr
    assert b"train.py:12:17: TFO001" in proc.stdout


def test_exit_2_for_a_syntax_error(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_bytes(BROKEN)
    proc = run("broken.py", cwd=tmp_path)
    assert proc.returncode == 2
    no_traceback(proc)
    errors = [line for line in proc.stderr.decode().splitlines() if "error" in line]
    assert errors[0].startswith("fixer: error: broken.py:2:")
    assert "TFO900 syntax error" in errors[0]
    assert proc.stdout == b""


def test_exit_2_for_conflicting_modes(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_bytes(FIXABLE)
    proc = run("--diff", "--write", "train.py", cwd=tmp_path)
    assert proc.returncode == 2
    assert b"choose one of --diff, --write and --check" in proc.stderr
    assert (tmp_path / "train.py").read_bytes() == FIXABLE


def test_exit_2_without_paths(tmp_path: Path) -> None:
    proc = run(cwd=tmp_path)
    assert proc.returncode == 2


def test_unreadable_file_is_an_error_not_a_crash(tmp_path: Path) -> None:
    directory = tmp_path / "looks_like.py"
    directory.mkdir()
    outcome = process(directory)
    assert outcome.result is None and outcome.read_error


def test_directory_with_one_broken_file(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "pkg").mkdir(parents=True)
    (src / "pkg" / "broken.py").write_bytes(BROKEN)
    (src / "pkg" / "train.py").write_bytes(FIXABLE)
    (src / "clean.py").write_bytes(CLEAN)
    (src / "notes.txt").write_bytes(BROKEN)
    (src / "__pycache__").mkdir()
    (src / "__pycache__" / "cached.py").write_bytes(BROKEN)
    proc = run("--write", "src", cwd=tmp_path)
    assert proc.returncode == 2
    no_traceback(proc)
    error_lines = [line for line in proc.stderr.decode().splitlines() if "error:" in line]
    assert len(error_lines) == 1 and "src/pkg/broken.py:2:" in error_lines[0]
    assert (src / "pkg" / "broken.py").read_bytes() == BROKEN
    assert (src / "pkg" / "train.py").read_bytes() == FIXABLE_FIXED
    assert (src / "clean.py").read_bytes() == CLEAN
    assert "checked 3 files" in proc.stderr.decode()


def test_write_applies_fixes_keeps_mode_and_is_then_clean(tmp_path: Path) -> None:
    target = tmp_path / "train.py"
    target.write_bytes(FIXABLE)
    target.chmod(0o640)
    proc = run("--write", "train.py", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout == b""  # every finding was fixed
    assert b"fixed 1 finding in 1 file, 0 findings left to fix by hand" in proc.stderr
    assert target.read_bytes() == FIXABLE_FIXED
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["train.py"]  # no temporary left behind
    again = run("--write", "train.py", cwd=tmp_path)
    assert again.returncode == 0 and again.stdout == b""


def test_write_lists_what_is_left_to_fix_by_hand(tmp_path: Path) -> None:
    (tmp_path / "step.py").write_bytes(UNFIXABLE)
    proc = run("--write", "step.py", cwd=tmp_path)
    assert proc.returncode == 1
    assert b"[not fixable]" in proc.stdout
    assert (tmp_path / "step.py").read_bytes() == UNFIXABLE


def test_check_lists_files_that_would_change_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_bytes(FIXABLE)
    (tmp_path / "b.py").write_bytes(CLEAN)
    (tmp_path / "c.py").write_bytes(UNFIXABLE)
    proc = run("--check", ".", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout == b"a.py\n"
    assert b"[not fixable]" in proc.stderr
    assert (tmp_path / "a.py").read_bytes() == FIXABLE
    clean = run("--check", "b.py", cwd=tmp_path)
    assert clean.returncode == 0 and clean.stdout == b""


def test_diff_writes_nothing_and_keeps_stdout_for_the_diff(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_bytes(FIXABLE)
    proc = run("--diff", "train.py", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout.startswith(b"--- a/train.py\n+++ b/train.py\n@@ ")
    assert b"checked 1 file, 1 file would change" in proc.stderr
    assert (tmp_path / "train.py").read_bytes() == FIXABLE


def _git(*args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=True)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_diff_applies_with_git_apply(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    cases = [
        "hoist_adam_in_train_step",
        "hoist_crlf_line_endings",
        "hoist_latin1_coding_cookie",
        "hoist_utf8_bom",
        "hoist_factory_uses_factory_parameter",
        "hoist_two_traced_functions_get_own_optimizers",
    ]
    for index, case in enumerate(cases):
        folder = repo / "src" / f"m{index}"
        folder.mkdir(parents=True)
        (folder / "train.py").write_bytes((FIXTURES / case / "input.py").read_bytes())
    _git("init", "-q", cwd=repo)
    _git("config", "core.autocrlf", "false", cwd=repo)
    proc = run("--diff", ".", cwd=repo / "src")  # from a subfolder: paths stay repo-relative
    assert proc.returncode == 1
    assert proc.stdout.startswith(b"--- a/src/m0/train.py\n+++ b/src/m0/train.py\n")
    patch = tmp_path / "fix.patch"
    patch.write_bytes(proc.stdout)
    _git("apply", "--check", str(patch), cwd=repo)
    _git("apply", str(patch), cwd=repo)
    for index, case in enumerate(cases):
        got = (repo / "src" / f"m{index}" / "train.py").read_bytes()
        assert got == (FIXTURES / case / "expected.py").read_bytes(), case


def test_diff_of_a_file_without_final_newline_applies(tmp_path: Path) -> None:
    source = FIXABLE.rstrip(b"\n")
    assert fix_source(source).changed
    repo = tmp_path
    (repo / "t.py").write_bytes(source)
    _git("init", "-q", cwd=repo)
    proc = run("--diff", "t.py", cwd=repo)
    (repo / "p.patch").write_bytes(proc.stdout)
    _git("apply", "p.patch", cwd=repo)
    assert (repo / "t.py").read_bytes() == fix_source(source).fixed


def test_version(tmp_path: Path) -> None:
    proc = run("--version", cwd=tmp_path)
    assert proc.returncode == 0
    assert proc.stdout.decode().startswith("fixer 0.")


UNSAFE = (FIXTURES / "report_step_function_builds_optimizer_each_call" / "input.py").read_bytes()
UNSAFE_FIXED = (
    FIXTURES / "report_step_function_builds_optimizer_each_call" / "expected_unsafe.py"
).read_bytes()


def test_unsafe_fixes_are_held_back_and_the_summary_says_how(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_bytes(UNSAFE)
    proc = run("--write", "train.py", cwd=tmp_path)
    assert proc.returncode == 1
    assert (tmp_path / "train.py").read_bytes() == UNSAFE
    assert b"[fixable, unsafe]" in proc.stdout
    assert b"1 unsafe fix held back (add --unsafe-fixes to apply, and review them)" in proc.stderr
    report = run("train.py", cwd=tmp_path)
    assert b"held back" in report.stderr


def test_unsafe_fixes_option_applies_them(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_bytes(UNSAFE)
    proc = run("--write", "--unsafe-fixes", "train.py", cwd=tmp_path)
    assert proc.returncode == 1
    assert (tmp_path / "train.py").read_bytes() == UNSAFE_FIXED
    assert proc.stdout == b""
    assert b"fixed 1 finding in 1 file, 0 findings left to fix by hand" in proc.stderr
    diff = run("--diff", "--unsafe-fixes", "train.py", cwd=tmp_path)
    assert diff.returncode == 0 and diff.stdout == b""


def test_a_named_file_keeps_its_syntax_check_even_without_candidates(tmp_path: Path) -> None:
    (tmp_path / "notes.py").write_bytes(b"def broken(:\n    pass\n")
    proc = run("notes.py", cwd=tmp_path)
    assert proc.returncode == 2
    assert b"notes.py:1:12: TFO900 syntax error" in proc.stderr
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "notes.py").write_bytes(b"def broken(:\n    pass\n")
    walked = run("src", cwd=tmp_path)  # found in a directory: the pre-filter skips it unparsed
    assert walked.returncode == 0
