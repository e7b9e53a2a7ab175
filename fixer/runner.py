"""One file's work, and a batch of files spread over processes.

Kept apart from the CLI so that a process pool can map it. Importing this module does not import
LibCST: the engine is loaded the first time a file passes the pre-filter, so a run whose files
cannot hold a finding starts and ends quickly.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from fixer.bounds import DEFAULT_MAX_FILE_SIZE, DEFAULT_TIMEOUT
from fixer.files import SourceFile, display_path, is_generated, is_notebook, read_bytes
from fixer.findings import Applicability, Diagnostic, FindingsView
from fixer.names import DEFAULT_NAMES, NameTable
from fixer.prefilter import Prefilter, may_hold_suppression, parse_quietly
from fixer.rules import FILE_TOO_LARGE
from fixer.rulesets import DEFAULT_RULES, RuleSet
from fixer.siblings import Repository, helpers_for

# Below this many files more than one worker costs more (process start-up, LibCST imported in
# each worker) than it saves.
SERIAL_BELOW = 16


@dataclass(frozen=True)
class RunSettings:
    """What every file of a run is processed with."""

    names: NameTable = DEFAULT_NAMES
    unsafe_fixes: bool = False
    prefilter: bool = True  # off: every file is parsed by LibCST (for tests and bug hunts)
    include_generated: bool = False
    with_edits: bool = False  # attach each finding's fix as text edits (JSON, SARIF)
    rules: RuleSet = DEFAULT_RULES
    max_file_size: int = DEFAULT_MAX_FILE_SIZE  # larger files that may hold a finding: TFO902


DEFAULT_SETTINGS = RunSettings()


@dataclass(frozen=True)
class FileResult(FindingsView):
    """What a run needs of one file's :class:`~fixer.engine.FixResult`, cheap to pass between
    processes: the bytes travel only for a file that changes."""

    path: str
    diagnostics: tuple[Diagnostic, ...]
    source: bytes = b""
    fixed: bytes = b""
    parsed: bool = True  # False: the pre-filter showed it cannot hold a finding
    suppressed: tuple[Diagnostic, ...] = ()

    @property
    def changed(self) -> bool:
        return self.fixed != self.source


@dataclass(frozen=True)
class FileOutcome:
    """The result for one file, or why it was not processed."""

    path: Path
    shown: str
    result: FileResult | None
    read_error: str | None = None
    generated: bool = False  # skipped: marked ``@generated`` (see files.is_generated)


@lru_cache(maxsize=8)
def _prefilter(names: NameTable) -> Prefilter:
    return Prefilter(names)


@lru_cache(maxsize=8)
def _repository(names: NameTable) -> Repository:
    return Repository(names)


def process(
    path: Path,
    settings: RunSettings = DEFAULT_SETTINGS,
    *,
    explicit: bool = True,
    names: NameTable | None = None,
    rules: RuleSet | None = None,
    shown: str | None = None,
    data: bytes | None = None,
) -> FileOutcome:
    """Read ``path`` (or take ``data``, e.g. from stdin) and run the engine on its bytes; never
    raises for a bad file. ``names`` and ``rules`` replace the settings' for this file.

    A file that is not ``explicit`` (it was found in a directory) and is marked ``@generated`` is
    skipped unless the settings include generated files. A file larger than the settings'
    ``max_file_size`` is never parsed: it is read in pieces for the pre-filter's names, and is
    clean without them, ``TFO902`` with them.
    """
    shown = display_path(path) if shown is None else shown
    names = settings.names if names is None else names
    rules = settings.rules if rules is None else rules
    limit = settings.max_file_size
    if data is None:
        try:
            if limit and path.stat().st_size > limit:
                return _too_large(
                    path, shown, _scan_file(path, _needles(names)), explicit, settings
                )
            data = read_bytes(path)
        except OSError as error:
            return FileOutcome(path, shown, None, error.strerror or str(error))
    elif limit and len(data) > limit:
        return _too_large(path, shown, _scan_data(data, _needles(names)), explicit, settings)
    if not explicit and not settings.include_generated and is_generated(data):
        return FileOutcome(path, shown, None, generated=True)

    def ruled_out(code: bytes) -> bool:
        return (
            settings.prefilter
            and _prefilter(names).verdict(code).skips
            and not (explicit and _fails_to_compile(code))
            and not (rules.report_unused_ignores and may_hold_suppression(code))
        )

    if is_notebook(shown):
        return _notebook(path, shown, data, settings, names, rules, ruled_out)
    # The builders of the repository's other modules that the file imports (read on demand,
    # once per process): a call of one in a traced function is a finding too.
    imported = helpers_for(_repository(names), path, data)
    if ruled_out(data) and not (imported and _prefilter(names).may_call(data, imported)):
        return FileOutcome(path, shown, FileResult(shown, (), parsed=False))
    from fixer.engine import fix_source  # LibCST is imported here, and only when needed

    result = fix_source(
        data,
        shown,
        names=names,
        unsafe_fixes=settings.unsafe_fixes,
        rules=rules,
        with_edits=settings.with_edits,
        imported=imported,
    )
    if result.changed:
        slim = FileResult(
            shown, result.diagnostics, result.source, result.fixed, suppressed=result.suppressed
        )
    else:
        slim = FileResult(shown, result.diagnostics, suppressed=result.suppressed)
    return FileOutcome(path, shown, slim)


# How much of a file too large to parse is read at a time, looking for the pre-filter's names.
_SCAN = 1024 * 1024


def _needles(names: NameTable) -> tuple[bytes, ...] | None:
    return _prefilter(names).facts.needles


def _scan_file(path: Path, needles: tuple[bytes, ...] | None) -> tuple[bool, bool]:
    """Whether the file (too large to parse) is marked ``@generated``, and whether its bytes
    hold one of ``needles`` (None: any file may), read a piece at a time: memory stays bounded
    whatever its size. Python source is in an ASCII-compatible encoding, so an ASCII name is
    found in its raw bytes."""
    overlap = max((len(needle) for needle in needles or ()), default=1) - 1
    found = needles is None
    with path.open("rb") as handle:
        head = handle.read(_SCAN)
        generated = is_generated(head)
        tail = b""
        piece = head
        while piece and not found:
            window = tail + piece
            found = any(needle in window for needle in needles or ())
            tail = window[-overlap:] if overlap else b""
            piece = handle.read(_SCAN)
    return generated, found


def _scan_data(data: bytes, needles: tuple[bytes, ...] | None) -> tuple[bool, bool]:
    return is_generated(data), needles is None or any(needle in data for needle in needles)


def _too_large(
    path: Path, shown: str, scan: tuple[bool, bool], explicit: bool, settings: RunSettings
) -> FileOutcome:
    """A file over ``--max-file-size``: skipped when it names no optimizer, else TFO902."""
    generated, named = scan
    if not explicit and not settings.include_generated and generated:
        return FileOutcome(path, shown, None, generated=True)
    if not named:
        return FileOutcome(path, shown, FileResult(shown, (), parsed=False))
    message = (
        f"larger than {settings.max_file_size:,} bytes (--max-file-size) and may hold a finding; "
        "not checked"
    )
    error = Diagnostic(shown, 1, 1, FILE_TOO_LARGE.code, message, Applicability.NONE, True)
    return FileOutcome(path, shown, FileResult(shown, (error,)))


def _notebook(
    path: Path,
    shown: str,
    data: bytes,
    settings: RunSettings,
    names: NameTable,
    rules: RuleSet,
    ruled_out: Callable[[bytes], bool],
) -> FileOutcome:
    """A notebook's outcome: its code cells go through the same pre-filter and engine."""
    from fixer.notebooks import check

    found = check(
        data,
        shown,
        skip=ruled_out,
        names=names,
        unsafe_fixes=settings.unsafe_fixes,
        rules=rules,
    )
    if found.fixed != data:
        result = FileResult(
            shown, found.diagnostics, data, found.fixed, suppressed=found.suppressed
        )
    else:
        result = FileResult(
            shown, found.diagnostics, parsed=found.parsed, suppressed=found.suppressed
        )
    return FileOutcome(path, shown, result)


def _fails_to_compile(data: bytes) -> bool:
    """A file named on the command line keeps its syntax check (pre-commit names each file):
    when CPython's parser rejects it, the engine (whose parser also knows syntax newer than this
    Python) decides and reports ``TFO900``. Files found in directories are not checked."""
    return parse_quietly(data) is None


def default_jobs() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class Batch:
    """The outcomes of :func:`run`, in the order the files were given. ``total`` files were
    taken (all of them are known when :func:`run` returns)."""

    def __init__(self, total: int, outcomes: Iterator[FileOutcome]) -> None:
        self.total = total
        self._outcomes = outcomes

    def __iter__(self) -> Iterator[FileOutcome]:
        return self._outcomes


def run(
    files: Iterable[SourceFile],
    settings: RunSettings = DEFAULT_SETTINGS,
    jobs: int = 1,
    *,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> Batch:
    """Process ``files`` in up to ``jobs`` worker processes; the outcomes come in the order given.

    The order and the content of the outcomes do not depend on ``jobs``. Each file is processed
    in a worker process (:mod:`fixer.workers`), so that a crash or a file that takes longer than
    ``timeout`` seconds (None or 0: no limit) costs only that file (TFO905, TFO904). A run of
    fewer than ``SERIAL_BELOW`` files uses one worker.
    """
    from fixer.workers import Pool

    taken = list(files)
    if len(taken) < SERIAL_BELOW:
        jobs = 1
    pool = Pool(jobs, _Task(settings), _failed, timeout=timeout, warm_up=_load_engine)
    return Batch(len(taken), _outcomes(pool.map(taken), taken))


def run_one(
    file: SourceFile,
    data: bytes,
    shown: str,
    settings: RunSettings = DEFAULT_SETTINGS,
    *,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> FileOutcome:
    """:func:`process` of ``data`` (read from stdin) as the file ``file``, in a worker process
    like any file of a run."""
    from fixer.workers import Pool

    pool = Pool(1, _DataTask(settings, data, shown), _failed, timeout=timeout, warm_up=_load_engine)
    for outcome in pool.map([file]):
        if outcome is not None:
            return outcome
    return FileOutcome(file.path, shown, FileResult(shown, (), parsed=False))


def _outcomes(
    results: Iterator[FileOutcome | None], files: Sequence[SourceFile]
) -> Iterator[FileOutcome]:
    for file, outcome in zip(files, results):
        if outcome is None:  # the common case, sent small: clean without parsing
            shown = display_path(file.path)
            outcome = FileOutcome(file.path, shown, FileResult(shown, (), parsed=False))
        yield outcome


def _load_engine() -> None:
    """Import the engine (and LibCST), so that the workers forked next start with it."""
    import fixer.engine  # noqa: F401


def _failed(file: SourceFile, diagnostic: Diagnostic) -> FileOutcome:
    """The outcome of a file whose worker died on it or ran out of time."""
    shown = display_path(file.path)
    return FileOutcome(file.path, shown, FileResult(shown, (replace(diagnostic, path=shown),)))


@dataclass(frozen=True)
class _DataTask:
    """:class:`_Task` for bytes that are not read from the file (stdin)."""

    settings: RunSettings
    data: bytes
    shown: str

    def __call__(self, file: SourceFile) -> FileOutcome:
        return process(
            file.path,
            self.settings,
            explicit=True,
            names=file.names,
            rules=file.rules,
            shown=self.shown,
            data=self.data,
        )


@dataclass(frozen=True)
class _Task:
    """What a worker does with one file (a class, so that it pickles for spawned workers)."""

    settings: RunSettings

    def __call__(self, file: SourceFile) -> FileOutcome | None:
        outcome = process(
            file.path, self.settings, explicit=file.explicit, names=file.names, rules=file.rules
        )
        if outcome.result is not None and not outcome.result.parsed:
            return None
        return outcome
