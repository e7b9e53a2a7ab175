"""``fixer rule``: each rule's documentation, rendered for the terminal, JSON and the README.

Pure functions over :class:`~fixer.rules.base.Rule`; they return text and print nothing. Every
renderer reads the same parts of a rule (summary, sections, example), so what the terminal, the
README and a JSON consumer show cannot drift apart.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from fixer.findings import Applicability
from fixer.rules import RULES
from fixer.rules.base import Rule

# How each fix availability reads in the terminal, and its JSON and table value (the words the
# JSON findings use for ``applicability``).
_FIX_TEXT = {
    Applicability.SAFE: "safe, unless a finding says otherwise (see below)",
    Applicability.UNSAFE: "unsafe: applied only with --unsafe-fixes",
    Applicability.NONE: "none",
}
_FIX_WORD = {
    Applicability.SAFE: "safe",
    Applicability.UNSAFE: "unsafe",
    Applicability.NONE: "none",
}


def find_rule(code: str) -> Rule | None:
    """The rule whose code (``TFO001``, any case) or name (``optimizer-in-traced-function``) is
    ``code``; None when there is none."""
    wanted = code.strip().lower()
    for rule in RULES:
        if wanted in (rule.code.lower(), rule.name):
            return rule
    return None


def unknown_rule_message(code: str) -> str:
    """The one-line error for a code that names no rule."""
    known = ", ".join(rule.code for rule in RULES)
    return f"unknown rule `{code}`; the rules are {known}"


def _indent(code: str) -> str:
    return "\n".join(f"    {line}" if line else "" for line in code.rstrip("\n").split("\n"))


def render_rule(rule: Rule) -> str:
    """One rule for the terminal: code and name, summary, fix, each section, the example.

    The text is Markdown too (headings, code blocks indented by four spaces), as ``ruff rule``
    prints it."""
    lines = [
        f"# {rule.code} {rule.name}",
        "",
        f"{rule.summary[:1].upper()}{rule.summary[1:]}.",
        "",
        f"Fix: {_FIX_TEXT[rule.fix_availability]}",
    ]
    for section in rule.sections:
        lines += ["", f"## {section.title}", "", section.text.strip()]
    example = rule.example
    if example.before == example.after:
        lines += ["", "## Example (fixer leaves it unchanged)", "", _indent(example.before)]
    else:
        lines += ["", "## Before", "", _indent(example.before)]
        lines += ["", "## After", "", _indent(example.after)]
    return "\n".join(lines) + "\n"


def render_rules(rules: Iterable[Rule]) -> str:
    """Several rules for the terminal (``fixer rule --all``), one after the other."""
    return "\n\n".join(render_rule(rule) for rule in rules)


def render_rule_list(rules: Iterable[Rule]) -> str:
    """A plain-text table of the rules: code, name and summary, in aligned columns."""
    rows = [("code", "name", "summary"), *((r.code, r.name, r.summary) for r in rules)]
    code_width = max(len(row[0]) for row in rows)
    name_width = max(len(row[1]) for row in rows)
    return "".join(
        f"{code:<{code_width}}  {name:<{name_width}}  {summary}\n" for code, name, summary in rows
    )


def rule_record(rule: Rule) -> dict[str, Any]:
    """One rule as JSON data: ``code``, ``name``, ``summary``, ``fix`` (``safe``, ``unsafe`` or
    ``none``), ``sections`` (each ``key``, ``title`` and ``text``) and ``example`` (``before``
    and ``after``, the whole file before and after the fix)."""
    return {
        "code": rule.code,
        "name": rule.name,
        "summary": rule.summary,
        "fix": _FIX_WORD[rule.fix_availability],
        "sections": [
            {"key": section.key, "title": section.title, "text": section.text.strip()}
            for section in rule.sections
        ],
        "example": {"before": rule.example.before, "after": rule.example.after},
    }


def render_rules_json(rules: Iterable[Rule]) -> str:
    """The rules as a JSON list of :func:`rule_record` objects."""
    records = [rule_record(rule) for rule in rules]
    return json.dumps(records, ensure_ascii=False, indent=2) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def rules_markdown_table(rules: Iterable[Rule]) -> str:
    """The Markdown table of the rules the README holds: code, name, summary and fix."""
    lines = ["| code | name | summary | fix |", "| --- | --- | --- | --- |"]
    lines += [
        f"| `{rule.code}` | `{rule.name}` | {_cell(rule.summary)} | "
        f"{_FIX_WORD[rule.fix_availability]} |"
        for rule in rules
    ]
    return "\n".join(lines) + "\n"
