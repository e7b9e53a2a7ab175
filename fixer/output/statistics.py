"""``--statistics``: how many findings in force of each code, most frequent first.

As text, one row a code, as Ruff prints it::

    12	TFO001	[*] optimizer-in-traced-function
     3	TFO003	[-] optimizer-rebuilt-every-step
     1	TFO005	[ ] optimizer-built-per-call

``[*]``: every finding of the code has a safe fix (``fixer --write`` fixes them all); ``[-]``: some
have a fix, or their fixes are unsafe (``--unsafe-fixes``, or work by hand, does the rest);
``[ ]``: none has a fix. As JSON, a list of ``{"code", "name", "count", "fixable"}`` where
``fixable`` is true for ``[*]``. Suppressed findings and error findings (files not checked) are
not counted, as in the summary line.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from fixer.findings import Applicability, Diagnostic
from fixer.rules import RULES_BY_CODE


@dataclass(frozen=True)
class Statistic:
    """One code's row: how many findings, how many with a fix, how many with a safe fix."""

    code: str
    count: int
    with_fix: int
    safe: int

    @property
    def name(self) -> str:
        return RULES_BY_CODE[self.code].name

    @property
    def fixable(self) -> bool:
        """Every finding of the code has a safe fix."""
        return self.safe == self.count

    @property
    def marker(self) -> str:
        if self.fixable:
            return "[*]"
        return "[-]" if self.with_fix else "[ ]"


def statistics(findings: Iterable[Diagnostic]) -> list[Statistic]:
    """One row per code of the findings in force, by count (descending), then code. Error
    findings are skipped; suppressed ones should not be given."""
    found: dict[str, list[Diagnostic]] = {}
    for d in findings:
        if not d.is_error:
            found.setdefault(d.code, []).append(d)
    rows = [
        Statistic(
            code=code,
            count=len(items),
            with_fix=sum(d.applicability is not Applicability.NONE for d in items),
            safe=sum(d.applicability is Applicability.SAFE for d in items),
        )
        for code, items in found.items()
    ]
    return sorted(rows, key=lambda row: (-row.count, row.code))


def render_text(rows: Sequence[Statistic]) -> str:
    """The rows as text: count (right-aligned), code, fix marker and rule name, tab-separated."""
    width = max((len(str(row.count)) for row in rows), default=1)
    return "".join(f"{row.count:>{width}}\t{row.code}\t{row.marker} {row.name}\n" for row in rows)


def render_json(rows: Sequence[Statistic]) -> str:
    """The rows as a JSON list of ``{"code", "name", "count", "fixable"}``."""
    data = [
        {"code": row.code, "name": row.name, "count": row.count, "fixable": row.fixable}
        for row in rows
    ]
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def render_statistics(findings: Iterable[Diagnostic], format_name: str = "text") -> str:
    """``--statistics``: the rows of ``findings`` as JSON when ``format_name`` is ``json``, else
    as text."""
    rows = statistics(findings)
    return render_json(rows) if format_name == "json" else render_text(rows)
