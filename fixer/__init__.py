"""fixer: move TensorFlow optimizers out of ``tf.function`` bodies."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["Applicability", "Diagnostic", "FixResult", "NameTable", "__version__", "fix_source"]

if TYPE_CHECKING:
    from fixer.engine import FixResult, fix_source
    from fixer.findings import Applicability, Diagnostic
    from fixer.names import NameTable

# The public names are loaded on first use, so that the command line starts without importing
# LibCST (it is needed only for files that pass the pre-filter).
_LAZY = {
    "FixResult": "fixer.engine",
    "fix_source": "fixer.engine",
    "Applicability": "fixer.findings",
    "Diagnostic": "fixer.findings",
    "NameTable": "fixer.names",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'fixer' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
