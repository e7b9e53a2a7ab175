"""Hostile and broken inputs, bounded work, isolation, interruption, closed pipes, escaping.

Each kind of bad input gives one clear line, exit status 2, the file untouched, and the other
files still processed (README, "What fixer guarantees").
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote

import pytest

from fixer import fix_source
from fixer.files import SourceFile
from fixer.runner import FileOutcome, run

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
FIXABLE = (FIXTURES / "hoist_adam_in_train_step" / "input.py").read_bytes()
FIXED = (FIXTURES / "hoist_adam_in_train_step" / "expected.py").read_bytes()
# A traced step with a finding, to put in front of a body under test.
SITE = (
    b"import tensorflow as tf\n\n\n@tf.function\ndef step(x):\n"
    b"    opt = tf.keras.optimizers.Adam(1e-3)\n    return x\n\n\n"
)
LINUX = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")


def fixer(
    *args: str, cwd: Path, input: bytes | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "fixer", *args],
        cwd=cwd,
        input=input,
        capture_output=True,
        check=False,
        timeout=timeout,
        env={k: v for k, v in os.environ.items() if k not in ("CI", "COLUMNS")},
    )


def error_lines(proc: subprocess.CompletedProcess[bytes]) -> list[str]:
    text = proc.stderr.decode()
    assert "Traceback" not in text, text
    return [line for line in text.splitlines() if line.startswith("fixer: error:")]


def slow_file(size: int = 400_000) -> bytes:
    """A file with a finding that takes LibCST seconds (its size, under the size limit)."""
    body = b"".join(
        b"def f%d(a, b):\n    c = a + b * %d\n    return [c, c + 1, 'x']\n\n\n" % (i, i)
        for i in range(size // 60)
    )
    return SITE + body


# --------------------------------------------------------------------------- hostile inputs

NESTED = b"y = " + b"-" * 1000 + b"1\n"


def _unreadable(folder: Path) -> str:
    path = folder / "locked.py"
    path.write_bytes(SITE)
    path.chmod(0)
    return "locked.py"


HOSTILE: dict[str, tuple[Callable[[Path], str], str]] = {
    # kind: (make it in the folder and return the name to pass, the expected error's tail)
    "syntax error": (
        lambda d: _write(d, "bad.py", SITE + b"def broken(:\n"),
        "bad.py:10:12: TFO900 syntax error: invalid syntax",
    ),
    "Python 2": (
        lambda d: _write(d, "py2.py", SITE + b'print "hello"\n'),
        "py2.py:10:1: TFO900 syntax error: Missing parentheses in call to 'print'. Did you mean "
        "print(...)?",
    ),
    "invalid UTF-8": (
        lambda d: _write(d, "latin.py", SITE + b"name = 'caf\xe9'\n"),
        "latin.py:10:14: TFO900 syntax error: (unicode error) 'utf-8' codec can't decode byte 0xe9",
    ),
    "wrong coding cookie": (
        lambda d: _write(d, "cookie.py", b"# -*- coding: ascii -*-\n" + SITE + b"s = '\xc3\xa9'\n"),
        "cookie.py:1:1: TFO900 syntax error: 'ascii' codec can't decode byte 0xc3",
    ),
    "unknown coding cookie": (
        lambda d: _write(d, "klingon.py", b"# coding: klingon\n" + SITE),
        "klingon.py:1:1: TFO900 syntax error: unknown encoding: klingon",
    ),
    "NUL bytes": (
        lambda d: _write(d, "nul.py", SITE + b"x = 1\x00\n"),
        "nul.py:10:1: TFO900 syntax error: source code cannot contain null bytes",
    ),
    "binary file named .py": (
        lambda d: _write(d, "blob.py", bytes(range(256)) * 4 + b"optimizer"),
        "blob.py:1:1: TFO900 syntax error: source code cannot contain null bytes",
    ),
    "10 MB file": (
        lambda d: _write(d, "huge.py", _ten_megabytes()),
        "huge.py:1:1: TFO902 larger than 1,048,576 bytes (--max-file-size) and may hold a "
        "finding; not checked",
    ),
    "nested 1,000 deep": (
        lambda d: _write(d, "deep1k.py", SITE + NESTED),
        "deep1k.py:1:1: TFO903 nested too deeply for Python to compile; not checked",
    ),
    "nested 100,000 deep": (
        lambda d: _write(d, "deep100k.py", SITE + b"y = " + b"-" * 100_000 + b"1\n"),
        "deep100k.py:1:1: TFO903 nested too deeply for Python to compile; not checked",
    ),
    "1,000 nested brackets": (
        lambda d: _write(d, "brackets.py", SITE + b"y = " + b"(" * 1000 + b"1" + b")" * 1000),
        "brackets.py:10:205: TFO900 syntax error: too many nested parentheses",
    ),
    "100,000 strings in a row": (
        lambda d: _write(d, "strings.py", SITE + b"y = (" + b'"a" ' * 100_000 + b")\n"),
        "strings.py:1:1: TFO903 nested 100000 levels deep, more than the 1000 fixer parses; "
        "not checked",
    ),
    "unreadable file": (_unreadable, "locked.py: cannot read: Permission denied"),
    "broken symbolic link": (
        lambda d: _link(d, "dangling.py", "nowhere.py"),
        "dangling.py: broken symbolic link (or a loop of them)",
    ),
    "symbolic link loop": (
        lambda d: _link(d, "loop.py", "loop.py"),
        "loop.py: broken symbolic link (or a loop of them)",
    ),
    "nonexistent path": (lambda d: "missing.py", "missing.py: no such file or directory"),
    "malformed notebook": (
        lambda d: _write(d, "broken.ipynb", b'{"cells": [}'),
        "broken.ipynb:1:12: TFO900 not a notebook: invalid JSON: Expecting value",
    ),
}


def _write(folder: Path, name: str, data: bytes) -> str:
    (folder / name).write_bytes(data)
    return name


def _link(folder: Path, name: str, target: str) -> str:
    (folder / name).symlink_to(target)
    return name


def _ten_megabytes() -> bytes:
    line = b"VALUES_%07d = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18]\n"
    count = 10 * 1024 * 1024 // len(line % 0)
    return SITE + b"".join(line % i for i in range(count))


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_hostile_input_gives_one_line_and_the_others_are_processed(
    tmp_path: Path, kind: str
) -> None:
    make, expected = HOSTILE[kind]
    if kind == "unreadable file" and hasattr(os, "geteuid") and os.geteuid() == 0:
        pytest.skip("root reads any file (see test_unreadable_file_as_root)")
    name = make(tmp_path)
    before = _snapshot(tmp_path)
    (tmp_path / "good.py").write_bytes(FIXABLE)
    proc = fixer("--write", name, "good.py", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    lines = error_lines(proc)
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"fixer: error: {expected}"), lines[0]
    assert _snapshot(tmp_path, without="good.py") == before  # untouched
    assert (tmp_path / "good.py").read_bytes() == FIXED  # the other file is still fixed


def _snapshot(folder: Path, without: str = "") -> dict[str, bytes]:
    found = {}
    for path in folder.iterdir():
        if path.name != without and path.is_file() and os.access(path, os.R_OK):
            found[path.name] = path.read_bytes()
    return found


def test_unreadable_file_as_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Root reads a file without permission bits, so the read fails in place of it."""
    import fixer.runner

    real = fixer.runner.read_bytes

    def read(path: Path) -> bytes:
        if path.name == "locked.py":
            raise PermissionError(13, "Permission denied")
        return real(path)

    monkeypatch.setattr(fixer.runner, "read_bytes", read)
    (tmp_path / "locked.py").write_bytes(SITE)
    (tmp_path / "good.py").write_bytes(FIXABLE)
    outcomes = list(
        run([SourceFile(tmp_path / "locked.py", True), SourceFile(tmp_path / "good.py", True)])
    )
    assert outcomes[0].read_error == "Permission denied"
    assert outcomes[1].result is not None and outcomes[1].result.fixed == FIXED


def test_an_empty_file_is_clean(tmp_path: Path) -> None:
    (tmp_path / "empty.py").write_bytes(b"")
    proc = fixer("--write", "empty.py", cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (0, b"")
    assert (
        proc.stderr
        == b"checked 1 file, fixed 0 findings in 0 files, 0 findings left to fix by hand\n"
    )
    assert (tmp_path / "empty.py").read_bytes() == b""


def test_a_folder_named_like_a_python_file_is_walked(tmp_path: Path) -> None:
    (tmp_path / "x.py").mkdir()
    (tmp_path / "x.py" / "inner.py").write_bytes(FIXABLE)
    proc = fixer("x.py", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout.decode().startswith("x.py/inner.py:12:17: TFO001")


@pytest.mark.parametrize("name", ["with space.py", "caf\u00e9 \u5b66\u4e60.py", "new\nline.py"])
def test_odd_file_names_are_processed(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_bytes(FIXABLE)
    proc = fixer("--write", name, cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert (tmp_path / name).read_bytes() == FIXED


def test_malformed_pyproject_stops_the_run_before_anything_is_written(tmp_path: Path) -> None:
    """A configuration that cannot be read leaves the rules unknown: nothing is processed."""
    (tmp_path / "pyproject.toml").write_bytes(b"[tool.fixer\nselect = [")
    (tmp_path / "good.py").write_bytes(FIXABLE)
    proc = fixer("--write", "good.py", cwd=tmp_path)
    assert proc.returncode == 2
    lines = proc.stderr.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fixer: error: "), lines
    assert (
        "pyproject.toml: invalid TOML: Expected ']' at the end of a table declaration" in lines[0]
    )
    assert (tmp_path / "good.py").read_bytes() == FIXABLE


def test_symlink_loop_named_with_a_shard_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "loop").symlink_to("loop")
    for shard in ("1/2", "2/2"):
        proc = fixer("--shard", shard, "loop", cwd=tmp_path)
        assert b"Traceback" not in proc.stderr
        assert proc.returncode in (0, 2)
    both = [fixer("--shard", s, "loop", cwd=tmp_path) for s in ("1/2", "2/2")]
    assert sorted(p.returncode for p in both) == [0, 2]  # the path is in exactly one shard


# --------------------------------------------------------------------------- defects, by name


def test_chains_python_compiles_keep_their_finding() -> None:
    """400 strings in a row and 350 terms of ``1 + 1 + ...`` once gave TFO901 and lost TFO001."""
    for body in (b"s = (" + b'"a" ' * 400 + b")\n", b"s = " + b" + ".join([b"1"] * 350) + b"\n"):
        result = fix_source(SITE + body, "chain.py")
        assert [d.code for d in result.diagnostics] == ["TFO001"]
        assert result.changed
        compile(result.fixed, "chain.py", "exec")
        assert fix_source(result.fixed, "chain.py").fixed == result.fixed


def test_what_cpython_rejects_is_a_syntax_error_not_a_rewrite() -> None:
    """More than 200 nested brackets: LibCST parses it, CPython does not."""
    source = SITE + b"y = " + b"(" * 210 + b"1" + b")" * 210 + b"\n"
    result = fix_source(source, "deep.py")
    assert [(d.code, d.message) for d in result.diagnostics] == [
        ("TFO900", "syntax error: too many nested parentheses")
    ]
    assert result.fixed == source


@pytest.mark.parametrize("placement", range(1, 7))
def test_a_form_feed_line_stays_once(placement: int) -> None:
    lines = SITE.decode().splitlines()
    for form_feed in ("\f", "    \f"):
        source = "\n".join([*lines[:placement], form_feed, *lines[placement:]]) + "\n"
        result = fix_source(source, "ff.py")
        assert result.changed
        assert result.fixed.count("\f") == 1, result.fixed
        assert fix_source(result.fixed, "ff.py").fixed == result.fixed


def test_a_crash_in_a_batch_costs_only_its_file(tmp_path: Path) -> None:
    """1,500 nested brackets once crashed LibCST (exit 139), and with -j 2 its whole batch."""
    for index in range(40):
        (tmp_path / f"m{index:02d}.py").write_bytes(FIXABLE)
    (tmp_path / "m17.py").write_bytes(SITE + b"y = " + b"(" * 1500 + b"1" + b")" * 1500 + b"\n")
    for jobs in ("1", "2"):
        proc = fixer("-j", jobs, ".", cwd=tmp_path)
        assert proc.returncode == 2
        assert error_lines(proc) == [
            "fixer: error: m17.py:10:205: TFO900 syntax error: too many nested parentheses"
        ]
        assert proc.stdout.decode().count("TFO001") == 39


def test_ten_megabytes_take_seconds_and_little_memory(tmp_path: Path) -> None:
    """It once took 10 minutes and 12.3 GB. Memory is measured in a process of its own."""
    (tmp_path / "huge.py").write_bytes(_ten_megabytes())
    (tmp_path / "plain.py").write_bytes(b"x = 1\n" * (10 * 1024 * 1024 // 6))  # no optimizer
    probe = (
        "import resource, subprocess, sys, time\n"
        "start = time.monotonic()\n"
        "proc = subprocess.run([sys.executable, '-m', 'fixer', 'huge.py', 'plain.py'],"
        " capture_output=True)\n"
        "print(proc.returncode, time.monotonic() - start,"
        " resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        "sys.stderr.buffer.write(proc.stderr)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, check=True
    )
    code, seconds, peak_kib = proc.stdout.split()
    assert int(code) == 2
    assert float(seconds) < 30
    assert int(peak_kib) < 300 * 1024  # 300 MB, for fixer and its worker
    assert b"huge.py:1:1: TFO902" in proc.stderr
    assert b"plain.py" not in proc.stderr  # no optimizer named: skipped, not an error


# --------------------------------------------------------------------------- isolation, time


def _sabotage(monkeypatch: pytest.MonkeyPatch, bad: dict[str, Callable[[], None]]) -> None:
    """Make ``process`` misbehave on the named files (the worker is forked with this)."""
    import fixer.runner

    real = fixer.runner.process

    def process(path: Path, *args: object, **kwargs: object) -> FileOutcome:
        action = bad.get(path.name)
        if action is not None:
            action()
        return real(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(fixer.runner, "process", process)


@pytest.mark.skipif(sys.platform != "linux", reason="the fork start method carries the patch")
@pytest.mark.parametrize("jobs", [1, 2])
def test_a_dead_worker_costs_one_file_and_a_stuck_one_its_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    def segfault() -> None:
        import faulthandler

        faulthandler.disable()  # pytest's, inherited by the worker: no dump in the test's log
        os.kill(os.getpid(), signal.SIGSEGV)

    def hang() -> None:
        time.sleep(60)

    _sabotage(monkeypatch, {"m03.py": segfault, "m20.py": hang, "m21.py": segfault})
    files = []
    for index in range(24):
        path = tmp_path / f"m{index:02d}.py"
        path.write_bytes(FIXABLE)
        files.append(SourceFile(path, explicit=True))
    started = time.monotonic()
    outcomes = list(run(files, jobs=jobs, timeout=1.5))
    assert time.monotonic() - started < 30
    codes = {}
    for outcome in outcomes:
        assert outcome.result is not None
        codes[outcome.path.name] = [d.code for d in outcome.result.diagnostics]
    assert codes.pop("m03.py") == codes.pop("m21.py") == ["TFO905"]
    assert codes.pop("m20.py") == ["TFO904"]
    assert set(map(tuple, codes.values())) == {("TFO001",)}  # every neighbour was processed
    crashed = next(o for o in outcomes if o.path.name == "m03.py")
    assert crashed.result is not None
    assert crashed.result.diagnostics[0].message == (
        "the worker process checking this file died (SIGSEGV); left unchanged"
    )


def test_timeout_option_stops_a_slow_file(tmp_path: Path) -> None:
    (tmp_path / "slow.py").write_bytes(slow_file())
    (tmp_path / "good.py").write_bytes(FIXABLE)
    proc = fixer("--timeout", "0.5", "slow.py", "good.py", cwd=tmp_path)
    assert proc.returncode == 2
    assert error_lines(proc) == [
        "fixer: error: slow.py:1:1: TFO904 stopped after 0.5 seconds (--timeout); left unchanged"
    ]
    assert proc.stdout.decode().startswith("good.py:12:17: TFO001")


# --------------------------------------------------------------------------- interruption


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@LINUX
@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_no_worker_outlives_fixer(tmp_path: Path, signum: int) -> None:
    for index in range(SERIAL_FILES):
        (tmp_path / f"slow{index:02d}.py").write_bytes(slow_file(200_000))
    proc = subprocess.Popen(
        [sys.executable, "-m", "fixer", "-j", "2", "."],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        workers: list[int] = []
        while len(workers) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
            workers = _children(proc.pid)
        assert len(workers) == 2
        time.sleep(0.3)
        proc.send_signal(signum)
        proc.wait(10)
        time.sleep(1.0)
        assert [pid for pid in workers if _alive(pid)] == []
    finally:
        proc.kill()
        proc.wait()


SERIAL_FILES = 16  # enough for two workers


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize(("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interruption_names_the_files_already_rewritten(
    tmp_path: Path, signum: int, status: int
) -> None:
    names = ["a.py", "b.py"]
    for name in names:
        (tmp_path / name).write_bytes(FIXABLE)
    (tmp_path / "z_slow.py").write_bytes(slow_file())
    proc = subprocess.Popen(
        [sys.executable, "-m", "fixer", "--write", "-j", "1", "."],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (tmp_path / "b.py").read_bytes() != FIXED:
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == status
    assert err.decode().splitlines() == [
        "fixer: interrupted; 2 file(s) had been rewritten:",
        "  a.py",
        "  b.py",
    ]
    assert (tmp_path / "z_slow.py").read_bytes() == slow_file()


def test_a_closed_pipe_ends_the_run_quietly(tmp_path: Path) -> None:
    for index in range(120):
        (tmp_path / f"m{index:03d}.py").write_bytes(FIXABLE)
    proc = subprocess.Popen(
        [sys.executable, "-m", "fixer", "--diff", "."],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()  # as `| head -1` does
    err = proc.stderr.read()
    proc.wait(60)
    assert first == b"--- a/m000.py\n"
    assert err == b""
    assert proc.returncode == 1


# --------------------------------------------------------------------------- self-check


def test_a_fix_that_does_not_compile_is_not_written(monkeypatch: pytest.MonkeyPatch) -> None:
    import libcst as cst

    import fixer.engine

    real = fixer.engine.apply_plan

    def broken(module: cst.Module, *args: object) -> cst.Module:
        fixed = real(module, *args)  # type: ignore[arg-type]
        return fixed.with_changes(body=[*fixed.body, cst.parse_statement("return 1\n")])

    monkeypatch.setattr(fixer.engine, "apply_plan", broken)
    result = fix_source(FIXABLE, "train.py")
    assert not result.changed
    [error] = result.diagnostics
    assert error.code == "TFO901"
    assert error.message.startswith(
        "internal error: the fixed text would not compile ('return' outside function, line "
    )
    assert error.message.endswith("left unchanged (please report this file, with fixer 0.1.0)")


def test_a_fix_that_a_second_pass_changes_is_not_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import libcst as cst
    from typer.testing import CliRunner

    import fixer.cli
    import fixer.engine

    real = fixer.engine.apply_plan

    def unstable(module: cst.Module, *args: object) -> cst.Module:
        fixed = real(module, *args)  # type: ignore[arg-type]
        return fixed.with_changes(body=[*fixed.body, *module.body])  # the old step stays too

    monkeypatch.setattr(fixer.engine, "apply_plan", unstable)
    (tmp_path / "train.py").write_bytes(FIXABLE)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(fixer.cli.app, ["--write", "train.py"])
    assert result.exit_code == 2
    assert "train.py:1:1: TFO901 internal error: a second pass would change the fixed text" in (
        result.output
    )
    assert (tmp_path / "train.py").read_bytes() == FIXABLE


# --------------------------------------------------------------------------- terminal and logs

ESCAPE_NAME = "red\x1b[31m\nline\u202e.py"


def test_control_characters_in_names_are_escaped_in_text(tmp_path: Path) -> None:
    (tmp_path / ESCAPE_NAME).write_bytes(FIXABLE)
    (tmp_path / "broken\x1b[2J.py").write_bytes(SITE + b"def f(:\n")
    proc = fixer(".", cwd=tmp_path)
    out, err = proc.stdout.decode(), proc.stderr.decode()
    for text in (out, err):
        assert "\x1b" not in text and "\u202e" not in text
    assert out.splitlines() == [
        line for line in out.splitlines() if line.startswith("red\\x1b[31m\\nline\\u202e.py:12:17")
    ]
    assert len(out.splitlines()) == 1
    assert "fixer: error: broken\\x1b[2J.py:10:7: TFO900" in err
    check = fixer("--check", ".", cwd=tmp_path)
    assert check.stdout.decode() == "red\\x1b[31m\\nline\\u202e.py\n"


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_a_diff_with_a_newline_in_a_name_applies(tmp_path: Path) -> None:
    name = "new\nline.py"
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / name).write_bytes(FIXABLE)
    proc = fixer("--diff", name, cwd=tmp_path)
    assert proc.stdout.startswith(b'--- "a/new\\nline.py"\n+++ "b/new\\nline.py"\n')
    subprocess.run(["git", "apply"], cwd=tmp_path, input=proc.stdout, check=True)
    assert (tmp_path / name).read_bytes() == FIXED


@pytest.mark.parametrize("fmt", ["json", "json-lines", "sarif", "gitlab"])
def test_machine_formats_carry_odd_names_exactly(tmp_path: Path, fmt: str) -> None:
    names = [ESCAPE_NAME, 'quote"back\\slash.py', "<script>&amp;.py"]
    raw = os.fsencode("not-utf8-\udcff.py")
    for name in names:
        (tmp_path / name).write_bytes(FIXABLE)
    (tmp_path / os.fsdecode(raw)).write_bytes(FIXABLE)
    proc = fixer("--format", fmt, ".", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    proc.stdout.decode("utf-8")  # valid UTF-8 throughout
    if fmt == "json-lines":
        records = [json.loads(line) for line in proc.stdout.splitlines()]
        paths = {r["path"] for r in records}
    else:
        document = json.loads(proc.stdout)
        if fmt == "json":
            paths = {f["path"] for f in document["findings"]}
        elif fmt == "sarif":
            paths = {
                unquote(
                    r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                    errors="surrogateescape",
                )
                for r in document["runs"][0]["results"]
            }
        else:
            paths = {issue["location"]["path"] for issue in document}
    assert paths == {*names, os.fsdecode(raw)}
