"""One file's work, and a batch of files spread over processes.

Kept apart from the CLI so that a process pool can map it. Importing this module does not import
LibCST: the engine is loaded the first time a file passes the pre-filter, so a run whose files
cannot hold a finding starts and ends quickly.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain, islice
from pathlib import Path
from typing import TYPE_CHECKING

from fixer.files import SourceFile, display_path, is_generated, is_notebook, read_bytes
from fixer.findings import Diagnostic, FindingsView
from fixer.names import DEFAULT_NAMES, NameTable
from fixer.prefilter import Prefilter, may_hold_suppression, parse_quietly
from fixer.rulesets import DEFAULT_RULES, RuleSet
from fixer.siblings import Repository, helpers_for

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

# Below this many files a pool costs more (process start-up, LibCST imported in each worker)
# than it saves.
SERIAL_BELOW = 16
# Files handed to a worker at a time: large enough to keep inter-process traffic low, small
# enough to balance files that take LibCST's time against the many the pre-filter skips.
CHUNK = 16


@dataclass(frozen=True)
class RunSettings:
    """What every file of a run is processed with."""

    names: NameTable = DEFAULT_NAMES
    unsafe_fixes: bool = False
    prefilter: bool = True  # off: every file is parsed by LibCST (for tests and bug hunts)
    include_generated: bool = False
    with_edits: bool = False  # attach each finding's fix as text edits (JSON, SARIF)
    rules: RuleSet = DEFAULT_RULES


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
    skipped unless the settings include generated files.
    """
    shown = display_path(path) if shown is None else shown
    names = settings.names if names is None else names
    rules = settings.rules if rules is None else rules
    if data is None:
        try:
            data = read_bytes(path)
        except OSError as error:
            return FileOutcome(path, shown, None, error.strerror or str(error))
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
    files: Iterable[SourceFile], settings: RunSettings = DEFAULT_SETTINGS, jobs: int = 1
) -> Batch:
    """Process ``files`` on up to ``jobs`` processes; the outcomes come in the order given.

    The order and the content of the outcomes do not depend on ``jobs``. ``files`` is consumed
    before this returns; with a pool, work starts while it is still being produced (a directory
    walk), and the worker processes exist before any thread of the caller's, such as a progress
    bar's (they are forked on Linux).
    """
    iterator = iter(files)
    first = list(islice(iterator, SERIAL_BELOW))
    if jobs <= 1 or len(first) < SERIAL_BELOW:
        taken = [*first, *iterator]
        return Batch(len(taken), _serial(taken, settings))
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor  # imported only when a pool is used

    # fork starts a worker in milliseconds with fixer already imported; elsewhere (macOS,
    # Windows) the platform's default start method is the safe one.
    context = multiprocessing.get_context("fork" if sys.platform == "linux" else None)
    taken = []
    pool = ProcessPoolExecutor(jobs, context, initializer=_start_worker, initargs=(settings,))
    try:
        results = pool.map(_work, _recorded(chain(first, iterator), taken), chunksize=CHUNK)
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    return Batch(len(taken), _collect(pool, results, taken))


def _recorded(files: Iterable[SourceFile], into: list[SourceFile]) -> Iterator[SourceFile]:
    for file in files:
        into.append(file)
        yield file


def _serial(files: Sequence[SourceFile], settings: RunSettings) -> Iterator[FileOutcome]:
    for file in files:
        yield process(
            file.path, settings, explicit=file.explicit, names=file.names, rules=file.rules
        )


def _collect(
    pool: ProcessPoolExecutor, results: Iterator[FileOutcome | None], files: Sequence[SourceFile]
) -> Iterator[FileOutcome]:
    from concurrent.futures.process import BrokenProcessPool

    done = 0
    try:
        for outcome in results:
            if outcome is None:  # the common case, sent as one byte: clean without parsing
                path = files[done].path
                shown = display_path(path)
                outcome = FileOutcome(path, shown, FileResult(shown, (), parsed=False))
            done += 1
            yield outcome
    except BrokenProcessPool:
        for file in files[done:]:
            shown = display_path(file.path)
            yield FileOutcome(file.path, shown, None, "a fixer worker process died on this batch")
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


_settings = DEFAULT_SETTINGS


def _start_worker(settings: RunSettings) -> None:
    global _settings
    _settings = settings
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle


def _work(file: SourceFile) -> FileOutcome | None:
    outcome = process(
        file.path, _settings, explicit=file.explicit, names=file.names, rules=file.rules
    )
    if outcome.result is not None and not outcome.result.parsed:
        return None
    return outcome
