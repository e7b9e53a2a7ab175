"""Jupyter notebooks in and out: the code cells as one module, and the notebook's bytes kept.

A notebook is read as JSON text whose layout is never re-created: the places of the cells'
``source`` values are found in that text, and only the ``source`` of a cell that a fix edits is
replaced, written in the notebook's own style (a list of lines or one string, the indentation of
its neighbours, ``\\uXXXX`` escapes or not). Everything else, metadata, outputs, key order, the
final newline, stays as it was, byte for byte.

The code cells are joined in order into one module, so that a ``tf.function`` in one cell sees the
imports of another. IPython syntax (``%magic``, ``%%cell`` magic lines, ``!shell``, ``obj?``,
``x = !cmd``) is replaced by placeholder statements that parse, and comes back from the original
text. A cell in another language (``%%bash``, ``%%writefile``, ...) is left out. A ``pass``
statement separates the cells, so that what LibCST attaches to a statement never reaches into the
cell before it. A fix whose edits would touch two cells is not made: its finding says so.

Nothing here touches the disk or imports LibCST; :func:`check` runs the engine on demand.
"""

from __future__ import annotations

import codecs
import difflib
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from fixer.findings import Applicability, CellRef, Diagnostic, Fix, TextEdit
from fixer.prefilter import parse_quietly

SYNTAX_ERROR_CODE = "TFO900"
SEPARATOR = "pass\n"  # between two cells of the joined module
# Cell magics whose body is Python, run by IPython: such a cell is checked, its first line masked.
PYTHON_CELL_MAGICS = frozenset(
    {"capture", "time", "timeit", "prun", "debug", "python", "python3", "tensorflow_version"}
)
_PLACEHOLDER = "__fixer_ipython_{}__"
_TOKEN = re.compile(r"__fixer_ipython_(\d+)__")
_ASSIGNED_MAGIC = re.compile(
    r"(?P<target>(?:[A-Za-z_][\w.]*\s*,\s*)*[A-Za-z_][\w.]*)\s*=\s*(?=[%!])"
)
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_ATOM = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null")
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_NON_ASCII_ESCAPE = re.compile(
    r"\\u(?:00[89a-fA-F][0-9a-fA-F]|0[1-9a-fA-F][0-9a-fA-F]{2}|[1-9a-fA-F][0-9a-fA-F]{3})"
)
_LINE_REFERENCE = re.compile(r"\bline (\d+)")


class NotebookError(Exception):
    """A file that cannot be read as a notebook; ``line`` and ``column`` in its text."""

    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


# --------------------------------------------------------------------------- the JSON text


@dataclass(frozen=True)
class _Span:
    start: int
    end: int


@dataclass(frozen=True)
class _Source:
    """Where one cell's ``source`` value lies in the text: the whole value and, for a list,
    each string literal in it."""

    value: _Span
    items: tuple[_Span, ...] | None  # None: the source is one string


class _Locator:
    """Finds the ``source`` value of each cell in the notebook's text (a small JSON scanner that
    records positions, which :mod:`json` does not give)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.sources: list[_Source | None] = []

    def _ws(self, i: int) -> int:
        match = _WHITESPACE.match(self.text, i)
        assert match is not None
        return match.end()

    def _string(self, i: int) -> int:
        match = _JSON_STRING.match(self.text, i)
        if match is None:
            raise ValueError(i)
        return match.end()

    def skip(self, i: int) -> int:
        i = self._ws(i)
        char = self.text[i : i + 1]
        if char == '"':
            return self._string(i)
        if char == "[":
            return self._array(i, lambda at: self.skip(at))
        if char == "{":
            return self._object(i, lambda _key, at: self.skip(at))
        match = _JSON_ATOM.match(self.text, i)
        if match is None:
            raise ValueError(i)
        return match.end()

    def _array(self, i: int, element: Callable[[int], int]) -> int:
        i = self._ws(i + 1)
        if self.text[i : i + 1] == "]":
            return i + 1
        while True:
            i = self._ws(element(i))
            char = self.text[i : i + 1]
            i += 1
            if char == "]":
                return i
            if char != ",":
                raise ValueError(i)

    def _object(self, i: int, member: Callable[[str, int], int]) -> int:
        i = self._ws(i + 1)
        if self.text[i : i + 1] == "}":
            return i + 1
        while True:
            i = self._ws(i)
            end = self._string(i)
            key = json.loads(self.text[i:end])
            i = self._ws(end)
            if self.text[i : i + 1] != ":":
                raise ValueError(i)
            i = self._ws(member(key, i + 1))
            char = self.text[i : i + 1]
            i += 1
            if char == "}":
                return i
            if char != ",":
                raise ValueError(i)

    def notebook(self) -> None:
        self._object(self._ws(0), self._top)

    def _top(self, key: str, i: int) -> int:
        if key != "cells":
            return self.skip(i)
        self.sources = []
        return self._array(self._ws(i), self._cell)

    def _cell(self, i: int) -> int:
        self.sources.append(None)
        index = len(self.sources) - 1

        def member(key: str, at: int) -> int:
            if key != "source":
                return self.skip(at)
            at = self._ws(at)
            items: list[_Span] = []
            if self.text[at : at + 1] == "[":

                def item(start: int) -> int:
                    start = self._ws(start)
                    end = self._string(start)
                    items.append(_Span(start, end))
                    return end

                end = self._array(at, item)
                self.sources[index] = _Source(_Span(at, end), tuple(items))
            else:
                end = self._string(at)
                self.sources[index] = _Source(_Span(at, end), None)
            return end

        return self._object(self._ws(i), member)


# --------------------------------------------------------------------------- masking IPython


@dataclass(frozen=True)
class _Masked:
    text: str  # the cell as Python, each IPython line replaced by a placeholder line
    originals: dict[int, str]  # placeholder number -> the original line (with its newline)
    indents: dict[int, str]  # placeholder number -> the indentation of its placeholder line


def _split(text: str) -> list[str]:
    """Lines ending at ``\\n`` only, keeping it."""
    lines = text.split("\n")
    out = [line + "\n" for line in lines[:-1]]
    if lines[-1]:
        out.append(lines[-1])
    return out


def _scan(line: str, quote: str | None, depth: int) -> tuple[str | None, int, int, bool]:
    """Python's view of one line, enough to tell where statements start: the open triple quote
    and bracket depth after it, where its comment starts, and whether it ends in ``\\``."""
    i, size = 0, len(line)
    comment = size
    while i < size:
        char = line[i]
        if quote is not None:
            if char == "\\":
                i += 2
            elif line.startswith(quote, i):
                i += 3
                quote = None
            else:
                i += 1
            continue
        if char == "#":
            comment = i
            break
        if char in "\"'":
            if line.startswith(char * 3, i):
                quote = char * 3
                i += 3
                continue
            i += 1
            while i < size and line[i] not in (char, "\n"):
                i += 2 if line[i] == "\\" else 1
            i += 1
            continue
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth = max(depth - 1, 0)
        i += 1
    code = line[:comment].rstrip("\r\n")
    continued = quote is None and comment == size and code.endswith("\\")
    return quote, depth, comment, continued


def _is_ipython(stripped: str, code: str) -> bool:
    """Whether a line that starts a statement is IPython syntax: a line magic, a shell escape,
    help (``?obj``, ``obj?``), an auto-call escape, or ``x = !cmd`` / ``x = %magic``."""
    if not stripped or stripped.startswith("#"):
        return False
    if stripped[0] in "%!?/,;":
        return True
    if code.rstrip().endswith("?"):
        return True
    return _ASSIGNED_MAGIC.match(stripped) is not None


def _mask(text: str, counter: Iterator[int]) -> _Masked | None:
    """The cell as Python, or None when the cell is in another language (a cell magic whose body
    is not Python). A masked line that ends in a backslash takes the lines it continues along."""
    lines = _split(text)
    originals: dict[int, str] = {}
    indents: dict[int, str] = {}
    out: list[str] = []

    def placeholder(line: str, indent: str, target: str = "") -> None:
        number = next(counter)
        originals[number] = line
        indents[number] = indent
        ending = "\n" if line.endswith("\n") else ""
        out.append(f"{indent}{target}{_PLACEHOLDER.format(number)}{ending}")

    first = 0
    if lines and lines[0].startswith("%%"):
        name = lines[0][2:].split(maxsplit=1)
        if not name or name[0] not in PYTHON_CELL_MAGICS:
            return None
        placeholder(lines[0], "")
        first = 1
    quote: str | None = None
    depth = 0
    continued = False
    masking: str | None = None  # the indentation of a masked line that ends in a backslash
    for line in lines[first:]:
        if masking is not None:
            placeholder(line, masking)
            if not line.rstrip("\r\n").endswith("\\"):
                masking = None
            continue
        starts = quote is None and depth == 0 and not continued
        after = _scan(line, quote, depth)
        stripped = line.strip()
        if starts and _is_ipython(stripped, line[: after[2]]):
            indent = line[: len(line) - len(line.lstrip())]
            assigned = _ASSIGNED_MAGIC.match(stripped)
            placeholder(line, indent, f"{assigned['target']} = " if assigned else "")
            if line.rstrip("\r\n").endswith("\\"):
                masking = indent
            continue
        quote, depth, _, continued = after
        out.append(line)
    return _Masked("".join(out), originals, indents)


def _unmask(text: str, masked: _Masked) -> str | None:
    """The edited cell with its IPython lines back, or None when an edit moved or changed one."""
    out: list[str] = []
    seen: set[int] = set()
    for line in _split(text):
        found = _TOKEN.search(line)
        if found is None:
            out.append(line)
            continue
        number = int(found.group(1))
        indent = line[: len(line) - len(line.lstrip())]
        if number in seen or masked.indents.get(number) != indent:
            return None
        seen.add(number)
        original = masked.originals[number]
        if line.endswith("\n") and not original.endswith("\n"):
            original += "\n"  # the cell's last line, now followed by others
        out.append(original)
    if seen != set(masked.originals):
        return None
    return "".join(out)


# --------------------------------------------------------------------------- the notebook


@dataclass(frozen=True)
class Cell:
    """One cell: its number (1-based, every cell counted, as a reader counts them), its
    nbformat 4.5 ``id``, its source, and where that source lies in the file's text."""

    number: int
    id: str | None
    kind: str
    source: str
    where: _Source | None


@dataclass(frozen=True)
class Notebook:
    """A notebook's text (without a BOM) and its cells. ``language`` is the kernel's language
    when the metadata names one."""

    text: str
    bom: bool
    cells: tuple[Cell, ...]
    language: str | None

    @property
    def is_python(self) -> bool:
        return self.language is None or self.language.lower() in ("python", "python3", "ipython")


def _position(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column (code points) of ``offset`` in ``text``."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _source_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return "".join(value)
    return None


def load(data: bytes) -> Notebook:
    """The notebook in ``data``; raises :class:`NotebookError` when it is not one fixer reads."""
    bom = data.startswith(codecs.BOM_UTF8)
    try:
        text = data[len(codecs.BOM_UTF8) if bom else 0 :].decode("utf-8")
    except UnicodeDecodeError as error:
        message = f"not a notebook: not UTF-8 ({error.reason} at byte {error.start})"
        raise NotebookError(message) from None
    try:
        content = json.loads(text)
    except json.JSONDecodeError as error:
        message = f"not a notebook: invalid JSON: {error.msg}"
        raise NotebookError(message, error.lineno, error.colno) from None
    except RecursionError:
        raise NotebookError("not a notebook: JSON nested too deeply") from None
    if not isinstance(content, dict):
        raise NotebookError("not a notebook: the JSON is not an object")
    version = content.get("nbformat")
    if "worksheets" in content or (isinstance(version, int) and version < 4):
        raise NotebookError(
            f"nbformat {version} notebook: fixer reads nbformat 4 (convert it with "
            "`jupyter nbconvert --to notebook --nbformat 4`)"
        )
    cells = content.get("cells")
    if version != 4 or not isinstance(cells, list):
        raise NotebookError(
            "not a notebook: no `nbformat: 4` and `cells` list at the top of the JSON"
        )
    locator = _Locator(text)
    try:
        locator.notebook()
    except (ValueError, IndexError, RecursionError):
        raise NotebookError("not a notebook: cannot locate the cells in the JSON") from None
    if len(locator.sources) != len(cells):
        raise NotebookError("not a notebook: duplicate `cells` keys")
    found: list[Cell] = []
    for index, (cell, where) in enumerate(zip(cells, locator.sources)):
        source = _source_text(cell.get("source")) if isinstance(cell, dict) else None
        if source is None or where is None:
            raise NotebookError(f"not a notebook: cell {index + 1} has no `source` text")
        kind = cell.get("cell_type")
        cell_id = cell.get("id")
        found.append(
            Cell(
                index + 1,
                cell_id if isinstance(cell_id, str) else None,
                kind if isinstance(kind, str) else "",
                source,
                where,
            )
        )
    return Notebook(text, bom, tuple(found), _language(content.get("metadata")))


def _language(metadata: Any) -> str | None:
    if not isinstance(metadata, dict):
        return None
    for key, field_name in (("kernelspec", "language"), ("language_info", "name")):
        table = metadata.get(key)
        if isinstance(table, dict) and isinstance(table.get(field_name), str):
            return str(table[field_name])
    return None


# --------------------------------------------------------------------------- one module


@dataclass(frozen=True)
class _Part:
    """A code cell in the joined module: its lines are ``first`` .. ``first + lines - 1``."""

    cell: Cell
    masked: _Masked
    first: int
    lines: int

    @property
    def text(self) -> str:
        text = self.masked.text
        return text if not text or text.endswith("\n") else text + "\n"


@dataclass(frozen=True)
class Module:
    """The code cells joined into one Python module, and how its lines map back."""

    text: str
    parts: tuple[_Part, ...]

    def part_at(self, line: int, column: int = 0) -> _Part | None:
        """The cell holding (line, column) of the module: a cell's lines, or the start of the
        separator after it (the end of that cell's last line)."""
        for part in self.parts:
            if part.first <= line < part.first + part.lines:
                return part
            if line == part.first + part.lines and column <= 1:
                return part
        return None


def join(notebook: Notebook) -> Module:
    """The notebook's Python code cells in order, as one module."""
    counter = iter(range(1_000_000_000))
    parts: list[_Part] = []
    chunks: list[str] = []
    line = 1
    for cell in notebook.cells:
        if cell.kind != "code" or not cell.source.strip():
            continue
        masked = _mask(cell.source, counter)
        if masked is None:
            continue
        if parts:
            chunks.append(SEPARATOR)
            line += 1
        part = _Part(cell, masked, line, 0)
        part = replace(part, lines=part.text.count("\n"))
        parts.append(part)
        chunks.append(part.text)
        line += part.lines
    return Module("".join(chunks), tuple(parts))


# --------------------------------------------------------------------------- checking


@dataclass(frozen=True)
class NotebookCheck:
    """What :func:`check` found: the findings (cell-relative), the notebook's new bytes
    (``data`` itself when nothing changes), and whether the engine ran at all."""

    diagnostics: tuple[Diagnostic, ...]
    suppressed: tuple[Diagnostic, ...] = ()
    fixed: bytes = b""
    parsed: bool = True
    skipped: str | None = None  # why the notebook was left alone without an error


def _error(path: str, message: str, line: int = 1, column: int = 1) -> Diagnostic:
    return Diagnostic(
        path, line, column, SYNTAX_ERROR_CODE, message, Applicability.NONE, is_error=True
    )


def check(
    data: bytes,
    path: str,
    *,
    skip: Callable[[bytes], bool] | None = None,
    **engine: Any,
) -> NotebookCheck:
    """Find and fix in the notebook ``data`` (the file ``path``). ``skip`` is asked whether the
    joined code may be ruled out unparsed (the pre-filter); ``engine`` goes to ``fix_source``."""
    try:
        notebook = load(data)
    except NotebookError as error:
        return NotebookCheck((_error(path, error.message, error.line, error.column),), fixed=data)
    if not notebook.is_python:
        reason = f"not a Python notebook (kernel language `{notebook.language}`)"
        return NotebookCheck((), fixed=data, parsed=False, skipped=reason)
    module = join(notebook)
    if not module.parts or (skip is not None and skip(module.text.encode("utf-8", "replace"))):
        return NotebookCheck((), fixed=data, parsed=False)
    from fixer.engine import fix_source  # LibCST is imported here, and only when needed

    engine["with_edits"] = True  # fixes are made cell by cell, from their edits
    result = fix_source(module.text, path, **engine)
    mapper = _Mapper(notebook, module)
    diagnostics = tuple(mapper.diagnostic(d) for d in result.diagnostics)
    suppressed = tuple(mapper.diagnostic(d) for d in result.suppressed)
    if result.errors:
        return NotebookCheck(diagnostics, suppressed, data)
    fixed = mapper.fixed_notebook(data)
    if mapper.failed:
        diagnostics = tuple(_unfixed(d, mapper.failed) for d in diagnostics)
    return NotebookCheck(diagnostics, suppressed, fixed)


def _unfixed(d: Diagnostic, failed: set[int]) -> Diagnostic:
    """A finding whose fix was to be made in a cell that could not take it (the edits would
    move or split an IPython line): not fixable, saying why."""
    if d.fix is None or not d.fix.applied or not d.fix.edits or d.fix.edits[0].cell not in failed:
        return d
    message = (
        f"{d.message}; not fixed in this notebook: the fix would move IPython syntax "
        f"(a magic, shell or help line) in cell {d.fix.edits[0].cell}; move it by hand"
    )
    return replace(d, message=message, fix=None, applicability=Applicability.NONE)


class _Mapper:
    """Module positions to cell positions, fixes to cells, and the edited cells back to JSON."""

    def __init__(self, notebook: Notebook, module: Module) -> None:
        self.notebook = notebook
        self.module = module
        self.edits: dict[int, dict[int, tuple[TextEdit, ...]]] = {}  # fix id -> cell -> edits
        self.failed: set[int] = set()  # cells whose edits could not be made

    def _local(self, part: _Part, line: int, column: int) -> tuple[int, int]:
        return line - part.first + 1, column

    def diagnostic(self, d: Diagnostic) -> Diagnostic:
        part = self.module.part_at(d.line, d.column)
        if part is None:  # a separator line: the cell before it
            part = next(p for p in reversed(self.module.parts) if p.first <= d.line)
            line, column = part.lines or 1, 1
        else:
            line, column = self._local(part, d.line, d.column)
        end_line, end_column = line, column
        if d.end_line:
            end_line = d.end_line - part.first + 1
            end_column = d.end_column
        message = self._relabel(d.message, part)
        fix = d.fix
        applicability = d.applicability
        if fix is not None and fix.edits:
            moved = self._fix(fix)
            if moved is None:
                cells = sorted({p.cell.number for p in self._parts_of(fix.edits)})
                if len(cells) > 1:
                    where = "cells " + " and ".join(str(n) for n in cells)
                    what = f"would edit {where} together"
                else:
                    what = f"would reach outside cell {part.cell.number}"
                message += (
                    f"; not fixed in this notebook: the fix {what}, and fixer never moves "
                    "code between cells; move it by hand"
                )
                fix, applicability = None, Applicability.NONE
            else:
                fix = moved
        ref = self.cell_ref(part.cell, (line, column), (end_line, end_column))
        return replace(
            d,
            line=line,
            column=column,
            end_line=end_line if d.end_line else 0,
            end_column=end_column if d.end_line else 0,
            message=message,
            fix=fix,
            applicability=applicability,
            cell=ref,
            fixed_with=None,
        )

    def _relabel(self, message: str, own: _Part) -> str:
        def local(match: re.Match[str]) -> str:
            part = self.module.part_at(int(match.group(1)))
            if part is None:
                return match.group(0)
            line = int(match.group(1)) - part.first + 1
            if part is own:
                return f"line {line}"
            return f"line {line} of cell {part.cell.number}"

        return _LINE_REFERENCE.sub(local, message)

    def _parts_of(self, edits: Iterable[TextEdit]) -> list[_Part]:
        found: list[_Part] = []
        for edit in edits:
            for line, column in (
                (edit.start_line, edit.start_column),
                (edit.end_line, edit.end_column),
            ):
                part = self.module.part_at(line, column)
                if part is not None and part not in found:
                    found.append(part)
        return found

    def _fix(self, fix: Fix) -> Fix | None:
        """The fix in cell coordinates, or None when its edits do not lie in one cell."""
        parts = self._parts_of(fix.edits)
        if len(parts) != 1:
            return None
        part = parts[0]
        for edit in fix.edits:
            if (
                self.module.part_at(edit.start_line, edit.start_column) is not part
                or self.module.part_at(edit.end_line, edit.end_column) is not part
            ):
                return None
        local = tuple(
            replace(
                edit,
                start_line=edit.start_line - part.first + 1,
                end_line=edit.end_line - part.first + 1,
                cell=part.cell.number,
            )
            for edit in fix.edits
        )
        if fix.applied:
            self.edits.setdefault(fix.id, {})[part.cell.number] = local
        return replace(fix, edits=local)

    # ----------------------------------------------------------------- positions in the file

    def cell_ref(self, cell: Cell, start: tuple[int, int], end: tuple[int, int]) -> CellRef:
        file_start = self.file_position(cell, *start)
        file_end = self.file_position(cell, *end)
        return CellRef(cell.number, cell.id, *file_start, *file_end)

    def file_position(self, cell: Cell, line: int, column: int) -> tuple[int, int]:
        """Where (line, column) of a cell's source lies in the notebook's text: in the JSON
        string that holds that character."""
        text = self.notebook.text
        assert cell.where is not None
        lines = _split(cell.source)
        offset = sum(len(item) for item in lines[: line - 1]) + column - 1
        literals = cell.where.items
        if literals is None:
            literals = (cell.where.value,)
            pieces = [cell.source]
        else:
            pieces = [json.loads(text[s.start : s.end]) for s in literals]
        for literal, piece in zip(literals, pieces):
            if offset < len(piece) or literal is literals[-1]:
                return _position(text, _raw_offset(text, literal, min(offset, len(piece))))
            offset -= len(piece)
        return _position(text, cell.where.value.start)

    # ----------------------------------------------------------------- writing

    def fixed_notebook(self, data: bytes) -> bytes:
        """``data`` with the applied fixes made, each edited cell's ``source`` replaced."""
        per_cell: dict[int, list[TextEdit]] = {}
        for cells in self.edits.values():
            for number, cell_edits in cells.items():
                per_cell.setdefault(number, []).extend(cell_edits)
        if not per_cell:
            return data
        from fixer.edits import apply_edits

        text = self.notebook.text
        replacements: list[tuple[_Span, str]] = []
        for part in self.module.parts:
            wanted = per_cell.get(part.cell.number)
            if not wanted:
                continue
            try:
                new_masked = apply_edits(part.text, wanted)
            except ValueError:
                new_masked = ""
            new = _unmask(new_masked, part.masked) if new_masked else None
            if new is None or not _parses(new_masked):
                self.failed.add(part.cell.number)
                continue
            if not part.cell.source.endswith("\n") and new.endswith("\n"):
                new = new[:-1]
            if new != part.cell.source:
                assert part.cell.where is not None
                replacements.append((part.cell.where.value, _serialise(text, part.cell.where, new)))
        if not replacements:
            return data
        out: list[str] = []
        position = 0
        for span, value in sorted(replacements, key=lambda pair: pair[0].start):
            out.append(text[position : span.start])
            out.append(value)
            position = span.end
        out.append(text[position:])
        return (codecs.BOM_UTF8 if self.notebook.bom else b"") + "".join(out).encode("utf-8")


def _parses(text: str) -> bool:
    return parse_quietly(text) is not None


def _raw_offset(text: str, literal: _Span, decoded: int) -> int:
    """The offset in ``text`` of the ``decoded``-th character of the JSON string at ``literal``."""
    i = literal.start + 1
    while decoded > 0 and i < literal.end - 1:
        if text[i] == "\\":
            if text[i + 1] == "u":
                high = int(text[i + 2 : i + 6], 16)
                i += 12 if 0xD800 <= high < 0xDC00 and text[i + 6 : i + 8] == "\\u" else 6
            else:
                i += 2
        else:
            i += 1
        decoded -= 1
    return i


def _ensure_ascii(text: str) -> bool:
    """Whether the notebook writes non-ASCII characters as ``\\uXXXX`` escapes (nbformat does
    not; some tools do)."""
    if any(ord(char) > 127 for char in text):
        return False
    return _NON_ASCII_ESCAPE.search(text) is not None


def _line_indent(text: str, offset: int) -> str:
    start = text.rfind("\n", 0, offset) + 1
    line = text[start:offset]
    return line[: len(line) - len(line.lstrip(" \t"))]


def _indent_unit(text: str) -> str:
    match = re.search(r"\n([ \t]+)\S", text)
    return match.group(1) if match else " "


def _serialise(text: str, where: _Source, source: str) -> str:
    """A cell's new ``source`` value in the style of the old one: a list of lines (reusing the
    old string literals of unchanged lines and the old separators) or one string."""
    ascii_only = _ensure_ascii(text)

    def literal(value: str) -> str:
        return json.dumps(value, ensure_ascii=ascii_only)

    if where.items is None:
        return literal(source)
    old: dict[str, str] = {}
    for span in where.items:
        old.setdefault(json.loads(text[span.start : span.end]), text[span.start : span.end])
    lines = source.splitlines(keepends=True)  # as nbformat splits
    if not lines:
        return "[]"
    items = where.items
    if items:
        opening = text[where.value.start + 1 : items[0].start]
        closing = text[items[-1].end : where.value.end - 1]
        between = text[items[0].end : items[1].start] if len(items) > 1 else "," + opening
    else:
        key = _line_indent(text, where.value.start)
        unit = _indent_unit(text)
        opening, between, closing = f"\n{key}{unit}", f",\n{key}{unit}", f"\n{key}"
    body = between.join(old.get(line) or literal(line) for line in lines)
    return f"[{opening}{body}{closing}]"


# --------------------------------------------------------------------------- diffs


def cell_diff(before: bytes, after: bytes, path: str) -> bytes:
    """A unified diff of each cell whose source differs, headed ``a/PATH:cell N``: for a reader
    (``git apply`` takes diffs of the JSON, not of cells)."""
    old, new = load(before), load(after)
    out: list[str] = []
    for first, second in zip(old.cells, new.cells):
        if first.source == second.source:
            continue
        lines = difflib.unified_diff(
            _diff_lines(first.source),
            _diff_lines(second.source),
            fromfile=f"a/{path}:cell {first.number}",
            tofile=f"b/{path}:cell {second.number}",
        )
        out.extend(line if line.endswith("\n") else line + "\n" for line in lines)
    return "".join(out).encode("utf-8")


def _diff_lines(source: str) -> list[str]:
    lines = _split(source)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"  # a cell's last line has no newline, as Jupyter writes it
    return lines
