"""The TensorFlow tier: every runnable fixture, run under real TensorFlow.

For each ``fixtures/<case>/run.json`` and each Keras version it lists, ``input.py`` must crash with
TensorFlow's singleton-variable error and ``expected.py`` must exit 0; with ``"reference": true``,
``expected.py`` must train the same variables as the hand-written ``reference.py``.

A silent bug (``"bug": "silent"``: an optimizer rebuilt every step in eager code, whose fix is
unsafe) does not crash: ``input.py`` must run and train *different* variables from
``reference.py``, and ``expected_unsafe.py`` (the fix, applied with ``--unsafe-fixes``) must train
the same ones. Such a case needs ``"reference": true``.

Starting TensorFlow takes seconds, so every program runs once per test session, in its own
subprocess, at most ``POOL_SIZE`` at a time, all launched when the first test needs a result; each
test then only looks its result up. Under pytest-xdist the workers share one directory of results:
a worker claims a program by creating a file, so each program still runs once, and the workers
split ``POOL_SIZE`` between them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from importlib.util import find_spec
from pathlib import Path

import pytest

if find_spec("tensorflow") is None:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        raise RuntimeError(
            "CI must run the TensorFlow tier, but TensorFlow is not installed: "
            "install the 'tf' extra (pip install -e '.[test,tf]')"
        )
    pytest.skip(
        "TensorFlow is not installed in this interpreter; the TensorFlow tier needs the 'tf' extra"
        " (pip install -e '.[tf]')",
        allow_module_level=True,
    )

pytestmark = pytest.mark.tensorflow

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SINGLETON_ERROR = "tf.function only supports singleton tf.Variables created on the first call"
RESULT_PREFIX = "FIXER-RESULT "
KERAS_VERSIONS = ("3", "2")
MIN_RUNNABLE_CASES = 15
TOLERANCE = 1e-6
TIMEOUT_SECONDS = 300
POOL_SIZE = 2  # one TensorFlow process per core of the CI machine
TAIL_LINES = 25


BUGS = ("crash", "silent")


@dataclass(frozen=True)
class Case:
    """A fixture folder with a run.json; ``problem`` says why the run.json cannot be used."""

    name: str
    keras: tuple[str, ...]
    reference: bool
    problem: str | None = None
    bug: str = "crash"

    @property
    def fixed(self) -> str:
        """The program holding the fix: the unsafe one for a silent bug."""
        return "expected_unsafe.py" if self.bug == "silent" else "expected.py"

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Run:
    """One case under one Keras version."""

    case: str
    keras: str

    def __str__(self) -> str:
        return f"{self.case}-keras{self.keras}"


@dataclass(frozen=True)
class Job:
    """One program of a run: ``input.py``, ``expected.py`` or ``reference.py``."""

    run: Run
    program: str

    @property
    def path(self) -> Path:
        return FIXTURES / self.run.case / self.program

    @property
    def key(self) -> str:
        return f"{self.run.case}--{Path(self.program).stem}--keras{self.run.keras}"

    def __str__(self) -> str:
        return f"fixtures/{self.run.case}/{self.program} (Keras {self.run.keras})"


@dataclass(frozen=True)
class Outcome:
    """What a program did; ``returncode`` is None when it timed out or could not start."""

    returncode: int | None
    stdout: str
    stderr: str


def _load_case(run_json: Path) -> Case:
    folder = run_json.parent
    name = folder.name
    try:
        spec = json.loads(run_json.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        return Case(name, (), False, f"run.json is not readable JSON: {error}")
    if not isinstance(spec, dict) or not {"keras", "reference"} <= set(spec) <= {
        "keras",
        "reference",
        "bug",
    }:
        return Case(
            name,
            (),
            False,
            'run.json must be {"keras": [...], "reference": true|false} (and "bug": '
            '"crash"|"silent")',
        )
    keras, reference, bug = spec["keras"], spec["reference"], spec.get("bug", "crash")
    problems = []
    if bug not in BUGS:
        problems.append(f"bug must be one of {list(BUGS)}")
        bug = "crash"
    elif bug == "silent" and reference is not True:
        problems.append('a silent bug needs "reference": true (it is proven against it)')
    if (
        not isinstance(keras, list)
        or not keras
        or not set(keras) <= set(KERAS_VERSIONS)
        or len(set(keras)) != len(keras)
    ):
        problems.append(f"keras must be a non-empty list of distinct {list(KERAS_VERSIONS)}")
        keras = []
    if not isinstance(reference, bool):
        problems.append("reference must be true or false")
        reference = False
    fixed = Case(name, (), False, bug=bug).fixed
    needed = ["input.py", fixed] + (["reference.py"] if reference else [])
    problems += [f"{program} is missing" for program in needed if not (folder / program).is_file()]
    if not reference and (folder / "reference.py").exists():
        problems.append('reference.py exists but run.json says "reference": false')
    if problems:
        return Case(name, tuple(keras), reference, "; ".join(problems), bug)
    return Case(name, tuple(keras), reference, bug=bug)


def _runnable_cases() -> list[Case]:
    return [_load_case(run_json) for run_json in sorted(FIXTURES.glob("*/run.json"))]


CASES = _runnable_cases()
GOOD_CASES = [case for case in CASES if case.problem is None]


CASES_BY_NAME = {case.name: case for case in GOOD_CASES}


def _params(*, reference_only: bool = False, bug: str | None = None) -> list[object]:
    params: list[object] = []
    for case in GOOD_CASES:
        if (reference_only and not case.reference) or (bug is not None and case.bug != bug):
            continue
        for keras in case.keras:
            marks = []
            if keras == "2" and find_spec("tf_keras") is None:
                marks.append(pytest.mark.skip(reason="Keras 2 runs need the tf-keras package"))
            run = Run(case.name, keras)
            params.append(pytest.param(run, id=str(run), marks=marks))
    return params


# Which programs each test reads, so the session launches only what the selected tests need
# ("fixed" stands for the case's fixed program).
PROGRAMS_BY_TEST = {
    "test_input_crashes_with_singleton_error": ("input.py",),
    "test_input_runs_and_trains_differently": ("input.py", "reference.py"),
    "test_expected_runs": ("fixed",),
    "test_expected_matches_reference": ("fixed", "reference.py"),
}


def _jobs_of(item: pytest.Item) -> list[Job]:
    callspec = getattr(item, "callspec", None)
    run = callspec.params.get("run") if callspec is not None else None
    if not isinstance(run, Run) or item.get_closest_marker("skip") is not None:
        return []
    programs = PROGRAMS_BY_TEST.get(getattr(item, "originalname", ""), ())
    fixed = CASES_BY_NAME[run.case].fixed
    return [Job(run, fixed if program == "fixed" else program) for program in programs]


def _run_program(job: Job, cwd: Path) -> Outcome:
    env = {name: value for name, value in os.environ.items() if name != "TF_USE_LEGACY_KERAS"}
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    # A case's other modules (``trainlib/``) are imported from the fixture folder: no
    # ``__pycache__`` may be left there.
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    if job.run.keras == "2":
        env["TF_USE_LEGACY_KERAS"] = "1"
    try:
        done = subprocess.run(
            [sys.executable, str(job.path)],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as expired:
        return Outcome(
            None,
            _as_text(expired.stdout),
            _as_text(expired.stderr) + f"\n[killed after {TIMEOUT_SECONDS} s]",
        )
    except OSError as error:
        return Outcome(None, "", f"[could not start {sys.executable}: {error}]")
    return Outcome(done.returncode, done.stdout, done.stderr)


def _as_text(output: str | bytes | None) -> str:
    if isinstance(output, bytes):
        return output.decode(errors="replace")
    return output or ""


class ProgramRuns:
    """Runs programs in the background, each once per session, and hands out their outcomes.

    Outcomes live as JSON files in ``store``; a ``.claim`` file created with O_EXCL decides which
    thread (of this process or of another xdist worker sharing ``store``) runs a program.
    """

    def __init__(self, store: Path, jobs: list[Job], workers: int) -> None:
        self._store = store
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tf-fixture")
        self._attempts: dict[Job, Future[None]] = {}
        for job in jobs:
            self._attempt(job)

    def _attempt(self, job: Job) -> Future[None]:
        if job not in self._attempts:
            self._attempts[job] = self._pool.submit(self._claim_and_run, job)
        return self._attempts[job]

    def _claim_and_run(self, job: Job) -> None:
        claim = self._store / f"{job.key}.claim"
        try:
            os.close(os.open(claim, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return  # another worker runs it
        cwd = self._store / "cwd" / job.key
        cwd.mkdir(parents=True, exist_ok=True)
        outcome = _run_program(job, cwd)
        partial = self._store / f"{job.key}.json.{os.getpid()}"
        partial.write_text(json.dumps(asdict(outcome)), encoding="utf-8")
        os.replace(partial, self._store / f"{job.key}.json")

    def outcome(self, job: Job) -> Outcome:
        """Wait for ``job`` to have run here or in another worker, and return what it did."""
        result = self._store / f"{job.key}.json"
        attempt = self._attempt(job)
        deadline: float | None = None
        while not result.exists():
            if attempt.done():
                attempt.result()  # re-raise if our own thread failed
                # Claimed by another worker: it runs for at most TIMEOUT_SECONDS.
                deadline = deadline or time.monotonic() + TIMEOUT_SECONDS + 60
                if time.monotonic() > deadline:
                    return Outcome(None, "", f"[no result from the worker that claimed {job}]")
            time.sleep(0.05)
        return Outcome(**json.loads(result.read_text(encoding="utf-8")))

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


@pytest.fixture(scope="session")
def program_runs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ProgramRuns]:
    jobs = list(dict.fromkeys(job for item in request.session.items for job in _jobs_of(item)))
    if os.environ.get("PYTEST_XDIST_WORKER"):
        # Every worker of one xdist run shares the parent of its own base temp directory.
        store = tmp_path_factory.getbasetemp().parent / "tensorflow-runs"
        store.mkdir(exist_ok=True)
        worker_count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
        workers = max(1, POOL_SIZE // worker_count)
    else:
        store = tmp_path_factory.mktemp("tensorflow-runs")
        workers = POOL_SIZE
    runs = ProgramRuns(store, jobs, workers)
    yield runs
    runs.close()


def _tail(text: str) -> str:
    lines = text.rstrip().splitlines()
    shown = "\n".join(lines[-TAIL_LINES:])
    return shown if len(lines) <= TAIL_LINES else f"[... {len(lines) - TAIL_LINES} lines]\n{shown}"


def _describe(job: Job, outcome: Outcome) -> str:
    return (
        f"{job} exited with {outcome.returncode}\n"
        f"--- stdout (tail) ---\n{_tail(outcome.stdout)}\n"
        f"--- stderr (tail) ---\n{_tail(outcome.stderr)}"
    )


def _trained_variables(job: Job, runs: ProgramRuns) -> list[float]:
    outcome = runs.outcome(job)
    assert outcome.returncode == 0, _describe(job, outcome)
    lines = [line for line in outcome.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    assert len(lines) == 1, f"expected one {RESULT_PREFIX.strip()} line\n{_describe(job, outcome)}"
    values = json.loads(lines[0][len(RESULT_PREFIX) :])
    assert isinstance(values, list), _describe(job, outcome)
    assert all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values), values
    return [float(v) for v in values]


def test_enough_runnable_cases() -> None:
    assert len(GOOD_CASES) >= MIN_RUNNABLE_CASES, (
        f"only {len(GOOD_CASES)} runnable fixtures (fixtures/*/run.json), "
        f"need at least {MIN_RUNNABLE_CASES}: {[case.name for case in GOOD_CASES]}"
    )


@pytest.mark.parametrize("case", CASES, ids=str)
def test_run_json_is_well_formed(case: Case) -> None:
    assert case.problem is None, f"fixtures/{case.name}: {case.problem}"


@pytest.mark.parametrize("run", _params(bug="crash"))
def test_input_crashes_with_singleton_error(run: Run, program_runs: ProgramRuns) -> None:
    job = Job(run, "input.py")
    outcome = program_runs.outcome(job)
    assert outcome.returncode not in (0, None), _describe(job, outcome)
    assert SINGLETON_ERROR in outcome.stderr, (
        f"crashed, but not with {SINGLETON_ERROR!r}\n{_describe(job, outcome)}"
    )


@pytest.mark.parametrize("run", _params(bug="silent"))
def test_input_runs_and_trains_differently(run: Run, program_runs: ProgramRuns) -> None:
    """A silent bug: the program runs, and trains otherwise than one optimizer would."""
    trained = _trained_variables(Job(run, "input.py"), program_runs)
    reference = _trained_variables(Job(run, "reference.py"), program_runs)
    assert len(trained) == len(reference), f"{run}: input.py and reference.py train different sizes"
    assert any(abs(got - want) > TOLERANCE for got, want in zip(trained, reference)), (
        f"{run}: input.py trains the same values as reference.py, so the rebuilt optimizer "
        "changes nothing here and the case does not show the bug"
    )


@pytest.mark.parametrize("run", _params())
def test_expected_runs(run: Run, program_runs: ProgramRuns) -> None:
    job = Job(run, CASES_BY_NAME[run.case].fixed)
    outcome = program_runs.outcome(job)
    assert outcome.returncode == 0, _describe(job, outcome)


@pytest.mark.parametrize("run", _params(reference_only=True))
def test_expected_matches_reference(run: Run, program_runs: ProgramRuns) -> None:
    fixed = CASES_BY_NAME[run.case].fixed
    expected = _trained_variables(Job(run, fixed), program_runs)
    reference = _trained_variables(Job(run, "reference.py"), program_runs)
    assert len(expected) == len(reference), (
        f"{run}: {fixed} trained {len(expected)} values, reference.py {len(reference)}"
    )
    mismatches = [
        (index, got, want)
        for index, (got, want) in enumerate(zip(expected, reference))
        if abs(got - want) > TOLERANCE
    ]
    assert not mismatches, (
        f"{run}: {len(mismatches)} of {len(expected)} values differ by more than {TOLERANCE} "
        f"(index, {fixed}, reference.py): {mismatches[:5]}"
    )
