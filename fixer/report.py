"""Renderers: unified diffs, JSON and the human summary line. Pure functions returning text or
bytes."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fixer.findings import Applicability, Diagnostic

_NO_NEWLINE = b"\\ No newline at end of file\n"


def unified_diff(before: bytes, after: bytes, path: str) -> bytes:
    """A ``git apply``-able diff of one file, computed on bytes so encodings and CRLF survive."""
    lines = difflib.diff_bytes(
        difflib.unified_diff,
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"a/{path}".encode(),
        tofile=f"b/{path}".encode(),
        lineterm=b"\n",
    )
    out = bytearray()
    for line in lines:
        if line.startswith((b"---", b"+++", b"@@")):
            out += line if line.endswith(b"\n") else line + b"\n"
        elif line.endswith((b"\n", b"\r")):
            out += line
        else:
            out += line + b"\n" + _NO_NEWLINE
    return bytes(out)


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def summary(
    *,
    files: int,
    findings: int,
    fixable: int,
    errors: int,
    changed_files: int,
    mode: str,
    unsafe: int = 0,
    unsafe_applied: bool = False,
    generated: int = 0,
) -> str:
    """One line for stderr saying what the run found and did."""
    parts: list[str] = [f"checked {plural(files, 'file')}"]
    if generated:
        parts[0] += f" (skipped {generated} marked @generated)"
    if mode == "write":
        fixed = fixable + (unsafe if unsafe_applied else 0)
        parts.append(f"fixed {plural(fixed, 'finding')} in {plural(changed_files, 'file')}")
        left = findings - fixed
        parts.append(f"{plural(left, 'finding')} left to fix by hand")
    elif mode in ("diff", "check"):
        parts.append(f"{plural(changed_files, 'file')} would change")
        parts.append(f"{plural(findings, 'finding')} ({fixable} fixable)")
    else:
        parts.append(f"{plural(findings, 'finding')} ({fixable} fixable)")
    if errors:
        parts.append(plural(errors, "error"))
    text = ", ".join(parts)
    if unsafe and not unsafe_applied:
        held = "unsafe fix" if unsafe == 1 else "unsafe fixes"
        text += f"; {unsafe} {held} held back (add --unsafe-fixes to apply, and review them)"
    if mode == "report" and fixable:
        text += "; run `fixer --diff` to review the fixes or `fixer --write` to apply them"
    return text


# --------------------------------------------------------------------------- JSON
#
# One record per file: ``{"path", "findings", "errors", "changed"}``. ``--format json-lines``
# prints each record on its own line, so the outputs of ``--shard 1/N`` ... ``--shard N/N``
# concatenated (``cat``) hold exactly the lines of the unsharded run. ``--format json`` prints
# one document: the checked files, every finding, every error and the summary counts.

_APPLICABILITY = {
    Applicability.SAFE: "safe",
    Applicability.UNSAFE: "unsafe",
    Applicability.NONE: "none",
}


def _position(diagnostic: Diagnostic) -> dict[str, Any]:
    return {
        "path": diagnostic.path,
        "line": diagnostic.line,
        "column": diagnostic.column,
        "code": diagnostic.code,
        "message": diagnostic.message,
    }


def file_record(
    path: str,
    diagnostics: Sequence[Diagnostic] = (),
    *,
    changed: bool = False,
    error: str | None = None,
) -> dict[str, Any]:
    """The JSON record of one file: its findings, its errors (``error``: one without a position,
    such as an unreadable file), and whether its text changes (or changed, with ``--write``).

    ``fixable`` is true for a safe fix; ``applicability`` says ``safe``, ``unsafe`` (applied only
    with ``--unsafe-fixes``) or ``none``.
    """
    errors = [_position(d) for d in diagnostics if d.is_error]
    if error is not None:
        errors.append({"path": path, "line": None, "column": None, "code": None, "message": error})
    findings = [
        {
            **_position(d),
            "applicability": _APPLICABILITY[d.applicability],
            "fixable": d.applicability is Applicability.SAFE,
        }
        for d in diagnostics
        if not d.is_error
    ]
    return {"path": path, "findings": findings, "errors": errors, "changed": changed}


def json_line(record: Mapping[str, Any]) -> str:
    """A record as one line of JSON Lines."""
    import json

    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


def json_document(
    records: Iterable[Mapping[str, Any]], files: Sequence[str], counts: Mapping[str, int]
) -> str:
    """The whole run as one JSON document: ``files`` (the paths checked), ``findings``,
    ``errors`` and ``summary`` (the counts of the summary line)."""
    findings: list[Any] = []
    errors: list[Any] = []
    for record in records:
        findings.extend(record["findings"])
        errors.extend(record["errors"])
    document = {
        "files": list(files),
        "findings": findings,
        "errors": errors,
        "summary": dict(counts),
    }
    import json

    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
