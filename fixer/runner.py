"""One file's work: read it, fix it in memory. Kept apart from the CLI so a pool can map it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fixer.engine import FixResult, fix_source
from fixer.files import display_path, read_bytes


@dataclass(frozen=True)
class FileOutcome:
    """The result for one file, or why it could not be read."""

    path: Path
    shown: str
    result: FixResult[bytes] | None
    read_error: str | None = None


def process(path: Path, *, unsafe_fixes: bool = False) -> FileOutcome:
    """Read ``path`` and run the engine on its bytes; never raises for a bad file."""
    shown = display_path(path)
    try:
        data = read_bytes(path)
    except OSError as error:
        return FileOutcome(path, shown, None, error.strerror or str(error))
    return FileOutcome(path, shown, fix_source(data, shown, unsafe_fixes=unsafe_fixes))
