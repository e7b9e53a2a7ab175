"""``fixer bot autofix``: one commit of safe fixes, when someone with write access asks.

Asked by a ``/fixer fix`` comment on the pull request or by the ``fixer: autofix`` label. The
pull request's head is checked out (never run: fixer only reads it) and fixer applies its safe
fixes to the pull request's Python files, except those under ``.github/``. The result is pushed
with GraphQL ``createCommitOnBranch`` and ``expectedHeadOid``, so nothing is pushed when the
branch moved meanwhile and no tree built by the pull request's code is ever pushed. It pushes only
to a branch of this repository or to a fork that allows maintainers to edit it; otherwise, and
for fixes under ``.github/`` or a branch under ``.github/``, it comments with the patch. It does
nothing when the sender is a bot or the head commit is its own (its trailer), and acts at most
once per head commit.

Everything the pull request chose is data: its file names reach fixer after ``--`` (a name like
``--output-file=/x.py`` stays a name), a file reached through a symbolic link is left out (fixer
never writes through one, nor reads a link's target for the comment), and the permission of the
person who asked is GitHub's answer to ``GET /repos/{owner}/{repo}/collaborators/{username}/
permission`` (its ``permission``, the base role, so custom roles count by what they grant).
"""

from __future__ import annotations

import base64
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from fixer.bot.checkout import not_writable
from fixer.bot.github import GitHub
from fixer.bot.http import ApiError
from fixer.bot.markdown import code_block, code_span, marker, read_marker
from fixer.output.github import escape_data

TRAILER = "Fixer-Autofix:"
LABEL = "fixer: autofix"
COMMAND = "/fixer fix"
WRITERS = ("admin", "write")  # GitHub's base roles: maintain counts as write, triage as read
PYTHON = (".py", ".ipynb")


@dataclass(frozen=True)
class Options:
    label: str = LABEL
    bot_login: str = "github-actions[bot]"


class Skip(Exception):
    """Nothing to do; the message says why."""


class Refused(Exception):
    """The command failed; the message says why, in one line."""


def requested(event_name: str, event: Mapping[str, Any], options: Options) -> tuple[int, str]:
    """The pull request's number and the login of who asked, or ``Skip``."""
    sender = event.get("sender") or {}
    if event_name == "issue_comment":
        issue, comment = event.get("issue") or {}, event.get("comment") or {}
        if event.get("action") != "created" or not issue.get("pull_request"):
            raise Skip("not a new comment on a pull request")
        if str(comment.get("body", "")).strip().split("\n")[0].strip() != COMMAND:
            raise Skip(f"the comment is not `{COMMAND}`")
        number, user = issue.get("number"), comment.get("user") or sender
    elif event_name == "pull_request_target":
        label = (event.get("label") or {}).get("name")
        if event.get("action") != "labeled" or label != options.label:
            raise Skip(f"not the `{options.label}` label being added")
        number, user = (event.get("pull_request") or {}).get("number"), sender
    else:
        raise Skip(f"the event {event_name!r} does not ask for an autofix")
    login = str(user.get("login", ""))
    if user.get("type") == "Bot" or sender.get("type") == "Bot" or login.endswith("[bot]"):
        raise Skip(f"the sender {login} is a bot")
    if not isinstance(number, int):
        raise Skip("the event names no pull request")
    return number, login


def _run(cwd: Path, args: Sequence[str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(args, cwd=cwd, capture_output=True)


def _git(cwd: Path, *args: str) -> bytes:
    done = _run(cwd, ["git", *args])
    if done.returncode != 0:
        raise Refused(f"git {args[0]}: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout


def _fixer(cwd: Path, mode: str, names: Sequence[str]) -> subprocess.CompletedProcess[bytes]:
    """fixer in ``mode`` over the pull request's ``names``, which can never read as options."""
    done = _run(cwd, [sys.executable, "-m", "fixer", "--force-exclude", mode, "--", *names])
    if done.returncode == 2:
        raise Refused(f"fixer failed: {done.stderr.decode(errors='replace').strip()[:300]}")
    return done


def _under_github(path: str) -> bool:
    return path == ".github" or path.startswith(".github/")


def _branch_under_github(branch: str) -> bool:
    return ".github" in branch.split("/")


def _comment(
    reason: str, patch: str, held: Sequence[str], head_sha: str, left_out: Sequence[str] = ()
) -> str:
    parts = [reason]
    if left_out:
        spans = ", ".join(code_span(p) for p in left_out)
        parts.append(f"fixer never writes through a symbolic link; left out: {spans}.")
    if held:
        spans = ", ".join(code_span(p) for p in held)
        parts.append(f"fixer never changes files under `.github/`; not applied: {spans}.")
    if patch:
        parts.append("To apply the fixes yourself, save this as `fixer.patch` at the root of your")
        parts[-1] += " branch and run `git apply fixer.patch` (or run `fixer --write` there):"
        parts.append(code_block(patch, "diff"))
    return "\n\n".join(parts) + "\n\n" + marker("autofix", [head_sha])


def autofix(
    github: GitHub,
    event_name: str,
    event: Mapping[str, Any],
    source: Path,
    options: Options,
    err: TextIO,
) -> int:
    """Pushes the fix commit or comments with the patch; returns the exit status."""
    try:
        return _autofix(github, event_name, event, source, options, err)
    except Skip as skip:
        err.write(f"fixer bot: skipped: {escape_data(str(skip))}\n")
        return 0
    except Refused as refusal:
        err.write(f"fixer bot: refused: {escape_data(str(refusal))}\n")
        return 2


def _autofix(
    github: GitHub,
    event_name: str,
    event: Mapping[str, Any],
    source: Path,
    options: Options,
    err: TextIO,
) -> int:
    number, login = requested(event_name, event, options)
    permission = github.permission(login)
    if permission not in WRITERS:
        raise Skip(f"{login} has no write access to this repository (GitHub says: {permission})")
    pull = github.pull(number)
    if pull.get("state") != "open":
        raise Skip(f"pull request #{number} is not open")
    head = pull.get("head") or {}
    head_sha, branch = str(head.get("sha", "")), str(head.get("ref", ""))
    head_repo = str((head.get("repo") or {}).get("full_name", ""))
    if TRAILER in github.commit_message(head_sha):
        raise Skip(f"the head commit {head_sha[:12]} is fixer's own")
    for comment in github.issue_comments(number):
        user = comment.get("user") or {}
        found = read_marker(str(comment.get("body", "")))
        if user.get("login") == options.bot_login and found == ("autofix", [head_sha]):
            raise Skip(f"already done for {head_sha[:12]}")
    checked_out = _git(source, "rev-parse", "HEAD").decode().strip()
    if checked_out != head_sha:
        raise Refused(f"the checkout is at {checked_out}, the pull request's head is {head_sha}")

    names = []
    left_out = []
    for f in github.pull_files(number):
        name = str(f.get("filename", ""))
        if f.get("status") == "removed" or not name.endswith(PYTHON):
            continue
        reason = not_writable(source, name)
        if reason is not None:
            err.write(f"fixer bot: left out {escape_data(name)}: {reason}\n")
            left_out.append(name)
            continue
        names.append(name)
    ours = [n for n in names if not _under_github(n)]
    held_patch = ""
    held: list[str] = []
    if len(ours) < len(names):
        diff = _fixer(source, "--diff", [n for n in names if _under_github(n)])
        held_patch = diff.stdout.decode("utf-8", "replace")
        held = sorted({line[6:] for line in held_patch.split("\n") if line.startswith("+++ b/")})
    if ours:
        _fixer(source, "--write", ours)
    changed = [p for p in _git(source, "diff", "--name-only", "-z").decode().split("\0") if p]
    if any(p not in ours or not_writable(source, p) is not None for p in changed):
        raise Refused("fixer changed a file that is not one of the pull request's")
    patch = _git(source, "diff", "--no-color", "--no-ext-diff").decode("utf-8", "replace")
    if not changed and not held:
        reason = f"fixer has no safe fix to apply at {head_sha[:12]}."
        github.create_issue_comment(number, _comment(reason, "", [], head_sha, left_out))
        err.write(f"fixer bot: nothing to fix at {head_sha}\n")
        return 0
    same = head_repo == github.settings.repository
    if not changed:
        body = _comment("fixer did not push anything.", held_patch, held, head_sha, left_out)
        github.create_issue_comment(number, body)
        err.write("fixer bot: only files under .github/ have fixes; commented with the patch\n")
        return 0
    if not same and not pull.get("maintainer_can_modify"):
        reason = (
            "fixer cannot push to this fork: it does not allow edits from maintainers "
            '("Allow edits by maintainers" is off).'
        )
        github.create_issue_comment(
            number, _comment(reason, patch + held_patch, held, head_sha, left_out)
        )
        err.write("fixer bot: the fork does not allow edits; commented with the patch\n")
        return 0
    if _branch_under_github(branch):
        reason = f"fixer does not push to the branch {code_span(branch)}: it is under `.github/`."
        github.create_issue_comment(
            number, _comment(reason, patch + held_patch, held, head_sha, left_out)
        )
        err.write(
            f"fixer bot: refused to push to {escape_data(branch)}, a branch under .github/; "
            "commented with the patch\n"
        )
        return 0
    additions = [
        {"path": p, "contents": base64.b64encode((source / p).read_bytes()).decode("ascii")}
        for p in changed
    ]
    count = len(changed)
    try:
        oid = github.create_commit_on_branch(
            repository=head_repo,
            branch=branch,
            expected_head=head_sha,
            headline=f"fixer: apply safe fixes ({count} file{'s' if count != 1 else ''})",
            body=f"Requested by @{login}.\n\n{TRAILER} {head_sha}",
            additions=additions,
        )
    except ApiError:
        now = str((github.pull(number).get("head") or {}).get("sha", ""))
        if now != head_sha:
            raise Refused(
                f"the branch moved on from {head_sha} to {now} while fixer worked; "
                "nothing was pushed"
            ) from None
        raise
    body = _comment(
        f"fixer pushed {oid[:12]} with its safe fixes.", held_patch, held, head_sha, left_out
    )
    github.create_issue_comment(number, body)
    err.write(f"fixer bot: pushed {oid} to {escape_data(head_repo)}:{escape_data(branch)}\n")
    return 0
