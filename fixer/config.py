"""Project configuration: ``fixer.toml``, or the ``[tool.fixer]`` table of a ``pyproject.toml``.

Configuration is hierarchical, as in Ruff: each file is governed by the nearest ``fixer.toml``
or ``pyproject.toml`` with a ``[tool.fixer]`` table in its folder or above (``fixer.toml`` wins
when a folder has both), so the sub-projects of a monorepo can differ. ``--config FILE`` makes
one file govern everything. Command-line options win over files.

```toml
[tool.fixer]
extra-optimizers = ["mylab.optim.Lion", "mylab.optim.schedules.*"]
extra-tracers = ["mylab.compile.traced"]
exclude = ["build", "third_party/"]    # replaces fixer's default exclusions
extend-exclude = ["*_pb2.py"]          # adds to them
force-exclude = true                   # exclusions apply to files named explicitly too
notebooks = true                       # also Jupyter notebooks (*.ipynb); false: .py only
select = ["TFO"]                       # codes or prefixes in force (default: all)
ignore = ["TFO003"]                    # codes or prefixes taken away
unsafe-fixes = false
extend-safe-fixes = ["TFO005"]         # treat these codes' unsafe fixes as safe
extend-unsafe-fixes = ["TFO001"]       # treat these codes' safe fixes as unsafe
report-unused-ignores = false
per-file-ignores = { "tests/*" = ["TFO003", "TFO005"] }
```

Names are fully qualified (``pkg.mod.Name``), or ``pkg.mod.*`` for every name directly in that
module. Exclusion and per-file patterns follow ``.gitignore`` syntax, relative to the folder of
the configuration file.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from fixer.names import NameTable
from fixer.rulesets import Layer, PerFileIgnore, RulePolicy, RuleSet, SelectorError, expand_all

LISTS = (
    "extra-optimizers",
    "extra-tracers",
    "exclude",
    "extend-exclude",
    "select",
    "ignore",
    "extend-safe-fixes",
    "extend-unsafe-fixes",
)
FLAGS = ("force-exclude", "unsafe-fixes", "report-unused-ignores", "notebooks")
TABLES = ("per-file-ignores",)
KEYS = (*LISTS, *FLAGS, *TABLES)
CONFIG_FILES = ("fixer.toml", "pyproject.toml")


class ConfigError(Exception):
    """A configuration file that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class Overrides:
    """What the command line says; None (or an empty layer) leaves the files' values."""

    layer: Layer = field(default_factory=Layer)
    per_file_ignores: tuple[PerFileIgnore, ...] | None = None
    unsafe_fixes: bool | None = None
    report_unused_ignores: bool | None = None
    force_exclude: bool | None = None
    notebooks: bool | None = None


@dataclass(frozen=True)
class Config:
    """The settings in force for the files below ``root`` (``path`` None: fixer's defaults).

    ``exclude`` None means fixer's default exclusions.
    """

    root: Path
    path: Path | None = None
    extra_optimizers: tuple[str, ...] = ()
    extra_tracers: tuple[str, ...] = ()
    exclude: tuple[str, ...] | None = None
    extend_exclude: tuple[str, ...] = ()
    force_exclude: bool = False
    layer: Layer = field(default_factory=Layer)
    per_file_ignores: tuple[PerFileIgnore, ...] = ()
    unsafe_fixes: bool = False
    report_unused_ignores: bool = False
    notebooks: bool = True  # *.ipynb files are checked (found in folders, or named)
    cli_layer: Layer = field(default_factory=Layer)

    def names(self) -> NameTable:
        """The name table: the built-in names plus this project's own."""
        return _names(self.extra_optimizers, self.extra_tracers)

    def policy(self) -> RulePolicy:
        return RulePolicy(
            layers=(self.layer, self.cli_layer),
            per_file_ignores=self.per_file_ignores,
            unsafe_fixes=self.unsafe_fixes,
            report_unused_ignores=self.report_unused_ignores,
        )

    def rules_for(self, path: Path) -> RuleSet:
        """The rule set for the file at ``path``."""
        if not self.per_file_ignores:
            return _rules(self.policy(), "")  # the same for every file: computed once
        try:
            relative = path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            relative = path.as_posix()
        return _rules(self.policy(), relative)

    def overridden(self, overrides: Overrides) -> Config:
        """This configuration with the command line's values on top."""
        return replace(
            self,
            cli_layer=overrides.layer,
            per_file_ignores=self.per_file_ignores
            if overrides.per_file_ignores is None
            else overrides.per_file_ignores,
            unsafe_fixes=_either(overrides.unsafe_fixes, self.unsafe_fixes),
            report_unused_ignores=_either(
                overrides.report_unused_ignores, self.report_unused_ignores
            ),
            force_exclude=_either(overrides.force_exclude, self.force_exclude),
            notebooks=_either(overrides.notebooks, self.notebooks),
        )


@lru_cache(maxsize=64)
def _names(optimizers: tuple[str, ...], tracers: tuple[str, ...]) -> NameTable:
    return NameTable(extra_optimizers=frozenset(optimizers), extra_tracers=frozenset(tracers))


@lru_cache(maxsize=4096)
def _rules(policy: RulePolicy, relative: str) -> RuleSet:
    return policy.for_file(relative)


def _either(value: bool | None, default: bool) -> bool:
    return default if value is None else value


def _parse_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.9 and 3.10 only
        import tomli as tomllib
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from None


def _where(path: Path) -> str:
    """How a message names the place of a key: ``[tool.fixer] `` in a pyproject.toml."""
    return "[tool.fixer] " if path.name == "pyproject.toml" else ""


def _fixer_table(path: Path) -> Mapping[str, Any] | None:
    """The settings ``path`` holds: the ``[tool.fixer]`` table of a pyproject.toml (None when
    it has none), or the whole of any other file (``fixer.toml``, ``--config other.toml``)."""
    if path.name != "pyproject.toml":
        whole = _parse_toml(path)
        tool = whole.get("tool")
        if (
            set(whole) == {"tool"}
            and isinstance(tool, dict)
            and isinstance(tool.get("fixer"), dict)
        ):
            return dict(tool["fixer"])  # a [tool.fixer] table is accepted there too
        return whole
    try:
        if b"fixer" not in path.read_bytes():  # most pyproject.toml files: no need to parse
            return None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror or error}") from None
    tool = _parse_toml(path).get("tool")
    table = tool.get("fixer") if isinstance(tool, dict) else None
    if table is not None and not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.fixer] must be a table")
    return table


def config_file_in(folder: Path) -> Path | None:
    """The configuration file of ``folder`` itself, if it has one."""
    for name in CONFIG_FILES:
        candidate = folder / name
        if candidate.is_file() and _fixer_table(candidate) is not None:
            return candidate
    return None


def find_config(paths: Sequence[str]) -> Path | None:
    """The nearest configuration file above the folder that holds every path given."""
    folders = []
    for raw in paths or ["."]:
        path = Path(raw).resolve()
        folders.append(str(path if path.is_dir() else path.parent))
    try:
        start = Path(os.path.commonpath(folders))
    except ValueError:  # paths on different drives
        start = Path.cwd().resolve()
    for folder in (start, *start.parents):
        found = config_file_in(folder)
        if found is not None:
            return found
    return None


def _strings(path: Path, key: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{path}: {_where(path)}{key} must be a list of strings")
    return tuple(value)


def _flag(path: Path, key: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{path}: {_where(path)}{key} must be true or false")
    return value


def _selectors(path: Path, key: str, value: object) -> tuple[str, ...]:
    selectors = _strings(path, key, value)
    try:
        expand_all(selectors)
    except SelectorError as error:
        raise ConfigError(f"{path}: {_where(path)}{key}: {error}") from None
    return selectors


def parse_per_file_ignores(items: Iterable[tuple[str, Sequence[str]]]) -> tuple[PerFileIgnore, ...]:
    """Glob -> selectors pairs as rule data; raises SelectorError for an unknown code."""
    return tuple(PerFileIgnore(pattern, expand_all(codes)) for pattern, codes in items)


def validate_names(names: Iterable[str], where: str) -> tuple[str, ...]:
    """Check qualified names (``pkg.mod.Name`` or ``pkg.mod.*``); raise ConfigError if not."""
    checked = []
    for name in names:
        parts = name.split(".")
        if parts[-1] == "*" and len(parts) > 1:
            parts = parts[:-1]
        if not all(part.isidentifier() for part in parts):
            raise ConfigError(
                f"{where}: `{name}` is not a qualified name like `pkg.module.Name` "
                "or `pkg.module.*`"
            )
        checked.append(name)
    return tuple(checked)


def load_config(path: Path | None, *, root: Path | None = None) -> Config:
    """The configuration in ``path`` (None: fixer's defaults, anchored at ``root`` or the cwd)."""
    if path is None:
        return Config(root=(root or Path.cwd()).resolve())
    table = _fixer_table(path) or {}
    where = _where(path)
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise ConfigError(
            f"{path}: unknown {where}option `{unknown[0]}` (known: {', '.join(KEYS)})"
        )
    exclude = table.get("exclude")
    per_file = table.get("per-file-ignores", {})
    if not isinstance(per_file, dict):
        raise ConfigError(f"{path}: {where}per-file-ignores must be a table of glob = [codes]")
    pairs = [(glob, _strings(path, f"per-file-ignores.{glob}", v)) for glob, v in per_file.items()]
    try:
        per_file_ignores = parse_per_file_ignores(pairs)
    except SelectorError as error:
        raise ConfigError(f"{path}: {where}per-file-ignores: {error}") from None
    return Config(
        root=path.resolve().parent,
        path=path,
        extra_optimizers=validate_names(
            _strings(path, "extra-optimizers", table.get("extra-optimizers", [])),
            f"{path}: {where}extra-optimizers",
        ),
        extra_tracers=validate_names(
            _strings(path, "extra-tracers", table.get("extra-tracers", [])),
            f"{path}: {where}extra-tracers",
        ),
        exclude=None if exclude is None else _strings(path, "exclude", exclude),
        extend_exclude=_strings(path, "extend-exclude", table.get("extend-exclude", [])),
        force_exclude=_flag(path, "force-exclude", table.get("force-exclude", False)),
        layer=Layer(
            select=None if "select" not in table else _selectors(path, "select", table["select"]),
            ignore=_selectors(path, "ignore", table.get("ignore", [])),
            extend_safe_fixes=_selectors(
                path, "extend-safe-fixes", table.get("extend-safe-fixes", [])
            ),
            extend_unsafe_fixes=_selectors(
                path, "extend-unsafe-fixes", table.get("extend-unsafe-fixes", [])
            ),
        ),
        per_file_ignores=per_file_ignores,
        unsafe_fixes=_flag(path, "unsafe-fixes", table.get("unsafe-fixes", False)),
        report_unused_ignores=_flag(
            path, "report-unused-ignores", table.get("report-unused-ignores", False)
        ),
        notebooks=_flag(path, "notebooks", table.get("notebooks", True)),
    )


class Resolver:
    """The configuration governing each folder: ``--config`` if given, else the nearest file
    above it, with the command line's overrides on top. Each folder is looked up once."""

    def __init__(self, explicit: Path | None, overrides: Overrides, cwd: Path | None = None):
        self.overrides = overrides
        self.cwd = (cwd or Path.cwd()).resolve()
        self.explicit = None if explicit is None else load_config(explicit).overridden(overrides)
        self._by_folder: dict[Path, Config] = {}  # resolved folders
        self._by_parent: dict[str, Config] = {}  # the folder part of file paths, as spelled
        self._by_file: dict[Path, Config] = {}

    def default(self) -> Config:
        return self.explicit or load_config(None, root=self.cwd).overridden(self.overrides)

    def for_folder(self, folder: Path) -> Config:
        """The configuration for files directly in ``folder``; raises ConfigError."""
        if self.explicit is not None:
            return self.explicit
        folder = folder.resolve()
        chain: list[Path] = []
        current = folder
        while current not in self._by_folder:
            chain.append(current)
            found = config_file_in(current)
            if found is not None:
                config = self._load(found)
                break
            if current.parent == current:
                config = self.default()
                break
            current = current.parent
        else:
            config = self._by_folder[current]
        for item in chain:
            self._by_folder[item] = config
        return config

    def own(self, folder: Path) -> Config | None:
        """The configuration defined in ``folder`` itself (None: it has no file of its own)."""
        if self.explicit is not None:
            return None
        config = self.for_folder(folder)
        return config if config.root == folder.resolve() and config.path is not None else None

    def for_file(self, path: Path) -> Config:
        # Files come folder by folder: each folder, as spelled, is resolved once.
        parent = os.path.dirname(path)
        config = self._by_parent.get(parent)
        if config is None:
            config = self._by_parent[parent] = self.for_folder(Path(parent or "."))
        return config

    def _load(self, path: Path) -> Config:
        resolved = path.resolve()
        if resolved not in self._by_file:
            try:  # messages name the file as the user would: relative to the cwd when below it
                shown = resolved.relative_to(self.cwd)
            except ValueError:
                shown = resolved
            self._by_file[resolved] = load_config(shown).overridden(self.overrides)
        return self._by_file[resolved]
