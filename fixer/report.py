"""Unified diffs and the human summary line: pure functions returning bytes or text. The
findings' formats (text, JSON, SARIF, ...) are in ``fixer.output``."""

from __future__ import annotations

import difflib
import os

_NO_NEWLINE = b"\\ No newline at end of file\n"


def unified_diff(before: bytes, after: bytes, path: str) -> bytes:
    """A ``git apply``-able diff of one file, computed on bytes so encodings and CRLF survive."""
    lines = difflib.diff_bytes(
        difflib.unified_diff,
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=git_quoted(f"a/{path}"),
        tofile=git_quoted(f"b/{path}"),
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


_QUOTED = {0x07: b"\\a", 0x08: b"\\b", 0x09: b"\\t", 0x0A: b"\\n", 0x0B: b"\\v"}
_QUOTED.update({0x0C: b"\\f", 0x0D: b"\\r", 0x22: b'\\"', 0x5C: b"\\\\"})


def git_quoted(name: str) -> bytes:
    """A file name in a diff header as git writes it: as is when it is plain ASCII, otherwise
    in double quotes with C escapes and octal bytes (``"a/new\\nline.py"``), which ``git
    apply`` reads back. So a newline cannot split the header and an escape sequence cannot reach
    a terminal."""
    raw = os.fsencode(name)
    if all(0x20 <= byte < 0x7F and byte not in (0x22, 0x5C) for byte in raw):
        return raw
    out = bytearray(b'"')
    for byte in raw:
        if byte in _QUOTED:
            out += _QUOTED[byte]
        elif 0x20 <= byte < 0x7F:
            out.append(byte)
        else:
            out += b"\\%03o" % byte
    return bytes(out + b'"')


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
