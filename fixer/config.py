"""Project configuration: the ``[tool.fixer]`` table of the nearest ``pyproject.toml``.

```toml
[tool.fixer]
extra-optimizers = ["mylab.optim.Lion", "mylab.optim.schedules.*"]
extra-tracers = ["mylab.compile.traced"]
exclude = ["build", "third_party/"]    # replaces fixer's default exclusions
extend-exclude = ["*_pb2.py"]          # adds to them
```

Names are fully qualified (``pkg.mod.Name``), or ``pkg.mod.*`` for every name directly in that
module. Exclusion patterns follow ``.gitignore`` syntax, relative to the folder of the file.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fixer.names import NameTable

KEYS = ("extra-optimizers", "extra-tracers", "exclude", "extend-exclude")


class ConfigError(Exception):
    """A configuration file that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class Config:
    """The settings in force. ``root`` anchors exclusion patterns; ``exclude`` None: defaults."""

    root: Path
    path: Path | None = None
    extra_optimizers: tuple[str, ...] = ()
    extra_tracers: tuple[str, ...] = ()
    exclude: tuple[str, ...] | None = None
    extend_exclude: tuple[str, ...] = ()

    def names(self) -> NameTable:
        """The name table: the built-in names plus this project's own."""
        return NameTable(
            extra_optimizers=frozenset(self.extra_optimizers),
            extra_tracers=frozenset(self.extra_tracers),
        )


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


def _fixer_table(path: Path) -> Mapping[str, Any] | None:
    """The ``[tool.fixer]`` table of ``path``, or None when it has none."""
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


def find_config(paths: Sequence[str]) -> Path | None:
    """The nearest ``pyproject.toml`` with a ``[tool.fixer]`` table, searching upwards from the
    folder that holds every path given (as Black finds its project root)."""
    folders = []
    for raw in paths or ["."]:
        path = Path(raw).resolve()
        folders.append(str(path if path.is_dir() else path.parent))
    try:
        start = Path(os.path.commonpath(folders))
    except ValueError:  # paths on different drives
        start = Path.cwd().resolve()
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file() and _fixer_table(candidate) is not None:
            return candidate
    return None


def _strings(path: Path, key: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{path}: [tool.fixer] {key} must be a list of strings")
    return tuple(value)


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
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise ConfigError(
            f"{path}: unknown [tool.fixer] option `{unknown[0]}` (known: {', '.join(KEYS)})"
        )
    exclude = table.get("exclude")
    return Config(
        root=path.resolve().parent,
        path=path,
        extra_optimizers=validate_names(
            _strings(path, "extra-optimizers", table.get("extra-optimizers", [])), str(path)
        ),
        extra_tracers=validate_names(
            _strings(path, "extra-tracers", table.get("extra-tracers", [])), str(path)
        ),
        exclude=None if exclude is None else _strings(path, "exclude", exclude),
        extend_exclude=_strings(path, "extend-exclude", table.get("extend-exclude", [])),
    )
