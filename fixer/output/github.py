"""``--format github``: GitHub Actions workflow commands, which the runner turns into annotations
on the pull request's diff::

    ::error file=src/train.py,line=5,col=17,endLine=5,endColumn=60,title=TFO001 ...::message

In a notebook the position is in the ``.ipynb`` file's text (where the pull request's diff shows
the cell's line) and the message starts with ``cell N, line L, column C:``.

``error`` for the kinds that make TensorFlow fail and for files that were not checked (a syntax
error, fixer's own failure, a file that could not be read); ``warning`` for the silent training
bugs and unused suppression comments. Suppressed findings are not annotated.

Values are escaped as the runner unescapes them (``escapeData`` and ``escapeProperty`` of
``@actions/core``), so a file name or message can never end the line or start a second command.
"""

from __future__ import annotations

from fixer.findings import Diagnostic
from fixer.output.records import FileReport, RunInfo


def escape_data(text: str) -> str:
    """A command's message: ``%``, CR and LF escaped (``%`` first)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property's value: as data, and also ``:`` and ``,``, which end a value."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, properties: dict[str, str | int], message: str) -> str:
    """One workflow command line (with its newline)."""
    fields = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items())
    return f"::{name} {fields}::{escape_data(message)}\n"


def annotation(path: str, diagnostic: Diagnostic) -> str:
    """The workflow command of one finding in force, or of one error finding."""
    d = diagnostic
    properties: dict[str, str | int] = {"file": path}
    where = ""
    if d.cell is not None:  # a notebook: annotate the line of the .ipynb file's text
        cell = d.cell
        properties |= {
            "line": cell.file_line,
            "col": cell.file_column,
            "endLine": cell.file_end_line,
            "endColumn": cell.file_end_column,
        }
        where = f"cell {cell.number}, line {d.line}, column {d.column}: "
    elif d.line >= 1:
        properties |= {
            "line": d.line,
            "col": d.column,
            "endLine": d.end_line or d.line,
            "endColumn": d.end_column or d.column,
        }
    properties["title"] = f"{d.code} {d.rule.name}"
    if d.is_error:
        return command("error", properties, where + d.message)
    message = f"{where}[{d.applicability.value}] {d.message}"
    return command("error" if d.is_crash else "warning", properties, message)


def file_annotations(report: FileReport) -> str:
    """The workflow commands of one file."""
    lines = []
    if report.error is not None:
        lines.append(command("error", {"file": report.path, "title": "read error"}, report.error))
    lines.extend(annotation(report.path, d) for d in report.diagnostics)
    return "".join(lines)


class GithubEmitter:
    """One workflow command a finding, written as each file is done."""

    def file(self, report: FileReport) -> str:
        return file_annotations(report)

    def finish(self, run: RunInfo) -> str:
        return ""
