"""Notebook documents (LSP ``notebookDocument/*``): the cells the editor holds checked as
:mod:`fixer.notebooks` checks an ``.ipynb`` file, and the findings handed back per cell.

The cells are written as an nbformat 4 notebook and go through :func:`fixer.notebooks.check`, so
the code cells are one module (a ``tf.function`` in one cell sees the imports of another), IPython
syntax is masked, and other-language cells are left out, exactly as on the command line. Each
finding comes back in its cell's own lines. A fix is offered in the editor when its edits lie in
one cell and touch no IPython line; fix-all is the difference between each cell and the same
cell of the fixed notebook (what ``fixer --write`` writes). Pure: no LSP library here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace

from fixer.findings import Diagnostic, TextEdit
from fixer.lsp.checking import DocumentCheck, Governance
from fixer.notebooks import NotebookError, check, join, load


@dataclass(frozen=True)
class CellText:
    """One cell as the editor holds it: code (in Python) or anything else."""

    code: bool
    text: str


def notebook_bytes(cells: Sequence[CellText]) -> bytes:
    """The cells as an nbformat 4 notebook with a Python kernel."""
    document = {
        "cells": [
            {
                "cell_type": "code" if cell.code else "markdown",
                "metadata": {},
                "source": cell.text,
                **({"execution_count": None, "outputs": []} if cell.code else {}),
            }
            for cell in cells
        ],
        "metadata": {"kernelspec": {"language": "python", "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


_Key = tuple[str, int, int, int]  # code, cell, line, column


def _key(d: Diagnostic) -> _Key:
    return d.code, d.cell.number if d.cell else 0, d.line, d.column


def _masked_lines(data: bytes) -> dict[int, list[str]]:
    """The lines of each code cell as the engine read them (IPython lines masked), by number."""
    try:
        module = join(load(data))
    except NotebookError:
        return {}
    return {part.cell.number: part.text.split("\n") for part in module.parts}


def _in_cell(fix_edits: Sequence[TextEdit], number: int, cell: list[str], seen: list[str]) -> bool:
    """Whether the edits all lie in cell ``number`` on lines the engine read as they are."""
    for edit in fix_edits:
        if edit.cell != number:
            return False
        for line in range(edit.start_line, edit.end_line + 1):
            if line > len(seen) or line > len(cell) or seen[line - 1] != cell[line - 1]:
                return False
    return True


def check_cells(cells: Sequence[CellText], governing: Governance) -> list[DocumentCheck]:
    """One :class:`DocumentCheck` per cell, in order: its findings in its own lines, each fix
    offered only where the editor can make it in that cell."""
    if governing.skipped is not None:
        return [
            DocumentCheck(c.text, governing, problem=governing.config_error, fixed=c.text)
            for c in cells
        ]
    data = notebook_bytes(cells)
    found = check(data, governing.path, names=governing.names, rules=governing.rules)
    if found.diagnostics and all(d.is_error for d in found.diagnostics):
        problem = found.diagnostics[0].message
        return [DocumentCheck(c.text, governing, problem=problem, fixed=c.text) for c in cells]
    try:
        fixed_cells = [c.source for c in load(found.fixed).cells]
    except NotebookError:
        fixed_cells = [c.text for c in cells]
    seen = _masked_lines(data)
    out: list[DocumentCheck] = []
    for number, cell in enumerate(cells, start=1):
        lines = cell.text.split("\n")
        findings = []
        for d in found.diagnostics:
            if d.is_error or d.cell is None or d.cell.number != number:
                continue
            if d.fix is not None and not _in_cell(d.fix.edits, number, lines, seen.get(number, [])):
                d = replace(d, fix=None)
            findings.append(d)
        fixed = fixed_cells[number - 1] if len(fixed_cells) == len(cells) else cell.text
        out.append(
            DocumentCheck(cell.text, governing, tuple(findings), fixed=fixed, with_edits=True)
        )
    return out


def cell_suppressed(
    cells: Sequence[CellText], index: int, after: str, finding: Diagnostic, governing: Governance
) -> bool:
    """Whether ``finding`` (in cell ``index``, 0-based) is suppressed once that cell reads
    ``after``: the whole notebook is checked again."""
    changed = [*cells[:index], CellText(cells[index].code, after), *cells[index + 1 :]]
    found = check(
        notebook_bytes(changed), governing.path, names=governing.names, rules=governing.rules
    )
    return _key(finding) in {_key(d) for d in found.suppressed} and _key(finding) not in {
        _key(d) for d in found.diagnostics
    }
