"""Modules loaded on first use, so that importing fixer's light layers does not import LibCST.

The rule modules (:mod:`fixer.rules`) hold both a rule's documentation, which the command line
reads at start-up (``fixer rule``, selectors, the output formats), and its detection, which
needs LibCST, the analysis and the moves only while a file is analysed. They write::

    if TYPE_CHECKING:
        import libcst as cst
    else:
        cst = lazy("libcst")

so that type checkers see the real module and the program imports it on the first attribute
read (the first file that passes the pre-filter).
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class _LazyModule(ModuleType):
    """Stands for the module ``__name__`` and imports it when an attribute is first read."""

    def __getattr__(self, attribute: str) -> Any:
        module = importlib.import_module(self.__name__)
        value = getattr(module, attribute)
        setattr(self, attribute, value)  # later reads find it without coming back here
        return value

    def __repr__(self) -> str:
        return f"<lazy module {self.__name__!r}>"


def lazy(name: str) -> ModuleType:
    """A stand-in for the module ``name`` that imports it on the first attribute read."""
    return _LazyModule(name)
