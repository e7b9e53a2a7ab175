"""The modules of its own repository that a file imports, and the optimizer builders they offer.

The edge of the cross-module check (TFO004 on a call of ``build_optimizer`` imported from
``.optim``): an import is resolved to a file of the repository (a relative import from the
importing file's folder; an absolute one from that folder or a folder above it, up to the
repository root), and only the files a file imports (then those they import, on demand) are
read and summarised (:mod:`fixer.exports`), each once per process. Nothing is imported or run.
A file processed alone (pre-commit names one file) finds its sibling modules the same way, and
every process of a ``--jobs`` run reads the same files, so the output does not depend on the
number of processes.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from fixer import exports
from fixer.exports import ImportedHelper, Linker, ModuleSummary
from fixer.files import read_bytes, repository_root
from fixer.names import KERAS_STEP_METHODS, NameTable
from fixer.prefilter import parse_quietly, text_imports


def may_trace(data: bytes, table: NameTable) -> bool:
    """Whether a file's bytes may hold a traced function, the only place a call of an imported
    builder is a finding: a tracer's last component (``function`` of ``tf.function``) or a Keras
    step method's name is in them."""
    needles = {b"function", *(name.encode() for name in KERAS_STEP_METHODS)}
    needles.update(t.rpartition(".")[2].encode() for t in table.extra_tracers if t != "*")
    needles.update(t.rsplit(".", 2)[-2].encode() for t in table.extra_tracers if t.endswith(".*"))
    return any(needle in data for needle in needles)


@lru_cache(maxsize=4096)
def _search_roots(folder: Path) -> tuple[Path, ...]:
    """Where an absolute import of a file in ``folder`` may be found: the folder, then each
    folder above it up to the repository root (outside a repository: up to the folder above the
    outermost package)."""
    top = repository_root(folder)
    roots = [folder]
    current = folder
    while current.parent != current and (
        (top is not None and current != top)
        or (top is None and (current / "__init__.py").is_file())
    ):
        current = current.parent
        roots.append(current)
    return tuple(roots)


@lru_cache(maxsize=8192)
def _module_file(base: Path, parts: tuple[str, ...]) -> Path | None:
    """``base/a/b.py`` or ``base/a/b/__init__.py`` for the parts ``(a, b)``."""
    folder = base.joinpath(*parts)
    for candidate in (folder.with_name(f"{parts[-1]}.py"), folder / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def resolve(importer: Path, spelled: str) -> Path | None:
    """The file of the repository that the module ``spelled`` (``.optim``, ``..pkg.optim``,
    ``project.optim``) names in the file ``importer`` (absolute and resolved), if any."""
    rest = spelled.lstrip(".")
    level = len(spelled) - len(rest)
    parts = tuple(part for part in rest.split(".") if part)
    if level:
        base = importer.parent
        for _ in range(level - 1):
            base = base.parent
        if not parts:
            init = base / "__init__.py"
            return init if init.is_file() else None
        return _module_file(base, parts)
    if not parts or not all(part.isidentifier() for part in parts):
        return None
    for root in _search_roots(importer.parent):
        found = _module_file(root, parts)
        if found is not None:
            return found
    return None


@lru_cache(maxsize=4096)
def module_name(path: Path) -> str:
    """A module's dotted name from the package layout: its stem, after the names of the
    folders above it that hold an ``__init__.py``."""
    parts = [] if path.name == "__init__.py" else [path.stem]
    folder = path.parent
    while (folder / "__init__.py").is_file() and folder.parent != folder:
        parts.insert(0, folder.name)
        folder = folder.parent
    return ".".join(parts) or path.parent.name


class Repository:
    """The summaries of the modules read so far, for one name table (one per process)."""

    def __init__(self, table: NameTable) -> None:
        self.table = table
        self._summaries: dict[Path, ModuleSummary] = {}
        self.linker: Linker[Path] = Linker(resolve, self._summary, module_name)

    def _summary(self, path: Path) -> ModuleSummary:
        found = self._summaries.get(path)
        if found is None:
            found = self._summaries[path] = self._read(path)
        return found

    def _read(self, path: Path) -> ModuleSummary:
        try:
            data = read_bytes(path)
        except OSError:
            return exports.EMPTY
        if b"import" not in data:
            return exports.EMPTY  # nothing to build an optimizer with, nor to call
        tree = parse_quietly(data)
        return exports.EMPTY if tree is None else exports.summarize(tree, self.table)

    def helpers_for(self, path: Path, data: bytes) -> dict[str, ImportedHelper]:
        """The builders of other modules that the file ``path`` (bytes ``data``) imports, by the
        qualified name a call of each has in the file (as LibCST spells it)."""
        importer = path.resolve()
        found: dict[str, ImportedHelper] = {}
        for item, _ in text_imports(data):
            if item.name == "*":
                continue
            for _, real in item.bindings():
                module = resolve(importer, real)
                if module is not None and module != importer:
                    for function, helper in self.linker.builders(module).items():
                        found.setdefault(f"{real}.{function}", helper)
                elif module is None and item.module:
                    builder = self.linker.target(importer, real)
                    if builder is not None:
                        found.setdefault(real, builder)
        return dict(sorted(found.items()))


def helpers_for(repository: Repository, path: Path, data: bytes) -> Mapping[str, ImportedHelper]:
    """:meth:`Repository.helpers_for` when the file may hold a traced function, else nothing."""
    if not may_trace(data, repository.table):
        return {}
    return repository.helpers_for(path, data)
