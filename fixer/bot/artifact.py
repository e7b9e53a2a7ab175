"""The results artifact: what ``fixer bot analyze`` leaves for ``fixer bot publish``.

The analyze job runs on the pull request's code with a read-only token, so whatever it uploads
is untrusted by the job that reads it: ``read`` caps its size and every string, checks every
type, and keeps only what the review needs. Deciding whether the paths belong to the pull
request and whether the head is current is the publisher's part, against the API.

``fixer-bot.json`` (version 1)::

    {"version": 1, "head_sha": "<40 hex>", "exit_status": 0 | 1 | 2,
     "findings": [{"path", "line", "end_line", "code", "name", "message", "applicability",
                   "fixable", "fingerprint", "fix": null | {"id", "applicability", "applied"}}],
     "fixes": [{"path", "id", "applicability", "applied", "first_line", "last_line",
                "replacement": "<text of the new lines>" | null, "diff": "<unified diff>"}],
     "patch": "<the diff of the safe fixes>", "counts": {"TFO001": 2}}
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fixer.bot.markdown import FINGERPRINT

NAME = "fixer-bot.json"
VERSION = 1
MAX_BYTES = 4 * 1024 * 1024
MAX_FINDINGS = 500
MAX_TEXT = 64 * 1024  # a replacement or a fix's diff
MAX_PATCH = 1024 * 1024
MAX_MESSAGE = 2000
MAX_PATH = 1024
_SHA = re.compile(r"[0-9a-f]{40}")
_CODE = re.compile(r"TFO\d{3}")
_NAME = re.compile(r"[a-z0-9-]{1,80}")
_APPLICABILITY = ("safe", "unsafe", "none")


class ArtifactError(Exception):
    """The artifact is refused; the message says why, in one line."""


@dataclass(frozen=True)
class FixRef:
    id: int
    applicability: str
    applied: bool


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    end_line: int
    code: str
    name: str
    message: str
    applicability: str
    fixable: bool
    fingerprint: str
    fix: FixRef | None


@dataclass(frozen=True)
class Fix:
    """One fix as whole lines: ``first_line`` to ``last_line`` of the head become
    ``replacement`` (``None`` when the lines cannot be named, e.g. an insertion at the end)."""

    path: str
    id: int
    applicability: str
    applied: bool
    first_line: int
    last_line: int
    replacement: str | None
    diff: str


@dataclass(frozen=True)
class Results:
    head_sha: str
    exit_status: int
    findings: tuple[Finding, ...]
    fixes: Mapping[tuple[str, int], Fix]
    patch: str
    counts: Mapping[str, int]

    @property
    def paths(self) -> set[str]:
        """Every path the artifact names: findings, fixes and the patch's files."""
        named = {f.path for f in self.findings} | {f.path for f in self.fixes.values()}
        return named | patch_paths(self.patch)


def patch_paths(patch: str) -> set[str]:
    """The files a unified diff changes (its ``+++ b/`` and ``--- a/`` lines)."""
    found = set()
    for line in patch.split("\n"):
        if line.startswith(("+++ b/", "--- a/")):
            found.add(line[6:])
    return found


def _field(record: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    value = record.get(key)
    if kind is int and isinstance(value, bool):
        raise ArtifactError(f"{where}: `{key}` is not an integer")
    if not isinstance(value, kind):
        raise ArtifactError(f"{where}: `{key}` is not a {kind.__name__}")
    return value


def _text(record: Mapping[str, Any], key: str, where: str, limit: int) -> str:
    value: str = _field(record, key, str, where)
    if len(value) > limit:
        raise ArtifactError(f"{where}: `{key}` is longer than {limit} characters")
    return value


def _match(record: Mapping[str, Any], key: str, pattern: re.Pattern[str], where: str) -> str:
    value = _text(record, key, where, 100)
    if not pattern.fullmatch(value):
        raise ArtifactError(f"{where}: `{key}` is not valid")
    return value


def _path(record: Mapping[str, Any], where: str) -> str:
    path = _text(record, "path", where, MAX_PATH)
    parts = path.split("/")
    if not path or path.startswith("/") or "\\" in path or ".." in parts or "\0" in path:
        raise ArtifactError(f"{where}: `path` is not a relative path inside the repository")
    return path


def _line(record: Mapping[str, Any], key: str, where: str) -> int:
    value: int = _field(record, key, int, where)
    if not 0 <= value <= 10_000_000:
        raise ArtifactError(f"{where}: `{key}` is out of range")
    return value


def _applicability(record: Mapping[str, Any], where: str) -> str:
    value = _text(record, "applicability", where, 10)
    if value not in _APPLICABILITY:
        raise ArtifactError(f"{where}: `applicability` is not one of {_APPLICABILITY}")
    return value


def _finding(record: Any, index: int) -> Finding:
    where = f"findings[{index}]"
    if not isinstance(record, dict):
        raise ArtifactError(f"{where} is not an object")
    fix = record.get("fix")
    fix_ref = None
    if fix is not None:
        if not isinstance(fix, dict):
            raise ArtifactError(f"{where}: `fix` is not an object")
        fix_ref = FixRef(
            _line(fix, "id", f"{where}.fix"),
            _applicability(fix, f"{where}.fix"),
            _field(fix, "applied", bool, f"{where}.fix"),
        )
    return Finding(
        path=_path(record, where),
        line=_line(record, "line", where),
        end_line=_line(record, "end_line", where),
        code=_match(record, "code", _CODE, where),
        name=_match(record, "name", _NAME, where),
        message=_text(record, "message", where, MAX_MESSAGE),
        applicability=_applicability(record, where),
        fixable=_field(record, "fixable", bool, where),
        fingerprint=_match(record, "fingerprint", FINGERPRINT, where),
        fix=fix_ref,
    )


def _fix(record: Any, index: int) -> Fix:
    where = f"fixes[{index}]"
    if not isinstance(record, dict):
        raise ArtifactError(f"{where} is not an object")
    replacement = record.get("replacement")
    if replacement is not None:
        replacement = _text(record, "replacement", where, MAX_TEXT)
    first, last = _line(record, "first_line", where), _line(record, "last_line", where)
    if last < first:
        raise ArtifactError(f"{where}: `last_line` is before `first_line`")
    return Fix(
        path=_path(record, where),
        id=_line(record, "id", where),
        applicability=_applicability(record, where),
        applied=_field(record, "applied", bool, where),
        first_line=first,
        last_line=last,
        replacement=replacement,
        diff=_text(record, "diff", where, MAX_TEXT),
    )


def parse(data: bytes) -> Results:
    """The artifact's content, checked; an ``ArtifactError`` says what is wrong."""
    if len(data) > MAX_BYTES:
        raise ArtifactError(f"{NAME} is larger than {MAX_BYTES} bytes")
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise ArtifactError(f"{NAME} is not JSON: {error}") from None
    except RecursionError:
        raise ArtifactError(f"{NAME} is nested too deeply") from None
    if not isinstance(document, dict) or document.get("version") != VERSION:
        raise ArtifactError(f"{NAME} is not a version {VERSION} results document")
    head_sha = _match(document, "head_sha", _SHA, NAME)
    exit_status = _line(document, "exit_status", NAME)
    if exit_status not in (0, 1, 2):
        raise ArtifactError(f"{NAME}: `exit_status` is not 0, 1 or 2")
    raw_findings = _field(document, "findings", list, NAME)
    raw_fixes = _field(document, "fixes", list, NAME)
    if len(raw_findings) > MAX_FINDINGS or len(raw_fixes) > MAX_FINDINGS:
        raise ArtifactError(f"{NAME} holds more than {MAX_FINDINGS} findings or fixes")
    findings = tuple(_finding(record, i) for i, record in enumerate(raw_findings))
    fixes = {}
    for i, record in enumerate(raw_fixes):
        fix = _fix(record, i)
        fixes[fix.path, fix.id] = fix
    counts_raw = _field(document, "counts", dict, NAME)
    counts = {}
    for code, count in counts_raw.items():
        if not _CODE.fullmatch(str(code)) or not isinstance(count, int) or isinstance(count, bool):
            raise ArtifactError(f"{NAME}: `counts` is not a map of codes to integers")
        counts[str(code)] = count
    patch = _text(document, "patch", NAME, MAX_PATCH)
    return Results(head_sha, exit_status, findings, fixes, patch, counts)


def read(folder: Path) -> Results:
    """Reads ``fixer-bot.json`` from the downloaded artifact, never more than the cap."""
    path = folder / NAME
    if path.is_symlink() or not path.is_file():
        raise ArtifactError(f"{NAME} is missing from the artifact (or is not a regular file)")
    with path.open("rb") as stream:
        data = stream.read(MAX_BYTES + 1)
    return parse(data)


def write(folder: Path, document: Mapping[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / NAME
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path
