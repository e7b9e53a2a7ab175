"""The command line: options, exit codes, and the only place that prints."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import Enum, IntEnum
from pathlib import Path
from typing import Annotated, Any, Optional, TextIO

import typer

from fixer import __version__
from fixer.config import ConfigError, find_config, load_config
from fixer.files import (
    DEFAULT_EXCLUDES,
    PathError,
    Selection,
    SourceFile,
    in_shard,
    iter_discover,
    repository_relative,
    write_atomic,
)
from fixer.report import file_record, json_document, json_line, summary, unified_diff
from fixer.runner import FileOutcome, RunSettings, default_jobs, run

app = typer.Typer(add_completion=False, rich_markup_mode=None)


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
    typer.echo(text, err=True)


class OutputFormat(str, Enum):
    """How findings are printed on stdout."""

    TEXT = "text"
    JSON = "json"  # one document
    JSON_LINES = "json-lines"  # one object per file and line: shards concatenate


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


@app.command()
def main(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="Files or directories (searched for *.py).", metavar="PATH...", show_default=False
        ),
    ],
    diff: Annotated[
        bool, typer.Option("--diff", help="Print the fixes as a unified diff; write nothing.")
    ] = False,
    write: Annotated[bool, typer.Option("--write", help="Apply the fixes to the files.")] = False,
    check: Annotated[
        bool, typer.Option("--check", help="List the files that would change; write nothing.")
    ] = False,
    unsafe_fixes: Annotated[
        bool,
        typer.Option(
            "--unsafe-fixes",
            help="Also apply fixes that change how a working program trains (review them).",
        ),
    ] = False,
    output_format: Annotated[
        OutputFormat,
        typer.Option(
            "--format",
            help="text; json: one document; json-lines: one object per file and line.",
        ),
    ] = OutputFormat.TEXT,
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
            help="Read [tool.fixer] from FILE [default: the nearest pyproject.toml with one].",
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

    Exit status: 0 nothing to do, 1 findings or changes, 2 a file or the command failed.
    """
    if sum((diff, write, check)) > 1:
        _err("fixer: error: choose one of --diff, --write and --check")
        raise typer.Exit(Exit.ERROR)
    mode = "diff" if diff else "write" if write else "check" if check else "report"
    as_json = output_format is not OutputFormat.TEXT
    if as_json and mode == "diff":
        _err("fixer: error: --format json and json-lines do not combine with --diff")
        raise typer.Exit(Exit.ERROR)
    try:
        project = load_config(config or find_config(paths))
    except ConfigError as error:
        _err(f"fixer: error: {error}")
        raise typer.Exit(Exit.ERROR) from None
    settings = RunSettings(
        names=project.names(), unsafe_fixes=unsafe_fixes, include_generated=include_generated
    )
    selection = Selection(
        exclude=tuple(exclude or ())
        or (DEFAULT_EXCLUDES if project.exclude is None else project.exclude),
        extend_exclude=(*project.extend_exclude, *(extend_exclude or ())),
        root=project.root,
    )

    part = None if shard is None else _parse_shard(shard)
    path_errors: list[PathError] = []

    def selected() -> Iterator[SourceFile]:
        """The files to process (work on them starts while the walk goes on)."""
        for item in iter_discover(paths, selection):
            path = Path(item.path) if isinstance(item, PathError) else item.path
            if part is not None and not in_shard(path, *part):
                continue
            if isinstance(item, PathError):
                path_errors.append(item)
            else:
                yield item

    outcomes = run(selected(), settings, jobs or default_jobs())
    records: list[dict[str, Any]] = []
    checked: list[str] = []

    def record(item: dict[str, Any]) -> None:
        if output_format is OutputFormat.JSON_LINES:
            sys.stdout.write(json_line(item))
        else:
            records.append(item)

    errors = 0
    for path_error in path_errors:
        _err(f"fixer: error: {path_error.path}: {path_error.message}")
        errors += 1
        if as_json:
            record(file_record(path_error.path, error=path_error.message))

    findings = fixable = unsafe = changed_files = generated = 0
    with _progress(outcomes.total, mode) as advance:
        stdout = sys.stdout  # after the progress bar, if any, has taken over the terminal
        for outcome in outcomes:
            advance()
            if outcome.generated:
                generated += 1
                continue
            checked.append(outcome.shown)
            if outcome.result is None:
                _err(f"fixer: error: {outcome.shown}: cannot read: {outcome.read_error}")
                errors += 1
                if as_json:
                    record(file_record(outcome.shown, error=f"cannot read: {outcome.read_error}"))
                continue
            result = outcome.result
            if result.errors:
                for diagnostic in result.errors:
                    _err(f"fixer: error: {diagnostic.render()}")
                errors += 1
                if as_json:
                    record(file_record(outcome.shown, result.diagnostics))
                continue
            findings += len(result.diagnostics)
            fixable += len(result.fixable)
            unsafe += len(result.unsafe)
            try:
                if as_json:
                    if mode == "write" and result.changed:
                        write_atomic(outcome.path, result.fixed)
                    record(file_record(outcome.shown, result.diagnostics, changed=result.changed))
                else:
                    _emit(mode, outcome, stdout, unsafe_fixes)
            except OSError as error:
                _err(f"fixer: error: {outcome.shown}: cannot write: {error.strerror or error}")
                errors += 1
                continue
            if result.changed:
                changed_files += 1

    counts = {
        "files": outcomes.total - generated,
        "findings": findings,
        "fixable": fixable,
        "errors": errors,
        "changed_files": changed_files,
    }
    if output_format is OutputFormat.JSON:
        sys.stdout.write(json_document(records, checked, {**counts, "generated": generated}))
    _err(
        summary(
            **counts,
            mode=mode,
            unsafe=unsafe,
            unsafe_applied=unsafe_fixes,
            generated=generated,
        )
    )
    if errors:
        raise typer.Exit(Exit.ERROR)
    raise typer.Exit(Exit.FINDINGS if findings or changed_files else Exit.CLEAN)


def _emit(mode: str, outcome: FileOutcome, stdout: TextIO, unsafe_fixes: bool) -> None:
    """Print (or write) one file's outcome in the chosen mode."""
    result = outcome.result
    assert result is not None
    applied = {*result.fixable, *(result.unsafe if unsafe_fixes else ())}
    unfixed = [d for d in result.diagnostics if d not in applied]
    if mode == "report":
        for diagnostic in result.diagnostics:
            stdout.write(diagnostic.render() + "\n")
        return
    if mode == "write":
        if result.changed:
            write_atomic(outcome.path, result.fixed)
        for diagnostic in unfixed:
            stdout.write(diagnostic.render() + "\n")
        return
    for diagnostic in unfixed:
        _err(diagnostic.render())
    if not result.changed:
        return
    if mode == "check":
        stdout.write(f"{outcome.shown}\n")
        return
    stdout.flush()
    stdout.buffer.write(
        unified_diff(result.source, result.fixed, repository_relative(outcome.path))
    )
    stdout.buffer.flush()
