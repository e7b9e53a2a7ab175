"""The pull request's checked-out tree, read as untrusted data.

A pull request chooses its own file names and may commit symbolic links. Before fixer reads
the tree (analyze) or writes to it (autofix), these functions say which paths would lead out of
it: a name that is absolute or climbs with ``..``, a link whose target lies outside the
checkout, or (for writing) any link at all on the way to a file.
"""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

# What fixer opens in a tree: sources, notebooks, its configuration and ignore files.
_READ_BY_FIXER = (".py", ".ipynb")
_READ_BY_NAME = ("pyproject.toml", "fixer.toml", ".gitignore")


class CheckoutError(Exception):
    """The tree cannot be inspected; one line."""


def unsafe_name(name: str) -> str | None:
    """Why a repository path from the pull request may not be used as one, or ``None``."""
    parts = PurePosixPath(name).parts
    if not name or name.startswith("/") or "\\" in name or "\0" in name:
        return "not a relative path"
    if ".." in parts:
        return "not a plain path inside the repository"
    return None


def _inside(root: Path, path: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True


def _tracked_links(root: Path, paths: Sequence[str]) -> list[str]:
    """The symbolic links git tracks under ``paths`` (mode 120000)."""
    done = subprocess.run(
        ["git", "ls-files", "-s", "-z", "--", *paths], cwd=root, capture_output=True
    )
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip() or "failed"
        raise CheckoutError(f"git ls-files: {message}")
    links = []
    for entry in done.stdout.split(b"\0"):
        if entry.startswith(b"120000 "):
            links.append(os.fsdecode(entry.split(b"\t", 1)[1]))
    return links


def links_read_outside(root: Path, paths: Sequence[str] = (".",)) -> list[tuple[str, str]]:
    """The links fixer would follow out of the checkout, with where each leads.

    fixer follows a link to a folder (it walks it) and a link whose name it reads (a Python
    file, a notebook, its configuration or an ignore file). Links elsewhere are never opened.
    """
    top = root.resolve()
    found = []
    for name in _tracked_links(root, paths):
        link = root / name
        target = link.resolve()
        if _inside(top, target):
            continue
        read = name.endswith(_READ_BY_FIXER) or PurePosixPath(name).name in _READ_BY_NAME
        if read or target.is_dir():
            found.append((name, os.readlink(link)))
    return found


def not_writable(root: Path, name: str) -> str | None:
    """Why fixer may not write ``name`` (a path from the pull request) in the checkout at
    ``root``, or ``None``: every step of it must be a real folder, and it a regular file, so
    that a write can never land anywhere else."""
    reason = unsafe_name(name)
    if reason is not None:
        return reason
    here = root
    parts = PurePosixPath(name).parts
    for index, part in enumerate(parts):
        here = here / part
        try:
            mode = os.lstat(here).st_mode
        except OSError:
            return "missing from the checkout"
        if stat.S_ISLNK(mode):
            return "a symbolic link" if index == len(parts) - 1 else "inside a symbolic link"
        last = index == len(parts) - 1
        if not last and not stat.S_ISDIR(mode):
            return "not inside a folder"
        if last and not stat.S_ISREG(mode):
            return "not a regular file"
    return None
