"""``fixer bot analyze``: the unprivileged half of the bot, run in the pull request's checkout.

It runs fixer over the files the pull request changed and leaves three things: annotations on
stdout (``--format github``), a job summary, and the results artifact for ``fixer bot publish``
(``fixer-bot.json``, ``fixer.sarif`` and ``fixer.patch``). Its exit status is fixer's own.

It reads nothing outside the checkout: a checkout holding a symbolic link that fixer would
follow out of it (a Python file, a notebook, a configuration or ignore file, or a folder) is
refused before fixer runs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from fixer.bot import artifact
from fixer.bot.checkout import CheckoutError, links_read_outside
from fixer.bot.markdown import code_block, code_span, inert
from fixer.edits import apply_edits, decode, offsets
from fixer.findings import TextEdit
from fixer.output.gitlab import Fingerprints
from fixer.report import unified_diff


@dataclass(frozen=True)
class Request:
    base: str  # the pull request's base commit
    head_sha: str | None  # the commit the checkout must be at
    output: Path  # the artifact's folder
    fixer_args: Sequence[str] = ()
    paths: Sequence[str] = (".",)


class AnalyzeError(Exception):
    """The analysis could not run; one line."""


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
    if done.returncode != 0:
        raise AnalyzeError(f"git {' '.join(args)}: {done.stderr.strip() or 'failed'}")
    return done.stdout.strip()


def _fixer(root: Path, args: Sequence[str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "fixer", *args], cwd=root, capture_output=True)


def _edits(fix: Mapping[str, Any]) -> list[TextEdit]:
    return [
        TextEdit(
            e["start"]["line"],
            e["start"]["column"],
            e["end"]["line"],
            e["end"]["column"],
            e["content"],
        )
        for e in fix["edits"]
    ]


def fix_lines(path: str, text: str, fix: Mapping[str, Any]) -> dict[str, Any]:
    """A fix as whole lines of ``text``: the first and last line it touches, their new text
    (``None`` when it touches no existing line, such as an insertion after the last one),
    and the diff of this fix alone."""
    edits = _edits(fix)
    fixed = apply_edits(text, edits)
    starts = offsets(text)
    count = len(starts) if not text.endswith("\n") else len(starts) - 1
    first = min(e.start_line for e in edits)
    last = max(
        e.end_line - 1 if e.end_column == 1 and e.end_line > e.start_line else e.end_line
        for e in edits
    )
    replacement: str | None = None
    if 1 <= first <= last <= count:
        begin = starts[first - 1]
        end = starts[last] if last < len(starts) else len(text)
        replacement = fixed[begin : end + len(fixed) - len(text)]
    diff = unified_diff(text.encode("utf-8"), fixed.encode("utf-8"), path).decode("utf-8")
    return {
        "path": path,
        "id": fix["id"],
        "applicability": fix["applicability"],
        "applied": fix["applied"],
        "first_line": max(1, min(first, count)),
        "last_line": max(1, min(max(last, first), count)),
        "replacement": replacement,
        "diff": diff,
    }


def results_document(
    root: Path, head_sha: str, report: Mapping[str, Any], patch: str, status: int
) -> dict[str, Any]:
    """The artifact's content from fixer's JSON report (paths relative to ``root``)."""
    fingerprints = Fingerprints()
    findings: list[dict[str, Any]] = []
    fixes: dict[tuple[str, int], dict[str, Any]] = {}
    texts: dict[str, str] = {}
    for finding in report["findings"]:
        if finding["suppressed"]:
            continue
        path = finding["path"]
        fix = finding["fix"]
        line, end_line = finding["line"], finding["end_line"]
        if "cell" in finding:
            # A notebook: the review points at the lines of the .ipynb text that hold the
            # finding; its fix is edits of a cell's source, which a suggestion on the file's
            # JSON cannot show, so it is left to --diff, --write and the autofix.
            line, end_line = finding["file_line"], finding["file_end_line"]
            fix = None
        findings.append(
            {
                "path": path,
                "line": line,
                "end_line": end_line,
                "code": finding["code"],
                "name": finding["name"],
                "message": finding["message"],
                "applicability": finding["applicability"],
                "fixable": finding["fixable"],
                "fingerprint": fingerprints(path, finding["code"], finding["message"]),
                "fix": None
                if fix is None
                else {k: fix[k] for k in ("id", "applicability", "applied")},
            }
        )
        if fix is not None and (path, fix["id"]) not in fixes:
            if path not in texts:
                texts[path] = decode((root / path).read_bytes())
            fixes[path, fix["id"]] = fix_lines(path, texts[path], fix)
    counts = Counter(f["code"] for f in findings)
    return {
        "version": artifact.VERSION,
        "head_sha": head_sha,
        "exit_status": status,
        "findings": findings,
        "fixes": list(fixes.values()),
        "patch": patch,
        "counts": dict(sorted(counts.items())),
    }


def summary_markdown(document: Mapping[str, Any]) -> str:
    """The job summary: the counts per code, the findings, and the safe fixes' diff folded."""
    counts: Mapping[str, int] = document["counts"]
    lines = ["## fixer", ""]
    if not counts:
        lines.append("No findings in the files this pull request changes.")
    else:
        lines += ["| code | findings |", "| --- | ---: |"]
        lines += [f"| {code} | {count} |" for code, count in counts.items()]
        lines.append("")
        for f in document["findings"][:100]:
            lines.append(f"- {code_span(f['path'])}:{f['line']}: {f['code']} {inert(f['message'])}")
    if document["patch"]:
        lines += ["", "<details><summary>The safe fixes, as a diff</summary>", ""]
        lines += [code_block(document["patch"], "diff"), "", "</details>"]
    return "\n".join(lines) + "\n"


def analyze(root: Path, request: Request, out: TextIO, summary: Path | None) -> int:
    """Runs fixer as the pull request's job does; returns fixer's exit status."""
    head = _git(root, "rev-parse", "HEAD")
    if request.head_sha is not None and head != request.head_sha:
        raise AnalyzeError(f"the checkout is at {head}, not at the pull request's head")
    try:
        leaving = links_read_outside(root, request.paths)
    except CheckoutError as error:
        raise AnalyzeError(str(error)) from None
    if leaving:
        name, target = leaving[0]
        raise AnalyzeError(
            f"refused: {name!r} is a symbolic link to {target!r}, outside the checkout; "
            "fixer reads nothing through it"
        )
    common = ["--changed-since", request.base, *request.fixer_args]
    request.output.mkdir(parents=True, exist_ok=True)
    report_path = request.output / "fixer.json"
    annotations = _fixer(root, [*common, "--format", "github", "--", *request.paths])
    out.write(annotations.stdout.decode("utf-8", "replace"))
    sys.stderr.write(annotations.stderr.decode("utf-8", "replace"))
    main = _fixer(
        root,
        [
            *common,
            "--diff",
            "--format",
            "json",
            "-o",
            str(report_path.resolve()),
            "--",
            *request.paths,
        ],
    )
    if not report_path.is_file():
        raise AnalyzeError(main.stderr.decode("utf-8", "replace").strip() or "fixer failed")
    sarif = request.output / "fixer.sarif"
    _fixer(root, [*common, "--format", "sarif", "-o", str(sarif.resolve()), "--", *request.paths])
    patch = main.stdout.decode("utf-8", "replace")
    (request.output / "fixer.patch").write_text(patch, encoding="utf-8")
    report = json.loads(report_path.read_text(encoding="utf-8"))
    document = results_document(root, head, report, patch, main.returncode)
    artifact.write(request.output, document)
    if summary is not None:
        with summary.open("a", encoding="utf-8") as stream:
            stream.write(summary_markdown(document))
    return main.returncode
