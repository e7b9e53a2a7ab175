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

import os
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from fixer import exports
from fixer.exports import ImportedHelper, Linker, ModuleSummary
from fixer.files import read_bytes, repository_root
from fixer.names import KERAS_STEP_METHODS, TRACING_DECORATORS, NameTable
from fixer.prefilter import Prefilter, Verdict, parse_quietly, text_imports

# The pre-filter's verdicts that rule out every constructor call in a file.
_NO_CONSTRUCTOR = frozenset({Verdict.NO_NAME, Verdict.NO_TEXT_CALL, Verdict.NO_CALL})


_STEP_METHOD = re.compile(
    rb"\bdef\s+(?:" + b"|".join(n.encode() for n in sorted(KERAS_STEP_METHODS)) + rb")\b"
)


@lru_cache(maxsize=8)
def _tracer_spellings(table: NameTable) -> tuple[re.Pattern[bytes], frozenset[str]]:
    """How a file can name a tracer: ``<anything>.function`` (any tracer's last component, as an
    attribute), or that component imported by name (``from tensorflow import function``)."""
    leaves = {t.rpartition(".")[2] for t in TRACING_DECORATORS | table.extra_tracers}
    leaves.discard("*")
    spelled = b"|".join(re.escape(leaf.encode()) for leaf in sorted(leaves))
    return re.compile(rb"\.\s*(?:" + spelled + rb")(?![\w\x80-\xff])"), frozenset(leaves)


def may_trace(data: bytes, table: NameTable) -> bool:
    """Whether a file's bytes may hold a traced function, the only place a call of an imported
    builder is a finding: a Keras step method is defined, or a tracer is named as an attribute
    (``tf.function``) or imported by name. A configured namespace of tracers (``pkg.*``) may
    name any function: then every file may."""
    if any(t.endswith(".*") for t in table.extra_tracers):
        return True
    if _STEP_METHOD.search(data):
        return True
    attribute, leaves = _tracer_spellings(table)
    if attribute.search(data):
        return True
    return any(
        leaf.encode() in data and any(item.name == leaf for item, _ in text_imports(data))
        for leaf in leaves
    )


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


@lru_cache(maxsize=4096)
def _names_in(folder: Path) -> frozenset[str]:
    """The names of a folder's entries (read once): most imports name no file of it."""
    try:
        return frozenset(os.listdir(folder))
    except OSError:
        return frozenset()


@lru_cache(maxsize=8192)
def _module_file(base: Path, parts: tuple[str, ...]) -> Path | None:
    """``base/a/b.py`` or ``base/a/b/__init__.py`` for the parts ``(a, b)``."""
    entries = _names_in(base)
    if parts[0] not in entries and f"{parts[0]}.py" not in entries:
        return None
    folder = base.joinpath(*parts)
    for candidate in (folder.with_name(f"{parts[-1]}.py"), folder / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def resolve(importer: Path, spelled: str) -> Path | None:
    """The file of the repository that the module ``spelled`` (``.optim``, ``..pkg.optim``,
    ``project.optim``) names in the file ``importer`` (absolute and resolved), if any."""
    return _resolve_from(importer.parent, spelled)


@lru_cache(maxsize=16384)
def _resolve_from(folder: Path, spelled: str) -> Path | None:
    rest = spelled.lstrip(".")
    level = len(spelled) - len(rest)
    parts = tuple(part for part in rest.split(".") if part)
    if level:
        base = folder
        for _ in range(level - 1):
            base = base.parent
        if not parts:
            init = base / "__init__.py"
            return init if init.is_file() else None
        return _module_file(base, parts)
    if not parts or not all(part.isidentifier() for part in parts):
        return None
    for root in _search_roots(folder):
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
        self._builds: dict[Path, bool] = {}
        self.prefilter = Prefilter(table)
        self.linker: Linker[Path] = Linker(resolve, self._summary, module_name)

    def _summary(self, path: Path) -> ModuleSummary:
        found = self._summaries.get(path)
        if found is None:
            found = self._summaries[path] = self._read(path)
        return found

    def _read(self, path: Path) -> ModuleSummary:
        """A module's summary; parsed only when it may build an optimizer itself or imports a
        module of the repository that may."""
        data = self._bytes(path)
        if data is None or not self._may_build(path, data):
            return exports.EMPTY
        tree = parse_quietly(data)
        return exports.EMPTY if tree is None else exports.summarize(tree, self.table)

    def _bytes(self, path: Path) -> bytes | None:
        try:
            return read_bytes(path)
        except OSError:
            return None

    def _may_build(self, path: Path, data: bytes) -> bool:
        """Whether a function of the module may build an optimizer: a call in it may be a
        constructor (the pre-filter's first three stages, which over-approximate the summary's
        own resolution), or it imports, directly or not, a module of the repository that may.

        A search over the imports from ``path``: when it finds no such module, none of the
        modules it visited can reach one either (their imports were all visited), so each is
        remembered as not building; when it finds one, every module on the path to it builds."""
        known = self._builds.get(path)
        if known is not None:
            return known
        visited = {path}
        stack: list[tuple[Path, list[Path] | None]] = [(path, None)]
        contents = {path: data}
        while stack:
            current, pending = stack[-1]
            if pending is None:
                known = self._builds.get(current)
                body = contents.pop(current, None)
                if known is None and body is not None:
                    known = self.prefilter.verdict(body) not in _NO_CONSTRUCTOR or None
                if known:
                    for on_path, _ in stack:
                        self._builds[on_path] = True
                    return True
                pending = [] if body is None else self._imported_modules(current, body)
                stack[-1] = (current, pending)
            if not pending:
                stack.pop()
                continue
            other = pending.pop()
            if other in visited:
                continue
            visited.add(other)
            if self._builds.get(other) is False:
                continue
            body = self._bytes(other)
            if body is not None:
                contents[other] = body
                stack.append((other, None))
        for module in visited:
            self._builds[module] = False
        return False

    def _imported_modules(self, path: Path, data: bytes) -> list[Path]:
        """The files of the repository that the module at ``path`` imports (by its text)."""
        found: list[Path] = []
        for item, _ in text_imports(data):
            if item.name == "*":
                continue
            spelled = {item.module} if item.module else set()
            spelled.update(real for _, real in item.bindings())
            for name in sorted(spelled):
                module = resolve(path, name)
                if module is not None and module != path and module not in found:
                    found.append(module)
        return found

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
