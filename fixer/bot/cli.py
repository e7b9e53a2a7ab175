"""``fixer bot analyze|publish|autofix``: the pull-request bot's commands.

``fixer.cli.entry`` imports this module only for ``fixer bot ...``, so the checker's start-up
does not pay for it. Errors are one line on stderr with exit status 2; the token is read from
``GITHUB_TOKEN`` (or ``FIXER_GITHUB_TOKEN``) and never printed.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from fixer.output.github import escape_data

bot_app = typer.Typer(add_completion=False, rich_markup_mode=None, no_args_is_help=True)
COMMANDS = ("analyze", "publish", "autofix")


def _fail(message: str) -> typer.Exit:
    sys.stderr.write(f"fixer bot: error: {escape_data(message)}\n")
    return typer.Exit(2)


def _event(path: Optional[Path]) -> dict[str, Any]:  # noqa: UP045 - typer on Python 3.9
    if path is None:
        raise _fail("no event: set GITHUB_EVENT_PATH or pass --event")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise _fail(f"cannot read the event {path}: {error}") from None
    if not isinstance(data, dict):
        raise _fail(f"the event {path} is not a JSON object")
    return data


@bot_app.command()
def analyze(
    base: Annotated[str, typer.Option(help="The pull request's base commit.")],
    paths: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Argument(help="Paths to check (default: the repository).", show_default=False),
    ] = None,
    head_sha: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="Refuse unless the checkout is at this commit."),
    ] = None,
    output: Annotated[Path, typer.Option(help="Folder for the artifact.")] = Path("fixer-results"),
    fixer_args: Annotated[
        str, typer.Option(help="More fixer options, as one shell-quoted string.")
    ] = "",
) -> None:
    """Check the files a pull request changed: annotations on stdout, a job summary, and the
    results artifact. The exit status is fixer's: 0 nothing, 1 findings, 2 failure."""
    from fixer.bot.analyze import AnalyzeError, Request, analyze

    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    request = Request(base, head_sha or None, output, shlex.split(fixer_args), paths or ["."])
    try:
        status = analyze(Path.cwd(), request, sys.stdout, Path(summary) if summary else None)
    except AnalyzeError as error:
        raise _fail(str(error)) from None
    raise typer.Exit(status)


@bot_app.command()
def publish(
    artifact: Annotated[Path, typer.Option(help="Folder of the downloaded results artifact.")],
    event: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(envvar="GITHUB_EVENT_PATH", help="The workflow_run event (JSON)."),
    ] = None,
    suggest_unsafe: Annotated[
        bool, typer.Option(help="Also suggest unsafe fixes, labelled as unsafe.")
    ] = False,
    max_comments: Annotated[int, typer.Option(min=0, max=30, help="Inline comments.")] = 30,
    bot_login: Annotated[
        str, typer.Option(help="The login the token comments as.")
    ] = "github-actions[bot]",
) -> None:
    """Post one review on the pull request whose head the analysis ran on."""
    from fixer.bot.github import GitHub, Settings, SetupError
    from fixer.bot.http import ApiError
    from fixer.bot.publish import Options, publish

    data = _event(event)
    options = Options(suggest_unsafe, max_comments, bot_login)
    try:
        github = GitHub(Settings.from_environment())
        status = publish(github, data, artifact, options, sys.stdout, sys.stderr)
    except (ApiError, SetupError) as error:
        raise _fail(str(error)) from None
    raise typer.Exit(status)


@bot_app.command()
def autofix(
    source: Annotated[Path, typer.Option(help="A checkout of the pull request's head.")],
    event: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(envvar="GITHUB_EVENT_PATH", help="The triggering event (JSON)."),
    ] = None,
    event_name: Annotated[
        str, typer.Option(envvar="GITHUB_EVENT_NAME", help="issue_comment or pull_request_target.")
    ] = "",
    label: Annotated[str, typer.Option(help="The label that asks for a fix.")] = "fixer: autofix",
    bot_login: Annotated[
        str, typer.Option(help="The login the token comments as.")
    ] = "github-actions[bot]",
) -> None:
    """Push the safe fixes as one commit, when someone with write access asks."""
    from fixer.bot.autofix import Options, autofix
    from fixer.bot.github import GitHub, Settings, SetupError
    from fixer.bot.http import ApiError

    data = _event(event)
    try:
        github = GitHub(Settings.from_environment())
        status = autofix(github, event_name, data, source, Options(label, bot_login), sys.stderr)
    except (ApiError, SetupError) as error:
        raise _fail(str(error)) from None
    raise typer.Exit(status)
