"""Suppression comments: ``# fixer: ignore[TFO001,TFO003]``, ``# fixer: ignore``, ``# noqa: TFO001``
and a bare ``# noqa``, which suppresses everything on its line (as in Ruff and flake8).

A comment applies to a finding when it sits on a line of the flagged code, or on the header of
the function or loop the finding is in (``Diagnostic.suppressible_at``). Read-only: the engine
decides what to do with what is found here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import CodeRange

_FIXER = re.compile(r"#\s*fixer\s*:\s*ignore\b(?:\[(?P<codes>[^\]\r\n]*)\])?", re.IGNORECASE)
_CODE = r"[A-Za-z]+[0-9]+"
_NOQA = re.compile(
    rf"#\s*noqa\b(?::\s*(?P<codes>{_CODE}(?:(?:\s*,\s*|\s+){_CODE})*))?", re.IGNORECASE
)
_OURS = re.compile(r"TFO[0-9]+")


@dataclass(frozen=True, eq=False)
class Directive:
    """One suppression directive in a comment. ``codes`` None: it suppresses every code."""

    comment: cst.Comment
    line: int
    column: int  # 1-based, of the directive's ``#``
    end_column: int
    start: int  # offsets of the directive within ``comment.value``
    end: int
    kind: str  # "fixer" or "noqa"
    codes: tuple[str, ...] | None

    @property
    def text(self) -> str:
        return self.comment.value[self.start : self.end]

    def covers(self, code: str) -> bool:
        return self.codes is None or code in self.codes


def find_directives(
    comments: Iterable[cst.Comment], positions: Mapping[cst.CSTNode, CodeRange]
) -> dict[int, list[Directive]]:
    """Every suppression directive in ``comments`` (a module's, as the analysis collects them),
    by line. ``# noqa`` lists that name no fixer code belong to other tools and are left out."""
    found: dict[int, list[Directive]] = {}
    for comment in comments:
        value = comment.value
        if "noqa" not in value.lower() and "fixer" not in value.lower():
            continue
        start = positions[comment].start
        for match in (*_FIXER.finditer(value), *_NOQA.finditer(value)):
            kind = "fixer" if match.re is _FIXER else "noqa"
            raw = match.group("codes")
            if raw is None:
                codes = None
            else:
                codes = tuple(c.upper() for c in re.split(r"[\s,]+", raw.strip()) if c)
                if kind == "noqa" and not any(_OURS.fullmatch(c) for c in codes):
                    continue  # another tool's codes
            found.setdefault(start.line, []).append(
                Directive(
                    comment,
                    start.line,
                    start.column + match.start() + 1,
                    start.column + match.end() + 1,
                    match.start(),
                    match.end(),
                    kind,
                    codes,
                )
            )
    return found


@dataclass(frozen=True)
class Unused:
    """A directive, or some of its codes, that suppressed nothing. ``directive_after`` is the
    directive's new text (None: remove the directive)."""

    directive: Directive
    codes: tuple[str, ...] | None  # None: the whole (bare) directive
    directive_after: str | None
    message: str


def unused(directive: Directive, used: set[str]) -> Unused | None:
    """What of ``directive`` is unused, given the codes of the findings it suppressed."""
    text = directive.text
    if directive.codes is None:
        if directive.kind == "noqa" or used:
            return None  # a bare noqa may serve another linter
        return Unused(
            directive, None, None, f"unused suppression `{text}`: nothing here; fix: delete it"
        )
    ours = [c for c in directive.codes if directive.kind == "fixer" or _OURS.fullmatch(c)]
    idle = tuple(c for c in ours if c not in used)
    if not idle:
        return None
    kept = [c for c in directive.codes if c not in idle]
    after: str | None = None
    if kept and directive.kind == "fixer":
        after = f"# fixer: ignore[{','.join(kept)}]"
    elif kept:
        after = f"# noqa: {', '.join(kept)}"
    listed = ", ".join(idle)
    fix = f"remove {listed} from it" if kept else "delete it"
    return Unused(
        directive, idle, after, f"unused suppression `{text}`: no {listed} finding here; fix: {fix}"
    )


def comment_edits(items: Iterable[Unused]) -> dict[cst.Comment, str | None]:
    """The new text of each comment holding unused directives (None: delete the comment)."""
    by_comment: dict[cst.Comment, list[Unused]] = {}
    for item in items:
        by_comment.setdefault(item.directive.comment, []).append(item)
    result: dict[cst.Comment, str | None] = {}
    for comment, group in by_comment.items():
        value = comment.value
        # Right to left, so that the offsets of the directives still to edit stay valid.
        for item in sorted(group, key=lambda u: u.directive.start, reverse=True):
            d = item.directive
            value = value[: d.start] + (item.directive_after or "") + value[d.end :]
        if value == comment.value:
            continue
        stripped = value.strip()
        if stripped in ("", "#"):
            result[comment] = None
        elif value.startswith("#"):
            result[comment] = value.rstrip()
        else:
            result[comment] = stripped if stripped.startswith("#") else f"# {stripped}"
    return result
