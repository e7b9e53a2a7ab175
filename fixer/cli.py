"""The command line: options, exit codes, and the only place that prints.

Two commands share the ``fixer`` program: ``fixer [OPTIONS] PATH...`` (check and fix) and
``fixer rule CODE`` (a rule's documentation). ``fixer rule ...`` is the documentation command
unless a file or folder named ``rule`` exists here and the words after it are not rule codes;
``fixer ./rule`` always means the path. Keeping the check command implicit keeps every existing
``fixer PATH`` and ``fixer --diff PATH`` invocation working. ``fixer bot analyze|publish|autofix``
(the pull-request bot, ``fixer.bot.cli``) is imported only when asked for; ``fixer ./bot`` is a
path. ``fixer server`` (or ``fixer lsp``) runs the language server (``fixer.lsp``, the ``lsp``
extra), unless a path of that name exists here and no server option follows;
``fixer server --stdio`` is always the server.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, replace
from enum import Enum, IntEnum
from pathlib import Path
from typing import IO, Annotated, Optional

import typer

from fixer import __version__
from fixer.bounds import DEFAULT_MAX_FILE_SIZE, DEFAULT_TIMEOUT
from fixer.config import Config, ConfigError, Overrides, Resolver, parse_per_file_ignores
from fixer.files import (
    DEFAULT_EXCLUDES,
    PathError,
    Selection,
    SourceFile,
    WriteRefused,
    in_shard,
    is_excluded,
    is_notebook,
    iter_discover,
    repository_relative,
    write_fixed,
)
from fixer.findings import Diagnostic
from fixer.output import Emitter, FileReport, RunInfo, make_emitter
from fixer.output.escaping import printable, printable_lines
from fixer.report import summary, unified_diff
from fixer.rulesets import Layer, PerFileIgnore, SelectorError, expand_all
from fixer.runner import (
    FileOutcome,
    FileResult,
    RunSettings,
    default_jobs,
    run,
    run_one,
)

app = typer.Typer(add_completion=False, rich_markup_mode=None)
rule_app = typer.Typer(add_completion=False, rich_markup_mode=None)
server_app = typer.Typer(add_completion=False, rich_markup_mode=None)


class Exit(IntEnum):
    """The exit-code contract."""

    CLEAN = 0  # nothing to do
    FINDINGS = 1  # findings, or changes made or proposed
    ERROR = 2  # a file or the command failed


def _version(value: bool) -> None:
    if value:
        typer.echo(f"fixer {__version__}")
        raise typer.Exit(Exit.CLEAN)


def _err(text: str) -> None:
    """One message on stderr, its control characters escaped; quiet if stderr is gone."""
    with suppress(OSError):
        typer.echo(printable_lines(text), err=True)


class _Failed(Exception):
    """A usage or set-up error: printed as ``fixer: error: <message>``, exit 2."""


class OutputFormat(str, Enum):
    """``--format``: one renderer each in ``fixer/output/`` (``FORMATS``)."""

    TEXT = "text"
    JSON = "json"
    JSON_LINES = "json-lines"
    SARIF = "sarif"
    GITHUB = "github"
    GITLAB = "gitlab"


class RuleFormat(str, Enum):
    TEXT = "text"
    JSON = "json"


def _check_shard(value: Optional[str]) -> Optional[str]:  # noqa: UP045 - see `version`
    if value is not None and _parse_shard(value) is None:
        raise typer.BadParameter("expected K/N with 1 <= K <= N, e.g. 2/4")
    return value


def _parse_shard(value: str) -> tuple[int, int] | None:
    index, slash, count = value.partition("/")
    if not (slash and index.isdigit() and count.isdigit()):
        return None
    if not 1 <= int(index) <= int(count):
        return None
    return int(index), int(count)


# A progress bar for runs of at least this many files, on a terminal, outside CI.
PROGRESS_FROM = 200


def _show_progress(total: int, mode: str) -> bool:
    if total < PROGRESS_FROM or not sys.stderr.isatty():
        return False
    if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
        return False
    if os.environ.get("TERM") == "dumb":
        return False
    return not (mode == "diff" and sys.stdout.isatty())  # diffs are written as raw bytes


@contextmanager
def _progress(total: int, mode: str) -> Iterator[Callable[[], None]]:
    """A transient progress bar on stderr; lines printed meanwhile appear above it."""
    if not _show_progress(total, mode):
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    with Progress(
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True, soft_wrap=True),
        transient=True,
        redirect_stdout=sys.stdout.isatty(),
        redirect_stderr=True,
    ) as progress:
        task = progress.add_task("files", total=total)
        yield lambda: progress.advance(task)


def _selectors(values: Optional[list[str]], option: str) -> tuple[str, ...] | None:  # noqa: UP045
    """``--select A,B --select C`` as ``(A, B, C)``; checked against the known codes."""
    if values is None:
        return None
    selectors = tuple(part.strip() for value in values for part in value.split(",") if part.strip())
    if not selectors:
        raise _Failed(f"{option} needs at least one code or prefix (or ALL)")
    try:
        expand_all(selectors)
    except SelectorError as error:
        raise _Failed(f"{option}: {error}") from None
    return selectors


def _per_file(values: Optional[list[str]]) -> tuple[tuple[str, tuple[str, ...]], ...] | None:  # noqa: UP045
    if values is None:
        return None
    pairs = []
    for value in values:
        glob, colon, codes = value.rpartition(":")
        if not colon or not glob:
            raise _Failed(
                f"--per-file-ignores expects GLOB:CODES, e.g. 'tests/*:TFO003'; got {value!r}"
            )
        pairs.append((glob, tuple(c.strip() for c in codes.split(",") if c.strip())))
    return tuple(pairs)


@app.command()
def main(
    paths: Annotated[
        Optional[list[str]],  # noqa: UP045 - see `version`
        typer.Argument(
            help="Files or directories (searched for *.py and *.ipynb).",
            metavar="PATH...",
            show_default=False,
        ),
    ] = None,
    diff: Annotated[
        bool, typer.Option("--diff", help="Print the fixes as a unified diff; write nothing.")
    ] = False,
    write: Annotated[bool, typer.Option("--write", help="Apply the fixes to the files.")] = False,
    check: Annotated[
        bool, typer.Option("--check", help="List the files that would change; write nothing.")
    ] = False,
    unsafe_fixes: Annotated[
        Optional[bool],  # noqa: UP045 - see `version`
        typer.Option(
            "--unsafe-fixes/--no-unsafe-fixes",
            help="Also apply fixes that change how a working program trains (review them).",
            show_default=False,
        ),
    ] = None,
    output_format: Annotated[
        OutputFormat,
        typer.Option(
            "--format",
            help="text, json, json-lines (one record a file), sarif, github (annotations), "
            "gitlab (Code Quality).",
        ),
    ] = OutputFormat.TEXT,
    output_file: Annotated[
        Optional[Path],  # noqa: UP045 - see `version`
        typer.Option(
            "--output-file",
            "-o",
            metavar="FILE",
            help="Write the findings (in --format) to FILE; stdout stays free for --diff.",
        ),
    ] = None,
    statistics: Annotated[
        bool,
        typer.Option("--statistics", help="Print how many findings of each code, not each one."),
    ] = False,
    select: Annotated[
        Optional[list[str]],  # noqa: UP045 - see `version`
        typer.Option(
            "--select", metavar="CODES", help="Codes or prefixes in force (comma-separated)."
        ),
    ] = None,
    ignore: Annotated[
        Optional[list[str]],  # noqa: UP045 - see `version`
        typer.Option("--ignore", metavar="CODES", help="Codes or prefixes to leave out."),
    ] = None,
    per_file_ignores: Annotated[
        Optional[list[str]],  # noqa: UP045 - see `version`
        typer.Option(
            "--per-file-ignores",
            metavar="GLOB:CODES",
            help="Codes to leave out for matching files; replaces the configured ones.",
        ),
    ] = None,
    extend_safe_fixes: Annotated[
        Optional[list[str]],  # noqa: UP045 - see `version`
        typer.Option(
            "--extend-safe-fixes", metavar="CODES", help="Treat these codes' unsafe fixes as safe."
        ),
    ] = None,
    extend_unsafe_fixes: Annotated[
        Optional[list[str]],  # noqa: UP045 - see `version`
        typer.Option(
            "--extend-unsafe-fixes",
            metavar="CODES",
            help="Treat these codes' safe fixes as unsafe.",
        ),
    ] = None,
    report_unused_ignores: Annotated[
        Optional[bool],  # noqa: UP045 - see `version`
        typer.Option(
            "--report-unused-ignores/--no-report-unused-ignores",
            help="Report suppression comments that suppress nothing (TFO100).",
            show_default=False,
        ),
    ] = None,
    stdin_filename: Annotated[
        Optional[str],  # noqa: UP045 - see `version`
        typer.Option(
            "--stdin-filename",
            metavar="PATH",
            help="Read the source from stdin, as the file PATH (configuration, messages).",
        ),
    ] = None,
    changed_since: Annotated[
        Optional[str],  # noqa: UP045 - see `version`
        typer.Option(
            "--changed-since",
            metavar="REF",
            help="Only files changed since the merge base with git REF (and uncommitted ones).",
        ),
    ] = None,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout",
            min=0,
            metavar="SECONDS",
            help="Stop work on a file after this long and report it (TFO904); 0: no limit.",
        ),
    ] = DEFAULT_TIMEOUT,
    max_file_size: Annotated[
        int,
        typer.Option(
            "--max-file-size",
            min=0,
            metavar="BYTES",
            help="Do not parse larger files that may hold a finding (TFO902); 0: no limit.",
        ),
    ] = DEFAULT_MAX_FILE_SIZE,
    jobs: Annotated[
        Optional[int],  # noqa: UP045 - see `version`
        typer.Option(
            "--jobs",
            "-j",
            min=1,
            metavar="N",
            help="Processes to use [default: the CPUs available].",
        ),
    ] = None,
    shard: Annotated[
        Optional[str],  # noqa: UP045 - see `version`
        typer.Option(
            "--shard",
            metavar="K/N",
            callback=_check_shard,
            help="Process only part K of N of the files (split by a hash of each path).",
        ),
    ] = None,
    exclude: Annotated[
        Optional[list[str]],  # noqa: UP045 - see `version`
        typer.Option(
            "--exclude",
            metavar="PATTERN",
            help="Gitignore-style pattern of paths to skip; replaces the default exclusions.",
        ),
    ] = None,
    extend_exclude: Annotated[
        Optional[list[str]],  # noqa: UP045 - see `version`
        typer.Option(
            "--extend-exclude", metavar="PATTERN", help="Like --exclude, but adds to them."
        ),
    ] = None,
    force_exclude: Annotated[
        Optional[bool],  # noqa: UP045 - see `version`
        typer.Option(
            "--force-exclude/--no-force-exclude",
            help="Apply the exclusions to files named on the command line too (pre-commit).",
            show_default=False,
        ),
    ] = None,
    notebooks: Annotated[
        Optional[bool],  # noqa: UP045 - see `version`
        typer.Option(
            "--notebooks/--no-notebooks",
            help="Check Jupyter notebooks (*.ipynb) too [default: on; config `notebooks`].",
            show_default=False,
        ),
    ] = None,
    include_generated: Annotated[
        bool,
        typer.Option(
            "--include-generated", help="Also process files marked @generated in a directory."
        ),
    ] = False,
    config: Annotated[
        Optional[Path],  # noqa: UP045 - see `version`
        typer.Option(
            "--config",
            metavar="FILE",
            help="Use FILE for every path [default: the nearest fixer.toml or pyproject.toml "
            "with [tool.fixer] above each file].",
        ),
    ] = None,
    version: Annotated[
        Optional[bool],  # noqa: UP045 - typer reads the annotation at run time on Python 3.9
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = None,
) -> None:
    """Find TensorFlow optimizers built inside tf.function and move them out.

    An optimizer created while tf.function traces makes TensorFlow fail on the first call with
    "ValueError: tf.function only supports singleton tf.Variables created on the first call".
    fixer builds it once outside the traced body. Without options it reports findings.

    Suppress a finding with "# fixer: ignore[TFO001]" (or "# noqa: TFO001") on its line or on
    the def or loop line. "fixer rule TFO001" explains a code; "fixer rule --all" lists them.

    Exit status: 0 nothing to do, 1 findings or changes, 2 a file or the command failed.
    """
    format_name = str(output_format.value)
    try:
        options = _Options(
            paths=list(paths or []),
            mode=_mode(diff, write, check),
            format_name=format_name,
            output_file=output_file,
            statistics=statistics,
            stdin_filename=stdin_filename,
            changed_since=changed_since,
            overrides=Overrides(
                layer=Layer(
                    select=_selectors(select, "--select"),
                    ignore=_selectors(ignore, "--ignore") or (),
                    extend_safe_fixes=_selectors(extend_safe_fixes, "--extend-safe-fixes") or (),
                    extend_unsafe_fixes=_selectors(extend_unsafe_fixes, "--extend-unsafe-fixes")
                    or (),
                ),
                per_file_ignores=_parsed_per_file(_per_file(per_file_ignores)),
                unsafe_fixes=unsafe_fixes,
                report_unused_ignores=report_unused_ignores,
                force_exclude=force_exclude,
                notebooks=notebooks,
            ),
            exclude=tuple(exclude) if exclude else None,
            extend_exclude=tuple(extend_exclude or ()),
            include_generated=include_generated,
            config=config,
            jobs=jobs or default_jobs(),
            shard=None if shard is None else _parse_shard(shard),
            timeout=timeout,
            max_file_size=max_file_size,
        )
        code = _Command(options).run()
    except _Failed as error:
        _err(f"fixer: error: {error}")
        raise typer.Exit(Exit.ERROR) from None
    raise typer.Exit(code)


def _parsed_per_file(
    pairs: tuple[tuple[str, tuple[str, ...]], ...] | None,
) -> tuple[PerFileIgnore, ...] | None:
    if pairs is None:
        return None
    try:
        return parse_per_file_ignores(pairs)
    except SelectorError as error:
        raise _Failed(f"--per-file-ignores: {error}") from None


def _mode(diff: bool, write: bool, check: bool) -> str:
    if sum((diff, write, check)) > 1:
        raise _Failed("choose one of --diff, --write and --check")
    return "diff" if diff else "write" if write else "check" if check else "report"


@dataclass(frozen=True)
class _Options:
    """The command line, checked."""

    paths: list[str]
    mode: str
    format_name: str
    output_file: Path | None
    statistics: bool
    stdin_filename: str | None
    changed_since: str | None
    overrides: Overrides
    exclude: tuple[str, ...] | None
    extend_exclude: tuple[str, ...]
    include_generated: bool
    config: Path | None
    jobs: int
    shard: tuple[int, int] | None
    timeout: float = DEFAULT_TIMEOUT
    max_file_size: int = DEFAULT_MAX_FILE_SIZE

    def __post_init__(self) -> None:
        if self.stdin_filename is None and not self.paths:
            raise _Failed("no paths given (try `fixer .`, or --stdin-filename PATH)")
        if self.stdin_filename is not None and self.paths:
            raise _Failed("--stdin-filename reads stdin: give no other paths")
        if self.stdin_filename is not None and self.changed_since is not None:
            raise _Failed(
                "--changed-since selects files; it does not combine with --stdin-filename"
            )
        if self.statistics and self.format_name not in ("text", "json"):
            raise _Failed("--statistics prints text or json; choose one of those with --format")
        if self.stdout_taken and self.format_name != "text" and self.output_file is None:
            raise _Failed(
                f"--format {self.format_name} and --{self.mode} both write to stdout: add "
                "--output-file FILE for the findings"
            )

    @property
    def stdout_taken(self) -> bool:
        """Whether stdout carries something other than findings: diffs, file names (--check),
        the fixed source (stdin --write)."""
        return self.mode in ("diff", "check") or (
            self.stdin_filename is not None and self.mode == "write"
        )

    @property
    def report_to_stderr(self) -> bool:
        """Text findings go to stderr when stdout carries something else and no file was named."""
        return self.stdout_taken and self.format_name == "text" and self.output_file is None


class _Totals:
    def __init__(self) -> None:
        self.findings = self.fixable = self.unsafe = 0
        self.changed_files = self.generated = self.errors = 0
        self.checked: list[str] = []
        self.written: list[str] = []  # files rewritten (--write), for an interrupted run


class _Stopped(Exception):
    """SIGTERM or SIGHUP: the run stops as it does on Ctrl-C."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class _OutputClosed(Exception):
    """The reader of stdout went away (``fixer --diff . | head``)."""


class _Command:
    """One run of the check command: select files, process them, render, write, sum up."""

    def __init__(self, options: _Options) -> None:
        self.options = options
        try:
            self.resolver = Resolver(options.config, options.overrides)
            self.base = self.resolver.for_folder(Path.cwd())
        except ConfigError as error:
            raise _Failed(str(error)) from None
        self.totals = _Totals()
        self.all_findings: list[Diagnostic] = []
        self.unsafe_shown = bool(options.overrides.unsafe_fixes) or self.base.unsafe_fixes
        # A symbolic link is written through when its target lies inside one of these (or in
        # the link's repository): the paths given.
        self.roots = tuple(Path(raw) for raw in options.paths)

    # ----------------------------------------------------------------- selection

    def selection_for(self, config: Config) -> Selection:
        options = self.options
        if options.exclude is not None:
            exclude = options.exclude
        else:
            exclude = DEFAULT_EXCLUDES if config.exclude is None else config.exclude
        return Selection(
            exclude=exclude,
            extend_exclude=(*config.extend_exclude, *options.extend_exclude),
            root=config.root,
            notebooks=config.notebooks,
            nested=self._nested,
            governing=self._governing,
        )

    def _config(self, folder: Path, own: bool = False) -> Config | None:
        try:
            return self.resolver.own(folder) if own else self.resolver.for_folder(folder)
        except ConfigError as error:
            raise _Failed(str(error)) from None

    def _config_for_file(self, path: Path) -> Config:
        try:
            return self.resolver.for_file(path)
        except ConfigError as error:
            raise _Failed(str(error)) from None

    def _nested(self, folder: Path) -> Selection | None:
        own = self._config(folder, own=True)
        return None if own is None else self.selection_for(own)

    def _governing(self, folder: Path) -> Selection:
        config = self._config(folder)
        assert config is not None
        return self.selection_for(config)

    def _named_paths(self) -> list[str]:
        """The paths given, less the folders ``--force-exclude`` rules out (files are checked
        one by one as they come)."""
        kept = []
        for raw in self.options.paths:
            path = Path(raw)
            if path.is_dir():
                config = self._config(path)
                assert config is not None
                if config.force_exclude and is_excluded(path, self.selection_for(config)):
                    continue
            kept.append(raw)
        return kept

    def files(self, path_errors: list[PathError]) -> Iterator[SourceFile]:
        """The files to process (work on them starts while the walk goes on)."""
        options = self.options
        changed = self._changed()
        for item in iter_discover(self._named_paths(), self.selection_for(self.base)):
            path = Path(item.path) if isinstance(item, PathError) else item.path
            if options.shard is not None and not in_shard(path, *options.shard):
                continue
            if isinstance(item, PathError):
                path_errors.append(item)
                continue
            if changed is not None and path.resolve() not in changed:
                continue
            config = self._config_for_file(path)
            if (
                item.explicit
                and config.force_exclude
                and is_excluded(path, self.selection_for(config))
            ):
                continue
            if not config.notebooks and is_notebook(item.path.name):
                continue  # the folder's own configuration leaves notebooks out, or a named one
            yield SourceFile(
                path, item.explicit, names=config.names(), rules=config.rules_for(path)
            )

    def _changed(self) -> set[Path] | None:
        """The files changed since the ref, asked of the repository of each path given."""
        if self.options.changed_since is None:
            return None
        from fixer.changed import ChangedFilesError, changed_files

        found: set[Path] = set()
        asked: set[Path] = set()
        for raw in self.options.paths:
            path = Path(raw)
            folder = (path if path.is_dir() else path.parent).resolve()
            if folder in asked:
                continue
            asked.add(folder)
            try:
                found.update(p.resolve() for p in changed_files(self.options.changed_since, folder))
            except ChangedFilesError as error:
                raise _Failed(str(error)) from None
        return found

    # ----------------------------------------------------------------- running

    def settings(self) -> RunSettings:
        options = self.options
        return RunSettings(
            names=self.base.names(),
            unsafe_fixes=False,  # carried by each file's rule set
            include_generated=options.include_generated,
            with_edits=options.format_name in ("json", "json-lines", "sarif"),
            max_file_size=options.max_file_size,
        )

    def run(self) -> int:
        """The run, stopped cleanly by Ctrl-C, SIGTERM, SIGHUP or a closed stdout."""
        with _stopping_signals():
            try:
                return self._run()
            except KeyboardInterrupt:
                return self._interrupted(2)  # SIGINT
            except _Stopped as stopped:
                return self._interrupted(stopped.signum)
            except _OutputClosed:
                _silence_stdout()
                if self.totals.errors:
                    return Exit.ERROR
                return Exit.FINDINGS  # something was being printed: a finding, a diff, a name

    def _interrupted(self, signum: int) -> int:
        """Say which files were already rewritten (they are complete: each write is atomic or
        finishes before a signal is handled), and exit as the shell expects (128 + signal)."""
        written = self.totals.written
        if written:
            _err(f"fixer: interrupted; {len(written)} file(s) had been rewritten:")
            for shown in written:
                _err(f"  {shown}")
        else:
            _err("fixer: interrupted; no file was rewritten")
        return 128 + signum

    def _run(self) -> int:
        options = self.options
        with ExitStack() as stack:
            report_to: IO[str]
            if options.output_file is not None:
                report_to = stack.enter_context(_written_at_the_end(options.output_file))
            else:
                report_to = sys.stderr if options.report_to_stderr else sys.stdout
            path_errors: list[PathError] = []
            if options.stdin_filename is not None:
                outcome = self._stdin_outcome()
                return self._render([outcome], 1, path_errors, report_to)
            batch = run(
                self.files(path_errors), self.settings(), options.jobs, timeout=options.timeout
            )
            return self._render(batch, batch.total, path_errors, report_to)

    def _stdin_outcome(self) -> FileOutcome:
        options = self.options
        assert options.stdin_filename is not None
        path = Path(options.stdin_filename)
        data = sys.stdin.buffer.read()
        config = self._config_for_file(path)
        shown = options.stdin_filename
        if (config.force_exclude and is_excluded(path, self.selection_for(config))) or (
            not config.notebooks and is_notebook(path.name)
        ):
            return FileOutcome(path, shown, FileResult(shown, (), data, data, parsed=False))
        outcome = run_one(
            SourceFile(path, True, config.names(), config.rules_for(path)),
            data,
            shown,
            self.settings(),
            timeout=self.options.timeout,
        )
        if outcome.result is not None and not outcome.result.source:
            # Unchanged results travel without their bytes; stdin --write echoes them.
            result = outcome.result
            outcome = FileOutcome(
                path,
                shown,
                FileResult(shown, result.diagnostics, data, data, result.parsed, result.suppressed),
            )
        return outcome

    def _render(
        self,
        outcomes: Iterable[FileOutcome],
        total: int,
        path_errors: list[PathError],
        report_to: IO[str],
    ) -> int:
        options = self.options
        totals = self.totals
        emitter = make_emitter(options.format_name, only_unfixed=options.mode != "report")
        listing = not options.statistics

        def emit(text: str) -> None:
            if text and listing:
                try:
                    report_to.write(text)
                    report_to.flush()
                except BrokenPipeError:
                    raise _OutputClosed from None

        for path_error in path_errors:
            _err(f"fixer: error: {path_error.path}: {path_error.message}")
            totals.errors += 1
            emit(emitter.file(FileReport(path_error.path, error=path_error.message)))

        with _progress(total, options.mode) as advance:
            stdout = sys.stdout
            iterator = iter(outcomes)
            try:
                for outcome in iterator:
                    advance()
                    self._one(outcome, stdout, emit, emitter)
            finally:
                close = getattr(iterator, "close", None)
                if close is not None:
                    close()  # stops the workers at once when the run is cut short

        counts = {
            "files": total - totals.generated,
            "findings": totals.findings,
            "fixable": totals.fixable,
            "errors": totals.errors,
            "changed_files": totals.changed_files,
        }
        info = RunInfo(
            tuple(totals.checked), {**counts, "generated": totals.generated}, options.mode
        )
        emit(emitter.finish(info))
        if options.statistics:
            from fixer.output.statistics import render_statistics

            try:
                report_to.write(render_statistics(self.all_findings, options.format_name))
                report_to.flush()
            except BrokenPipeError:
                raise _OutputClosed from None
        _err(
            summary(
                **counts,
                mode=options.mode,
                unsafe=totals.unsafe,
                unsafe_applied=self.unsafe_shown,
                generated=totals.generated,
            )
        )
        if totals.errors:
            return Exit.ERROR
        return Exit.FINDINGS if totals.findings or totals.changed_files else Exit.CLEAN

    def _one(
        self,
        outcome: FileOutcome,
        stdout: IO[str],
        emit: Callable[[str], None],
        emitter: Emitter,
    ) -> None:
        options = self.options
        totals = self.totals
        file_ = emitter.file
        if outcome.generated:
            totals.generated += 1
            return
        totals.checked.append(outcome.shown)
        if outcome.result is None:
            message = f"cannot read: {outcome.read_error}"
            _err(f"fixer: error: {outcome.shown}: {message}")
            totals.errors += 1
            emit(file_(FileReport(outcome.shown, error=message)))
            return
        result = outcome.result
        if result.errors:
            for diagnostic in result.errors:
                _err(f"fixer: error: {diagnostic.render()}")
            totals.errors += 1
            emit(file_(FileReport(outcome.shown, result.diagnostics, result.suppressed)))
            if options.stdin_filename is not None and options.mode == "write":
                self._write_stdout(result.source)
            return
        totals.findings += len(result.diagnostics)
        totals.fixable += len(result.fixable)
        totals.unsafe += len(result.unsafe)
        if options.mode == "write":  # as the listing: what is left once the fixes are made
            self.all_findings.extend(
                d for d in result.diagnostics if d.fix is None or not d.fix.applied
            )
        else:
            self.all_findings.extend(result.diagnostics)
        try:
            self._act(outcome, result, stdout)
        except BrokenPipeError:
            raise _OutputClosed from None
        except (OSError, WriteRefused) as error:
            if isinstance(error, WriteRefused):
                message = str(error)
            else:
                message = f"cannot write: {error.strerror or error}"
            _err(f"fixer: error: {outcome.shown}: {message}")
            totals.errors += 1
            # Nothing was fixed in this file: its findings count, and are listed, as left.
            totals.fixable -= len(result.fixable)
            totals.unsafe -= len(result.unsafe)
            left = tuple(_unapplied(d) for d in result.diagnostics)
            if options.mode == "write":
                self.all_findings.extend(d for d in left if d not in self.all_findings)
            emit(file_(FileReport(outcome.shown, left, result.suppressed, error=message)))
            return
        emit(
            file_(
                FileReport(
                    outcome.shown, result.diagnostics, result.suppressed, changed=result.changed
                )
            )
        )
        if result.changed:
            totals.changed_files += 1

    def _act(self, outcome: FileOutcome, result: FileResult, stdout: IO[str]) -> None:
        """What the mode does with one file besides listing its findings."""
        mode = self.options.mode
        if mode == "write":
            if self.options.stdin_filename is not None:
                self._write_stdout(result.fixed if result.changed else result.source)
            elif result.changed:
                write_fixed(outcome.path, result.source, result.fixed, self.roots)
                self.totals.written.append(outcome.shown)
            return
        if not result.changed:
            return
        if mode == "check":
            stdout.write(f"{printable(outcome.shown)}\n")
            stdout.flush()
        elif mode == "diff":
            shown = repository_relative(outcome.path)
            if is_notebook(outcome.shown):
                from fixer.notebooks import cell_diff  # imported only when a notebook changed

                # For reading only (git apply does not take it): the name shown escaped.
                self._write_stdout(cell_diff(result.source, result.fixed, printable(shown)))
            else:
                self._write_stdout(unified_diff(result.source, result.fixed, shown))

    @staticmethod
    def _write_stdout(data: bytes) -> None:
        try:
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        except BrokenPipeError:
            raise _OutputClosed from None


def _unapplied(diagnostic: Diagnostic) -> Diagnostic:
    if diagnostic.fix is None or not diagnostic.fix.applied:
        return diagnostic
    return replace(diagnostic, fix=replace(diagnostic.fix, applied=False))


@contextmanager
def _stopping_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP (the terminal closing) stop the run as Ctrl-C does: the workers are
    stopped and the files already rewritten are named. Only in the main thread."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: object) -> None:
        raise _Stopped(signum)

    previous = {}
    for name in ("SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is not None:
            previous[number] = signal.signal(number, stop)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _silence_stdout() -> None:
    """After a broken pipe: point stdout at the null device, so that Python's final flush does
    not complain on stderr."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


@contextmanager
def _written_at_the_end(path: Path) -> Iterator[IO[str]]:
    """The report, kept in memory and written to ``path`` when the run ends: a run stopped by
    a usage or configuration error leaves ``path`` as it was. The file is opened as any
    program would (a symbolic link is followed, a device stays a device, the umask applies)."""
    import io

    buffer = io.StringIO()
    yield buffer
    try:
        with path.open("w", encoding="utf-8", newline="") as handle:
            handle.write(buffer.getvalue())
    except OSError as error:
        raise _Failed(f"cannot write {path}: {error.strerror or error}") from None


# --------------------------------------------------------------------------- fixer rule

_CODE = re.compile(r"TFO\d{3}", re.IGNORECASE)


@rule_app.command()
def rule(
    codes: Annotated[
        Optional[list[str]],  # noqa: UP045 - see `version`
        typer.Argument(help="Rule codes, e.g. TFO001.", metavar="CODE...", show_default=False),
    ] = None,
    all_rules: Annotated[bool, typer.Option("--all", help="Every rule.")] = False,
    output_format: Annotated[
        RuleFormat, typer.Option("--format", help="text or json.")
    ] = RuleFormat.TEXT,
) -> None:
    """Explain a rule: what it catches, why it is a bug, when its fix is safe, an example.

    "fixer rule --all" lists every rule (with --format json, as JSON).
    """
    from fixer.explain import find_rule, render_rule, render_rule_list, render_rules_json
    from fixer.rules import RULES

    wanted = []
    for code in codes or []:
        found = find_rule(code)
        if found is None:
            _err(f"fixer: error: unknown rule `{code}` (see `fixer rule --all`)")
            raise typer.Exit(Exit.ERROR)
        wanted.append(found)
    if all_rules or not wanted:
        wanted = list(RULES)
    if output_format is RuleFormat.JSON:
        typer.echo(render_rules_json(wanted), nl=False)
    elif all_rules or not codes:
        typer.echo(render_rule_list(wanted), nl=False)
    else:
        typer.echo("\n".join(render_rule(r) for r in wanted), nl=False)
    raise typer.Exit(Exit.CLEAN)


def _is_rule_command(rest: Sequence[str]) -> bool:
    """``fixer rule ...`` asks for documentation unless a path named ``rule`` exists here and
    the words after it are not what the rule command takes."""
    if not os.path.lexists("rule"):
        return True
    takes = {"--all", "--format", "text", "json", "--help", "-h"}
    asks = any(word in ("--all", "--help", "-h") or _CODE.fullmatch(word) for word in rest)
    return asks and all(word in takes or _CODE.fullmatch(word) for word in rest)


# --------------------------------------------------------------------------- fixer server

# The packages of the ``lsp`` extra (and theirs): an ImportError naming one means it is missing.
_LSP_PACKAGES = frozenset({"pygls", "lsprotocol", "cattrs", "attrs"})


@server_app.command()
def server(
    stdio: Annotated[
        bool,
        typer.Option("--stdio", help="Talk over stdin and stdout (the only transport; default)."),
    ] = True,
) -> None:
    """Run the language server: diagnostics, quick fixes and rule documentation in an editor.

    Editors start it and talk to it over stdin and stdout. Needs the lsp extra:
    pip install 'fixer[lsp]'.
    """
    from fixer.lsp import INSTALL

    try:
        from fixer.lsp.server import serve
    except ImportError as error:
        if (error.name or "").partition(".")[0] not in _LSP_PACKAGES:
            raise
        missing = f"{error.name} is missing"
        _err(f"fixer: error: the language server needs the lsp extra ({missing}): {INSTALL}")
        raise typer.Exit(Exit.ERROR) from None
    serve()
    raise typer.Exit(Exit.CLEAN)


_SERVER_NAMES = ("server", "lsp")
_SERVER_WORDS = ("--stdio", "--help", "-h")


def _is_server_command(args: Sequence[str]) -> bool:
    """``fixer server`` (or ``fixer lsp``) is the server unless a path of that name exists here
    and no server option follows it."""
    if not args or args[0] not in _SERVER_NAMES:
        return False
    rest = args[1:]
    if rest and all(word in _SERVER_WORDS for word in rest):
        return True
    return not rest and not os.path.lexists(args[0])


_BOT_WORDS = ("analyze", "publish", "autofix", "--help", "-h")  # fixer.bot.cli.COMMANDS and help


def entry(argv: Sequence[str] | None = None) -> None:
    """The ``fixer`` program."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "rule" and _is_rule_command(args[1:]):
        rule_app(args=args[1:], prog_name="fixer rule")
    elif _is_server_command(args):
        server_app(args=args[1:], prog_name=f"fixer {args[0]}")
    elif args[:1] == ["bot"] and args[1:2] and args[1] in _BOT_WORDS:
        from fixer.bot.cli import bot_app

        bot_app(args=args[1:], prog_name="fixer bot")
    else:
        app(args=args, prog_name="fixer")
