"""Text edits: the difference between a file and its fixed version, and applying edits back.

Positions are 1-based lines and 1-based columns counted in code points of the decoded text.
Lines end at ``\\n`` only: a ``\\r`` before it is the last character of its line, and a form feed
or other Unicode line break inside a line is an ordinary character (as for Python's tokenizer).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

from fixer.findings import TextEdit


def _lines(text: str) -> list[str]:
    """``text`` split after each ``\\n``, keeping it (``str.splitlines`` splits on more)."""
    lines = text.split("\n")
    out = [line + "\n" for line in lines[:-1]]
    if lines[-1]:
        out.append(lines[-1])
    return out


def text_edits(before: str, after: str) -> tuple[TextEdit, ...]:
    """The minimal edits, one per changed region, that turn ``before`` into ``after``.

    Regions are found line by line, then trimmed to the characters that differ, without ever
    ending between a ``\\r`` and its ``\\n``.
    """
    if before == after:
        return ()
    old = _lines(before)
    new = _lines(after)
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    edits: list[TextEdit] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        removed = "".join(old[i1:i2])
        inserted = "".join(new[j1:j2])
        edits.append(_trimmed(removed, inserted, i1 + 1))
    return tuple(edits)


def _trimmed(removed: str, inserted: str, first_line: int) -> TextEdit:
    """The edit replacing ``removed`` (whole lines from ``first_line``) by ``inserted``, with the
    common prefix and suffix left out."""
    limit = min(len(removed), len(inserted))
    prefix = 0
    while prefix < limit and removed[prefix] == inserted[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and removed[-1 - suffix] == inserted[-1 - suffix]:
        suffix += 1
    # Never split a CRLF pair: a consumer that counts "\r\n" as one line break could not place it.
    while prefix and removed[prefix - 1] == "\r" and removed[prefix : prefix + 1] == "\n":
        prefix -= 1
    while (
        suffix
        and removed[len(removed) - suffix] == "\n"
        and removed[len(removed) - suffix - 1 : len(removed) - suffix] == "\r"
    ):
        suffix -= 1
    start = _advance(first_line, 1, removed[:prefix])
    end = _advance(first_line, 1, removed[: len(removed) - suffix])
    content = inserted[prefix : len(inserted) - suffix]
    return TextEdit(start[0], start[1], end[0], end[1], content)


def _advance(line: int, column: int, text: str) -> tuple[int, int]:
    """The position after ``text`` written from (line, column)."""
    breaks = text.count("\n")
    if not breaks:
        return line, column + len(text)
    return line + breaks, len(text) - text.rindex("\n")


def offsets(text: str) -> list[int]:
    """The offset in ``text`` at which each line starts (index 0 is line 1)."""
    starts = [0]
    index = text.find("\n")
    while index != -1:
        starts.append(index + 1)
        index = text.find("\n", index + 1)
    return starts


def apply_edits(text: str, edits: Iterable[TextEdit]) -> str:
    """``text`` with ``edits`` applied; they must not overlap (insertions at one point keep
    their order). Raises ValueError on overlapping edits or positions outside the text."""
    starts = offsets(text)

    def offset(line: int, column: int) -> int:
        if line == len(starts) + 1 and column == 1:  # just past a final newline
            return len(text)
        if not 1 <= line <= len(starts):
            raise ValueError(f"line {line} is outside the text ({len(starts)} lines)")
        end = starts[line] if line < len(starts) else len(text)
        position = starts[line - 1] + column - 1
        if not starts[line - 1] <= position <= end:
            raise ValueError(f"column {column} is outside line {line}")
        return position

    spans: list[tuple[int, int, int, str]] = []
    for order, edit in enumerate(edits):
        start = offset(edit.start_line, edit.start_column)
        end = offset(edit.end_line, edit.end_column)
        if end < start:
            raise ValueError(f"edit ends before it starts: {edit}")
        spans.append((start, end, order, edit.content))
    spans.sort()
    out: list[str] = []
    position = 0
    for start, end, _order, content in spans:
        if start < position:
            raise ValueError("edits overlap")
        out.append(text[position:start])
        out.append(content)
        position = end
    out.append(text[position:])
    return "".join(out)


def touching(first: Sequence[TextEdit], second: Sequence[TextEdit]) -> bool:
    """Whether any edit of ``first`` overlaps or touches (shares an end point with) any edit of
    ``second``: such fixes cannot be applied independently of each other."""
    for a in first:
        for b in second:
            a_start, a_end = (a.start_line, a.start_column), (a.end_line, a.end_column)
            b_start, b_end = (b.start_line, b.start_column), (b.end_line, b.end_column)
            if a_start <= b_end and b_start <= a_end:
                return True
    return False


def decode(data: bytes) -> str:
    """Source bytes as text, decoded as Python decodes a file (PEP 263; a BOM is dropped)."""
    import io
    import tokenize

    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    return data.decode(encoding)
