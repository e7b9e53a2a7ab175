"""The command line: options, exit codes, and the only place that prints."""

from __future__ import annotations

import sys
from enum import IntEnum
from typing import Annotated, Optional, TextIO

import typer

from fixer import __version__
from fixer.files import discover, repository_relative, write_atomic
from fixer.report import summary, unified_diff
from fixer.runner import FileOutcome, process

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

    files, path_errors = discover(paths)
    errors = 0
    for path_error in path_errors:
        _err(f"fixer: error: {path_error.path}: {path_error.message}")
        errors += 1

    findings = fixable = unsafe = changed_files = 0
    stdout = sys.stdout
    for path in files:
        outcome = process(path, unsafe_fixes=unsafe_fixes)
        if outcome.result is None:
            _err(f"fixer: error: {outcome.shown}: cannot read: {outcome.read_error}")
            errors += 1
            continue
        result = outcome.result
        if result.errors:
            for diagnostic in result.errors:
                _err(f"fixer: error: {diagnostic.render()}")
            errors += 1
            continue
        findings += len(result.diagnostics)
        fixable += len(result.fixable)
        unsafe += len(result.unsafe)
        try:
            _emit(mode, outcome, stdout, unsafe_fixes)
        except OSError as error:
            _err(f"fixer: error: {outcome.shown}: cannot write: {error.strerror or error}")
            errors += 1
            continue
        if result.changed:
            changed_files += 1

    _err(
        summary(
            files=len(files),
            findings=findings,
            fixable=fixable,
            errors=errors,
            changed_files=changed_files,
            mode=mode,
            unsafe=unsafe,
            unsafe_applied=unsafe_fixes,
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
