"""Decide, without LibCST, that a file cannot hold a finding, so that only the rest is parsed.

Why this is sound. Every finding fixer emits is anchored at an optimizer (or wrapper) constructor
call: a ``Call`` whose callee is a ``Name`` or a dotted chain of ``Name``s and whose qualified
names, as LibCST's ``QualifiedNameProvider`` resolves them, all map to ``Kind.OPTIMIZER`` or
``Kind.WRAPPER`` in the :class:`~fixer.names.NameTable` (the analysis may drop some of those
names, and adds one case of its own: an unbound ``Adam`` after ``from <namespace> import *``
means ``<namespace>.Adam``). A file without such a call has no finding, so each stage below only
has to over-approximate "some call may resolve to a constructor". LibCST builds a qualified name
from text of the file only: an import's module and names, then the callee's remaining components
(``import tensorflow as tf; tf.keras.optimizers.Adam`` gives ``tensorflow.keras.optimizers.Adam``);
or, for a name bound other than by an import, the enclosing classes and functions (``Cls``,
``f.<locals>``, ``<comprehension>``) and the callee; or ``builtins.<name>``.

1. **Bytes.** Every built-in constructor name contains ``ptimizer``: its namespace is an
   ``...optimizers`` module, or it ends in ``Optimizer`` (``tests/test_prefilter.py`` checks this
   against ``fixer/names.py``), and no synthetic component (``builtins``, ``<locals>``...) does.
   A file whose text lacks it, and lacks the longest component of every configured name, is
   skipped after a substring search.
2. **Text.** A constructor's name lies in a namespace the table knows
   (:func:`anchor_namespaces`). Without an import, only a binding named like a namespace's first
   component can reach one (``keras = load(); keras.optimizers.Adam()``), or a class or function
   of that name enclosing the binding. Regular expressions over the raw text collect every import
   statement (they hold no string literal, so their extent is known) and every dotted call whose
   first component is bound by such an import or named like a namespace root and possibly bound
   locally; each is resolved as LibCST does. Text inside strings and comments counts too, which
   only adds candidates, except on a line starting with ``>>>`` (a doctest: no Python statement
   or continuation line can start so). A file that may define a class or function named like a
   namespace root goes straight to stage 3, and so does one with a star import of a constructor
   namespace.
3. **Syntax tree.** ``ast.parse`` tells real calls and imports from text in strings. After stage
   2, only the nodes on the lines where it found a candidate call or a relevant import are
   visited (every real candidate is among those); imports are taken from the whole file ignoring
   scopes, and each call is resolved through all of them, through every scope around it, and as a
   builtin: a superset of LibCST's resolution.
4. **Sites** (:mod:`fixer.prefilter_sites`). Each rule looks only at constructor calls in some
   places (a loop, a traced function, a function a traced function calls, a function a loop
   calls); a file whose candidates are all elsewhere (``main()``, ``__init__``, ``compile``,
   module level) is ruled out. A new rule that looks somewhere else must widen that stage.

A file the four stages rule out still goes to LibCST when it may call an optimizer by a name it
never imports (:mod:`fixer.prefilter_assumed`): the analysis reports those as assumptions.

Two additions keep this sound for what TFO004 finds without a constructor call in the file.
A ``functools.partial`` of an optimizer class hands the class over uncalled: when the text holds
``partial``, stage 2 also takes dotted names that are not called, and stage 3 a call whose first
argument may be a constructor (stage 4 then counts the name it is bound to as a def, as it does
for a lambda). A call of a builder of *another module* (``from .optim import build_optimizer``) is
anchored in no constructor of the file: the runner, which reads those modules
(:mod:`fixer.siblings`), asks :meth:`Prefilter.may_call` about a file the stages rule out, with the
qualified names of the builders it imports; that is stage 4 over the calls that may resolve to
one of them, counting only traced functions and the functions they call.

A file that does not decode or that ``ast`` cannot parse goes to LibCST, so its ``TFO900`` is the
engine's own. A file stopped by any stage is never parsed by LibCST, so a syntax error in
it that only LibCST sees, or a LibCST failure on it (``TFO901``), is not reported; a file stopped
by stage 1 or 2 is not parsed at all, so no syntax error in it is reported: parsing every file
just to find syntax errors would cost five times a run's time, and such a file holds nothing
fixer could act on.
"""

from __future__ import annotations

import ast
import codecs
import enum
import re
import warnings
from bisect import bisect_left
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

from fixer import names
from fixer.names import Kind, NameTable

BUILTIN_NEEDLE = b"ptimizer"
_ANCHORS = (Kind.OPTIMIZER, Kind.WRAPPER)
# Components LibCST puts in qualified names without their being spelled in the file.
_SYNTHETIC = frozenset({"builtins", "<locals>", "<comprehension>"})


class Verdict(enum.Enum):
    """What the pre-filter concluded about one file."""

    NO_NAME = "no constructor name in the bytes"
    NO_TEXT_CALL = "no call in the text resolves to a constructor"
    NO_CALL = "no call in the syntax tree resolves to a constructor"
    NO_SITE = "no constructor call is in a loop, a traced function or a function they call"
    PARSE = "may hold a finding: parse it with LibCST"

    @property
    def skips(self) -> bool:
        return self is not Verdict.PARSE


# --------------------------------------------------------------------------- the table's names


def anchor_namespaces(table: NameTable) -> frozenset[str]:
    """Every namespace holding a name that ``table`` maps to an optimizer or a wrapper."""
    found = set(names.OPTIMIZER_NAMESPACES) | set(names.V1_TRAIN_NAMESPACES)
    found |= {wrapper.rpartition(".")[0] for wrapper in names.WRAPPERS}
    for pattern in table.extra_optimizers:
        found.add(pattern[:-2] if pattern.endswith(".*") else pattern.rpartition(".")[0])
    return frozenset(found)


@dataclass(frozen=True)
class _Facts:
    """What the stages need to know about a name table, computed once."""

    table: NameTable
    namespaces: frozenset[str]
    leading: frozenset[str]  # names from which a constructor namespace can be reached
    roots: frozenset[str]  # first components of every constructor name
    needles: tuple[bytes, ...] | None  # one of them is in every constructor's text (None: ?)
    text_stage: bool  # False when a root needs no text of the file (``builtins``, ``<locals>``)
    # Modules a ``from <module> import`` must name to bind a constructor namespace or a tracer.
    import_modules: frozenset[str]

    @classmethod
    def of(cls, table: NameTable) -> _Facts:
        namespaces = anchor_namespaces(table)
        leading = set(namespaces)
        for namespace in namespaces:
            parts = namespace.split(".")
            leading.update(".".join(parts[:end]) for end in range(1, len(parts)))
        roots = {namespace.split(".")[0] for namespace in namespaces if namespace}
        roots |= {pattern.split(".")[0] for pattern in table.extra_optimizers}
        tracer_modules: set[str] = set()
        for tracer in names.TRACING_DECORATORS | table.extra_tracers:
            parts = tracer.split(".")
            tracer_modules.update(".".join(parts[:end]) for end in range(1, len(parts)))
        needles = [BUILTIN_NEEDLE]
        for pattern in sorted(table.extra_optimizers):
            spelled = [
                part
                for part in pattern.split(".")
                if part != "*" and part.isidentifier() and part not in _SYNTHETIC
            ]
            needles.append(max(spelled, key=len).encode() if spelled else b"")
        return cls(
            table=table,
            namespaces=namespaces,
            leading=frozenset(leading),
            roots=frozenset(roots),
            needles=None if b"" in needles else tuple(dict.fromkeys(needles)),
            text_stage=all(root.isidentifier() and root != "builtins" for root in roots),
            import_modules=frozenset(leading | tracer_modules),
        )


@lru_cache(maxsize=4096)
def _anchored(table: NameTable, qualified: str) -> bool:
    return table.constructor_kind((qualified,)) in _ANCHORS


# --------------------------------------------------------------------------- resolution


@dataclass(frozen=True)
class ImportedName:
    """One name of an import statement: ``from <module> import <name> as <alias>``.

    ``module`` keeps the leading dots of a relative import; it is empty for ``import <name>``.
    """

    module: str
    name: str
    alias: str | None = None

    def bindings(self) -> list[tuple[str, str]]:
        """(bound prefix, real name) pairs, in the order LibCST tries them."""
        if self.name == "*":
            return []
        parts = self.name.split(".")
        found = []
        for end in range(len(parts), 0, -1):
            real = ".".join(parts[:end])
            bound = self.alias or real
            if self.module.endswith("."):
                real = f"{self.module}{real}"
            elif self.module:
                real = f"{self.module}.{real}"
            found.append((bound, real))
        return found


def _useful(facts: _Facts, item: ImportedName) -> list[tuple[str, str]]:
    """The bindings of ``item`` through which a constructor namespace can be reached (a star
    import of such a namespace counts as one)."""
    if item.name == "*":
        return [("*", item.module)] if item.module in facts.namespaces else []
    return [
        (bound, real)
        for bound, real in item.bindings()
        if real in facts.leading or real.rpartition(".")[0] in facts.namespaces
    ]


def meanings(
    dotted: str,
    groups: Iterable[Sequence[tuple[str, str]]],
    prefixes: Iterable[str] = ("",),
    bindable: frozenset[str] | None = None,
) -> set[str]:
    """Every qualified name LibCST may give ``dotted``: through each import (``groups``: the
    (bound prefix, real name) pairs of one imported name, longest first), as a local of each
    enclosing scope (``prefixes``; only when the head is in ``bindable``, if given), and as a
    builtin."""
    head = dotted.partition(".")[0]
    found = {f"builtins.{head}"}
    for group in groups:
        for bound, real in group:
            if dotted == bound:
                found.add(real)
                break
            if dotted.startswith(bound) and dotted[len(bound)] == ".":
                found.add(f"{real}.{dotted[len(bound) + 1 :]}")
                break
    if bindable is None or head in bindable:
        found.update(f"{prefix}.{dotted}" if prefix else dotted for prefix in prefixes)
    return found


class _Resolver:
    """The qualified names a dotted callee may have, computed as LibCST computes them."""

    def __init__(
        self,
        facts: _Facts,
        imported: Iterable[ImportedName],
        bindable: frozenset[str] | None = None,
    ) -> None:
        self.table = facts.table
        # Names a non-import binding may have (None: any name). Only such a binding gives a
        # local qualified name, ``<scopes>.<callee>``.
        self.bindable = bindable
        imported = list(imported)
        self.groups = [
            group
            for group in (_useful(facts, item) for item in imported if item.name != "*")
            if group
        ]
        # ``from <namespace> import *``: the analysis reads an unbound ``Adam`` as
        # ``<namespace>.Adam`` (LibCST does not resolve ``*``).
        self.star_modules = sorted(
            {
                item.module
                for item in imported
                if item.name == "*"
                and not item.module.startswith(".")
                and item.module in facts.namespaces
            }
        )
        self.heads = frozenset(bound.split(".")[0] for group in self.groups for bound, _ in group)

    def _meanings(self, dotted: str, prefixes: Sequence[str]) -> set[str]:
        found = meanings(dotted, self.groups, prefixes, bindable=self.bindable)
        if "." not in dotted:  # the analysis's own reading of ``import *`` (LibCST has none)
            found.update(f"{module}.{dotted}" for module in self.star_modules)
        return found

    def may_construct(self, dotted: str, prefixes: Sequence[str] = ("",)) -> bool:
        """Whether a call of ``dotted`` may resolve to an optimizer or a wrapper."""
        return any(_anchored(self.table, name) for name in self._meanings(dotted, prefixes))

    def may_be_namespace(self, dotted: str, prefixes: Sequence[str] = ("",)) -> bool:
        """Whether ``dotted`` may be a namespace of optimizer classes: ``getattr(<it>, name)(...)``
        then builds an optimizer the analysis reports."""
        return any(
            self.table.is_optimizer_namespace((name,)) for name in self._meanings(dotted, prefixes)
        )


# --------------------------------------------------------------------------- stage 2: text

_W = rb"[\w\x80-\xff]"  # the text is UTF-8 here: bytes >= 0x80 belong to non-ASCII identifiers
_IS_WORD = tuple(bool(re.match(_W, bytes([value]))) for value in range(256))
_NEWLINE = rb"(?:\r\n?|\n)"
_COMMENT = rb"#[^\r\n]*(?![^\r\n])"  # to the end of the line: no backtracking into it
# Between the parts of a dotted callee: spaces, newlines and comments inside brackets, backslash
# continuations, and the closing parentheses of ``(tf.keras).optimizers.Adam(...)``.
_FILLER = rb"(?:[ \t\f\r\n)]|\\" + _NEWLINE + rb"|" + _COMMENT + rb")*"
# ``(?=(w+))\1`` takes a whole identifier, as an atomic group would.
_CHAIN_TAIL = rb"(?:" + _FILLER + rb"\." + _FILLER + rb"(?=(" + _W + rb"+))\1)*" + _FILLER + rb"\("
_IMPORT = re.compile(rb"import(?![\w\x80-\xff])")  # a literal first: found by fast search
# After ``import``: names up to the end of the logical line, or a parenthesised list.
_IMPORT_TAIL = re.compile(rb"(?:[^\r\n\\#;(]|\\" + _NEWLINE + rb")*(?:\((?:[^)#]|#[^\r\n]*)*\)?)?")
_STRIP_COMMENTS = re.compile(rb"#[^\r\n]*")
_CONTINUATION = re.compile(rb"\\" + _NEWLINE)
_AROUND_DOTS = re.compile(rb"\s*\.\s*")
_SPACES = re.compile(rb"(?:[ \t\f]|\\" + _NEWLINE + rb")*")
_PLAIN_MODULE = re.compile(rb"[\w.]+")
_MODULE = re.compile(rb"\.*(?:" + _W + rb"+(?:\." + _W + rb"+)*)?")


@lru_cache(maxsize=1024)
def _chain(head: str) -> re.Pattern[bytes]:
    """Dotted calls starting with ``head``: ``head . a . b (`` with anything Python allows between.

    The pattern starts with the literal ``head`` (so ``re`` finds it by fast search); the caller
    rejects matches that continue an identifier on the left.
    """
    return re.compile(re.escape(head.encode()) + rb"(?![\w\x80-\xff])" + _CHAIN_TAIL)


def word_at(data: bytes, start: int, word: bytes) -> bool:
    """Whether ``word`` is spelled as a whole word from ``start``."""
    end = start + len(word)
    return (
        start >= 0
        and data[start:end] == word
        and not (start and _IS_WORD[data[start - 1]])
        and not (end < len(data) and _IS_WORD[data[end]])
    )


def _skip_space_back(data: bytes, i: int) -> int:
    """Move left over spaces and backslash continuations that end just before ``i``."""
    while i:
        last = data[i - 1]
        if last in b" \t\f":
            i -= 1
        elif last == 0x0A and i >= 3 and data[i - 3 : i - 1] == b"\\\r":
            i -= 3
        elif last in b"\r\n" and i >= 2 and data[i - 2] == 0x5C:
            i -= 2
        else:
            break
    return i


def _line_start(data: bytes, position: int) -> int:
    return max(data.rfind(b"\n", 0, position), data.rfind(b"\r", 0, position)) + 1


def _logical_line_start(data: bytes, position: int) -> int:
    """Where the line holding ``position`` starts, following backslash continuations back."""
    start = _line_start(data, position)
    while start:
        before = _skip_space_back(data, start)  # crosses a continuation only
        if before == start:
            return start
        start = _line_start(data, before)
    return 0


def line_numbers(data: bytes, offsets: Iterable[int]) -> set[int]:
    """The 1-based lines of ascending ``offsets`` (none inside a CR LF), counting line ends as
    Python does; each stretch of the text is counted once."""
    found = set()
    line, position = 1, 0
    for offset in offsets:
        crlf = data.count(b"\r\n", position, offset)
        line += data.count(b"\n", position, offset) + data.count(b"\r", position, offset) - crlf
        position = offset
        found.add(line)
    return found


@lru_cache(maxsize=256)
def _word(name: str) -> re.Pattern[bytes]:
    """``name`` not followed by an identifier character (the caller checks the left edge)."""
    return re.compile(re.escape(name.encode()) + rb"(?![\w\x80-\xff])")


@dataclass(frozen=True)
class _RootUses:
    """How the text spells the first components of constructor names."""

    defined: bool  # ``class <root>`` or ``def <root>`` may occur
    bindable: frozenset[str]  # roots the text may bind other than by an import


def _root_uses(data: bytes, roots: Iterable[str]) -> _RootUses:
    """One pass over each root's occurrences.

    A binding other than an import (``name = ...``, ``for name in``, ``as name``, ``def name``,
    ``global name``, a ``case`` capture...) spells the name as a whole word that neither follows
    a ``.`` nor is followed by one, and that does not directly follow or precede ``import``.
    """
    bindable = set()
    for root in roots:
        for match in _word(root).finditer(data):
            start, end = match.span()
            if (start and _IS_WORD[data[start - 1]]) or data[end : end + 1] == b".":
                continue  # inside a longer name, or an attribute is taken of it
            before = _skip_space_back(data, start)
            if before != start and (
                word_at(data, before - 5, b"class") or word_at(data, before - 3, b"def")
            ):
                return _RootUses(True, frozenset())
            if root in bindable or (before and data[before - 1] == 0x2E):
                continue
            if before != start and word_at(data, before - 6, b"import"):
                continue
            after = _SPACES.match(data, end)
            assert after is not None  # matches the empty string
            if data[after.end() : after.end() + 1] == b"." or word_at(data, after.end(), b"import"):
                continue
            bindable.add(root)
    return _RootUses(False, frozenset(bindable))


def _decode(raw: bytes) -> str | None:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if all(part.isidentifier() for part in text.split(".")) else None


def text_imports(
    data: bytes, modules: frozenset[str] | None = None
) -> list[tuple[ImportedName, int]]:
    """Every import statement in ``data`` with the offset of its ``import`` keyword, and maybe
    some text of strings that reads like one.

    ``import`` is followed by names up to the end of the logical line or by a parenthesised list,
    and a ``from`` form has only a dotted module between ``from`` and ``import``. With
    ``modules``, ``from`` imports of an absolute module not in it are left out.
    """
    found: list[tuple[ImportedName, int]] = []
    for match in _IMPORT.finditer(data):
        start = match.start()
        if start and _IS_WORD[data[start - 1]]:
            continue
        line = data[_logical_line_start(data, start) : start]
        # ``from <module> import`` when a module follows the last ``from`` of the logical line;
        # ``import`` otherwise, and also when that ``from`` may be in a comment (``# moved from
        # x \`` above an ``import`` line).
        modules_read: list[str] = []
        keyword = line.rfind(b"from")
        while keyword != -1 and not word_at(line, keyword, b"from"):
            keyword = line.rfind(b"from", 0, keyword)
        spelled = b""
        if keyword != -1:
            spelled = line[keyword + 4 :].strip(b" \t\f")
            if not _PLAIN_MODULE.fullmatch(spelled):
                spelled = _CONTINUATION.sub(b"", line[keyword + 4 :])
                spelled = _AROUND_DOTS.sub(b".", spelled).strip(b" \t\f")
        if spelled and _MODULE.fullmatch(spelled):
            module = spelled.decode("utf-8", "surrogateescape")
            if modules is None or module.startswith(".") or module in modules:
                modules_read.append(module)
            if b"#" in line[:keyword]:
                modules_read.append("")
        else:
            modules_read.append("")
        if not modules_read:
            continue
        tail = _IMPORT_TAIL.match(data, match.end())
        assert tail is not None  # the pattern matches the empty string
        text = _AROUND_DOTS.sub(b".", _STRIP_COMMENTS.sub(b"", _CONTINUATION.sub(b"", tail[0])))
        if text.strip(b" \t\f()") == b"*":
            found.extend((ImportedName(module, "*"), start) for module in modules_read if module)
            continue
        for item in text.replace(b"(", b" ").replace(b")", b" ").split(b","):
            words = item.split()
            alias: str | None = None
            if len(words) == 3 and words[1] == b"as":
                alias = _decode(words[2])
                if alias is None or "." in alias:
                    continue
            elif len(words) != 1:
                continue
            name = _decode(words[0])
            if name is not None:
                found.extend((ImportedName(module, name, alias), start) for module in modules_read)
    return found


def _in_doctest(data: bytes, position: int) -> bool:
    """Whether ``position`` is on a line starting with ``>>>``: such a line is not Python code
    (no statement or continuation can start with ``>>>``), so it lies in a string."""
    start = _line_start(data, position)
    return data[start:position].lstrip(b" \t\f").startswith(b">>>")


# Before the first part of the namespace: spaces, comments and opening parentheses.
_OPENING = rb"(?:[ \t\f\r\n(]|\\" + _NEWLINE + rb"|" + _COMMENT + rb")*"
_DOTTED = rb"(?=(" + _W + rb"+))\1(?:" + _FILLER + rb"\." + _FILLER + rb"(?=(" + _W + rb"+))\2)*"
_GETATTR = re.compile(rb"getattr" + _FILLER + rb"\(" + _OPENING + _DOTTED)


def _getattr_candidates(data: bytes, resolver: _Resolver) -> list[int]:
    """Offsets of ``getattr(<dotted>, ...`` in the text whose ``<dotted>`` may be a namespace of
    optimizer classes (``getattr(tf.keras.optimizers, name)(...)``)."""
    found = []
    for match in _GETATTR.finditer(data):
        start = match.start()
        if start and _IS_WORD[data[start - 1]]:
            continue
        spelled = match[0][len(b"getattr") :]
        if b"#" in spelled:
            spelled = _STRIP_COMMENTS.sub(b"", spelled)
        dotted = spelled.translate(None, b" \t\f\r\n\\()")
        name = dotted.decode("utf-8", "surrogateescape")
        if resolver.may_be_namespace(name) and not _in_doctest(data, start):
            found.append(start)
    return found


_REFERENCE_TAIL = rb"(?:" + _FILLER + rb"\." + _FILLER + rb"(?=(" + _W + rb"+))\1)*"


@lru_cache(maxsize=1024)
def _reference(head: str) -> re.Pattern[bytes]:
    """Dotted names starting with ``head``, called or not (``partial(tf.keras.optimizers.Adam,
    ...)`` hands the class over without calling it)."""
    return re.compile(re.escape(head.encode()) + rb"(?![\w\x80-\xff])" + _REFERENCE_TAIL)


def _text_references(data: bytes, resolver: _Resolver, heads: Iterable[str]) -> list[int]:
    """Offsets of the dotted names in the text that may be a constructor, called or not."""
    found = []
    for head in sorted(heads):
        if head.encode() not in data:
            continue
        for match in _reference(head).finditer(data):
            start = match.start()
            if start and _IS_WORD[data[start - 1]]:
                continue
            spelled = _STRIP_COMMENTS.sub(b"", match[0]) if b"#" in match[0] else match[0]
            dotted = spelled.translate(None, b" \t\f\r\n\\()")
            if resolver.may_construct(dotted.decode("utf-8", "surrogateescape")):
                found.append(start)
    return found


def _text_candidates(data: bytes, resolver: _Resolver, heads: Iterable[str]) -> list[int]:
    """Offsets of the dotted calls in the text that may resolve to a constructor."""
    found = []
    verdicts: dict[bytes, bool] = {}
    for head in sorted(heads):
        if head.encode() not in data:
            continue
        for match in _chain(head).finditer(data):
            start = match.start()
            if start and _IS_WORD[data[start - 1]]:
                continue
            spelled = match[0][:-1]
            verdict = verdicts.get(spelled)
            if verdict is None:
                if b"#" in spelled:
                    spelled = _STRIP_COMMENTS.sub(b"", spelled)
                dotted = spelled.translate(None, b" \t\f\r\n\\()")
                verdict = resolver.may_construct(dotted.decode("utf-8", "surrogateescape"))
                verdicts[match[0][:-1]] = verdict
            if verdict and not _in_doctest(data, start):
                found.append(start)
    return found


# --------------------------------------------------------------------------- stage 3: syntax tree

_DEFINITIONS = (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
_FUNCTION_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)
_LOOPS = (ast.For, ast.AsyncFor, ast.While)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _scope_name(node: ast.AST) -> str | None:
    """The component a scope adds to LibCST's qualified names of its locals (PEP 3155 style)."""
    if isinstance(node, ast.ClassDef):
        return node.name
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return f"{node.name}.<locals>"
    if isinstance(node, ast.Lambda):
        return "<locals>"
    if isinstance(node, _COMPREHENSIONS):
        return "<comprehension>"
    return None


def dotted_name(node: ast.expr) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _imported(node: ast.Import | ast.ImportFrom) -> Iterator[ImportedName]:
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield ImportedName("", alias.name, alias.asname)
        return
    module = "." * node.level + (node.module or "")
    for alias in node.names:
        yield ImportedName(module, alias.name, alias.asname)


@dataclass(frozen=True)
class Around:
    """What surrounds a node: loops, defs, the qualified-name prefixes of its scopes."""

    in_loop: bool = False
    defs: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ("",)
    in_class_body: bool = False  # the node is a child of a class


# The nodes whose children are surrounded by more than the node itself is.
_SURROUNDING = frozenset(
    {*_FUNCTION_DEFS, ast.ClassDef, ast.Lambda, *_COMPREHENSIONS, *_LOOPS, ast.Assign}
)


def _inner(node: ast.AST, around: Around) -> Around:
    """What surrounds the children of ``node``."""
    scope = _scope_name(node)
    if scope is not None:
        outer = around.prefixes[-1]
        prefixes = (*around.prefixes, f"{outer}.{scope}" if outer else scope)
        if isinstance(node, _FUNCTION_DEFS):
            return Around(around.in_loop, (*around.defs, node.name), prefixes)
        return Around(around.in_loop, around.defs, prefixes, isinstance(node, ast.ClassDef))
    if isinstance(node, ast.Assign) and (
        isinstance(node.value, ast.Lambda) or _may_be_partial(node.value)
    ):
        # ``make = lambda: Adam()`` or ``make = partial(Adam)``: a call of ``make`` runs what
        # the value holds, as a call of a def of that name would.
        bound = tuple(t.id for t in node.targets if isinstance(t, ast.Name))
        return Around(around.in_loop, (*around.defs, *bound), around.prefixes)
    if isinstance(node, _LOOPS) or around.in_class_body:
        return Around(around.in_loop or isinstance(node, _LOOPS), around.defs, around.prefixes)
    return around


_FIELDS: dict[type[ast.AST], tuple[str, ...]] = {}
# Fields that never hold a node with a position: operators, contexts, names.
_LEAF_FIELDS = frozenset({"ctx", "op", "ops", "id", "attr", "name", "names", "kind", "level"})


_SEARCHED = 8  # a longer list of statements is searched, not scanned


def _statements_on(body: list[ast.stmt], ordered: list[int]) -> list[ast.stmt]:
    """The statements of ``body`` (in order, so their last lines ascend) whose last line is at
    or after one of the ``ordered`` lines: a binary search for each line, not a scan. The
    caller still checks each one's first line."""
    found: list[ast.stmt] = []
    low = 0
    for line in ordered:
        high = len(body)
        while low < high:
            middle = (low + high) // 2
            last = body[middle].end_lineno
            if last is not None and last < line:
                low = middle + 1
            else:
                high = middle
        if low == len(body):
            break
        if not found or found[-1] is not body[low]:
            found.append(body[low])
    return found


def walk_lines(tree: ast.AST, lines: Iterable[int]) -> Iterator[tuple[ast.AST, Around]]:
    """The nodes of ``tree`` whose lines may include one of ``lines``, each with what surrounds
    it; subtrees that lie wholly elsewhere are not entered. Positions inside f-strings are not
    relied on (before Python 3.12 they could be off): an f-string on those lines is walked
    whole."""
    ordered = sorted(lines)
    count = len(ordered)
    stack: list[tuple[ast.AST, Around]] = [(tree, Around())]
    while stack:
        node, around = stack.pop()
        yield node, around
        inner = (
            _inner(node, around) if around.in_class_body or type(node) in _SURROUNDING else around
        )
        if isinstance(node, ast.JoinedStr):
            stack.extend((child, inner) for child in ast.walk(node) if child is not node)
            continue
        kind = type(node)
        fields = _FIELDS.get(kind)
        if fields is None:
            fields = _FIELDS[kind] = tuple(f for f in kind._fields if f not in _LEAF_FIELDS)
        for field_name in fields:
            value = getattr(node, field_name, None)
            children: Sequence[object]
            if isinstance(value, list):
                children = (
                    _statements_on(value, ordered)
                    if len(value) > _SEARCHED and isinstance(value[0], ast.stmt)
                    else value
                )
            else:
                children = (value,)
            for child in children:
                if not isinstance(child, ast.AST):
                    continue
                first = getattr(child, "lineno", None)
                if first is not None:
                    last = child.end_lineno  # type: ignore[attr-defined]
                    if last is not None:
                        decorators = getattr(child, "decorator_list", None)
                        if decorators:
                            first = min(first, *(d.lineno for d in decorators))
                        index = bisect_left(ordered, first)
                        if index == count or ordered[index] > last:
                            continue
                stack.append((child, inner))


def _getattr_target(call: ast.Call) -> str | None:
    """``X`` in a call ``getattr(X, name)(...)`` when ``X`` is dotted (the analysis reports such
    a call when ``X`` is a namespace of optimizer classes)."""
    func = call.func
    if (
        isinstance(func, ast.Call)
        and isinstance(func.func, ast.Name)
        and func.func.id == "getattr"
        and len(func.args) == 2
    ):
        return dotted_name(func.args[0])
    return None


def handed_over(call: ast.Call) -> str | None:
    """The first positional argument of a call when it is dotted (``partial(tf.keras.optimizers
    .Adam, 1e-3)`` builds an optimizer when the partial object is called)."""
    first = call.args[0] if call.args else None
    return None if first is None else dotted_name(first)


def _may_be_partial(value: ast.expr) -> bool:
    """A call that may be ``functools.partial(<dotted>, ...)``: its callee is a bare name (an
    alias, ``from functools import partial as bind``) or an attribute named ``partial``."""
    if not isinstance(value, ast.Call) or handed_over(value) is None:
        return False
    func = value.func
    return isinstance(func, ast.Name) or (
        isinstance(func, ast.Attribute) and func.attr == "partial"
    )


def _calls_with_prefixes(tree: ast.AST) -> Iterator[tuple[ast.Call, str, tuple[str, ...]]]:
    """Each call, its callee when dotted (else ""), and the qualified-name prefixes of every
    scope around it."""
    stack: list[tuple[ast.AST, tuple[str, ...]]] = [(tree, ("",))]
    while stack:
        node, prefixes = stack.pop()
        if isinstance(node, ast.Call):
            yield node, dotted_name(node.func) or "", prefixes
        inner = _scope_name(node)
        if inner is not None:
            outer = prefixes[-1]
            prefixes = (*prefixes, f"{outer}.{inner}" if outer else inner)
        stack.extend((child, prefixes) for child in ast.iter_child_nodes(node))


Candidate = tuple[ast.Call, Optional[Around]]  # a call that may construct; what surrounds it


def _tree_candidates(
    tree: ast.AST,
    facts: _Facts,
    nodes: Iterable[tuple[ast.AST, Around | None]],
    bindable: frozenset[str] | None,
) -> list[Candidate]:
    """Stage 3 over ``nodes`` (all of ``tree``'s, or those on the lines stage 2 points at): the
    calls that may resolve to a constructor."""
    imported: list[ImportedName] = []
    calls: list[Candidate] = []
    scoped = not facts.text_stage
    for node, around in nodes:
        if isinstance(node, ast.Call):
            calls.append((node, around))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            imported.extend(_imported(node))
        elif isinstance(node, _DEFINITIONS) and node.name in facts.roots:
            scoped = True
    if scoped:  # locals may be qualified under a constructor namespace: follow every scope
        resolver = _Resolver(facts, imported)
        return [
            (call, None)
            for call, dotted, prefixes in _calls_with_prefixes(tree)
            if (dotted and resolver.may_construct(dotted, prefixes))
            or (
                (target := _getattr_target(call)) is not None
                and resolver.may_be_namespace(target, prefixes)
            )
            or (
                (handed := handed_over(call)) is not None
                and resolver.may_construct(handed, prefixes)
            )
        ]
    resolver = _Resolver(facts, imported, bindable)
    heads = resolver.heads | (facts.roots if bindable is None else bindable)
    verdicts: dict[str, bool] = {}
    found = []
    for call, around in calls:
        target = _getattr_target(call)
        if target is not None and resolver.may_be_namespace(target):
            found.append((call, around))
            continue
        handed = handed_over(call)
        if (
            handed is not None
            and handed.partition(".")[0] in heads
            and resolver.may_construct(handed)
        ):
            found.append((call, around))  # partial(Adam, ...): the engine reads functools.partial
            continue
        dotted = dotted_name(call.func)
        if dotted is None:
            continue
        verdict = verdicts.get(dotted)
        if verdict is None:
            verdict = (
                dotted.partition(".")[0] in heads
                or bool(resolver.star_modules and isinstance(call.func, ast.Name))
            ) and resolver.may_construct(dotted)
            verdicts[dotted] = verdict
        if verdict:
            found.append((call, around))
    return found


# --------------------------------------------------------------------------- the filter

_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)", re.MULTILINE)
_UTF8 = frozenset({"utf-8", "utf_8"})


def _as_utf8(data: bytes) -> bytes | None:
    """The file's text in UTF-8 without a BOM, as LibCST decodes it; None: it does not decode."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    second_line_end = data.find(b"\n", data.find(b"\n") + 1)
    cookie = _COOKIE.search(data if second_line_end == -1 else data[:second_line_end])
    if cookie is None:
        return data
    try:
        encoding = codecs.lookup(cookie[1].decode("ascii")).name
    except (LookupError, UnicodeDecodeError):
        return None
    if encoding in _UTF8:
        return data
    try:
        return data.decode(encoding).encode("utf-8")
    except (UnicodeError, LookupError):
        return None


def parse_quietly(source: str | bytes) -> ast.Module | None:
    """CPython's syntax tree of ``source``, or None when its parser rejects it; its warnings
    (``SyntaxWarning`` for invalid escapes, and kin) are not shown."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


# Only a file whose bytes hold one of these can hold a suppression comment (and so, with
# ``--report-unused-ignores``, an unused one: TFO100).
SUPPRESSION_MARKERS = (b"noqa", b"NOQA", b"fixer", b"FIXER", b"Fixer")


def may_hold_suppression(data: bytes) -> bool:
    return any(marker in data for marker in SUPPRESSION_MARKERS)


class Prefilter:
    """The four stages for one :class:`NameTable`; build it once per process."""

    def __init__(self, table: NameTable) -> None:
        # Stage 4 and the side door read this module's helpers.
        from fixer.prefilter_assumed import may_assume, may_assume_tracer
        from fixer.prefilter_sites import may_hold_site

        self.facts = _Facts.of(table)
        self._may_hold_site = may_hold_site
        self._may_assume = may_assume
        self._may_assume_tracer = may_assume_tracer

    def verdict(self, data: bytes) -> Verdict:
        """Whether the file whose bytes are ``data`` may hold a finding, and if not, why not."""
        found = self._stages(data)
        if found.skips and self._may_assume(data):
            return Verdict.PARSE  # an optimizer name the file never imports
        if found is Verdict.NO_SITE and self._may_assume_tracer(data):
            return Verdict.PARSE  # ``tf.function`` with ``tf`` never imported
        return found

    def _stages(self, data: bytes) -> Verdict:
        facts = self.facts
        text = _as_utf8(data)
        if text is None:
            return Verdict.PARSE
        if facts.needles is not None and not any(needle in text for needle in facts.needles):
            return Verdict.NO_NAME
        bindable: frozenset[str] | None = None
        lines: set[int] | None = None
        imported: list[tuple[ImportedName, int]] | None = None
        uses = _root_uses(text, facts.roots) if facts.text_stage else None
        if uses is not None and not uses.defined:
            bindable = uses.bindable
            imported = text_imports(text, facts.import_modules)
            resolver = _Resolver(facts, (item for item, _ in imported), bindable)
            if not resolver.star_modules:  # else any bare name may be a constructor: stage 3
                calls = _text_candidates(text, resolver, resolver.heads | bindable)
                if b"getattr" in text:
                    calls += _getattr_candidates(text, resolver)
                if b"partial" in text:  # functools.partial(<constructor>, ...): stage 3 reads it
                    calls += _text_references(text, resolver, resolver.heads | bindable)
                if not calls:
                    return Verdict.NO_TEXT_CALL
                useful = {start for item, start in imported if _useful(facts, item)}
                lines = line_numbers(text, sorted({*calls, *useful}))
        tree = parse_quietly(data)
        if tree is None:
            return Verdict.PARSE
        nodes: Iterable[tuple[ast.AST, Around | None]] = (
            ((node, None) for node in ast.walk(tree)) if lines is None else walk_lines(tree, lines)
        )
        candidates = _tree_candidates(tree, facts, nodes, bindable)
        if not candidates:
            return Verdict.NO_CALL
        if imported is None:
            imported = text_imports(text, facts.import_modules)
        if not self._may_hold_site(tree, text, candidates, imported, facts.table):
            return Verdict.NO_SITE
        return Verdict.PARSE

    def may_call(self, data: bytes, helpers: Collection[str]) -> bool:
        """Whether a file that :meth:`verdict` rules out may still hold a finding at a call of
        a builder of another module (``helpers``: their qualified names in this file, from
        :mod:`fixer.siblings`): some call may resolve to one of them, in a place a rule looks
        (stage 4)."""
        text = _as_utf8(data)
        tree = None if text is None else parse_quietly(data)
        if text is None or tree is None:
            return True
        imported = [
            item
            for node in ast.walk(tree)
            if isinstance(node, (ast.Import, ast.ImportFrom))
            for item in _imported(node)
        ]
        groups = [item.bindings() for item in imported]
        wanted = set(helpers)
        candidates: list[Candidate] = []
        for call, dotted, prefixes in _calls_with_prefixes(tree):
            if dotted and meanings(dotted, groups, prefixes) & wanted:
                candidates.append((call, None))
        if not candidates:
            return False
        imports = text_imports(text, self.facts.import_modules)
        return self._may_hold_site(tree, text, candidates, imports, self.facts.table, loops=False)
