"""Batch runs: any number of processes gives the same output; shards, JSON, progress."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest

from fixer.files import SourceFile
from fixer.runner import SERIAL_BELOW, run

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
CASES = [
    "hoist_adam_in_train_step",
    "hoist_factory_uses_factory_parameter",
    "hoist_two_traced_functions_get_own_optimizers",
    "hoist_crlf_line_endings",
    "report_arg_reads_step_parameter",
    "keep_adam_only_in_strings_and_comments",
]
BROKEN = b"import tensorflow as tf\ndef broken(:\n    return tf.keras.optimizers.Adam()\n"


def fixer(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    environment = {k: v for k, v in os.environ.items() if k not in ("CI", "COLUMNS")}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "fixer", *args],
        cwd=cwd,
        capture_output=True,
        env=environment,
        check=False,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Sixty files: fixable, unfixable, clean, broken and generated ones, in nested folders."""
    for index in range(60):
        folder = tmp_path / "src" / f"pkg{index % 4}"
        folder.mkdir(parents=True, exist_ok=True)
        if index < len(CASES) * 3:
            data = (FIXTURES / CASES[index % len(CASES)] / "input.py").read_bytes()
        elif index == 50:
            data = BROKEN
        elif index == 51:
            data = b"# @generated\n" + (FIXTURES / CASES[0] / "input.py").read_bytes()
        else:
            data = f"import os\n\nVALUE = {index}\n".encode()
        (folder / f"m{index:02d}.py").write_bytes(data)
    return tmp_path


@pytest.mark.parametrize("mode", [[], ["--diff"], ["--check"], ["--format", "json-lines"]])
def test_output_is_the_same_for_any_number_of_jobs(project: Path, mode: list[str]) -> None:
    runs = [fixer(*mode, "--jobs", str(jobs), "src", cwd=project) for jobs in (1, 2, 3)]
    first = runs[0]
    assert first.returncode == 2  # findings, and a broken file
    assert b"TFO001" in first.stdout + first.stderr or first.stdout.startswith(b"---")
    for other in runs[1:]:
        assert (other.returncode, other.stdout, other.stderr) == (
            first.returncode,
            first.stdout,
            first.stderr,
        )


def test_outcomes_come_in_the_order_given(project: Path) -> None:
    files = [SourceFile(path) for path in sorted(project.rglob("*.py"), reverse=True)]
    assert len(files) >= SERIAL_BELOW
    batch = run(files, jobs=2)
    assert batch.total == len(files)
    assert [outcome.path for outcome in batch] == [file.path for file in files]


def _lines(proc: subprocess.CompletedProcess[bytes]) -> list[str]:
    return proc.stdout.decode().splitlines()


def test_shards_concatenate_into_the_whole_run(project: Path) -> None:
    whole = fixer("--format", "json-lines", "src", "missing.py", cwd=project)
    shards = [
        fixer("--format", "json-lines", "--shard", f"{k}/3", "src", "missing.py", cwd=project)
        for k in (1, 2, 3)
    ]
    parts = [_lines(shard) for shard in shards]
    assert all(parts)  # every shard got work
    assert Counter(line for part in parts for line in part) == Counter(_lines(whole))
    paths = [json.loads(line)["path"] for part in parts for line in part]
    assert len(paths) == len(set(paths))  # disjoint
    assert max(shard.returncode for shard in shards) == whole.returncode == 2
    records = [json.loads(line) for line in _lines(whole)]
    missing = [r for r in records if r["path"] == "missing.py"]
    assert missing[0]["errors"][0]["message"] == "no such file or directory"
    assert not any(r["path"].endswith("m51.py") for r in records)  # generated: skipped


def test_json_document(project: Path) -> None:
    proc = fixer("--format", "json", "src", cwd=project)
    document = json.loads(proc.stdout)
    assert set(document) == {"version", "files", "findings", "errors", "summary"}
    assert document["version"] == 1
    summary = document["summary"]
    assert summary["files"] == len(document["files"]) == 59  # one is @generated
    assert summary["generated"] == 1
    assert summary["findings"] == len(document["findings"]) > 0
    assert summary["fixable"] == sum(f["fixable"] for f in document["findings"])
    finding = document["findings"][0]
    assert {
        "path",
        "line",
        "column",
        "end_line",
        "end_column",
        "code",
        "name",
        "message",
        "applicability",
        "fixable",
        "fix",
        "suppressed",
    } <= set(finding)
    assert finding["applicability"] in {"safe", "unsafe", "none"}
    assert [e["code"] for e in document["errors"]] == ["TFO900"]
    assert proc.returncode == 2


def test_json_does_not_combine_with_diff(project: Path) -> None:
    proc = fixer("--format", "json", "--diff", "src", cwd=project)
    assert proc.returncode == 2
    assert b"--format json and --diff both write to stdout: add --output-file" in proc.stderr


@pytest.mark.parametrize("value", ["0/2", "3/2", "x", "1-2"])
def test_bad_shard_or_jobs_values_are_usage_errors(project: Path, value: str) -> None:
    assert fixer("--shard", value, "src", cwd=project).returncode == 2
    assert fixer("--jobs", "0", "src", cwd=project).returncode == 2


@pytest.fixture
def many_files(tmp_path: Path) -> Path:
    for index in range(250):
        (tmp_path / f"m{index:03d}.py").write_text(f"VALUE = {index}\n")
    return tmp_path


def test_no_progress_bar_in_a_pipe(many_files: Path) -> None:
    proc = fixer(".", cwd=many_files)
    assert proc.returncode == 0
    assert proc.stderr == b"checked 250 files, 0 findings (0 fixable)\n"


def _with_terminal_stderr(cwd: Path, env: dict[str, str]) -> bytes:
    """Run fixer with stderr on a pseudo-terminal; return what it wrote there."""
    import pty

    controller, terminal = pty.openpty()
    environment = {k: v for k, v in os.environ.items() if k not in ("CI", "COLUMNS", "TERM")}
    environment.update({"TERM": "xterm", **env})
    proc = subprocess.Popen(
        [sys.executable, "-m", "fixer", "."],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=terminal,
        env=environment,
    )
    os.close(terminal)
    chunks: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:
                return
            if not chunk:
                return
            chunks.append(chunk)

    reader = threading.Thread(target=drain)
    reader.start()
    proc.wait(timeout=60)
    reader.join(timeout=10)
    os.close(controller)
    return b"".join(chunks)


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_progress_bar_only_on_a_terminal_outside_ci(many_files: Path) -> None:
    shown = _with_terminal_stderr(many_files, {})
    assert b"250/250" in shown or b"\x1b[" in shown
    hidden = _with_terminal_stderr(many_files, {"CI": "true"})
    assert b"\x1b[" not in hidden
    assert hidden.strip() == b"checked 250 files, 0 findings (0 fixable)"


# The fixtures whose input imports builders from other modules of its folder.
ACROSS_FILES = [
    "hoist_tf_helper_module_absolute_import",
    "hoist_tf_helper_module_attribute_call",
    "hoist_helper_module_relative_import",
    "report_helper_module_refused",
    "keep_helper_module_cached_or_not_an_optimizer",
]


@pytest.fixture
def repository_with_helper_modules(tmp_path: Path) -> Path:
    """A git working tree where each of five projects appears four times, its helper modules
    next to its input, among forty files without optimizers: enough for a pool of workers, each
    of which reads the helper modules on its own."""
    (tmp_path / ".git").mkdir()
    for copy in range(4):
        for case in ACROSS_FILES:
            target = tmp_path / "src" / f"copy{copy}" / case
            shutil.copytree(
                FIXTURES / case,
                target,
                ignore=shutil.ignore_patterns(
                    "expected*.py", "diagnostics.txt", "run.json", "__pycache__"
                ),
            )
    for index in range(40):
        folder = tmp_path / "src" / f"plain{index % 3}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"m{index:02d}.py").write_text(f"import os\n\nVALUE = {index}\n")
    return tmp_path


@pytest.mark.parametrize("mode", [["--format", "json-lines"], ["--diff"]])
def test_findings_across_files_are_the_same_for_any_number_of_jobs(
    repository_with_helper_modules: Path, mode: list[str]
) -> None:
    project = repository_with_helper_modules
    runs = [fixer(*mode, "--jobs", str(jobs), "src", cwd=project) for jobs in (1, 2, 3)]
    first = runs[0]
    assert first.returncode == 1, first.stderr
    if mode == ["--diff"]:
        assert first.stdout.count(b"\n+optimizer = build_optimizer(CONFIG)\n") == 4
    else:
        records = [json.loads(line) for line in _lines(first)]
        found = Counter(
            f["code"]
            for record in records
            for f in record["findings"]
            if "module `" in f["message"]
        )
        assert found == {"TFO004": 4 * 6}  # six findings at calls of other modules' builders
    for other in runs[1:]:
        assert (other.returncode, other.stdout, other.stderr) == (
            first.returncode,
            first.stdout,
            first.stderr,
        )


def test_a_file_checked_alone_still_reads_its_sibling_modules(
    repository_with_helper_modules: Path,
) -> None:
    """pre-commit names single files: the helper modules they import are found all the same."""
    project = repository_with_helper_modules
    for case in ACROSS_FILES:
        alone = fixer("src/copy2/" + case + "/input.py", cwd=project)
        golden = (FIXTURES / case / "diagnostics.txt").read_bytes()
        shown = alone.stdout.replace(f"src/copy2/{case}/".encode(), b"")
        assert shown == golden, alone.stderr
