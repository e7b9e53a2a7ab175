"""Which lines of a pull request may carry a review comment.

GitHub accepts a comment on the right side only on a line that one hunk of the pull request's
diff shows (added or context), and a multi-line comment only when its first and last lines lie
in the same hunk; anything else is refused with 422. The hunks come from the ``patch`` of each
file that ``GET /pulls/{number}/files`` lists (a file without one, binary or too large, has none).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

_HEADER = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


@dataclass(frozen=True)
class Hunk:
    """The right-side lines one hunk shows, ``first`` to ``last`` inclusive."""

    first: int
    last: int

    def __contains__(self, line: object) -> bool:
        return isinstance(line, int) and self.first <= line <= self.last


def parse_patch(patch: str) -> list[Hunk]:
    """The hunks of one file's patch, as GitHub gives it (hunks only, no file headers)."""
    hunks: list[Hunk] = []
    line = first = 0
    open_hunk = False
    for text in patch.split("\n"):
        header = _HEADER.match(text)
        if header:
            if open_hunk and line > first:
                hunks.append(Hunk(first, line - 1))
            line = first = int(header.group(1))
            open_hunk = True
        elif open_hunk and text[:1] in (" ", "+"):
            line += 1
    if open_hunk and line > first:
        hunks.append(Hunk(first, line - 1))
    return hunks


class DiffMap:
    """The hunks of every file of a pull request, by path."""

    def __init__(self, hunks: Mapping[str, Iterable[Hunk]]) -> None:
        self._hunks = {path: tuple(found) for path, found in hunks.items()}

    def __contains__(self, path: object) -> bool:
        return path in self._hunks

    def hunk(self, path: str, line: int) -> Hunk | None:
        """The hunk that shows ``line`` of ``path``, if any."""
        return next((h for h in self._hunks.get(path, ()) if line in h), None)

    def one_hunk(self, path: str, first: int, last: int) -> bool:
        """Whether lines ``first`` to ``last`` all lie in one hunk."""
        hunk = self.hunk(path, first)
        return hunk is not None and last in hunk
