"""One open document checked as the command line checks the file at its path.

The configuration is the one that governs the document's path (the nearest ``fixer.toml`` or
``pyproject.toml`` with ``[tool.fixer]``): its rules, per-file ignores, names and exclusions. An
editor names every file it opens, so the exclusions apply as with ``--force-exclude``: a file
the project leaves out gets no findings. Pure apart from reading the configuration files; no
LSP library is imported here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from fixer.config import ConfigError, Overrides, Resolver
from fixer.edits import text_edits
from fixer.exports import ImportedHelper
from fixer.files import DEFAULT_EXCLUDES, Selection, is_excluded, is_notebook
from fixer.findings import Diagnostic, TextEdit
from fixer.names import DEFAULT_NAMES, NameTable
from fixer.prefilter import Prefilter, may_hold_suppression
from fixer.rulesets import DEFAULT_RULES, RuleSet
from fixer.siblings import Repository, helpers_for


@dataclass(frozen=True)
class Governance:
    """What governs one document: its path as messages show it, the names and rules in force,
    and whether it is checked at all (``skipped`` says why not)."""

    path: str
    names: NameTable = DEFAULT_NAMES
    rules: RuleSet = DEFAULT_RULES
    skipped: str | None = None
    config_error: str | None = None
    file: Path | None = None  # the document's file on disk, whose sibling modules are read


def governance(path: Path | None, cwd: Path) -> Governance:
    """The configuration for the document at ``path`` (None: an unsaved document, governed by
    the configuration of ``cwd``, the workspace's folder)."""
    resolver = Resolver(None, Overrides(), cwd=cwd)
    shown = "untitled.py" if path is None else str(path)
    try:
        config = resolver.for_folder(cwd) if path is None else resolver.for_file(path)
    except ConfigError as error:
        return Governance(shown, skipped="configuration error", config_error=str(error))
    if path is not None:
        selection = Selection(
            exclude=DEFAULT_EXCLUDES if config.exclude is None else config.exclude,
            extend_exclude=config.extend_exclude,
            root=config.root,
        )
        if is_excluded(path, selection):
            return Governance(shown, skipped="excluded by the configuration")
        if not config.notebooks and is_notebook(path.name):
            return Governance(shown, skipped="notebooks are turned off")
    rules = config.rules_for(path) if path is not None else config.rules_for(cwd / shown)
    return Governance(shown, config.names(), rules, file=path)


@dataclass(frozen=True)
class DocumentCheck:
    """What fixer found in one version of a document's text.

    ``findings`` are those in force, each fixable one with its fix as edits on ``text``. A text
    that does not parse, or that fixer failed on, has no findings; ``problem`` then says why.
    """

    text: str
    governance: Governance
    findings: tuple[Diagnostic, ...] = ()
    problem: str | None = None
    fixed: str = field(default="", repr=False)  # the text with the applied fixes made
    with_edits: bool = False  # each fixable finding carries its fix's edits


@lru_cache(maxsize=8)
def _prefilter(names: NameTable) -> Prefilter:
    return Prefilter(names)


def check_text(text: str, governing: Governance, with_edits: bool = False) -> DocumentCheck:
    """The findings in ``text`` under ``governing``, with each fix's edits if ``with_edits``;
    never raises for bad input."""
    if governing.skipped is not None:
        return DocumentCheck(text, governing, problem=governing.config_error, fixed=text)
    data = text.encode("utf-8", "surrogatepass")
    rules = governing.rules
    # The builders of the repository's other modules that the document imports, read afresh
    # for each check (the modules may have changed since the last one), as the command line
    # reads them.
    imported: Mapping[str, ImportedHelper] = {}
    if governing.file is not None:
        imported = helpers_for(Repository(governing.names), governing.file, data)
    prefilter = _prefilter(governing.names)
    if (
        prefilter.verdict(data).skips
        and not (rules.report_unused_ignores and may_hold_suppression(data))
        and not (imported and prefilter.may_call(data, imported))
    ):
        return DocumentCheck(text, governing, fixed=text, with_edits=True)
    from fixer.engine import fix_source  # LibCST is imported on the first document that needs it

    result = fix_source(
        text,
        governing.path,
        names=governing.names,
        rules=rules,
        with_edits=True,
        imported=imported,
    )
    if result.errors:
        return DocumentCheck(text, governing, problem=result.errors[0].message, fixed=text)
    return DocumentCheck(text, governing, result.diagnostics, fixed=result.fixed)


def fix_all_edits(check: DocumentCheck) -> tuple[TextEdit, ...]:
    """The minimal edits that make every fix the command line's ``--write`` makes: the safe
    ones, and the unsafe ones when the configuration sets ``unsafe-fixes``."""
    return text_edits(check.text, check.fixed)
