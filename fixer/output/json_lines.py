"""``--format json-lines``: one JSON record a line, one per file, written as each file is done.

The records are those of ``fixer.output.json_document`` (whose docstring holds the schema). Each
depends on its file alone, so the outputs of ``--shard 1/N`` ... ``--shard N/N`` concatenated
hold exactly the lines of the unsharded run.
"""

from __future__ import annotations

from fixer.output.escaping import json_text
from fixer.output.json_document import file_record
from fixer.output.records import FileReport, RunInfo


class JsonLinesEmitter:
    """One compact line of JSON per file; nothing at the end."""

    def file(self, report: FileReport) -> str:
        return json_text(file_record(report), separators=(",", ":")) + "\n"

    def finish(self, run: RunInfo) -> str:
        return ""
