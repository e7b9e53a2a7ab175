"""``fixer bot publish``: one review on the pull request, from an artifact it does not trust.

Runs in the privileged ``workflow_run`` job. The artifact comes from a job that ran the pull
request's code, so before anything is posted: its size and shape are checked
(``fixer.bot.artifact``), its head must be the run's head and the open pull request's current
head (a ``workflow_run`` event names no pull request for a fork, so the pull request is found by
that head), and every path it names must be a file of that pull request.

A finding becomes an inline comment when GitHub would accept one: a suggestion when its fix's
lines lie in one hunk of the diff (unsafe fixes only with ``suggest_unsafe``), otherwise the fix
as a ``diff`` block on the finding's line if that line is in the diff. Everything else, and
anything past ``max_comments``, is listed in the review's body. Each comment ends with a hidden
marker holding the finding's fingerprint: a finding already posted is not posted again, and a
comment whose finding is gone is marked outdated.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from fixer.bot import artifact
from fixer.bot.artifact import ArtifactError, Finding, Fix, Results
from fixer.bot.github import GitHub
from fixer.bot.http import ApiError
from fixer.bot.hunks import DiffMap, parse_patch
from fixer.bot.markdown import code_block, code_span, inert, marker, read_marker
from fixer.output.github import command, escape_data

MAX_COMMENTS = 30
MAX_BODY = 60_000  # GitHub refuses a comment or review body of more than 65,536 characters
MAX_LISTED = 50  # findings listed in the body per section
UNSAFE_NOTE = (
    "**Unsafe fix**: it changes how a program that already runs will train (the message says "
    "why); review it before you apply it."
)


class Refused(Exception):
    """Nothing is posted; the message says why, in one line."""

    def __init__(self, message: str, status: int = 2) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Options:
    suggest_unsafe: bool = False
    max_comments: int = MAX_COMMENTS
    bot_login: str = "github-actions[bot]"


@dataclass
class Review:
    """What one run posts: inline comments, findings for the body, and the fingerprints."""

    comments: list[dict[str, Any]] = field(default_factory=list)
    outside: list[Finding] = field(default_factory=list)
    over_limit: list[Finding] = field(default_factory=list)
    fingerprints: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.comments or self.outside or self.over_limit)


def _header(finding: Finding) -> str:
    return f"**{finding.code}** ({finding.name}): {inert(finding.message)}"


def _comment(
    finding: Finding, fix: Fix | None, sibling: Finding | None, diff: DiffMap, options: Options
) -> dict[str, Any] | None:
    """The inline comment of one finding, or ``None`` when GitHub would refuse it."""
    parts = [_header(finding)]
    anchor: dict[str, Any] | None = None
    if diff.hunk(finding.path, finding.line) is not None:
        anchor = {"line": finding.line}
    if sibling is not None:
        parts.append(f"It is fixed together with the finding on line {sibling.line}.")
    elif fix is not None and fix.applicability == "unsafe" and not options.suggest_unsafe:
        parts.append("An unsafe fix exists; `fixer --unsafe-fixes --diff` shows it.")
    elif fix is not None:
        if fix.applicability == "unsafe":
            parts.append(UNSAFE_NOTE)
        in_one_hunk = diff.one_hunk(fix.path, fix.first_line, fix.last_line)
        if fix.replacement is not None and in_one_hunk:
            parts.append(code_block(fix.replacement, "suggestion"))
            anchor = {"line": fix.last_line}
            if fix.first_line < fix.last_line:
                anchor |= {"start_line": fix.first_line, "start_side": "RIGHT"}
        else:
            parts.append("The fix reaches lines outside this pull request's diff:")
            parts.append(code_block(fix.diff, "diff"))
    if anchor is None:
        return None
    if sum(len(part) + 2 for part in parts) > MAX_BODY:
        parts = [parts[0], "The fix is too large to show here; `fixer --diff` shows it."]
        anchor = {"line": finding.line}
    body = "\n\n".join(parts) + "\n\n" + marker("finding", [finding.fingerprint])
    return {"path": finding.path, "side": "RIGHT", **anchor, "body": body}


def plan_review(results: Results, diff: DiffMap, posted: Iterable[str], options: Options) -> Review:
    """The comments and body entries of the findings not posted yet."""
    review = Review()
    already = set(posted)
    first_of_fix: dict[tuple[str, int], Finding] = {}
    for finding in sorted(results.findings, key=lambda f: (f.path, f.line, f.code)):
        fix = sibling = None
        if finding.fix is not None:
            key = (finding.path, finding.fix.id)
            sibling = first_of_fix.setdefault(key, finding)
            if sibling is finding:
                sibling = None
                fix = results.fixes.get(key)
        if finding.fingerprint in already:
            continue
        already.add(finding.fingerprint)
        review.fingerprints.append(finding.fingerprint)
        comment = _comment(finding, fix, sibling, diff, options)
        if comment is None:
            review.outside.append(finding)
        elif len(review.comments) >= options.max_comments:
            review.over_limit.append(finding)
        else:
            review.comments.append(comment)
    return review


def _line(finding: Finding) -> str:
    return f"- {code_span(finding.path)} line {finding.line}: {_header(finding)}"


def _listed(findings: list[Finding]) -> str:
    lines = [_line(f) for f in findings[:MAX_LISTED]]
    if len(findings) > MAX_LISTED:
        lines.append(f"- and {len(findings) - MAX_LISTED} more")
    return "\n".join(lines)


def review_body(review: Review, head_sha: str, limit: int = MAX_COMMENTS) -> str:
    total = len(review.comments) + len(review.outside) + len(review.over_limit)
    parts = [
        f"**fixer** found {total} new finding{'s' if total != 1 else ''} at {head_sha[:12]}"
        f" ({len(review.comments)} on the changed lines, below)."
    ]
    if review.outside:
        parts.append("Outside the lines this pull request changes:")
        parts.append(_listed(review.outside))
    if review.over_limit:
        parts.append(f"Past {limit} inline comments, the rest:")
        parts.append(_listed(review.over_limit))
    parts.append("Run `fixer --diff` on your branch to see every fix.")
    return "\n\n".join(parts) + "\n\n" + marker("review", review.fingerprints)


def find_pull(github: GitHub, head_sha: str) -> dict[str, Any] | None:
    """The open pull request whose head is ``head_sha`` (forks included)."""
    for pull in github.open_pulls():
        head = pull.get("head")
        if isinstance(head, dict) and head.get("sha") == head_sha:
            return pull
    return None


def _mine(items: Iterable[Mapping[str, Any]], login: str) -> Iterable[Mapping[str, Any]]:
    for item in items:
        user = item.get("user")
        if isinstance(user, dict) and user.get("login") == login:
            yield item


def as_annotations(results: Results) -> str:
    """The findings as workflow commands: what is left when the token may not comment."""
    out = []
    for f in results.findings:
        properties: dict[str, str | int] = {"file": f.path, "line": max(f.line, 1)}
        properties["title"] = f"{f.code} {f.name}"
        out.append(command("warning", properties, f.message))
    return "".join(out)


def _say(stream: TextIO, text: str) -> None:
    stream.write(f"fixer bot: {escape_data(text)}\n")


def publish(
    github: GitHub,
    event: Mapping[str, Any],
    folder: Path,
    options: Options,
    out: TextIO,
    err: TextIO,
) -> int:
    """Posts the review; returns the exit status (2 when the artifact is refused)."""
    try:
        return _publish(github, event, folder, options, out, err)
    except Refused as refusal:
        _say(err, f"refused: {refusal}")
        return refusal.status


def _publish(
    github: GitHub,
    event: Mapping[str, Any],
    folder: Path,
    options: Options,
    out: TextIO,
    err: TextIO,
) -> int:
    run = event.get("workflow_run")
    if not isinstance(run, dict) or not isinstance(run.get("head_sha"), str):
        raise Refused("the event is not a workflow_run event")
    run_head = str(run["head_sha"])
    try:
        results = artifact.read(folder)
    except ArtifactError as error:
        raise Refused(str(error)) from None
    if results.head_sha != run_head:
        raise Refused(f"the artifact is for {results.head_sha}, the run for {run_head}")
    pull = find_pull(github, run_head)
    if pull is None:
        raise Refused(f"no open pull request has head {run_head}: it moved on or closed", 0)
    number = int(pull["number"])
    current = github.pull(number)
    if current.get("head", {}).get("sha") != run_head:
        raise Refused(f"pull request #{number} has moved on from {run_head}", 0)
    files = {f["filename"]: f for f in github.pull_files(number) if f.get("status") != "removed"}
    outside = sorted(results.paths - files.keys())
    if outside:
        raise Refused(f"the artifact names {outside[0]!r}, not a file of pull request #{number}")
    diff = DiffMap({name: parse_patch(str(f.get("patch") or "")) for name, f in files.items()})

    comments = github.review_comments(number)
    posted: set[str] = set()
    current_prints = {f.fingerprint for f in results.findings}
    stale: list[tuple[int, str]] = []
    for comment in _mine(comments, options.bot_login):
        found = read_marker(str(comment.get("body", "")))
        if found is None or found[0] != "finding":
            continue
        posted.update(found[1])
        if not set(found[1]) & current_prints:
            stale.append((int(comment["id"]), found[1][0]))
    for review in _mine(github.reviews(number), options.bot_login):
        found = read_marker(str(review.get("body") or ""))
        if found is not None and found[0] == "review":
            posted.update(found[1])
    posted &= current_prints

    plan = plan_review(results, diff, posted, options)
    try:
        for comment_id, fingerprint in stale:
            body = (
                f"Outdated: fixer no longer reports this finding at {run_head[:12]}.\n\n"
                + marker("outdated", [fingerprint])
            )
            github.update_review_comment(comment_id, body)
        if plan:
            body = review_body(plan, run_head, options.max_comments)
            github.create_review(number, run_head, body, plan.comments)
    except ApiError as error:
        if error.status != 403:
            raise
        _say(err, f"{error}; the token may not comment, so the findings become annotations")
        out.write(as_annotations(results))
        return 0
    _say(
        err,
        f"pull request #{number}: {len(plan.comments)} inline comments, "
        f"{len(plan.outside) + len(plan.over_limit)} findings in the body, "
        f"{len(stale)} comments marked outdated" + ("" if plan else "; nothing new to post"),
    )
    return 0
