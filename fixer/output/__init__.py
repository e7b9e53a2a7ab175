"""The output formats: one renderer per format, each over the same ``FileReport`` records.

``make_emitter(name)`` gives the ``Emitter`` of a format in ``FORMATS``; the command line writes
what its ``file`` returns after each file and what its ``finish`` returns at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from fixer.output.github import GithubEmitter
from fixer.output.gitlab import GitlabEmitter
from fixer.output.json_document import JsonDocumentEmitter
from fixer.output.json_lines import JsonLinesEmitter
from fixer.output.records import Emitter, FileReport, RunInfo
from fixer.output.sarif import SarifEmitter
from fixer.output.text import TextEmitter

__all__ = ["FORMATS", "Emitter", "FileReport", "Format", "RunInfo", "make_emitter"]


@dataclass(frozen=True)
class Format:
    """An output format: its ``--format`` name, a line of help, and how to make its emitter
    (given ``only_unfixed``, which only the text format uses)."""

    name: str
    help: str
    make: Callable[[bool], Emitter]
    streams: bool  # writes each file's part as it goes (else: one document at the end)


FORMATS: Mapping[str, Format] = {
    format_.name: format_
    for format_ in (
        Format(
            "text",
            "path:line:col: CODE [fixability] message, one finding a line",
            lambda only_unfixed: TextEmitter(only_unfixed=only_unfixed),
            streams=True,
        ),
        Format("json", "one JSON document", lambda _: JsonDocumentEmitter(), streams=False),
        Format(
            "json-lines",
            "one JSON record a file and line (shards concatenate)",
            lambda _: JsonLinesEmitter(),
            streams=True,
        ),
        Format(
            "sarif", "SARIF 2.1.0 (GitHub code scanning)", lambda _: SarifEmitter(), streams=False
        ),
        Format("github", "GitHub Actions annotations", lambda _: GithubEmitter(), streams=True),
        Format("gitlab", "GitLab Code Quality report", lambda _: GitlabEmitter(), streams=False),
    )
}


def make_emitter(name: str, *, only_unfixed: bool = False) -> Emitter:
    """A new emitter of the format ``name``. ``only_unfixed`` (``--write``, ``--diff``,
    ``--check``): the text format lists only the findings whose fix this run does not apply."""
    try:
        output_format = FORMATS[name]
    except KeyError:
        raise ValueError(f"unknown format {name!r}; choose one of {', '.join(FORMATS)}") from None
    return output_format.make(only_unfixed)
