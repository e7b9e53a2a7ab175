"""Positions between fixer and an editor: fixer counts code points on lines that end at ``\\n``;
the Language Server Protocol counts code units of the negotiated encoding (UTF-16 unless the
client offers another) on lines that end at ``\\n``, ``\\r\\n`` or ``\\r``.

Both sides are mapped through offsets in the document's text, so the two ideas of a line never
meet. Pure: no LSP library is imported here.
"""

from __future__ import annotations

import bisect
import re

UTF8 = "utf-8"
UTF16 = "utf-16"
UTF32 = "utf-32"
ENCODINGS = (UTF8, UTF16, UTF32)

_LSP_BREAK = re.compile(r"\r\n|\r|\n")


def _units(text: str, encoding: str) -> int:
    if encoding == UTF32:
        return len(text)
    if encoding == UTF16:
        return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)
    return len(text.encode("utf-8", "surrogatepass"))


class PositionMap:
    """Positions in one text, in fixer's terms and in the client's."""

    def __init__(self, text: str, encoding: str = UTF16) -> None:
        if encoding not in ENCODINGS:
            raise ValueError(f"unknown position encoding {encoding!r}")
        self.text = text
        self.encoding = encoding
        self._fixer_starts = [0, *(m.end() for m in re.finditer("\n", text))]
        self._lsp_starts = [0, *(m.end() for m in _LSP_BREAK.finditer(text))]

    # ------------------------------------------------------------------ fixer's positions

    def offset(self, line: int, column: int) -> int:
        """The offset of fixer's 1-based (line, column); clamped to the text."""
        if line > len(self._fixer_starts):
            return len(self.text)
        start = self._fixer_starts[max(line, 1) - 1]
        return min(start + max(column, 1) - 1, len(self.text))

    # ------------------------------------------------------------------ the client's positions

    def lsp_position(self, offset: int) -> tuple[int, int]:
        """The 0-based (line, character) of ``offset`` in the negotiated encoding."""
        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self._lsp_starts, offset) - 1
        start = self._lsp_starts[line]
        if self.text[offset - 1 : offset + 1] == "\r\n" and offset > start:
            offset -= 1  # inside a CRLF pair: the end of its line
        return line, _units(self.text[start:offset], self.encoding)

    def lsp_offset(self, line: int, character: int) -> int:
        """The offset of an LSP position; a character past the line's end means its end, a line
        past the last the text's end (as the protocol asks)."""
        if line >= len(self._lsp_starts):
            return len(self.text)
        start = self._lsp_starts[max(line, 0)]
        end = self._lsp_starts[line + 1] if line + 1 < len(self._lsp_starts) else len(self.text)
        content = self.text[start:end]
        content = content[: len(content) - len(_trailing_break(content))]
        if self.encoding == UTF32:
            return start + min(max(character, 0), len(content))
        used = 0
        for index, char in enumerate(content):
            if used >= character:
                return start + index
            used += _units(char, self.encoding)
        return start + len(content)

    def lsp_line(self, offset: int) -> int:
        return self.lsp_position(offset)[0]

    def lsp_line_span(self, line: int) -> tuple[int, int]:
        """The offsets of the start and of the end (before its line break) of LSP ``line``."""
        start = self._lsp_starts[line]
        end = self._lsp_starts[line + 1] if line + 1 < len(self._lsp_starts) else len(self.text)
        content = self.text[start:end]
        return start, end - len(_trailing_break(content))


def _trailing_break(content: str) -> str:
    if content.endswith("\r\n"):
        return "\r\n"
    if content.endswith(("\n", "\r")):
        return content[-1]
    return ""
