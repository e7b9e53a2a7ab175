"""Which codes are in force for a file, and how each code's fixes are classified.

Selectors are codes (``TFO003``) or prefixes (``TFO00``, ``TFO``), or ``ALL``. As in Ruff, the
layers apply in order (the configuration file, then the command line): a ``select`` replaces
what is enabled with what it matches, an ``ignore`` takes away what it matches.
``per-file-ignores`` then take codes away for the files their glob matches.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from fixer.findings import Applicability
from fixer.rules import RULES

if TYPE_CHECKING:
    from pathspec import GitIgnoreSpec

# Error reports (TFO900 and up) say a file could not be checked: always on.
SELECTABLE: tuple[str, ...] = tuple(rule.code for rule in RULES if rule.code < "TFO900")


class SelectorError(ValueError):
    """A selector that matches no code: the message says which."""


def expand(selector: str) -> frozenset[str]:
    """The selectable codes ``selector`` names; raises SelectorError when it names none."""
    wanted = selector.strip().upper()
    if wanted == "ALL":
        return frozenset(SELECTABLE)
    matched = frozenset(code for code in SELECTABLE if code.startswith(wanted))
    if matched:
        return matched
    if any(rule.code.startswith(wanted) for rule in RULES) and wanted:
        raise SelectorError(
            f"`{selector}` names error reports (TFO9xx): they are always on and cannot be "
            "selected or ignored"
        )
    known = ", ".join(SELECTABLE)
    raise SelectorError(f"unknown code or prefix `{selector}` (known: {known}, or ALL)")


def expand_all(selectors: Iterable[str]) -> frozenset[str]:
    codes: set[str] = set()
    for selector in selectors:
        codes |= expand(selector)
    return frozenset(codes)


@dataclass(frozen=True)
class Layer:
    """One source of rule settings (a configuration file, or the command line)."""

    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    extend_safe_fixes: tuple[str, ...] = ()
    extend_unsafe_fixes: tuple[str, ...] = ()


@dataclass(frozen=True)
class RuleSet:
    """The codes in force for one file and how their fixes count.

    ``safe``: codes whose unsafe fixes count as safe; ``unsafe``: codes whose safe fixes count
    as unsafe (``extend-safe-fixes`` / ``extend-unsafe-fixes``; unsafe wins when both name it).
    """

    enabled: frozenset[str] = frozenset(SELECTABLE)
    safe: frozenset[str] = frozenset()
    unsafe: frozenset[str] = frozenset()
    unsafe_fixes: bool = False
    report_unused_ignores: bool = False

    def is_enabled(self, code: str) -> bool:
        return code >= "TFO900" or code in self.enabled

    def applicability(self, code: str, applicability: Applicability) -> Applicability:
        """``applicability`` as this configuration classifies it."""
        if applicability is Applicability.NONE:
            return applicability
        if code in self.unsafe:
            return Applicability.UNSAFE
        if code in self.safe:
            return Applicability.SAFE
        return applicability

    def applies(self, code: str, applicability: Applicability) -> bool:
        """Whether a fix of this kind is made in this run."""
        effective = self.applicability(code, applicability)
        return effective is Applicability.SAFE or (
            effective is Applicability.UNSAFE and self.unsafe_fixes
        )


DEFAULT_RULES = RuleSet()


@dataclass(frozen=True)
class PerFileIgnore:
    """Codes ignored for the files a gitignore-style glob matches (relative to its root)."""

    pattern: str
    codes: frozenset[str]


@dataclass(frozen=True)
class RulePolicy:
    """Everything needed to compute a file's :class:`RuleSet`; cheap to pass to workers."""

    layers: tuple[Layer, ...] = ()
    per_file_ignores: tuple[PerFileIgnore, ...] = ()
    unsafe_fixes: bool = False
    report_unused_ignores: bool = False

    def for_file(self, relative: str) -> RuleSet:
        """The rule set for the file at ``relative`` (POSIX, relative to the config's root)."""
        enabled = set(SELECTABLE)
        safe: set[str] = set()
        unsafe: set[str] = set()
        for layer in self.layers:
            if layer.select is not None:
                enabled = set(expand_all(layer.select))
            enabled -= expand_all(layer.ignore)
            # A later layer (the command line) overrides what an earlier one said of a code;
            # within one layer, unsafe wins.
            now_safe = expand_all(layer.extend_safe_fixes)
            now_unsafe = expand_all(layer.extend_unsafe_fixes)
            safe = (safe - now_unsafe) | (now_safe - now_unsafe)
            unsafe = (unsafe - now_safe) | now_unsafe
        for item in self.per_file_ignores:
            if _glob_matches(item.pattern, relative):
                enabled -= item.codes
        return RuleSet(
            enabled=frozenset(enabled),
            safe=frozenset(safe - unsafe),
            unsafe=frozenset(unsafe),
            unsafe_fixes=self.unsafe_fixes,
            report_unused_ignores=self.report_unused_ignores,
        )


def _glob_matches(pattern: str, relative: str) -> bool:
    """gitignore-style matching, as for ``exclude``: ``tests/``, ``*_test.py``, ``/scripts/*``."""
    return bool(_spec(pattern).match_file(relative))


@lru_cache(maxsize=256)
def _spec(pattern: str) -> GitIgnoreSpec:
    from pathspec import GitIgnoreSpec

    return GitIgnoreSpec.from_lines([pattern])


def check_selectors(selectors: Sequence[str]) -> tuple[str, ...]:
    """Validate selectors, raising SelectorError; returns them as given."""
    expand_all(selectors)
    return tuple(selectors)
