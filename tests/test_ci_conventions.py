"""The CI conventions of the command line, end to end: the real ``fixer`` in a subprocess.

Output formats and ``--output-file``, ``--stdin-filename`` in every mode, suppression comments,
rule selection and fix safety, hierarchical configuration in a monorepo, configuration errors,
``--force-exclude``, ``--changed-since`` with the real git, ``--statistics``, ``fixer rule``, and
the JSON fix edits replayed over every fixture. Runs that do not depend on each other are started
together (module-scoped fixtures, a thread pool), so the module stays quick on two cores.

A bug found here gets its test first (``xfail(strict=True)`` until it is fixed, so that the fix
shows as XPASS and the mark is removed).
"""

from __future__ import annotations

import ast
import io
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tokenize
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
CASES = sorted(p.name for p in FIXTURES.iterdir() if (p / "input.py").is_file())
# A case's other modules (``trainlib/optim.py``), which its input imports: the run checks them
# too, from the same layout (``tests/test_fixtures.py`` says what they are).
OTHER_MODULES = {
    case: [
        p.relative_to(FIXTURES / case).as_posix()
        for p in sorted((FIXTURES / case).rglob("*.py"))
        if "__pycache__" not in p.parts
        and not (
            p.parent == FIXTURES / case
            and p.name in ("input.py", "expected.py", "expected_unsafe.py", "reference.py")
        )
    ]
    for case in CASES
}
UNSAFE_CASES = [case for case in CASES if (FIXTURES / case / "expected_unsafe.py").is_file()]
# The cases --unsafe-fixes can change: those with a finding whose fix is unsafe.
WITH_UNSAFE_FIXES = [
    case
    for case in CASES
    if b" [fixable, unsafe] " in (FIXTURES / case / "diagnostics.txt").read_bytes()
]


def fixture(case: str, name: str = "input.py") -> bytes:
    return (FIXTURES / case / name).read_bytes()


TFO001 = fixture("hoist_adam_in_train_step")  # one safe TFO001 at 12:17
TFO001_FIXED = fixture("hoist_adam_in_train_step", "expected.py")
TFO001_UNFIXABLE = fixture("report_arg_reads_step_parameter")  # TFO001, not fixable, 12:17
TFO002 = fixture("hoist_tf_new_optimizer_each_epoch")
TFO003 = fixture("report_eager_loop_rebuilds_optimizer_every_step")  # unsafe fix
TFO003_FIXED = fixture("report_eager_loop_rebuilds_optimizer_every_step", "expected_unsafe.py")
TFO004 = fixture("hoist_tf_helper_called_from_traced_step")  # two TFO004 findings, one fix
TFO005 = fixture("report_step_function_builds_optimizer_each_call")  # unsafe fix
TFO005_FIXED = fixture("report_step_function_builds_optimizer_each_call", "expected_unsafe.py")
ALL_SUPPRESSED = fixture("keep_suppressed_in_every_place")
# A syntax error in a file that may hold a finding (other files are not parsed at all).
BROKEN = b"import tensorflow as tf\ndef broken(:\n    return tf.keras.optimizers.Adam()\n"
CLEAN = b"import tensorflow as tf\n\nx = 1\n"
CODES = (
    "TFO001",
    "TFO002",
    "TFO003",
    "TFO004",
    "TFO005",
    "TFO100",
    "TFO900",
    "TFO901",
    "TFO902",
    "TFO903",
    "TFO904",
    "TFO905",
)

FINDING = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<column>\d+): (?P<code>TFO\d{3}) ")
SUMMARY = re.compile(r"^checked \d+ files?, ")

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

# ----------------------------------------------------------------------------- running fixer


def _environment() -> dict[str, str]:
    """No CI (no progress bar logic), no colours, and git without user or system settings."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key != "CI" and not key.startswith(("COLUMNS", "GIT_"))
    }
    env.update(NO_COLOR="1", GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull)
    for role in ("AUTHOR", "COMMITTER"):
        env[f"GIT_{role}_NAME"] = "Fixer Test"
        env[f"GIT_{role}_EMAIL"] = "fixer@example.com"
        env[f"GIT_{role}_DATE"] = "2024-01-01T00:00:00Z"
    return env


ENV = _environment()


@pytest.fixture(scope="module", autouse=True)
def _no_repository_above(tmp_path_factory: pytest.TempPathFactory) -> None:
    """git (ours and fixer's) never finds a repository above the temporary folders."""
    ENV["GIT_CEILING_DIRECTORIES"] = str(tmp_path_factory.getbasetemp().resolve())


@dataclass(frozen=True)
class Run:
    """One finished ``fixer`` process."""

    code: int
    out: bytes
    err: bytes

    @property
    def stdout(self) -> str:
        return self.out.decode("utf-8")

    @property
    def stderr(self) -> str:
        return self.err.decode("utf-8")

    def findings(self, text: str | None = None) -> set[tuple[str, str]]:
        """(path, code) of each text finding on stdout (or in ``text``)."""
        found = set()
        for line in (self.stdout if text is None else text).splitlines():
            match = FINDING.match(line)
            assert match, f"not a finding: {line!r}"
            found.add((match["path"], match["code"]))
        return found

    def error_lines(self) -> list[str]:
        """stderr without the summary line."""
        return [line for line in self.stderr.splitlines() if not SUMMARY.match(line)]


def fixer(*args: str | Path, cwd: Path, stdin: bytes = b"") -> Run:
    """Run ``python -m fixer ARGS`` in ``cwd``; a traceback anywhere fails the test."""
    completed = subprocess.run(
        [sys.executable, "-m", "fixer", *map(str, args)],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        env=ENV,
        check=False,
        timeout=300,
    )
    run = Run(completed.returncode, completed.stdout, completed.stderr)
    assert b"Traceback" not in run.err and b"Traceback" not in run.out, run.stderr
    return run


def run_all(jobs: Mapping[str, Callable[[], Run]]) -> dict[str, Run]:
    """Independent runs at the same time (each is a process: threads are enough)."""
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        futures = {name: pool.submit(job) for name, job in jobs.items()}
        return {name: future.result() for name, future in futures.items()}


def git(cwd: Path, *args: str, stdin: bytes = b"") -> str:
    completed = subprocess.run(
        ["git", "-c", "init.defaultBranch=main", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        env=ENV,
        check=True,
    )
    return completed.stdout.decode("utf-8")


def make_tree(root: Path, files: Mapping[str, bytes | str]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return root


def json_findings(text: str) -> list[dict[str, Any]]:
    findings: list[dict[str, Any]] = json.loads(text)["findings"]
    return findings


def in_force(findings: Iterable[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(f["path"], f["code"]) for f in findings if not f["suppressed"]}


# ----------------------------------------------------------------------------- JSON fix edits


def apply_fixes(data: bytes, findings: Iterable[dict[str, Any]], *, applied: bool) -> bytes:
    """The documented recipe: every distinct ``fix.id`` whose ``applied`` is ``applied``, its
    edits sorted by position, applied to the file decoded as Python decodes it (PEP 263)."""
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    text = data.decode(encoding)
    by_id: dict[int, list[dict[str, Any]]] = {}
    for finding in findings:
        fix = finding["fix"]
        if fix is None or fix["applied"] is not applied:
            continue
        edits = by_id.setdefault(fix["id"], fix["edits"])
        assert edits == fix["edits"], "findings that share a fix id share its edits"
    edits = [edit for fix_id in sorted(by_id) for edit in by_id[fix_id]]
    return apply_edits(text, edits).encode(encoding)


def apply_edits(text: str, edits: list[dict[str, Any]]) -> str:
    starts = [0] + [index + 1 for index, char in enumerate(text) if char == "\n"]

    def offset(point: dict[str, int]) -> int:
        line, column = point["line"], point["column"]
        if line == len(starts) + 1 and column == 1:  # just past a final line without "\n"
            return len(text)
        end = starts[line] if line < len(starts) else len(text)
        position = starts[line - 1] + column - 1
        assert starts[line - 1] <= position <= end, f"{point} is outside its line"
        return position

    out, position = [], 0
    for edit in sorted(edits, key=lambda e: (e["start"]["line"], e["start"]["column"])):
        start, end = offset(edit["start"]), offset(edit["end"])
        assert position <= start <= end, f"edits overlap or run backwards at {edit}"
        out += [text[position:start], edit["content"]]
        position = end
    out.append(text[position:])
    return "".join(out)


@pytest.fixture(scope="module")
def fixture_documents(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """One run over every fixture input, each case in its own folder with its fixer.toml if it
    has one (safe fixes), and one with --unsafe-fixes over the cases it can change: their JSON."""
    base = tmp_path_factory.mktemp("fixtures")
    for name, cases in (("safe", CASES), ("unsafe", WITH_UNSAFE_FIXES)):
        for case in cases:
            (base / name / case).mkdir(parents=True)
            for file_name in ("input.py", "fixer.toml", *OTHER_MODULES[case]):
                if (FIXTURES / case / file_name).is_file():
                    target = base / name / case / file_name
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(FIXTURES / case / file_name, target)
    output = {name: base / f"{name}.json" for name in ("safe", "unsafe")}
    runs = run_all(
        {
            "safe": partial(
                fixer, ".", "--format", "json", "-o", output["safe"], cwd=base / "safe"
            ),
            "unsafe": partial(
                fixer,
                ".",
                "--unsafe-fixes",
                "--format",
                "json",
                "-o",
                output["unsafe"],
                cwd=base / "unsafe",
            ),
        }
    )
    documents = {}
    for name, run in runs.items():
        assert run.code == 1, run.stderr
        assert run.out == b""  # the document went to the file
        documents[name] = json.loads(output[name].read_text(encoding="utf-8"))
    return documents


def case_files(case: str) -> list[str]:
    """The files of a case the run checks: ``input.py`` and the other modules it imports."""
    return sorted([f"{case}/input.py", *(f"{case}/{m}" for m in OTHER_MODULES[case])])


def case_findings(document: dict[str, Any], case: str) -> list[dict[str, Any]]:
    return [f for f in document["findings"] if f["path"] == f"{case}/input.py"]


def test_the_json_document_covers_every_fixture(fixture_documents: dict[str, Any]) -> None:
    assert WITH_UNSAFE_FIXES == UNSAFE_CASES  # each case with an unsafe fix has its golden
    for name, cases in (("safe", CASES), ("unsafe", WITH_UNSAFE_FIXES)):
        document = fixture_documents[name]
        assert document["version"] == 1
        assert document["files"] == [file for case in cases for file in case_files(case)]
        assert document["errors"] == []
        summary = document["summary"]
        assert summary["files"] == sum(len(case_files(case)) for case in cases)
        assert summary["findings"] == sum(not f["suppressed"] for f in document["findings"])
        assert summary["fixable"] == sum(
            f["fixable"] and not f["suppressed"] for f in document["findings"]
        )


LABELS = {"safe": "fixable", "unsafe": "fixable, unsafe", "none": "not fixable"}


@pytest.mark.parametrize("case", CASES)
def test_json_findings_are_the_golden_diagnostics(
    fixture_documents: dict[str, Any], case: str
) -> None:
    expected = fixture(case, "diagnostics.txt").decode("utf-8")
    for name in ("safe", "unsafe") if case in WITH_UNSAFE_FIXES else ("safe",):
        rendered = "".join(
            f"input.py:{f['line']}:{f['column']}: {f['code']} "
            f"[{LABELS[f['applicability']]}] {f['message']}\n"
            for f in case_findings(fixture_documents[name], case)
            if not f["suppressed"]
        )
        assert rendered == expected


@pytest.mark.parametrize("case", CASES)
def test_json_fix_edits_reproduce_expected(fixture_documents: dict[str, Any], case: str) -> None:
    findings = case_findings(fixture_documents["safe"], case)
    fixed = apply_fixes(fixture(case), findings, applied=True)
    assert fixed == fixture(case, "expected.py")


@pytest.mark.parametrize("case", WITH_UNSAFE_FIXES)
def test_json_fix_edits_with_unsafe_fixes_reproduce_expected_unsafe(
    fixture_documents: dict[str, Any], case: str
) -> None:
    findings = case_findings(fixture_documents["unsafe"], case)
    fixed = apply_fixes(fixture(case), findings, applied=True)
    assert fixed == fixture(case, "expected_unsafe.py")


@pytest.mark.parametrize("case", UNSAFE_CASES)
def test_a_held_back_fix_applies_on_its_own(fixture_documents: dict[str, Any], case: str) -> None:
    findings = case_findings(fixture_documents["safe"], case)
    held = {f["fix"]["id"] for f in findings if f["fix"] and not f["fix"]["applied"]}
    assert held, "a case with expected_unsafe.py holds an unsafe fix back"
    assert not any(f["fix"] and f["fix"]["applied"] for f in findings)
    if len(held) == 1:
        assert apply_fixes(fixture(case), findings, applied=False) == fixture(
            case, "expected_unsafe.py"
        )
    else:  # several: each still applies to the original text on its own
        for fix_id in held:
            one = [f for f in findings if f["fix"] and f["fix"]["id"] == fix_id]
            assert apply_fixes(fixture(case), one, applied=False) != fixture(case)


# ----------------------------------------------------------------------------- --stdin-filename

# (CRLF and the other encodings go through the same bytes: the fixture test replays them all.)
STDIN_ENCODINGS = ("hoist_utf8_bom", "hoist_latin1_coding_cookie")
STDIN_CONFIG = """\
extend-exclude = ["generated/"]

[per-file-ignores]
"tests/*" = ["TFO001"]
"""


@pytest.fixture(scope="module")
def stdin_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tree(tmp_path_factory.mktemp("stdin"), {"fixer.toml": STDIN_CONFIG})


@pytest.fixture(scope="module")
def stdin_runs(stdin_project: Path) -> dict[str, Run]:
    def stdin(path: str, data: bytes, *args: str | Path) -> Callable[[], Run]:
        return partial(fixer, "--stdin-filename", path, *args, cwd=stdin_project, stdin=data)

    modes = {"report": (), "diff": ("--diff",), "write": ("--write",), "check": ("--check",)}
    jobs = {}
    for mode, args in modes.items():
        jobs[f"fixable-{mode}"] = stdin("src/train.py", TFO001, *args)
        jobs[f"broken-{mode}"] = stdin("src/broken.py", BROKEN, *args)
        jobs[f"excluded-{mode}"] = stdin("generated/train.py", TFO001, "--force-exclude", *args)
    jobs["clean-report"] = stdin("src/clean.py", CLEAN)
    jobs["clean-write"] = stdin("src/clean.py", CLEAN, "--write")
    jobs["unfixable-write"] = stdin("src/train.py", TFO001_UNFIXABLE, "--write")
    jobs["excluded-unforced"] = stdin("generated/train.py", TFO001, "--format", "json")
    jobs["excluded-broken-write"] = stdin("generated/b.py", BROKEN, "--force-exclude", "--write")
    jobs["per-file-ignored"] = stdin("tests/test_train.py", TFO001)
    jobs["json-write"] = stdin("src/train.py", TFO001, "--write", "--format", "json")
    jobs["json-write-file"] = stdin(
        "src/train.py", TFO001, "--write", "--format", "json", "-o", stdin_project / "w.json"
    )
    jobs["with-a-path"] = stdin("src/train.py", TFO001, "other.py")
    for case in STDIN_ENCODINGS:
        jobs[case] = stdin(f"src/{case}.py", fixture(case), "--write")
    return run_all(jobs)


def test_stdin_report(stdin_runs: dict[str, Run]) -> None:
    run = stdin_runs["fixable-report"]
    assert run.code == 1
    assert run.stdout.startswith("src/train.py:12:17: TFO001 [fixable] optimizer")
    assert len(run.stdout.splitlines()) == 1
    assert run.error_lines() == []


@needs_git
def test_stdin_diff_prints_the_diff_and_it_applies(
    stdin_runs: dict[str, Run], tmp_path: Path
) -> None:
    run = stdin_runs["fixable-diff"]
    assert run.code == 1
    assert run.stdout.startswith("--- a/src/train.py\n+++ b/src/train.py\n@@ ")
    assert run.error_lines() == []
    make_tree(tmp_path, {"src/train.py": TFO001})
    git(tmp_path, "apply", "-", stdin=run.out)
    assert (tmp_path / "src/train.py").read_bytes() == TFO001_FIXED


def test_stdin_write_prints_the_whole_fixed_source(stdin_runs: dict[str, Run]) -> None:
    run = stdin_runs["fixable-write"]
    assert run.code == 1
    assert run.out == TFO001_FIXED
    assert run.error_lines() == []  # nothing left to fix by hand


def test_stdin_write_prints_the_findings_it_could_not_fix_on_stderr(
    stdin_runs: dict[str, Run],
) -> None:
    run = stdin_runs["unfixable-write"]
    assert run.code == 1
    assert run.out == TFO001_UNFIXABLE
    [line] = run.error_lines()
    assert line.startswith("src/train.py:12:17: TFO001 [not fixable]")


def test_stdin_check_names_the_file(stdin_runs: dict[str, Run]) -> None:
    run = stdin_runs["fixable-check"]
    assert run.code == 1
    assert run.stdout == "src/train.py\n"


@pytest.mark.parametrize("mode", ["report", "write"])
def test_stdin_clean_source_exits_0(stdin_runs: dict[str, Run], mode: str) -> None:
    run = stdin_runs[f"clean-{mode}"]
    assert run.code == 0
    assert run.out == (CLEAN if mode == "write" else b"")
    assert run.error_lines() == []


@pytest.mark.parametrize("mode", ["report", "diff", "write", "check"])
def test_stdin_syntax_error_exits_2_and_write_echoes_the_input(
    stdin_runs: dict[str, Run], mode: str
) -> None:
    run = stdin_runs[f"broken-{mode}"]
    assert run.code == 2
    assert run.out == (BROKEN if mode == "write" else b"")
    [line] = run.error_lines()
    assert line.startswith("fixer: error: src/broken.py:2:12: TFO900 syntax error")


@pytest.mark.parametrize("mode", ["report", "diff", "write", "check"])
def test_stdin_force_excluded_file_is_left_alone(stdin_runs: dict[str, Run], mode: str) -> None:
    run = stdin_runs[f"excluded-{mode}"]
    assert run.code == 0
    assert run.out == (TFO001 if mode == "write" else b"")
    assert run.error_lines() == []


def test_stdin_exclusions_need_force_exclude_and_json_reports(stdin_runs: dict[str, Run]) -> None:
    run = stdin_runs["excluded-unforced"]
    assert run.code == 1
    document = json.loads(run.stdout)
    assert document["files"] == ["generated/train.py"]
    assert in_force(document["findings"]) == {("generated/train.py", "TFO001")}


def test_stdin_force_excluded_broken_file_is_echoed_without_error(
    stdin_runs: dict[str, Run],
) -> None:
    run = stdin_runs["excluded-broken-write"]
    assert (run.code, run.out, run.error_lines()) == (0, BROKEN, [])


def test_stdin_per_file_ignores_apply_to_the_stdin_filename(stdin_runs: dict[str, Run]) -> None:
    run = stdin_runs["per-file-ignored"]
    assert (run.code, run.out) == (0, b"")


def test_stdin_write_with_a_machine_format_needs_an_output_file(
    stdin_runs: dict[str, Run], stdin_project: Path
) -> None:
    refused = stdin_runs["json-write"]
    assert refused.code == 2
    assert refused.out == b""
    assert refused.error_lines() == [
        "fixer: error: --format json and --write both write to stdout: add --output-file FILE "
        "for the findings"
    ]
    run = stdin_runs["json-write-file"]
    assert run.code == 1
    assert run.out == TFO001_FIXED
    [finding] = json_findings((stdin_project / "w.json").read_text(encoding="utf-8"))
    assert finding["fix"]["applied"] is True


def test_stdin_with_paths_is_a_usage_error(stdin_runs: dict[str, Run]) -> None:
    run = stdin_runs["with-a-path"]
    assert (run.code, run.out) == (2, b"")
    assert run.error_lines() == ["fixer: error: --stdin-filename reads stdin: give no other paths"]


@pytest.mark.parametrize("case", STDIN_ENCODINGS)
def test_stdin_write_keeps_encodings_and_line_endings(
    stdin_runs: dict[str, Run], case: str
) -> None:
    run = stdin_runs[case]
    assert run.code == 1
    assert run.out == fixture(case, "expected.py")


@needs_git
@pytest.mark.parametrize("spelling", ["absolute", "dot-slash"])
def test_stdin_diff_paths_are_repository_relative(tmp_path: Path, spelling: str) -> None:
    """Editors pass absolute paths: the diff still names the file as `git apply` wants it."""
    repo = make_tree(tmp_path / "repo", {"src/train.py": TFO001})
    git(repo, "init", "-q")
    name = str(repo / "src/train.py") if spelling == "absolute" else "./src/train.py"
    run = fixer("--stdin-filename", name, "--diff", cwd=repo, stdin=TFO001)
    assert run.code == 1
    assert run.stdout.startswith("--- a/src/train.py\n+++ b/src/train.py\n")
    git(repo, "apply", "-", stdin=run.out)
    assert (repo / "src/train.py").read_bytes() == TFO001_FIXED


# ----------------------------------------------------------------------------- suppressions

# Each optimizer call is in a function whose name says whether a comment suppresses it.
SUPPRESSIONS = """\
import tensorflow as tf

model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
loss_fn = tf.keras.losses.MeanSquaredError()
dataset = tf.data.Dataset.from_tensor_slices((tf.ones((8, 2)), tf.ones((8, 1)))).batch(4)


@tf.function
def sup_on_the_line(x):
    opt = tf.keras.optimizers.Adam(1e-3)  # fixer: ignore[TFO001]
    return opt


@tf.function
def sup_on_a_middle_line_of_the_call(x):
    opt = tf.keras.optimizers.Adam(
        learning_rate=0.1,  # noqa: TFO001
        beta_1=0.9,
    )
    return opt


@tf.function
def sup_on_the_last_line_of_the_call(x):
    opt = tf.keras.optimizers.Adam(
        learning_rate=0.1,
    )  # fixer: ignore[TFO003,TFO001]
    return opt


@tf.function  # fixer: ignore
def sup_on_the_decorator_line(x):
    opt = tf.keras.optimizers.SGD(0.1)
    return opt


@tf.function
def sup_on_the_def_line(x):  # FIXER: IGNORE[tfo001]
    opt = tf.keras.optimizers.SGD(0.1)
    return opt


@tf.function
def sup_on_the_colon_line_of_a_long_header(
    x,
    y,
):  # noqa: E501  # fixer: ignore[TFO001]
    opt = tf.keras.optimizers.SGD(0.1)
    return opt


@tf.function
def sup_bare_noqa(x):
    opt = tf.keras.optimizers.RMSprop(0.1)  # noqa
    return opt


def sup_for_header():
    for x, y in dataset:  # fixer: ignore[TFO003]
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x))
        grads = tape.gradient(loss, model.trainable_variables)
        tf.keras.optimizers.Adam(1e-3).apply_gradients(zip(grads, model.trainable_variables))


def sup_outer_loop_header():
    for epoch in range(3):  # fixer: ignore[TFO003]
        for x, y in dataset:
            with tf.GradientTape() as tape:
                loss = loss_fn(y, model(x))
            grads = tape.gradient(loss, model.trainable_variables)
            tf.keras.optimizers.Adam(1e-3).apply_gradients(zip(grads, model.trainable_variables))


def sup_while_header():
    step = 0
    while step < 3:  # Fixer: Ignore[TFO003]
        for x, y in dataset:
            with tf.GradientTape() as tape:
                loss = loss_fn(y, model(x))
            grads = tape.gradient(loss, model.trainable_variables)
            tf.keras.optimizers.Adam(1e-3).apply_gradients(zip(grads, model.trainable_variables))
        step += 1


@tf.function
def hit_comment_on_the_line_above(x):
    # fixer: ignore[TFO001]
    opt = tf.keras.optimizers.Adam(1e-3)
    return opt


@tf.function
def hit_noqa_on_the_def_line(x):  # noqa: TFO001 (a noqa is about its own line, as in Ruff)
    opt = tf.keras.optimizers.Adam(1e-3)
    return opt


@tf.function
def hit_other_code(x):
    opt = tf.keras.optimizers.Adam(1e-3)  # fixer: ignore[TFO003]
    return opt


@tf.function
def hit_other_tools_noqa(x):
    opt = tf.keras.optimizers.Adam(1e-3)  # noqa: E501, F841
    return opt


@tf.function
def hit_string_is_not_a_comment(x):
    s = "# fixer: ignore"; opt = tf.keras.optimizers.Adam(1e-3)
    return opt, s


@tf.function
def hit_after_a_suppressed_sibling(x):
    opt = tf.keras.optimizers.Adam(1e-3)
    return opt


def hit_with_header_is_not_a_loop():
    for x, y in dataset:
        with tf.GradientTape() as tape:  # fixer: ignore[TFO003]
            loss = loss_fn(y, model(x))
        grads = tape.gradient(loss, model.trainable_variables)
        tf.keras.optimizers.Adam(1e-3).apply_gradients(zip(grads, model.trainable_variables))
"""


def optimizer_lines(source: str) -> dict[int, str]:
    """The line of each optimizer call, with the name of the function it is in."""
    lines: dict[int, str] = {}
    function = ""
    for number, line in enumerate(source.splitlines(), start=1):
        match = re.match(r"def (\w+)", line)
        if match:
            function = match[1]
        if "tf.keras.optimizers." in line:
            lines[number] = function
    return lines


@pytest.fixture(scope="module")
def suppression_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    root = make_tree(
        tmp_path_factory.mktemp("suppressions"),
        {"s.py": SUPPRESSIONS, "all_suppressed.py": ALL_SUPPRESSED},
    )
    return run_all(
        {
            "text": partial(fixer, "s.py", "all_suppressed.py", cwd=root),
            "json": partial(fixer, "s.py", "all_suppressed.py", "--format", "json", cwd=root),
            "sarif": partial(fixer, "s.py", "--format", "sarif", cwd=root),
            "write": partial(
                fixer, "--stdin-filename", "s.py", "--write", cwd=root, stdin=SUPPRESSIONS.encode()
            ),
            "all": partial(fixer, "all_suppressed.py", cwd=root),
        }
    )


def test_each_suppression_place_suppresses_exactly_its_finding(
    suppression_runs: dict[str, Run],
) -> None:
    run = suppression_runs["json"]
    assert run.code == 1
    expected = optimizer_lines(SUPPRESSIONS)
    findings = [f for f in json_findings(run.stdout) if f["path"] == "s.py"]
    assert sorted(f["line"] for f in findings) == sorted(expected)  # one finding per call
    for finding in findings:
        function = expected[finding["line"]]
        assert finding["suppressed"] is function.startswith("sup_"), (function, finding)
        assert (finding["suppression"] is not None) is finding["suppressed"]


def test_suppressed_findings_are_not_listed_as_text(suppression_runs: dict[str, Run]) -> None:
    run = suppression_runs["text"]
    assert run.code == 1
    expected = optimizer_lines(SUPPRESSIONS)
    matches = [FINDING.match(line) for line in run.stdout.splitlines()]
    listed = {int(match["line"]) for match in matches if match and match["path"] == "s.py"}
    assert len(listed) == len(matches)  # and nothing of all_suppressed.py
    assert listed == {line for line, name in expected.items() if name.startswith("hit_")}


def test_sarif_marks_exactly_the_suppressed_results(suppression_runs: dict[str, Run]) -> None:
    run = suppression_runs["sarif"]
    expected = optimizer_lines(SUPPRESSIONS)
    results = json.loads(run.stdout)["runs"][0]["results"]
    assert len(results) == len(expected)
    for result in results:
        line = result["locations"][0]["physicalLocation"]["region"]["startLine"]
        suppressions = result.get("suppressions", [])
        assert bool(suppressions) is expected[line].startswith("sup_")
        assert all(s["kind"] == "inSource" for s in suppressions)


def test_suppressed_findings_are_not_fixed(suppression_runs: dict[str, Run]) -> None:
    run = suppression_runs["write"]
    assert run.code == 1
    functions = [node for node in ast.parse(run.stdout).body if isinstance(node, ast.FunctionDef)]
    assert len(functions) == len(set(optimizer_lines(SUPPRESSIONS).values()))
    for function in functions:
        builds = "tf.keras.optimizers." in ast.unparse(function)
        if function.name.startswith("sup_"):
            assert builds, function.name
        elif function.decorator_list:  # a traced hit_ function: its TFO001 fix moved it out
            assert not builds, function.name


def test_only_suppressed_findings_exit_0(suppression_runs: dict[str, Run]) -> None:
    run = suppression_runs["all"]
    assert (run.code, run.out) == (0, b"")
    assert run.stderr == "checked 1 file, 0 findings (0 fixable)\n"
    document = json.loads(suppression_runs["json"].stdout)
    others = [f for f in document["findings"] if f["path"] == "all_suppressed.py"]
    assert len(others) == len(optimizer_lines(ALL_SUPPRESSED.decode()))
    assert all(f["suppressed"] for f in others)
    in_s = [f for f in document["findings"] if f["path"] == "s.py" and not f["suppressed"]]
    assert document["summary"]["findings"] == len(in_s)  # suppressed ones are not counted


UNUSED = """\
import tensorflow as tf

w = tf.Variable(1.0)  # fixer: ignore[TFO001]
b = tf.Variable(0.0)  # noqa: TFO003, F841
c = tf.Variable(0.0)  # noqa
d = tf.Variable(0.0)  # fixer: ignore  # keep this note


@tf.function
def step(x):  # fixer: ignore[TFO001,TFO004]
    opt = tf.keras.optimizers.Adam(1e-3)
    return opt
"""
UNUSED_FIXED = """\
import tensorflow as tf

w = tf.Variable(1.0)
b = tf.Variable(0.0)  # noqa: F841
c = tf.Variable(0.0)  # noqa
d = tf.Variable(0.0)  # keep this note


@tf.function
def step(x):  # fixer: ignore[TFO001]
    opt = tf.keras.optimizers.Adam(1e-3)
    return opt
"""


def test_unused_suppressions_are_reported_and_fixed_by_write(tmp_path: Path) -> None:
    make_tree(
        tmp_path,
        {
            "flag/unused.py": UNUSED,
            "configured/fixer.toml": "report-unused-ignores = true\n",
            "configured/unused.py": UNUSED,
        },
    )
    runs = run_all(
        {
            "flag": partial(fixer, "flag", "--report-unused-ignores", cwd=tmp_path),
            "configured": partial(fixer, "configured", cwd=tmp_path),
            "overridden": partial(fixer, "configured", "--no-report-unused-ignores", cwd=tmp_path),
        }
    )
    assert (runs["overridden"].code, runs["overridden"].out) == (0, b"")
    for name, folder in (("flag", "flag"), ("configured", "configured")):
        run = runs[name]
        assert run.code == 1
        positions = [line.split(": ", 1)[0] for line in run.stdout.splitlines()]
        assert positions == [
            f"{folder}/unused.py:3:23",
            f"{folder}/unused.py:4:23",
            f"{folder}/unused.py:6:23",
            f"{folder}/unused.py:10:15",
        ]
        assert all(
            " TFO100 [fixable] unused suppression " in line for line in run.stdout.split("\n")[:-1]
        )

    write = fixer("configured", "--write", cwd=tmp_path)
    assert write.code == 1
    assert write.out == b""  # nothing left to fix by hand
    assert (tmp_path / "configured/unused.py").read_text(encoding="utf-8") == UNUSED_FIXED
    again = fixer("configured", cwd=tmp_path)
    assert (again.code, again.out) == (0, b"")


def test_an_unused_suppression_in_a_file_without_optimizers_is_reported(tmp_path: Path) -> None:
    """The pre-filter must not hide a stale suppression in a file with no optimizer left."""
    stale = "import tensorflow as tf\n\nw = tf.Variable(1.0)  # fixer: ignore[TFO001]\n"
    make_tree(tmp_path, {"stale.py": stale})
    run = fixer("stale.py", "--report-unused-ignores", cwd=tmp_path)
    assert run.code == 1
    assert run.stdout.startswith("stale.py:3:23: TFO100 ")
    fixer("stale.py", "--report-unused-ignores", "--write", cwd=tmp_path)
    assert (tmp_path / "stale.py").read_text() == stale.replace("  # fixer: ignore[TFO001]", "")


def test_a_finding_labelled_fixable_is_fixed_by_write(tmp_path: Path) -> None:
    source = TFO004.replace(
        b"    optimizer = make_optimizer()\n",
        b"    optimizer = make_optimizer()  # fixer: ignore[TFO004]\n",
    )
    assert source != TFO004
    make_tree(tmp_path, {"train.py": source})
    report = fixer("train.py", "--format", "json", cwd=tmp_path)
    for finding in json_findings(report.stdout):
        if finding["fixable"] and not finding["suppressed"]:
            assert finding["fix"] is not None, finding["message"]
    fixer("train.py", "--write", cwd=tmp_path)
    after = fixer("train.py", cwd=tmp_path)
    assert "[fixable]" not in after.stdout


# ----------------------------------------------------------------------------- selection

SELECTION_FILES = {
    "t1.py": TFO001,
    "t2.py": TFO002,
    "t3.py": TFO003,
    "t4.py": TFO004,
    "t5.py": TFO005,
}
EVERY_CODE = {(f"t{n}.py", f"TFO00{n}") for n in range(1, 6)}


def only(*codes: str) -> set[tuple[str, str]]:
    return {(path, code) for path, code in EVERY_CODE if code in codes}


SELECTIONS: dict[str, tuple[tuple[str, ...], set[tuple[str, str]]]] = {
    "one-code": (("--select", "TFO001"), only("TFO001")),
    "repeated-comma-lower-case": (
        ("--select", "tfo002", "--select", "TFO004, TFO005"),
        only("TFO002", "TFO004", "TFO005"),
    ),
    "prefix-minus-code": (("--select", "TFO00", "--ignore", "TFO003"), EVERY_CODE - only("TFO003")),
    "all-minus-prefix": (("--select", "ALL", "--ignore", "TFO00"), set()),
    "ignore-repeated": (
        ("--ignore", "TFO001", "--ignore", "TFO002,TFO004"),
        only("TFO003", "TFO005"),
    ),
}
CONFIGURED_SELECTIONS: dict[str, tuple[tuple[str, ...], set[tuple[str, str]]]] = {
    "configured": ((), only("TFO001")),  # select TFO001, TFO003 then ignore TFO003
    "flag-selects-what-the-file-ignores": (("--select", "TFO003"), only("TFO003")),
}


@pytest.fixture(scope="module")
def selection_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    plain = make_tree(tmp_path_factory.mktemp("select"), SELECTION_FILES)
    configured = make_tree(
        tmp_path_factory.mktemp("select-config"),
        {
            **SELECTION_FILES,
            "pyproject.toml": '[tool.fixer]\nselect = ["TFO001", "TFO003"]\nignore = ["TFO003"]\n',
        },
    )
    jobs = {name: partial(fixer, ".", *args, cwd=plain) for name, (args, _) in SELECTIONS.items()}
    for name, (args, _) in CONFIGURED_SELECTIONS.items():
        jobs[name] = partial(fixer, ".", *args, cwd=configured)
    jobs["unknown"] = partial(fixer, ".", "--select", "TFO1,XYZ", cwd=plain)
    jobs["error-codes"] = partial(fixer, ".", "--ignore", "TFO900", cwd=plain)
    return run_all(jobs)


@pytest.mark.parametrize("name", [*SELECTIONS, *CONFIGURED_SELECTIONS])
def test_selection(selection_runs: dict[str, Run], name: str) -> None:
    expected = {**SELECTIONS, **CONFIGURED_SELECTIONS}[name][1]
    run = selection_runs[name]
    assert run.findings() == expected
    assert run.code == (1 if expected else 0)


def test_unknown_selectors_are_usage_errors(selection_runs: dict[str, Run]) -> None:
    unknown = selection_runs["unknown"]
    assert (unknown.code, unknown.out) == (2, b"")
    assert unknown.error_lines() == [
        "fixer: error: --select: unknown code or prefix `XYZ` (known: TFO001, TFO002, TFO003, "
        "TFO004, TFO005, TFO100, or ALL)"
    ]
    errors = selection_runs["error-codes"]
    assert (errors.code, errors.out) == (2, b"")
    [line] = errors.error_lines()
    assert line.startswith("fixer: error: --ignore: `TFO900` names error reports")


# ----------------------------------------------------------------------------- per-file-ignores

PER_FILE_TREE = {
    "fixer.toml": '[per-file-ignores]\n"tests/*" = ["TFO001"]\n"legacy_*.py" = ["TFO"]\n',
    "src/t1.py": TFO001,
    "tests/t1.py": TFO001,
    "tests/t3.py": TFO003,
    "legacy_t1.py": TFO001,
    "src/legacy_t3.py": TFO003,
}


def test_per_file_ignores_from_the_config_and_from_the_flag(tmp_path: Path) -> None:
    make_tree(tmp_path, PER_FILE_TREE)
    runs = run_all(
        {
            "config": partial(fixer, ".", cwd=tmp_path),
            "flag": partial(fixer, ".", "--per-file-ignores", "src/*:TFO001", cwd=tmp_path),
            "flags": partial(
                fixer,
                ".",
                "--per-file-ignores",
                "src/*:TFO001",
                "--per-file-ignores",
                "tests/*:TFO00",
                cwd=tmp_path,
            ),
            "everything": partial(fixer, ".", "--per-file-ignores", "*.py:ALL", cwd=tmp_path),
            "no-colon": partial(fixer, ".", "--per-file-ignores", "tests", cwd=tmp_path),
            "unknown": partial(fixer, ".", "--per-file-ignores", "tests/*:TFO999", cwd=tmp_path),
        }
    )
    assert runs["config"].findings() == {("src/t1.py", "TFO001"), ("tests/t3.py", "TFO003")}
    # The flag replaces the configured table.
    assert runs["flag"].findings() == {
        ("tests/t1.py", "TFO001"),
        ("tests/t3.py", "TFO003"),
        ("legacy_t1.py", "TFO001"),
        ("src/legacy_t3.py", "TFO003"),
    }
    assert runs["flags"].findings() == {("legacy_t1.py", "TFO001"), ("src/legacy_t3.py", "TFO003")}
    assert all(runs[name].code == 1 for name in ("config", "flag", "flags"))
    assert (runs["everything"].code, runs["everything"].out) == (0, b"")
    for name in ("no-colon", "unknown"):
        assert (runs[name].code, runs[name].out) == (2, b"")
        [line] = runs[name].error_lines()
        assert line.startswith("fixer: error: --per-file-ignores")


# ----------------------------------------------------------------------------- fix safety


@pytest.fixture(scope="module")
def safety_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    root = make_tree(
        tmp_path_factory.mktemp("safety"),
        {
            "t1.py": TFO001,
            "t3.py": TFO003,
            "t5.py": TFO005,
            "safe5/fixer.toml": 'extend-safe-fixes = ["TFO005"]\n',
            "safe5/t5.py": TFO005,
            "unsafe1/fixer.toml": 'extend-unsafe-fixes = ["TFO001"]\n',
            "unsafe1/t1.py": TFO001,
            "always/fixer.toml": "unsafe-fixes = true\n",
            "always/t3.py": TFO003,
        },
    )
    files = ("t1.py", "t3.py", "t5.py")
    configured = ("unsafe1/t1.py", "always/t3.py")
    return run_all(
        {
            "extend-safe": partial(
                fixer, "--check", "--extend-safe-fixes", "TFO003,TFO005", *files, cwd=root
            ),
            # t3.py by the flag, safe5/t5.py by its fixer.toml
            "extend-safe-diff": partial(
                fixer, "--diff", "--extend-safe-fixes", "TFO003", "t3.py", "safe5/t5.py", cwd=root
            ),
            "extend-unsafe": partial(
                fixer, "--check", "--extend-unsafe-fixes", "TFO001", *files, cwd=root
            ),
            "extend-unsafe-applied": partial(
                fixer,
                "--check",
                "--extend-unsafe-fixes",
                "TFO001",
                "--unsafe-fixes",
                *files,
                cwd=root,
            ),
            "configured": partial(fixer, "--check", *configured, cwd=root),
            "flag-never": partial(fixer, "--check", "--no-unsafe-fixes", *configured, cwd=root),
        }
    )


@needs_git
def test_extend_safe_fixes_applies_tfo003_and_tfo005_without_unsafe_fixes(
    safety_runs: dict[str, Run], tmp_path: Path
) -> None:
    run = safety_runs["extend-safe"]
    assert (run.code, run.stdout) == (1, "t1.py\nt3.py\nt5.py\n")
    assert "held back" not in run.stderr
    diff = safety_runs["extend-safe-diff"]
    assert diff.code == 1
    assert diff.error_lines() == []  # nothing left
    make_tree(tmp_path, {"t3.py": TFO003, "safe5/t5.py": TFO005})
    git(tmp_path, "apply", "-", stdin=diff.out)
    assert (tmp_path / "t3.py").read_bytes() == TFO003_FIXED
    assert (tmp_path / "safe5/t5.py").read_bytes() == TFO005_FIXED


def test_extend_unsafe_fixes_holds_back_a_tfo001_fix(
    safety_runs: dict[str, Run],
) -> None:
    run = safety_runs["extend-unsafe"]
    assert (run.code, run.stdout) == (1, "")
    assert [line[: line.index("]") + 1] for line in run.error_lines()] == [
        "t1.py:12:17: TFO001 [fixable, unsafe]",
        "t3.py:12:9: TFO003 [fixable, unsafe]",  # unsafe by default: held back
        "t5.py:9:17: TFO005 [fixable, unsafe]",
    ]
    assert "3 unsafe fixes held back" in run.stderr
    applied = safety_runs["extend-unsafe-applied"]
    assert (applied.code, applied.stdout) == (1, "t1.py\nt3.py\nt5.py\n")


def test_fix_safety_from_the_config_and_the_flag_that_wins(
    safety_runs: dict[str, Run],
) -> None:
    configured = safety_runs[
        "configured"
    ]  # unsafe1: extend-unsafe-fixes; always: unsafe-fixes = true
    assert (configured.code, configured.stdout) == (1, "always/t3.py\n")
    [held] = configured.error_lines()
    assert held.startswith("unsafe1/t1.py:12:17: TFO001 [fixable, unsafe] ")
    never = safety_runs["flag-never"]
    assert (never.code, never.stdout) == (1, "")
    assert len(never.error_lines()) == 2


def test_extend_safe_fixes_flag_wins_over_configured_extend_unsafe_fixes(tmp_path: Path) -> None:
    """Layers apply in order: the command line overrides what the file says of a code."""
    make_tree(tmp_path, {"fixer.toml": 'extend-unsafe-fixes = ["TFO001"]\n', "t1.py": TFO001})
    run = fixer("--check", "--extend-safe-fixes", "TFO001", "t1.py", cwd=tmp_path)
    assert (run.code, run.stdout) == (1, "t1.py\n")


# ----------------------------------------------------------------------------- monorepo

MONOREPO = {
    "fixer.toml": 'select = ["TFO003"]\nextend-exclude = ["skipped_by_top/"]\n',
    "top_t1.py": TFO001,
    "top_t3.py": TFO003,
    "skipped_by_top/t3.py": TFO003,
    # proj_a: select TFO001, exclude generated/ (a pyproject.toml with [tool.fixer])
    "proj_a/pyproject.toml": (
        '[project]\nname = "a"\n\n[tool.fixer]\nselect = ["TFO001"]\n'
        'extend-exclude = ["generated/"]\n'
    ),
    "proj_a/src/t1.py": TFO001,
    "proj_a/src/t3.py": TFO003,
    "proj_a/generated/t1.py": TFO001,
    "proj_a/vendor/t1.py": TFO001,
    "proj_a/skipped_by_top/t1.py": TFO001,
    # proj_b: fixer.toml wins over its pyproject.toml; select TFO003, exclude vendor/ and src/gen/
    "proj_b/fixer.toml": 'select = ["TFO003"]\nextend-exclude = ["vendor/", "src/gen/"]\n',
    "proj_b/pyproject.toml": '[tool.fixer]\nselect = ["TFO001"]\n',
    "proj_b/src/t1.py": TFO001,
    "proj_b/src/t3.py": TFO003,
    "proj_b/src/gen/t3.py": TFO003,
    "proj_b/vendor/t3.py": TFO003,
    "proj_b/generated/t3.py": TFO003,
    # proj_c: a pyproject.toml without [tool.fixer] does not stop the search: the top governs
    "proj_c/pyproject.toml": '[project]\nname = "c"\n',
    "proj_c/t1.py": TFO001,
    "proj_c/t3.py": TFO003,
    "proj_c/skipped_by_top/t3.py": TFO003,
}
MONOREPO_FINDINGS = {
    ("top_t3.py", "TFO003"),
    ("proj_a/src/t1.py", "TFO001"),
    ("proj_a/vendor/t1.py", "TFO001"),
    ("proj_a/skipped_by_top/t1.py", "TFO001"),
    ("proj_b/src/t3.py", "TFO003"),
    ("proj_b/generated/t3.py", "TFO003"),
    ("proj_c/t3.py", "TFO003"),
}
MONOREPO_CHECKED = {
    "top_t1.py",
    "top_t3.py",
    "proj_a/src/t1.py",
    "proj_a/src/t3.py",
    "proj_a/vendor/t1.py",
    "proj_a/skipped_by_top/t1.py",
    "proj_b/src/t1.py",
    "proj_b/src/t3.py",
    "proj_b/generated/t3.py",
    "proj_c/t1.py",
    "proj_c/t3.py",
}


@pytest.fixture(scope="module")
def monorepo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tree(tmp_path_factory.mktemp("mono"), MONOREPO)


@pytest.fixture(scope="module")
def monorepo_runs(monorepo: Path) -> dict[str, Run]:
    def stdin(path: str, data: bytes, *args: str) -> Callable[[], Run]:
        return partial(fixer, "--stdin-filename", path, *args, cwd=monorepo, stdin=data)

    return run_all(
        {
            "top": partial(fixer, ".", "--format", "json", cwd=monorepo),
            "named": partial(
                fixer, "proj_c", "proj_b", "proj_a", "top_t1.py", "top_t3.py", cwd=monorepo
            ),
            "from-proj_a": partial(fixer, ".", "../proj_b", cwd=monorepo / "proj_a"),
            "from-inside": partial(
                fixer, ".", "../../proj_c", "--format", "json", cwd=monorepo / "proj_b/src"
            ),
            "config": partial(
                fixer,
                "proj_a",
                "proj_b",
                "proj_c",
                "top_t3.py",
                "--config",
                "proj_b/fixer.toml",
                cwd=monorepo,
            ),
            "stdin-a-t3": stdin("proj_a/src/new.py", TFO003),
            "stdin-b-vendor": stdin("proj_b/vendor/new.py", TFO003, "--force-exclude", "--write"),
        }
    )


def test_monorepo_from_the_top_each_file_follows_its_nearest_config(
    monorepo_runs: dict[str, Run],
) -> None:
    run = monorepo_runs["top"]
    assert run.code == 1
    document = json.loads(run.stdout)
    assert set(document["files"]) == MONOREPO_CHECKED
    assert in_force(document["findings"]) == MONOREPO_FINDINGS


def test_monorepo_named_sub_projects_give_the_same_findings(
    monorepo_runs: dict[str, Run],
) -> None:
    assert monorepo_runs["named"].findings() == MONOREPO_FINDINGS
    from_a = monorepo_runs["from-proj_a"].findings()
    assert from_a == {
        (path.replace("proj_a/", "", 1) if path.startswith("proj_a/") else f"../{path}", code)
        for path, code in MONOREPO_FINDINGS
        if path.startswith(("proj_a/", "proj_b/"))
    }


def test_monorepo_folders_named_from_inside_a_sub_project(
    monorepo: Path, monorepo_runs: dict[str, Run]
) -> None:
    cwd = monorepo / "proj_b/src"
    files = json.loads(monorepo_runs["from-inside"].stdout)["files"]
    checked = {(cwd / name).resolve().relative_to(monorepo.resolve()).as_posix() for name in files}
    assert checked == {f for f in MONOREPO_CHECKED if f.startswith(("proj_b/src/", "proj_c/"))}


def test_monorepo_config_flag_governs_every_file(monorepo_runs: dict[str, Run]) -> None:
    # proj_b/fixer.toml for all: TFO003 only, no other file's exclusions, its own apply to proj_b.
    assert monorepo_runs["config"].findings() == {
        ("top_t3.py", "TFO003"),
        ("proj_a/src/t3.py", "TFO003"),
        ("proj_b/src/t3.py", "TFO003"),
        ("proj_b/generated/t3.py", "TFO003"),
        ("proj_c/t3.py", "TFO003"),
        ("proj_c/skipped_by_top/t3.py", "TFO003"),
    }


def test_monorepo_stdin_follows_the_config_of_its_path(monorepo_runs: dict[str, Run]) -> None:
    assert (monorepo_runs["stdin-a-t3"].code, monorepo_runs["stdin-a-t3"].out) == (0, b"")
    vendor = monorepo_runs["stdin-b-vendor"]
    assert (vendor.code, vendor.out) == (0, TFO003)


def test_monorepo_a_folder_inside_a_sub_project_keeps_its_exclusions(monorepo: Path) -> None:
    """Walking a folder inside a sub-project uses that sub-project's exclusions, not the
    top's: proj_b/src/gen/ stays excluded when only proj_b/src is named."""
    run = fixer("proj_b/src", "--format", "json", cwd=monorepo)
    document = json.loads(run.stdout)
    assert set(document["files"]) == {"proj_b/src/t1.py", "proj_b/src/t3.py"}


def test_monorepo_config_flag_patterns_are_relative_to_its_folder(monorepo: Path) -> None:
    """--config patterns are relative to the config's folder whatever folder is walked."""
    run = fixer(".", "--config", "proj_b/fixer.toml", "--format", "json", cwd=monorepo)
    files = set(json.loads(run.stdout)["files"])
    assert "proj_b/src/t3.py" in files
    assert "proj_b/src/gen/t3.py" not in files


def test_an_invalid_sub_project_config_is_a_one_line_error(tmp_path: Path) -> None:
    """A bad config met during the walk: one line, exit 2, and --output-file untouched."""
    make_tree(tmp_path, {"a/t.py": TFO001, "b/t.py": TFO001, "b/fixer.toml": "bogus = 1\n"})
    (tmp_path / "report.json").write_text('{"old": true}\n')
    run = fixer(".", "--format", "json", "-o", "report.json", cwd=tmp_path)
    assert run.code == 2
    [line] = run.error_lines()
    assert line.startswith("fixer: error: b/fixer.toml: unknown option `bogus`")
    assert (tmp_path / "report.json").read_text() == '{"old": true}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b", "report.json"]


# ----------------------------------------------------------------------------- config errors

CONFIG_ERRORS = {
    "unknown-key-fixer-toml": ("fixer.toml", 'selec = ["TFO001"]\n', "`selec`"),
    "unknown-key-pyproject": ("pyproject.toml", "[tool.fixer]\nbogus = 1\n", "`bogus`"),
    "wrong-type-list": ("fixer.toml", 'select = "TFO001"\n', "select must be a list of strings"),
    "wrong-type-flag": ("pyproject.toml", '[tool.fixer]\nunsafe-fixes = "yes"\n', "unsafe-fixes"),
    "wrong-type-table": ("fixer.toml", 'per-file-ignores = ["tests/*"]\n', "per-file-ignores"),
    "wrong-type-table-value": (
        "fixer.toml",
        '[per-file-ignores]\n"tests/*" = "TFO001"\n',
        "per-file-ignores.tests/*",
    ),
    "unknown-code-select": ("fixer.toml", 'select = ["TFO777"]\n', "select: unknown code"),
    "unknown-code-ignore": ("pyproject.toml", '[tool.fixer]\nignore = ["NOPE"]\n', "ignore:"),
    "unknown-code-per-file": (
        "fixer.toml",
        '[per-file-ignores]\n"tests/*" = ["TFO7"]\n',
        "per-file-ignores: unknown code",
    ),
    "unknown-code-safe-fixes": (
        "fixer.toml",
        'extend-safe-fixes = ["TFO9"]\n',
        "extend-safe-fixes",
    ),
}


CONFIG_ERRORS_ON_STDIN = ("unknown-key-pyproject", "wrong-type-list", "unknown-code-select")


@pytest.fixture(scope="module")
def config_error_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    base = tmp_path_factory.mktemp("config-errors")
    jobs = {}
    for name, (file_name, body, _) in CONFIG_ERRORS.items():
        folder = make_tree(base / name, {file_name: body, "t1.py": TFO001})
        jobs[name] = partial(fixer, ".", cwd=folder)
        if name in CONFIG_ERRORS_ON_STDIN:
            jobs[f"{name}-stdin"] = partial(
                fixer, "--stdin-filename", "t1.py", "--write", cwd=folder, stdin=TFO001
            )
    return run_all(jobs)


@pytest.mark.parametrize("name", CONFIG_ERRORS)
def test_a_config_error_is_one_line_naming_the_file_and_key(
    config_error_runs: dict[str, Run], name: str
) -> None:
    file_name, _, detail = CONFIG_ERRORS[name]
    runs = [config_error_runs[name]]
    if name in CONFIG_ERRORS_ON_STDIN:
        runs.append(config_error_runs[f"{name}-stdin"])
    for run in runs:
        assert run.code == 2
        assert run.out == b""
        lines = run.stderr.splitlines()
        assert len(lines) == 1, lines
        assert lines[0].startswith(f"fixer: error: {file_name}: ")
        assert detail in lines[0]


# ----------------------------------------------------------------------------- --force-exclude

FORCE_EXCLUDE = {
    "fixer.toml": 'extend-exclude = ["gen", "vendor/", "*_pb2.py"]\n',
    "forced.toml": 'extend-exclude = ["gen", "vendor/", "*_pb2.py"]\nforce-exclude = true\n',
    "gen/sub/x.py": TFO001,
    "vendor/v.py": TFO001,
    ".venv/lib/y.py": TFO001,
    "src/z.py": TFO001,
    "src/z_pb2.py": TFO001,
}
NAMED = ("gen/sub/x.py", "vendor/v.py", ".venv/lib/y.py", "src/z.py", "src/z_pb2.py")


def test_force_exclude_applies_exclusions_to_named_files(tmp_path: Path) -> None:
    make_tree(tmp_path, FORCE_EXCLUDE)
    runs = run_all(
        {
            "forced": partial(fixer, "--check", "--force-exclude", *NAMED, cwd=tmp_path),
            "configured": partial(
                fixer, "--check", "--config", "forced.toml", *NAMED, cwd=tmp_path
            ),
            "unforced": partial(
                fixer,
                "--check",
                "--config",
                "forced.toml",
                "--no-force-exclude",
                *NAMED,
                cwd=tmp_path,
            ),
            "all-excluded": partial(
                fixer, "--check", "--force-exclude", "src/z_pb2.py", cwd=tmp_path
            ),
        }
    )
    assert runs["unforced"].stdout.splitlines() == list(NAMED)
    assert runs["forced"].stdout == "src/z.py\n"
    assert runs["configured"].stdout == "src/z.py\n"
    assert all(runs[name].code == 1 for name in ("forced", "configured", "unforced"))
    assert (runs["all-excluded"].code, runs["all-excluded"].out) == (0, b"")


@pytest.mark.parametrize(
    "folder",
    ["gen", "vendor"],  # vendor is matched by a folder-only pattern, `vendor/`
)
def test_force_exclude_applies_to_a_named_folder(tmp_path: Path, folder: str) -> None:
    """As Ruff's force-exclude: every path given, folders too."""
    make_tree(tmp_path, FORCE_EXCLUDE)
    run = fixer("--check", "--force-exclude", folder, cwd=tmp_path)
    assert (run.code, run.out) == (0, b"")


# ----------------------------------------------------------------------------- --changed-since


@pytest.fixture(scope="module")
def repository(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """main: base files; branch `feature` off it with one commit; main moves on after the
    branch point; then staged, unstaged, untracked and ignored changes on `feature`."""
    repo = tmp_path_factory.mktemp("changed").resolve() / "repo"
    make_tree(
        repo,
        {
            ".gitignore": "ignored.py\n",
            "unchanged.py": TFO001,
            "committed.py": TFO001,
            "staged.py": TFO001,
            "unstaged.py": TFO001,
            "main_only.py": TFO001,
            "sub/unchanged.py": TFO001,
        },
    )
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "checkout", "-q", "-b", "feature")
    make_tree(repo, {"committed.py": TFO001 + b"# committed\n"})
    git(repo, "commit", "-q", "-am", "feature work")
    git(repo, "checkout", "-q", "main")
    make_tree(repo, {"main_only.py": TFO001 + b"# later on main\n"})
    git(repo, "commit", "-q", "-am", "main moves on")
    git(repo, "checkout", "-q", "feature")
    make_tree(
        repo,
        {
            "staged.py": TFO001 + b"# staged\n",
            "unstaged.py": TFO001 + b"# unstaged\n",
            "untracked.py": TFO001,
            "ignored.py": TFO001,
            "sub/untracked.py": TFO001,
        },
    )
    git(repo, "add", "staged.py")
    return repo


@pytest.fixture(scope="module")
def changed_runs(repository: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    outside = make_tree(tmp_path_factory.mktemp("no-repo"), {"t.py": TFO001})
    return run_all(
        {
            "main": partial(fixer, ".", "--check", "--changed-since", "main", cwd=repository),
            "head": partial(fixer, ".", "--check", "--changed-since", "HEAD", cwd=repository),
            "sub": partial(
                fixer, ".", "--check", "--changed-since", "main", cwd=repository / "sub"
            ),
            "named-unchanged": partial(
                fixer, "unchanged.py", "--changed-since", "main", cwd=repository
            ),
            "unknown": partial(fixer, ".", "--changed-since", "no-such-ref", cwd=repository),
            "outside": partial(fixer, ".", "--changed-since", "main", cwd=outside),
        }
    )


@needs_git
def test_changed_since_lists_committed_staged_unstaged_and_untracked(
    changed_runs: dict[str, Run],
) -> None:
    run = changed_runs["main"]
    assert run.code == 1
    assert run.stdout.splitlines() == [
        "committed.py",
        "staged.py",
        "sub/untracked.py",
        "unstaged.py",
        "untracked.py",
    ]  # not: unchanged.py, main_only.py (after the merge base), ignored.py


@needs_git
def test_changed_since_head_leaves_out_commits(changed_runs: dict[str, Run]) -> None:
    assert changed_runs["head"].stdout.splitlines() == [
        "staged.py",
        "sub/untracked.py",
        "unstaged.py",
        "untracked.py",
    ]


@needs_git
def test_changed_since_from_a_subfolder(changed_runs: dict[str, Run]) -> None:
    assert (changed_runs["sub"].code, changed_runs["sub"].stdout) == (1, "untracked.py\n")


@needs_git
def test_changed_since_skips_an_unchanged_named_file(changed_runs: dict[str, Run]) -> None:
    run = changed_runs["named-unchanged"]
    assert (run.code, run.out) == (0, b"")
    assert run.stderr.startswith("checked 0 files")


@needs_git
def test_changed_since_errors_are_one_line_with_exit_2(changed_runs: dict[str, Run]) -> None:
    unknown = changed_runs["unknown"]
    assert (unknown.code, unknown.out) == (2, b"")
    assert unknown.stderr.splitlines() == [
        "fixer: error: --changed-since: unknown git revision `no-such-ref`"
    ]
    outside = changed_runs["outside"]
    assert (outside.code, outside.out) == (2, b"")
    [line] = outside.stderr.splitlines()
    assert line.startswith("fixer: error: --changed-since needs a git repository: ")


@needs_git
def test_changed_since_uses_the_repository_of_the_paths(repository: Path, tmp_path: Path) -> None:
    """Run from outside the repository, on a path inside it."""
    run = fixer(repository, "--check", "--changed-since", "main", cwd=tmp_path)
    assert run.code == 1
    listed = [(tmp_path / line).resolve().relative_to(repository) for line in run.stdout.split()]
    assert [path.as_posix() for path in listed] == [
        "committed.py",
        "staged.py",
        "sub/untracked.py",
        "unstaged.py",
        "untracked.py",
    ]


# ----------------------------------------------------------------------------- --statistics


@pytest.fixture(scope="module")
def statistics_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    root = make_tree(
        tmp_path_factory.mktemp("statistics"),
        {
            "t1.py": TFO001,
            "t1b.py": TFO001,
            "r.py": TFO001_UNFIXABLE,
            "t3.py": TFO003,
            "k.py": ALL_SUPPRESSED,
            "broken/b.py": BROKEN,
        },
    )
    files = ("t1.py", "t1b.py", "r.py", "t3.py", "k.py")
    return run_all(
        {
            "text": partial(fixer, "--statistics", *files, cwd=root),
            "json": partial(fixer, "--statistics", "--format", "json", *files, cwd=root),
            "safe-only": partial(fixer, "--statistics", "t1.py", "t1b.py", cwd=root),
            "clean-json": partial(fixer, "--statistics", "--format", "json", "k.py", cwd=root),
            "broken": partial(fixer, "--statistics", "t1.py", "broken/b.py", cwd=root),
            "sarif": partial(fixer, "--statistics", "--format", "sarif", "t1.py", cwd=root),
        }
    )


def test_statistics_text(statistics_runs: dict[str, Run]) -> None:
    run = statistics_runs["text"]
    assert run.code == 1
    assert run.stdout == (
        "3\tTFO001\t[-] optimizer-in-traced-function\n1\tTFO003\t[-] optimizer-rebuilt-every-step\n"
    )  # suppressed findings (k.py) are not counted; no finding is listed
    safe = statistics_runs["safe-only"]
    assert (safe.code, safe.stdout) == (1, "2\tTFO001\t[*] optimizer-in-traced-function\n")


def test_statistics_json(statistics_runs: dict[str, Run]) -> None:
    run = statistics_runs["json"]
    assert run.code == 1
    assert json.loads(run.stdout) == [
        {"code": "TFO001", "name": "optimizer-in-traced-function", "count": 3, "fixable": False},
        {"code": "TFO003", "name": "optimizer-rebuilt-every-step", "count": 1, "fixable": False},
    ]


def test_statistics_exit_codes(statistics_runs: dict[str, Run]) -> None:
    clean = statistics_runs["clean-json"]
    assert (clean.code, json.loads(clean.stdout)) == (0, [])
    broken = statistics_runs["broken"]
    assert (broken.code, broken.stdout) == (2, "1\tTFO001\t[*] optimizer-in-traced-function\n")
    assert broken.error_lines()[0].startswith("fixer: error: broken/b.py:2:12: TFO900 ")
    sarif = statistics_runs["sarif"]
    assert (sarif.code, sarif.out) == (2, b"")
    assert sarif.error_lines() == [
        "fixer: error: --statistics prints text or json; choose one of those with --format"
    ]


def test_statistics_with_write_count_what_is_left(tmp_path: Path) -> None:
    """As the listing it replaces (and as Ruff's --fix --statistics): what is left."""
    make_tree(tmp_path, {"t1.py": TFO001, "r.py": TFO001_UNFIXABLE})
    run = fixer("--write", "--statistics", ".", cwd=tmp_path)
    assert (run.code, run.stdout) == (1, "1\tTFO001\t[ ] optimizer-in-traced-function\n")


# ----------------------------------------------------------------------------- --output-file

FORMATS = ("text", "json", "json-lines", "sarif", "github", "gitlab")


@pytest.fixture(scope="module")
def output_file_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Run]]:
    root = make_tree(
        tmp_path_factory.mktemp("output-file"),
        {"src/t1.py": TFO001, "src/r.py": TFO001_UNFIXABLE, "src/t3.py": TFO003, "clean.py": CLEAN},
    )
    jobs = {
        name: partial(fixer, "src", "--diff", "--format", name, "-o", f"out.{name}", cwd=root)
        for name in FORMATS
    }
    jobs["diff-json-to-stdout"] = partial(fixer, "src", "--diff", "--format", "json", cwd=root)
    jobs["check-sarif-to-stdout"] = partial(fixer, "src", "--check", "--format", "sarif", cwd=root)
    jobs["no-such-folder"] = partial(
        fixer, "src", "--format", "json", "-o", "no/such.json", cwd=root
    )
    jobs["report-to-file"] = partial(fixer, "src", "-o", "report.txt", cwd=root)
    jobs["clean-to-file"] = partial(
        fixer, "clean.py", "--format", "sarif", "-o", "clean.sarif", cwd=root
    )
    return root, run_all(jobs)


@needs_git
@pytest.mark.parametrize("name", FORMATS)
def test_output_file_with_diff_keeps_stdout_for_the_diff(
    output_file_runs: tuple[Path, dict[str, Run]], name: str, tmp_path: Path
) -> None:
    root, runs = output_file_runs
    run = runs[name]
    assert run.code == 1
    assert run.out == runs["text"].out  # the diff, and only the diff, whatever the format
    assert run.stdout.startswith("--- a/src/t1.py\n+++ b/src/t1.py\n")
    assert run.error_lines() == []  # findings went to the file
    make_tree(tmp_path, {"src/t1.py": TFO001})
    git(tmp_path, "apply", "-", stdin=run.out)
    assert (tmp_path / "src/t1.py").read_bytes() == TFO001_FIXED

    written = (root / f"out.{name}").read_text(encoding="utf-8")
    left = {("src/r.py", "TFO001"), ("src/t3.py", "TFO003")}  # not fixed by this --diff
    if name == "text":
        assert run.findings(written) == left
    elif name == "json":
        assert in_force(json_findings(written)) == left | {("src/t1.py", "TFO001")}
    elif name == "json-lines":
        records = [json.loads(line) for line in written.splitlines()]
        assert [r["path"] for r in records] == ["src/r.py", "src/t1.py", "src/t3.py"]
        assert [r["changed"] for r in records] == [False, True, False]
    elif name == "sarif":
        results = json.loads(written)["runs"][0]["results"]
        assert {r["ruleId"] for r in results} == {"TFO001", "TFO003"}
        assert len(results) == 3
    elif name == "github":
        kinds = {
            (line.split(" ")[0], line.split(",")[0].split("=")[1])
            for line in written.split("\n")
            if line
        }
        assert kinds == {
            ("::error", "src/r.py"),  # crashes are errors
            ("::error", "src/t1.py"),
            ("::warning", "src/t3.py"),  # a silent kind is a warning
        }
    else:
        issues = json.loads(written)
        assert {issue["check_name"] for issue in issues} == {"TFO001", "TFO003"}


def test_machine_formats_on_stdout_conflict_with_diff_and_check(
    output_file_runs: tuple[Path, dict[str, Run]],
) -> None:
    runs = output_file_runs[1]
    for name, mode, fmt in (
        ("diff-json-to-stdout", "diff", "json"),
        ("check-sarif-to-stdout", "check", "sarif"),
    ):
        run = runs[name]
        assert (run.code, run.out) == (2, b"")
        assert run.error_lines() == [
            f"fixer: error: --format {fmt} and --{mode} both write to stdout: add --output-file "
            "FILE for the findings"
        ]


def test_output_file_errors_and_report_mode(output_file_runs: tuple[Path, dict[str, Run]]) -> None:
    root, runs = output_file_runs
    missing = runs["no-such-folder"]
    assert (missing.code, missing.out) == (2, b"")
    [line] = missing.error_lines()
    assert line.startswith("fixer: error: cannot write no/such.json: ")
    clean = runs["clean-to-file"]
    assert (clean.code, clean.out) == (0, b"")
    assert (
        json.loads((root / "clean.sarif").read_text(encoding="utf-8"))["runs"][0]["results"] == []
    )
    report = runs["report-to-file"]
    assert (report.code, report.out) == (1, b"")
    assert report.findings((root / "report.txt").read_text(encoding="utf-8")) == {
        ("src/t1.py", "TFO001"),
        ("src/r.py", "TFO001"),
        ("src/t3.py", "TFO003"),
    }


def test_output_file_through_a_symbolic_link_writes_its_target(tmp_path: Path) -> None:
    make_tree(tmp_path, {"t1.py": TFO001, "reports/real.json": ""})
    (tmp_path / "link.json").symlink_to("reports/real.json")
    run = fixer("t1.py", "--format", "json", "-o", "link.json", cwd=tmp_path)
    assert run.code == 1
    assert (tmp_path / "link.json").is_symlink()
    assert json.loads((tmp_path / "reports/real.json").read_text())["files"] == ["t1.py"]


def test_output_file_mode_follows_the_umask(tmp_path: Path) -> None:
    make_tree(tmp_path, {"t1.py": TFO001})
    (tmp_path / "by-python.json").write_text("{}")  # created under the same umask
    fixer("t1.py", "--format", "json", "-o", "report.json", cwd=tmp_path)
    mode = (tmp_path / "report.json").stat().st_mode & 0o777
    assert mode == (tmp_path / "by-python.json").stat().st_mode & 0o777


def test_output_file_to_a_device_stays_a_device(tmp_path: Path) -> None:
    make_tree(tmp_path, {"t1.py": TFO001})
    device = tmp_path / "null"
    try:
        os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # like /dev/null
    except (OSError, AttributeError):
        pytest.skip("cannot create a device node here")
    fixer("t1.py", "--format", "json", "-o", device, cwd=tmp_path)
    assert stat.S_ISCHR(device.stat().st_mode)


# ----------------------------------------------------------------------------- fixer rule


@pytest.fixture(scope="module")
def rule_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    empty = tmp_path_factory.mktemp("rule-none")
    with_file = make_tree(tmp_path_factory.mktemp("rule-file"), {"rule": TFO001})
    with_folder = make_tree(tmp_path_factory.mktemp("rule-folder"), {"rule/t.py": TFO001})
    return run_all(
        {
            "one": partial(fixer, "rule", "TFO001", cwd=empty),
            "two": partial(fixer, "rule", "tfo002", "TFO005", cwd=empty),
            "all": partial(fixer, "rule", "--all", cwd=empty),
            "bare": partial(fixer, "rule", cwd=empty),
            "all-json": partial(fixer, "rule", "--all", "--format", "json", cwd=empty),
            "unknown": partial(fixer, "rule", "TFO999", cwd=empty),
            "file": partial(fixer, "rule", cwd=with_file),
            "file-dot": partial(fixer, "./rule", cwd=with_file),
            "file-docs": partial(fixer, "rule", "TFO001", cwd=with_file),
            "folder-check": partial(fixer, "rule", "--check", cwd=with_folder),
        }
    )


def test_rule_documents_one_or_more_codes(rule_runs: dict[str, Run]) -> None:
    one = rule_runs["one"]
    assert (one.code, one.err) == (0, b"")
    assert one.stdout.startswith("# TFO001 optimizer-in-traced-function\n")
    headings = [line for line in rule_runs["two"].stdout.splitlines() if line.startswith("# TFO")]
    assert headings == [
        "# TFO002 optimizer-per-iteration-into-traced-function",
        "# TFO005 optimizer-built-per-call",
    ]


def test_rule_all_lists_every_code(rule_runs: dict[str, Run]) -> None:
    for name in ("all", "bare"):
        run = rule_runs[name]
        assert run.code == 0
        listed = [line.split()[0] for line in run.stdout.splitlines()[1:]]
        assert tuple(listed) == CODES
    rules = json.loads(rule_runs["all-json"].stdout)
    assert tuple(rule["code"] for rule in rules) == CODES
    assert all(rule["name"] and rule["summary"] for rule in rules)


def test_rule_unknown_code_exits_2(rule_runs: dict[str, Run]) -> None:
    run = rule_runs["unknown"]
    assert (run.code, run.out) == (2, b"")
    assert run.stderr == "fixer: error: unknown rule `TFO999` (see `fixer rule --all`)\n"


def test_a_path_named_rule_is_still_checked(rule_runs: dict[str, Run]) -> None:
    for name in ("file", "file-dot"):
        run = rule_runs[name]
        assert run.code == 1
        assert run.findings() == {("rule", "TFO001")}
    assert rule_runs["file-docs"].stdout.startswith("# TFO001 ")
    check = rule_runs["folder-check"]
    assert (check.code, check.stdout) == (1, "rule/t.py\n")


def test_rule_with_only_check_options_checks_the_path_named_rule(tmp_path: Path) -> None:
    """`fixer rule --format json` with a folder `rule` and no code checks the folder."""
    make_tree(tmp_path, {"rule/t.py": TFO001})
    run = fixer("rule", "--format", "json", cwd=tmp_path)
    assert run.code == 1
    assert json.loads(run.stdout)["files"] == ["rule/t.py"]
