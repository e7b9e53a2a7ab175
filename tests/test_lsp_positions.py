"""fixer's positions (code points, lines ending at ``\\n``) and the client's (code units of the
negotiated encoding, lines ending at ``\\n``, ``\\r\\n`` or ``\\r``)."""

from __future__ import annotations

import pytest

from fixer.lsp.positions import PositionMap

TEXT = 'a = "é😀"\r\nb = 1\rc = "\x0c"\nd'


@pytest.mark.parametrize(
    ("encoding", "after_emoji"),
    [("utf-8", 11), ("utf-16", 8), ("utf-32", 7)],
)
def test_columns_count_code_units_of_the_encoding(encoding: str, after_emoji: int) -> None:
    positions = PositionMap(TEXT, encoding)
    offset = TEXT.index('"\r\n')  # the closing quote, after the emoji
    assert positions.lsp_position(offset) == (0, after_emoji)
    assert positions.lsp_offset(0, after_emoji) == offset


def test_lines_break_where_the_protocol_breaks_them() -> None:
    positions = PositionMap(TEXT)
    # fixer: line 2 is "b = 1\rc = ..." (a bare CR is an ordinary character); LSP: two lines.
    b = TEXT.index("b")
    c = TEXT.index("c")
    assert positions.offset(2, 1) == b
    assert positions.offset(2, 7) == c
    assert positions.lsp_position(b) == (1, 0)
    assert positions.lsp_position(c) == (2, 0)
    # A form feed is not a line break for either.
    assert positions.lsp_position(TEXT.index("d")) == (3, 0)


def test_a_position_inside_a_crlf_pair_is_the_end_of_its_line() -> None:
    positions = PositionMap(TEXT)
    inside = TEXT.index("\r\n") + 1
    end = TEXT.index("\r\n")
    assert positions.lsp_position(inside) == positions.lsp_position(end) == (0, 9)


def test_positions_past_the_end_are_clamped() -> None:
    positions = PositionMap(TEXT)
    assert positions.lsp_offset(0, 999) == TEXT.index("\r\n")
    assert positions.lsp_offset(99, 0) == len(TEXT)
    assert positions.offset(99, 1) == len(TEXT)
    assert positions.lsp_position(len(TEXT)) == (3, 1)


def test_an_unknown_encoding_is_refused() -> None:
    with pytest.raises(ValueError, match="utf-7"):
        PositionMap(TEXT, "utf-7")
