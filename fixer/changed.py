"""The git edge of ``--changed-since REF``: which files differ from where ``REF`` and ``HEAD`` meet.

Only subprocess calls to the real ``git``; no other I/O. Every failure is a
:class:`ChangedFilesError` with a one-line message for the command line.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


class ChangedFilesError(Exception):
    """``--changed-since`` cannot be answered; the message is one line, ready for stderr."""


class _GitFailed(Exception):
    def __init__(self, returncode: int, stderr: str) -> None:
        super().__init__(stderr)
        self.returncode = returncode
        self.stderr = stderr


def _git(cwd: Path, *args: str) -> bytes:
    """Run ``git -C cwd args`` and return its stdout (bytes: paths need not be UTF-8)."""
    # The C locale keeps git's messages in English, so that they can be recognised below.
    env = {**os.environ, "LC_ALL": "C"}
    try:
        completed = subprocess.run(
            ["git", "-C", os.fspath(cwd), *args],
            capture_output=True,
            env=env,
            check=False,
        )
    except OSError as error:  # FileNotFoundError above all: no git on PATH
        raise ChangedFilesError(
            f"--changed-since needs git, which could not be run ({error.strerror or error})"
        ) from error
    if completed.returncode != 0:
        stderr = os.fsdecode(completed.stderr).strip()
        raise _GitFailed(completed.returncode, stderr)
    return completed.stdout


def _first_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[0].removeprefix("fatal: ") if lines else "no message"


def _top_level(cwd: Path) -> Path:
    try:
        out = _git(cwd, "rev-parse", "--show-toplevel")
    except _GitFailed as error:
        if "not a git repository" in error.stderr:
            raise ChangedFilesError(
                f"--changed-since needs a git repository: {cwd} is not inside one"
            ) from None
        raise ChangedFilesError(
            f"--changed-since: git failed in {cwd}: {_first_line(error.stderr)}"
        ) from None
    return Path(os.fsdecode(out.rstrip(b"\n")))


def _commit(top: Path, revision: str) -> str | None:
    """The commit ``revision`` names, as a full hash; None when it names none."""
    try:
        # A revision starting with "-" would read as an option; callers reject those.
        out = _git(top, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
    except _GitFailed:
        return None
    return out.decode("ascii").strip()


def _paths(output: bytes) -> list[str]:
    return [os.fsdecode(item) for item in output.split(b"\0") if item]


def changed_files(ref: str, cwd: Path) -> list[Path]:
    """Absolute paths of the files that differ from the merge base of ``ref`` and ``HEAD``.

    That is the files changed by commits since the merge base, staged, or changed in the working
    tree (the working tree compared with the merge base), plus untracked files that are not
    ignored. A deleted file is left out; a renamed one counts under its new path. ``cwd`` may be
    any folder of the repository. Sorted, without duplicates.

    Raises :class:`ChangedFilesError` outside a git repository, for an unknown ``ref``, in a
    repository without commits, when ``ref`` and ``HEAD`` share no history, and when git cannot
    be run.
    """
    top = _top_level(cwd)
    head = _commit(top, "HEAD")
    if head is None:
        raise ChangedFilesError(f"--changed-since: the git repository at {top} has no commits yet")
    target = None if ref.startswith("-") else _commit(top, ref)
    if target is None:
        raise ChangedFilesError(f"--changed-since: unknown git revision `{ref}`")
    try:
        base = _git(top, "merge-base", target, head).decode("ascii").strip()
    except _GitFailed as error:
        if error.returncode == 1:  # no common ancestor
            raise ChangedFilesError(
                f"--changed-since: `{ref}` and HEAD have no commit in common"
            ) from None
        raise ChangedFilesError(
            f"--changed-since: git merge-base failed: {_first_line(error.stderr)}"
        ) from None
    try:
        # Run from the top level, so that every path is relative to it (``git diff`` honours
        # ``diff.relative``, and ``ls-files`` lists only below its folder). Without rename
        # detection a rename is a deletion (filtered out) and an addition (kept).
        tracked = _git(
            top,
            "diff",
            "--name-only",
            "-z",
            "--no-renames",
            "--no-ext-diff",
            "--no-color",
            "--diff-filter=d",
            base,
            "--",
        )
        untracked = _git(top, "ls-files", "--others", "--exclude-standard", "-z")
    except _GitFailed as error:
        raise ChangedFilesError(
            f"--changed-since: git failed in {top}: {_first_line(error.stderr)}"
        ) from None
    # ``ls-files`` shows a nested repository as its folder, with a trailing slash: not a file.
    names = {name for name in (*_paths(tracked), *_paths(untracked)) if not name.endswith("/")}
    return [top / name for name in sorted(names)]
