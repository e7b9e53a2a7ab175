"""``fix_source``: text in, fixed text and findings out. Pure: no file or terminal I/O."""

from __future__ import annotations

import ast
import warnings
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import AnyStr, Generic

import libcst as cst

from fixer import __version__, bounds
from fixer import edits as text
from fixer.analysis import Decision, Facts, SiteKey, plan, prepare
from fixer.exports import ImportedHelper
from fixer.findings import Applicability, Diagnostic, FindingsView, Fix, TextEdit
from fixer.names import DEFAULT_NAMES, NameTable
from fixer.prefilter import may_hold_suppression
from fixer.rules import INTERNAL_ERROR, NESTED_TOO_DEEPLY, SYNTAX_ERROR, UNUSED_SUPPRESSION
from fixer.rulesets import DEFAULT_RULES, RuleSet
from fixer.suppressions import Directive, Unused, comment_edits, find_directives, unused
from fixer.transform import apply_plan


@dataclass(frozen=True)
class FixResult(FindingsView, Generic[AnyStr]):
    """What fixer found in one source and the source with its fixes applied.

    ``fixed`` has the type of the input (``str`` or ``bytes``); with bytes, the encoding, a BOM
    and line endings are kept. On an error finding ``fixed`` is the input, unchanged.
    ``diagnostics`` are the findings in force; ``suppressed`` those a comment suppresses.
    """

    path: str
    source: AnyStr
    fixed: AnyStr
    diagnostics: tuple[Diagnostic, ...]
    suppressed: tuple[Diagnostic, ...] = ()

    @property
    def changed(self) -> bool:
        return self.fixed != self.source


def _error(path: str, code: str, message: str, line: int = 1, column: int = 1) -> Diagnostic:
    return Diagnostic(path, line, column, code, message, Applicability.NONE, is_error=True)


def _syntax_error(source: AnyStr, path: str, error: cst.ParserSyntaxError) -> Diagnostic:
    """Prefer CPython's own message and position: they are the ones users know."""
    try:
        ast.parse(source)
    except SyntaxError as python_error:
        line = python_error.lineno or 1
        column = python_error.offset or 1
        return _error(path, SYNTAX_ERROR.code, f"syntax error: {python_error.msg}", line, column)
    except ValueError:  # e.g. a null byte
        pass
    first = str(error.message).splitlines()[0] if error.message else "invalid syntax"
    return _error(
        path, SYNTAX_ERROR.code, f"syntax error: {first}", error.raw_line, error.raw_column + 1
    )


def _has_bare_cr(source: str | bytes) -> bool:
    """A carriage return not followed by a newline: the one ending LibCST may not round-trip."""
    if isinstance(source, bytes):
        return source.count(b"\r") != source.count(b"\r\n")
    return source.count("\r") != source.count("\r\n")


def _render(module: cst.Module, like: AnyStr) -> AnyStr:
    if isinstance(like, bytes):
        return module.bytes
    return module.code


def fix_source(
    source: AnyStr,
    path: str = "<string>",
    *,
    names: NameTable = DEFAULT_NAMES,
    unsafe_fixes: bool = False,
    rules: RuleSet = DEFAULT_RULES,
    with_edits: bool = False,
    imported: Mapping[str, ImportedHelper] | None = None,
) -> FixResult[AnyStr]:
    """Find optimizers built while tracing in ``source`` and move those that safely can.

    ``names`` adds a project's own optimizer and tracing names to the built-in table;
    ``rules`` says which codes are in force and how their fixes count; ``unsafe_fixes`` (or
    ``rules.unsafe_fixes``) also applies fixes that change how a running program trains.
    ``with_edits`` attaches to each fixable finding its :class:`~fixer.findings.Fix` as text
    edits on ``source`` (for JSON, SARIF and editors). ``imported`` holds the optimizer builders
    of other modules that the source imports, by the qualified name a call of each has in it
    (:mod:`fixer.siblings` reads them); the engine itself reads no file.

    Never raises on bad input: a syntax error, an undecodable file or an internal failure comes
    back as an error finding with the source unchanged.
    """
    if unsafe_fixes and not rules.unsafe_fixes:
        rules = replace(rules, unsafe_fixes=True)
    refused = _refusal(source, path)
    if refused is not None:
        return FixResult(path, source, source, (refused,))
    try:
        return bounds.on_deep_stack(
            lambda: _fix_parsed(source, path, names, rules, with_edits, imported, check=True)
        )
    except RecursionError:
        message = (
            "too deeply nested for fixer's analysis (RecursionError); left unchanged "
            "(please report this file)"
        )
        return FixResult(path, source, source, (_error(path, NESTED_TOO_DEEPLY.code, message),))


def _refusal(source: AnyStr, path: str) -> Diagnostic | None:
    """Why ``source`` must not reach LibCST, if it must not: CPython does not compile it (its
    own message: the file is not Python this interpreter runs), or it nests deeper than
    :data:`fixer.bounds.NESTING_LIMIT`. Only then is LibCST's native parser, which has no
    guard of its own against deep nesting, handed the text."""
    null = b"\x00" if isinstance(source, bytes) else "\x00"
    if null in source:
        line = source[: source.index(null)].count(b"\n" if isinstance(source, bytes) else "\n")
        return _error(
            path, SYNTAX_ERROR.code, "syntax error: source code cannot contain null bytes", line + 1
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(source)
            compile(tree, path, "exec", _compile_flags(path), dont_inherit=True)
    except SyntaxError as error:
        return _error(
            path,
            SYNTAX_ERROR.code,
            f"syntax error: {error.msg}",
            max(1, error.lineno or 1),
            max(1, error.offset or 1),
        )
    except (RecursionError, MemoryError):
        return _error(
            path,
            NESTED_TOO_DEEPLY.code,
            "nested too deeply for Python to compile; not checked",
        )
    except (ValueError, UnicodeError, LookupError) as error:
        return _error(path, SYNTAX_ERROR.code, f"cannot decode or parse: {error}")
    depth = bounds.nesting_depth(tree, source)
    if depth > bounds.NESTING_LIMIT:
        return _error(
            path,
            NESTED_TOO_DEEPLY.code,
            f"nested {depth} levels deep, more than the {bounds.NESTING_LIMIT} fixer parses; "
            "not checked",
        )
    return None


def _compile_flags(path: str) -> int:
    # A notebook's cells run under IPython, which allows ``await`` at the top level.
    return ast.PyCF_ALLOW_TOP_LEVEL_AWAIT if path.endswith(".ipynb") else 0


def _fix_parsed(
    source: AnyStr,
    path: str,
    names: NameTable,
    rules: RuleSet,
    with_edits: bool,
    imported: Mapping[str, ImportedHelper] | None,
    *,
    check: bool,
) -> FixResult[AnyStr]:
    """:func:`fix_source` for a source CPython compiles; ``check``: self-check the result."""
    try:
        module = cst.parse_module(source)
        if _has_bare_cr(source) and _render(module, source) != source:
            # e.g. old Mac CR-only line endings: LibCST cannot give the same bytes back.
            message = "cannot keep this file byte-for-byte (CR-only line endings?); not checked"
            return FixResult(path, source, source, (_error(path, SYNTAX_ERROR.code, message),))
    except cst.ParserSyntaxError as error:
        diagnostic = _syntax_error(source, path, error)
        return FixResult(path, source, source, (diagnostic,))
    except (UnicodeError, LookupError, SyntaxError, ValueError) as error:
        diagnostic = _error(path, SYNTAX_ERROR.code, f"cannot decode or parse: {error}")
        return FixResult(path, source, source, (diagnostic,))
    try:
        run = _Run(module, path, names, rules, _may_suppress(source), imported)
        fixed_module, fixed = module, source
        if run.plan.changes_anything:
            fixed_module = apply_plan(module, run.plan, run.facts.parents)
            fixed = _render(fixed_module, source)
            if fixed != source and check:
                _self_check(fixed, path, names, rules, imported)
        diagnostics = run.with_fixes(fixed_module.code) if with_edits else run.marked()
    except _SelfCheckFailed as failure:
        message = (
            f"internal error: {failure}; left unchanged (please report this file, "
            f"with fixer {__version__})"
        )
        return FixResult(path, source, source, (_error(path, INTERNAL_ERROR.code, message),))
    except RecursionError:
        raise  # fix_source reports it
    except Exception as error:  # a bug in fixer must not stop a batch run
        detail = (str(error).splitlines() or [""])[0][:160]
        diagnostic = _error(
            path,
            INTERNAL_ERROR.code,
            f"internal error: {type(error).__name__}: {detail}; left unchanged "
            f"(please report this file, with fixer {__version__})",
        )
        return FixResult(path, source, source, (diagnostic,))
    return FixResult(path, source, fixed, diagnostics, run.suppressed)


class _SelfCheckFailed(Exception):
    """The fixed text is not what fixer promises to write; the message says how."""


def _self_check(
    fixed: AnyStr,
    path: str,
    names: NameTable,
    rules: RuleSet,
    imported: Mapping[str, ImportedHelper] | None,
) -> None:
    """What is written must compile, and fixing it again must change nothing (a fix that
    produces another finding it would fix, or text it would move again, is a bug)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(fixed, path, "exec", _compile_flags(path), dont_inherit=True)
    except SyntaxError as error:
        raise _SelfCheckFailed(
            f"the fixed text would not compile ({error.msg}, line {error.lineno} of the fixed text)"
        ) from None
    except (ValueError, RecursionError, MemoryError) as error:
        raise _SelfCheckFailed(
            f"the fixed text would not compile ({type(error).__name__})"
        ) from None
    again = _fix_parsed(fixed, path, names, rules, False, imported, check=False)
    if again.errors:
        raise _SelfCheckFailed(
            f"the fixed text fails a second pass ({again.errors[0].code}: "
            f"{again.errors[0].message})"
        )
    if again.fixed != fixed:
        before = _lines(fixed)
        after = _lines(again.fixed)
        line = next(
            (n for n, (a, b) in enumerate(zip(before, after), start=1) if a != b),
            min(len(before), len(after)) + 1,
        )
        raise _SelfCheckFailed(
            f"a second pass would change the fixed text again (first at line {line} of the "
            "fixed text)"
        )


def _lines(text: str | bytes) -> list[str]:
    decoded = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return decoded.splitlines()


def _may_suppress(source: str | bytes) -> bool:
    data = source.encode("utf-8", "surrogatepass") if isinstance(source, str) else source
    return may_hold_suppression(data)


_Key = tuple[str, int, int]  # code, line, column: one finding (and its fix) in one file


def _key(item: Diagnostic | SiteKey) -> _Key:
    return item.code, item.line, item.column


class _Run:
    """One file's analysis: the plan under the run's rules and suppressions, the findings
    sorted into those in force and those suppressed, and (on request) each finding's fix."""

    def __init__(
        self,
        module: cst.Module,
        path: str,
        names: NameTable,
        rules: RuleSet,
        may_suppress: bool,
        imported: Mapping[str, ImportedHelper] | None = None,
    ) -> None:
        self.module = module
        self.path = path
        self.rules = rules
        wrapper = cst.MetadataWrapper(module, unsafe_skip_copy=True)
        self.facts: Facts = prepare(wrapper, path, names, imported)
        self.directives: Mapping[int, Sequence[Directive]] = (
            find_directives(self.facts.collector.comments, self.facts.positions)
            if may_suppress
            else {}
        )
        self.applied: set[_Key] = set()
        self.decisions: dict[_Key, Decision] = {}
        self.plan = plan(self.facts, self._gate)
        self.diagnostics, self.suppressed, self.unused = self._sort_out(self.plan.diagnostics)
        edits = comment_edits(
            u for u in self.unused if rules.applies(UNUSED_SUPPRESSION.code, Applicability.SAFE)
        )
        if edits:
            self.plan = replace(self.plan, comment_edits=edits)
            for item in self.unused:
                if item.directive.comment in edits:
                    self.applied.add(_key(self._unused_diagnostic(item)))

    def _gate(self, key: SiteKey) -> Decision:
        if not self.rules.is_enabled(key.code) or self._suppressing(
            key.code, key.suppressible_at, key.own_lines
        ):
            decision = Decision.DROP
        elif self.rules.applies(key.code, key.applicability):
            decision = Decision.APPLY
            self.applied.add(_key(key))
        else:
            decision = Decision.HOLD
        self.decisions[_key(key)] = decision
        return decision

    def _suppressing(
        self, code: str, lines: Sequence[int], own_lines: Sequence[int]
    ) -> list[Directive]:
        """The directives that suppress a finding: on the lines of the flagged code any of
        them; on the header of its function or loop only ``# fixer: ignore`` (a ``# noqa`` on
        a def line is about that line, as in Ruff)."""
        if not self.directives:
            return []
        own = set(own_lines)
        return [
            d
            for line in lines
            for d in self.directives.get(line, ())
            if d.covers(code) and (d.kind == "fixer" or line in own)
        ]

    def _sort_out(
        self, found: Sequence[Diagnostic]
    ) -> tuple[tuple[Diagnostic, ...], tuple[Diagnostic, ...], list[Unused]]:
        rules = self.rules
        active: list[Diagnostic] = []
        suppressed: list[Diagnostic] = []
        used: dict[Directive, set[str]] = {}
        for diagnostic in found:
            if not rules.is_enabled(diagnostic.code):
                continue
            diagnostic = replace(
                diagnostic,
                applicability=rules.applicability(diagnostic.code, diagnostic.applicability),
            )
            hits = self._suppressing(
                diagnostic.code, diagnostic.suppressible_at, diagnostic.own_lines
            )
            for hit in hits:
                used.setdefault(hit, set()).add(diagnostic.code)
            if hits:
                suppressed.append(replace(diagnostic, suppressed_by=hits[0].text))
            else:
                active.append(diagnostic)
        idle: list[Unused] = []
        if rules.report_unused_ignores and rules.is_enabled(UNUSED_SUPPRESSION.code):
            for line in sorted(self.directives):
                for directive in self.directives[line]:
                    item = unused(directive, used.get(directive, set()))
                    if item is not None:
                        idle.append(item)
                        active.append(self._unused_diagnostic(item))
        active.sort(key=lambda d: (d.line, d.column, d.code))
        return tuple(active), tuple(suppressed), idle

    def _unused_diagnostic(self, item: Unused) -> Diagnostic:
        directive = item.directive
        return Diagnostic(
            path=self.path,
            line=directive.line,
            column=directive.column,
            code=UNUSED_SUPPRESSION.code,
            message=item.message,
            applicability=self.rules.applicability(UNUSED_SUPPRESSION.code, Applicability.SAFE),
            end_line=directive.line,
            end_column=directive.end_column,
        )

    # ------------------------------------------------------------------ fixes as edits

    def _text_with(self, keys: Collection[_Key]) -> str:
        """The fixed text with only the fixes of ``keys`` made (whatever their safety)."""

        def gate(key: SiteKey) -> Decision:
            if _key(key) in keys:
                return Decision.APPLY
            if self.decisions.get(_key(key)) is Decision.DROP:
                return Decision.DROP
            return Decision.HOLD  # as in the run itself: the names it takes stay taken

        subset = plan(self.facts, gate)
        comments = comment_edits(u for u in self.unused if _key(self._unused_diagnostic(u)) in keys)
        if comments:
            subset = replace(subset, comment_edits=comments)
        return apply_plan(self.module, subset, self.facts.parents).code

    def marked(self) -> tuple[Diagnostic, ...]:
        """The findings in force, each fixable one with a :class:`Fix` that says whether this
        run applied it, without edits (computing them costs a plan per fix)."""
        return self._attached(lambda key: Fix(0, Applicability.NONE, (), key in self.applied))

    def with_fixes(self, fixed_text: str) -> tuple[Diagnostic, ...]:
        """The findings in force, each fixable one with its :class:`Fix`."""
        before = self.module.code
        fixable = [
            _key(d)
            for d in self.diagnostics
            if d.applicability is not Applicability.NONE and d.fixed_with is None
        ]
        applied = [k for k in fixable if k in self.applied]
        held = [k for k in fixable if k not in self.applied]
        groups: list[tuple[list[_Key], tuple[TextEdit, ...]]]
        if len(applied) == 1:
            groups = [(applied, text.text_edits(before, fixed_text))]
        else:
            groups = self._groups(applied, before, fixed_text) if applied else []
        for key in held:
            groups.append(([key], text.text_edits(before, self._text_with({key}))))
        fix_of: dict[_Key, Fix] = {}
        groups.sort(key=lambda group: min(k[1:] for k in group[0]))
        for number, (members, edits) in enumerate(groups, start=1):
            for key in members:
                if edits:
                    fix_of[key] = Fix(number, Applicability.NONE, edits, key in self.applied)
        return self._attached(fix_of.get)

    def _attached(self, fix_for: Callable[[_Key], Fix | None]) -> tuple[Diagnostic, ...]:
        """The findings in force, each fixable one with ``fix_for`` its key (a finding fixed by
        another's fix, ``fixed_with``, gets that one) and its own applicability."""
        key_at = {(d.line, d.column): _key(d) for d in self.diagnostics}
        out: list[Diagnostic] = []
        for diagnostic in self.diagnostics:
            if diagnostic.applicability is not Applicability.NONE:
                key = _key(diagnostic)
                if diagnostic.fixed_with is not None:
                    key = key_at.get(diagnostic.fixed_with, key)
                fix = fix_for(key)
                if fix is not None:
                    fix = replace(fix, applicability=diagnostic.applicability)
                    diagnostic = replace(diagnostic, fix=fix)
            out.append(diagnostic)
        return tuple(out)

    def _groups(
        self, applied: list[_Key], before: str, fixed_text: str
    ) -> list[tuple[list[_Key], tuple[TextEdit, ...]]]:
        """Fixes that can be applied each on its own, and groups of fixes that cannot (their
        edits touch): together they must reproduce ``fixed_text`` exactly, else all applied
        fixes become one group."""
        alone = {key: text.text_edits(before, self._text_with({key})) for key in applied}
        parent = {key: key for key in applied}

        def root(key: _Key) -> _Key:
            while parent[key] != key:
                key = parent[key]
            return key

        for i, first in enumerate(applied):
            for second in applied[i + 1 :]:
                if text.touching(alone[first], alone[second]):
                    parent[root(second)] = root(first)
        members: dict[_Key, list[_Key]] = {}
        for key in applied:
            members.setdefault(root(key), []).append(key)
        groups: list[tuple[list[_Key], tuple[TextEdit, ...]]] = []
        for keys in members.values():
            if len(keys) == 1:
                groups.append((keys, alone[keys[0]]))
            else:
                groups.append((keys, text.text_edits(before, self._text_with(set(keys)))))
        every = [edit for _, edits in groups for edit in edits]
        try:
            if text.apply_edits(before, every) == fixed_text:
                return groups
        except ValueError:
            pass
        return [(list(applied), text.text_edits(before, fixed_text))]
