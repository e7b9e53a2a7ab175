"""The file system edge: which files to look at, reading their bytes, writing them back safely."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathspec import GitIgnoreSpec

    from fixer.names import NameTable
    from fixer.rulesets import RuleSet

# Folders (or files) of these names are skipped at any depth, unless ``--exclude`` replaces them.
DEFAULT_EXCLUDES: tuple[str, ...] = (
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
)

GENERATED_MARKER = b"@generated"
GENERATED_LINES = 10
_FIRST_LINES = re.compile(rb"(?:[^\r\n]*(?:\r\n?|\n)){0,%d}[^\r\n]*" % (GENERATED_LINES - 1))

NOTEBOOK_SUFFIX = ".ipynb"


def is_notebook(name: str) -> bool:
    """Whether a file (by its name) is a Jupyter notebook: :mod:`fixer.notebooks` reads it."""
    return name.endswith(NOTEBOOK_SUFFIX)


@dataclass(frozen=True)
class PathError:
    """A path given on the command line that cannot be processed."""

    path: str
    message: str


@dataclass(frozen=True)
class SourceFile:
    """A file to process. One named on the command line is processed whatever the rules say.

    ``names`` and ``rules``, when set, are the file's own (from the configuration governing it)
    and replace the run's."""

    path: Path
    explicit: bool = False
    names: NameTable | None = None
    rules: RuleSet | None = None


@dataclass(frozen=True)
class Selection:
    """Which files inside directories are taken.

    ``exclude`` and ``extend_exclude`` hold gitignore-style patterns (``build``, ``*_pb2.py``,
    ``/src/generated/``) matched against paths relative to ``root`` (the project root: the folder
    of the configuration file, else the working directory); for a directory outside ``root`` they
    are matched relative to the directory named on the command line.
    """

    exclude: tuple[str, ...] = DEFAULT_EXCLUDES
    extend_exclude: tuple[str, ...] = ()
    root: Path | None = None
    gitignore: bool = True
    notebooks: bool = True  # also take Jupyter notebooks (``*.ipynb``)
    # The selection a folder's own configuration file defines (None: the folder has none); it
    # governs that folder's subtree, its patterns relative to the folder.
    nested: Callable[[Path], Selection | None] | None = field(default=None, compare=False)
    # The selection governing a folder named on the command line (its nearest configuration);
    # None: this selection.
    governing: Callable[[Path], Selection] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Discovery:
    """The files to process, in a stable order, and the paths that could not be used."""

    files: list[SourceFile] = field(default_factory=list)
    errors: list[PathError] = field(default_factory=list)


def discover(paths: Iterable[str], selection: Selection | None = None) -> Discovery:
    """Files to process, in a stable order: explicit files as given, directories recursed.

    A file named explicitly is always processed, whatever its suffix and whatever the exclusion
    rules say. Inside directories only ``*.py`` files (and ``*.ipynb`` notebooks, unless the
    selection leaves them out) are taken, in sorted order, skipping what
    ``.gitignore`` files (in the walked folders and their parents up to the repository root) and
    ``.git/info/exclude`` ignore, and what the exclusion patterns match. A folder reached twice
    (through a symbolic link, or a loop of them) is walked once, and a file is listed once.
    """
    found = Discovery()
    for item in iter_discover(paths, selection):
        if isinstance(item, PathError):
            found.errors.append(item)
        else:
            found.files.append(item)
    return found


def iter_discover(
    paths: Iterable[str], selection: Selection | None = None
) -> Iterator[SourceFile | PathError]:
    """:func:`discover`, one file (or path error) at a time, so that work can start at once."""
    selection = selection or Selection()
    kinds: list[tuple[str, Path, int | None]] = []
    for raw in paths:
        path = Path(raw)
        try:
            kinds.append((raw, path, path.stat().st_mode))
        except OSError:
            kinds.append((raw, path, None))
    explicit = {path for _, path, mode in kinds if mode is not None and stat.S_ISREG(mode)}
    listed: set[Path] = set()
    walker = _Walker(selection)
    for raw, path, mode in kinds:
        if mode is not None and stat.S_ISDIR(mode):
            for file in walker.walk(path):
                if isinstance(file, PathError):
                    yield file
                elif file not in listed:
                    listed.add(file)
                    yield SourceFile(file, explicit=file in explicit)
        elif mode is not None and stat.S_ISREG(mode):
            if path not in listed:
                listed.add(path)
                yield SourceFile(path, explicit=True)
        elif mode is not None or path.is_symlink():
            message = (
                "not a regular file or directory"
                if mode is not None
                else "broken symbolic link (or a loop of them)"
            )
            yield PathError(raw, message)
        else:
            yield PathError(raw, "no such file or directory")


def _spec(lines: Iterable[str]) -> GitIgnoreSpec:
    from pathspec import GitIgnoreSpec  # imported only when a directory is walked

    return GitIgnoreSpec.from_lines(lines)


def _read_patterns(path: Path) -> list[str] | None:
    try:
        return path.read_text(encoding="utf-8", errors="surrogateescape").splitlines()
    except OSError:
        return None


@dataclass(frozen=True)
class _Ignore:
    """The patterns of one ignore file and the folder they are relative to (``""``: the top)."""

    base: str
    spec: GitIgnoreSpec

    def verdict(self, relative: str) -> bool | None:
        """True: ignored, False: re-included by a ``!`` pattern, None: no pattern matches."""
        if self.base:
            if not relative.startswith(self.base + "/"):
                return None
            relative = relative[len(self.base) + 1 :]
        return self.spec.check_file(relative).include


def _ignored(ignores: Sequence[_Ignore], relative: str) -> bool:
    """Git's precedence: the deepest ignore file that has a say decides."""
    for ignore in reversed(ignores):
        verdict = ignore.verdict(relative)
        if verdict is not None:
            return verdict
    return False


# A pattern that is a plain name matches exactly the entries of that name: looked up in a set.
_LITERAL = re.compile(r"(?!\.\.?$)[\w.-]+")


class _Exclusion:
    """``--exclude`` and ``--extend-exclude``: gitignore-style patterns, matched by pathspec.

    Plain names (all of the defaults) are the common case; without ``!`` patterns that could
    re-include something, they are looked up in a set instead, with the same result.
    """

    def __init__(self, patterns: Sequence[str]) -> None:
        if any(pattern.startswith("!") for pattern in patterns):
            names, rest = frozenset[str](), list(patterns)
        else:
            names = frozenset(p for p in patterns if _LITERAL.fullmatch(p))
            rest = [p for p in patterns if p not in names]
        self.names = names
        self.spec = _spec(rest) if rest else None

    def match(self, name: str, relative: str) -> bool:
        """Whether the entry ``name`` at ``relative`` (ending in ``/`` for a folder) matches."""
        if name in self.names:
            return True
        return self.spec is not None and bool(self.spec.check_file(relative).include)

    def covers(self, folder: str) -> bool:
        """Whether the folder at ``folder`` or one above it matches."""
        if not folder:
            return False
        if self.names.intersection(folder.split("/")):
            return True
        return self.spec is not None and bool(self.spec.check_file(folder + "/").include)


class _Walker:
    """Walks folders in sorted order, pruning excluded and ignored entries as it goes.

    Patterns are checked for each entry met, never for the folder named on the command line: a
    folder given explicitly is walked even if it is excluded or ignored, and inside it the
    exclusions then apply relative to it (what excludes it would otherwise exclude everything).
    """

    def __init__(self, selection: Selection) -> None:
        self.selection = selection
        self.seen: set[tuple[int, int]] = set()

    def _wanted(self, name: str) -> bool:
        return name.endswith(".py") or (self.selection.notebooks and is_notebook(name))

    def walk(self, top: Path) -> Iterator[Path | PathError]:
        absolute = top.resolve()
        here = self.selection
        if here.governing is not None:
            here = here.governing(absolute)
        context = _Context.at(
            _Exclusion((*here.exclude, *here.extend_exclude)),
            (here.root or Path.cwd()).resolve(),
            absolute,
        )
        to_repository: str | None = None
        ignores: list[_Ignore] = []
        if self.selection.gitignore:
            to_repository = ""  # outside a repository, .gitignore files still apply below
            repository = _repository_root(absolute)
            if repository is not None:
                to_repository = _relative_prefix(absolute, repository) or ""
                ignores = _repository_ignores(repository, to_repository)
                if to_repository and _ignored(ignores, to_repository + "/"):
                    to_repository, ignores = "", []
        nested = self._nested(absolute)
        if nested is not None:
            context = nested
        yield from self._walk(os.fspath(top), "", ignores, to_repository, context)

    def _nested(self, folder: Path, strip: int = 0) -> _Context | None:
        """The exclusion context of a folder with a configuration file of its own."""
        if self.selection.nested is None:
            return None
        own = self.selection.nested(folder)
        if own is None:
            return None
        return _Context(_Exclusion((*own.exclude, *own.extend_exclude)), "", strip)

    def _walk(
        self,
        directory: str,
        relative: str,
        ignores: list[_Ignore],
        to_repository: str | None,
        context: _Context,
    ) -> Iterator[Path | PathError]:
        try:
            info = os.stat(directory)
            key = (info.st_dev, info.st_ino)
            if key in self.seen:  # a symlink loop, or a folder reached twice
                return
            self.seen.add(key)
            with os.scandir(directory) as scan:
                entries = sorted(scan, key=lambda entry: entry.name)
        except OSError as error:
            yield PathError(directory, f"cannot read the folder: {error.strerror or error}")
            return
        if relative and any(e.name in _CONFIG_NAMES for e in entries):
            context = self._nested(Path(directory).resolve(), len(relative) + 1) or context
        if to_repository is not None and any(e.name == ".gitignore" for e in entries):
            patterns = _read_patterns(Path(directory, ".gitignore"))
            if patterns:
                ignores = [*ignores, _Ignore(_join(to_repository, relative), _spec(patterns))]
        for entry in entries:
            name = entry.name
            try:
                is_dir = entry.is_dir()
                is_file = not is_dir and self._wanted(name) and entry.is_file()
            except OSError:
                continue
            if not (is_dir or is_file) or (is_dir and name == ".git"):  # .git: never source
                continue
            child = _join(relative, name)
            slash = "/" if is_dir else ""
            if context.excludes(name, child, slash):
                continue
            if ignores and _ignored(ignores, _join(to_repository or "", child) + slash):
                continue
            if is_dir:
                yield from self._walk(entry.path, child, ignores, to_repository, context)
            else:
                yield Path(entry.path)


_CONFIG_NAMES = frozenset({"fixer.toml", "pyproject.toml"})


@dataclass(frozen=True)
class _Context:
    """The exclusion patterns in force in a subtree, and how to make a walked path (relative
    to the folder named on the command line) relative to the patterns' root.

    ``strip`` characters are cut off the walked path (a nested configuration's folder), then
    ``below`` (the root, when it lies below the folder walked; paths outside it stay relative to
    the folder walked), and ``to_root`` is put before (the folder walked, when it lies below the
    root).
    """

    exclusion: _Exclusion
    to_root: str
    strip: int
    below: str | None = None

    @classmethod
    def at(cls, exclusion: _Exclusion, root: Path, top: Path) -> _Context:
        to_root = _relative_prefix(top, root)
        if to_root is not None:
            # A folder named explicitly is walked even if excluded; inside it the patterns then
            # apply relative to it (what excludes it would otherwise exclude everything).
            return cls(exclusion, "" if exclusion.covers(to_root) else to_root, 0)
        return cls(exclusion, "", 0, _relative_prefix(root, top))

    def excludes(self, name: str, child: str, slash: str) -> bool:
        relative = child[self.strip :]
        if self.below:
            if relative == self.below:
                return False  # the root itself: its patterns are about what it holds
            if relative.startswith(self.below + "/"):
                relative = relative[len(self.below) + 1 :]
        return self.exclusion.match(name, _join(self.to_root, relative) + slash)


def is_excluded(path: Path, selection: Selection) -> bool:
    """Whether the exclusion patterns match ``path`` or a folder above it, relative to the
    selection's root (``--force-exclude``: files named explicitly obey them too)."""
    exclusion = _Exclusion((*selection.exclude, *selection.extend_exclude))
    absolute = path.resolve()
    relative = _relative_prefix(absolute, (selection.root or Path.cwd()).resolve())
    parts = (relative if relative is not None else path.as_posix()).split("/")
    folder = path.is_dir()
    for depth, name in enumerate(parts):
        slash = "/" if depth < len(parts) - 1 or folder else ""
        if name and exclusion.match(name, "/".join(parts[: depth + 1]) + slash):
            return True
    return False


def _join(prefix: str, name: str) -> str:
    return f"{prefix}/{name}" if prefix else name


def _relative_prefix(path: Path, base: Path) -> str | None:
    """``path`` relative to ``base`` in POSIX form (``""`` when equal), None when outside it."""
    try:
        relative = path.relative_to(base).as_posix()
    except ValueError:
        return None
    return "" if relative == "." else relative


@lru_cache(maxsize=4096)
def _repository_root(directory: Path) -> Path | None:
    """The working tree holding ``directory`` (an absolute, resolved path), if any."""
    if (directory / ".git").exists():
        return directory
    parent = directory.parent
    return None if parent == directory else _repository_root(parent)


def repository_root(directory: Path) -> Path | None:
    """The root of the working tree holding ``directory`` (absolute and resolved), if any."""
    return _repository_root(directory)


def _git_dir(repository: Path) -> Path:
    """The folder holding ``info/exclude``: ``.git``, or where a ``.git`` file points."""
    dot_git = repository / ".git"
    if dot_git.is_file():
        text = dot_git.read_text(encoding="utf-8", errors="replace").strip()
        if text.startswith("gitdir:"):
            git_dir = (repository / text[len("gitdir:") :].strip()).resolve()
            common = git_dir / "commondir"
            if common.is_file():
                relative = common.read_text(encoding="utf-8", errors="replace").strip()
                return (git_dir / relative).resolve()
            return git_dir
    return dot_git


def _repository_ignores(repository: Path, to_top: str) -> list[_Ignore]:
    """``info/exclude`` and the ``.gitignore`` files of the folders above the walked one."""
    ignores: list[_Ignore] = []
    exclude = _read_patterns(_git_dir(repository) / "info" / "exclude")
    if exclude:
        ignores.append(_Ignore("", _spec(exclude)))
    parts = to_top.split("/") if to_top else []
    for depth in range(len(parts)):  # the walked folder's own .gitignore is read by the walk
        base = "/".join(parts[:depth])
        patterns = _read_patterns(repository / base / ".gitignore")
        if patterns:
            ignores.append(_Ignore(base, _spec(patterns)))
    return ignores


def is_generated(data: bytes) -> bool:
    """Whether ``@generated`` appears in the first ten lines (a header comment or docstring)."""
    head = _FIRST_LINES.match(data)
    return head is not None and GENERATED_MARKER in head.group()


def in_shard(path: Path, shard: int, count: int) -> bool:
    """Whether ``path`` belongs to shard ``shard`` (1-based) of ``count``.

    The split hashes the repository-relative path, so it does not depend on the order or number
    of files, on the working directory, or on the machine: every file is in exactly one shard.
    """
    import hashlib

    digest = hashlib.blake2b(repository_relative(path).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % count == shard - 1


def read_bytes(path: Path) -> bytes:
    return path.read_bytes()


class WriteRefused(Exception):
    """A file fixer will not write, and why (one line)."""


# A temporary file's name: short and fixed in length, so that it fits NAME_MAX (255 bytes on
# most file systems) next to a file whose own name already uses all of it.
_TEMPORARY_PREFIX = ".fixer-"
_TEMPORARY_SUFFIX = ".tmp"


def write_fixed(path: Path, expected: bytes, data: bytes, roots: Sequence[Path] = ()) -> Path:
    """Write ``data`` to ``path``, whose bytes were ``expected`` when it was read; return the
    file written (a symbolic link's target). Raises :class:`WriteRefused` (nothing written) or
    ``OSError``; ``path`` is then as it was.

    - A symbolic link is written through to its target when the target lies inside the
      repository holding the link or inside one of ``roots`` (the paths given); otherwise it is
      refused.
    - A file that is read-only (no write permission bit), not a regular file, or no longer holds
      ``expected`` (changed since it was read) is refused.
    - A file with one link and the owner and group a new file of ours would get is replaced
      atomically (a temporary sibling, then ``rename``), keeping its permission bits.
    - Otherwise (other hard links, another owner or group) its inode is kept: the original is
      first copied to a temporary sibling, the new bytes are written in place, and on any
      failure the original bytes are put back; the copy is removed once the write is complete.
    """
    target = _write_target(path, roots)
    try:
        info = os.stat(target)
    except OSError as error:
        raise WriteRefused(f"cannot write: {error.strerror or error}") from None
    if not stat.S_ISREG(info.st_mode):
        raise WriteRefused("not a regular file; not written")
    if not info.st_mode & 0o222 or not os.access(target, os.W_OK):
        raise WriteRefused("read-only file; not written")
    if read_bytes(target) != expected:
        raise WriteRefused("changed on disk since fixer read it; not written (run fixer again)")
    if info.st_nlink == 1 and _same_owner(info):
        _replace(target, data, info)
    else:
        _write_in_place(target, data)
    return target


def _write_target(path: Path, roots: Sequence[Path]) -> Path:
    if not path.is_symlink():
        return path
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):
        raise WriteRefused("broken symbolic link (or a loop of them); not written") from None
    repository = _repository_root(path.absolute().parent.resolve())
    allowed = [_root(r) for r in roots] + ([repository] if repository is not None else [])
    if any(target == root or root in target.parents for root in allowed):
        return target
    raise WriteRefused(
        f"symbolic link to {target}, outside the repository and the paths given; not written"
    )


def _root(given: Path) -> Path:
    """A path given on the command line, resolved; a file's own name is kept (a symbolic link
    named on the command line does not vouch for its own target)."""
    if given.is_dir():
        return given.resolve()
    return given.absolute().parent.resolve() / given.name


def _same_owner(info: os.stat_result) -> bool:
    """Whether a new file made here would have ``info``'s owner and group."""
    geteuid = getattr(os, "geteuid", None)
    if geteuid is None:  # Windows: no owners to keep
        return True
    return bool(info.st_uid == geteuid() and info.st_gid == os.getegid())


def _temporary(beside: Path) -> tuple[int, str]:
    import tempfile

    return tempfile.mkstemp(dir=beside.parent, prefix=_TEMPORARY_PREFIX, suffix=_TEMPORARY_SUFFIX)


def _replace(path: Path, data: bytes, info: os.stat_result) -> None:
    """Replace ``path`` with ``data`` in one step, keeping its permission bits (and its group,
    when a set-group-ID folder gave the new file another)."""
    fd, temporary = _temporary(path)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, stat.S_IMODE(info.st_mode))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _write_in_place(path: Path, data: bytes) -> None:
    """Overwrite ``path`` through its own inode (its hard links, owner and group stay). The
    original goes to a temporary sibling first, and is written back if the write fails; signals
    that would stop fixer wait until the write is complete."""
    original = read_bytes(path)
    fd, backup = _temporary(path)
    with os.fdopen(fd, "wb") as handle:
        handle.write(original)
        handle.flush()
        os.fsync(handle.fileno())
    with _signals_held():
        try:
            _overwrite(path, data)
        except BaseException:
            try:
                _overwrite(path, original)
            except BaseException:
                raise OSError(
                    f"the write failed and so did restoring it; the original is in {backup}"
                ) from None
            Path(backup).unlink(missing_ok=True)
            raise
    Path(backup).unlink(missing_ok=True)


def _overwrite(path: Path, data: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view) :]
        os.ftruncate(descriptor, len(data))
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@contextmanager
def _signals_held() -> Iterator[None]:
    """Ctrl-C, SIGTERM and SIGHUP wait while a file is overwritten in place (main thread, POSIX)."""
    import signal
    import threading

    mask = getattr(signal, "pthread_sigmask", None)
    held: set[signal.Signals] = set()
    if mask is not None and threading.current_thread() is threading.main_thread():
        held = {getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP")}
        mask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        if held:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, held)


def repository_relative(path: Path) -> str:
    """The path as ``git apply`` expects it: relative to the repository root, else to the cwd."""
    try:
        absolute = path.resolve()
    except (OSError, RuntimeError):  # a loop of symbolic links
        return display_path(path).lstrip("/")
    repository = _repository_root(absolute.parent)
    if repository is not None:
        return absolute.relative_to(repository).as_posix()
    return display_path(path).lstrip("/")


@lru_cache(maxsize=8)
def _resolved(directory: str) -> Path:
    return Path(directory).resolve()


def display_path(path: Path) -> str:
    """The path relative to the working directory when it lies below it, else as given."""
    if not path.is_absolute() and ".." not in path.parts:
        return path.as_posix()  # already relative to the working directory, as walked
    try:
        return path.resolve().relative_to(_resolved(os.getcwd())).as_posix()
    except (ValueError, OSError, RuntimeError):  # outside, or a loop of symbolic links
        return path.as_posix()
