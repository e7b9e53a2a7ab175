"""The file system edge: which files to look at, reading their bytes, writing them back safely."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

DEFAULT_EXCLUDES: frozenset[str] = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        "__pycache__",
        "build",
        "dist",
        "node_modules",
        "site-packages",
        ".tox",
        ".nox",
        ".eggs",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
    }
)


@dataclass(frozen=True)
class PathError:
    """A path given on the command line that cannot be processed."""

    path: str
    message: str


def discover(paths: Iterable[str]) -> tuple[list[Path], list[PathError]]:
    """Files to process, in a stable order: explicit files as given, directories recursed.

    A file named explicitly is always processed, whatever its suffix; inside directories only
    ``*.py`` files are taken and the usual tool and environment folders are skipped.
    """
    found: dict[Path, None] = {}
    errors: list[PathError] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for file in _walk(path):
                found.setdefault(file, None)
        elif path.is_file():
            found.setdefault(path, None)
        elif path.exists():
            errors.append(PathError(raw, "not a regular file or directory"))
        else:
            errors.append(PathError(raw, "no such file or directory"))
    return list(found), errors


def _walk(root: Path) -> Iterator[Path]:
    seen: set[tuple[int, int]] = set()
    for directory, subdirs, files in os.walk(root, followlinks=True):
        stat = os.stat(directory)
        key = (stat.st_dev, stat.st_ino)
        if key in seen:  # a symlink loop, or a folder reached twice
            subdirs[:] = []
            continue
        seen.add(key)
        subdirs[:] = sorted(d for d in subdirs if d not in DEFAULT_EXCLUDES)
        for name in sorted(files):
            if name.endswith(".py"):
                yield Path(directory, name)


def read_bytes(path: Path) -> bytes:
    return path.read_bytes()


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` in one step, keeping its permission bits."""
    mode = path.stat().st_mode & 0o7777
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".fixer")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def repository_relative(path: Path) -> str:
    """The path as ``git apply`` expects it: relative to the repository root, else to the cwd."""
    absolute = path.resolve()
    for parent in absolute.parents:
        if (parent / ".git").exists():
            return absolute.relative_to(parent).as_posix()
    return display_path(path).lstrip("/")


def display_path(path: Path) -> str:
    """The path relative to the working directory when it lies below it, else as given."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()
