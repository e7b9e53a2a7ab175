"""The pre-filter's side door: code that uses optimizer names it never imports.

A snippet, a notebook cell or an ``exec``-assembled script may call ``Adam(...)`` or
``optimizers.Adam(...)`` without importing anything; the analysis then takes the unbound name
to be TensorFlow's (``names.assumed_optimizer``) and reports it, never fixing it. The four
stages of :mod:`fixer.prefilter` look only for calls that resolve through imports, so a file
they rule out comes here before it is skipped.

Why this is sound. The analysis assumes an optimizer only for a call whose callee, spelled as
a dotted name, ``names.assumed_optimizer`` accepts, and whose first name nothing in the file
binds. Such a call spells a class name of ``names.STAR_IMPORTABLE_OPTIMIZERS`` as a whole word
followed, across what Python allows there, by ``(``; a file whose bytes do not match
:data:`_SPELLED` has none. Otherwise ``ast`` finds every call spelled so; a first name
bound by an import at module level is bound everywhere (no scope of the file can then see it
unbound), so those calls are dropped; anything else keeps the file.

The analysis also takes an unbound ``tf.function`` for TensorFlow's tracer, which makes real
constructor calls in the functions it decorates reachable; stage 4 counts only tracers that
resolve through imports, so a file it rules out (``NO_SITE``) that spells ``tf.function`` without
a module-level import binding ``tf`` is kept too (:func:`may_assume_tracer`).
"""

from __future__ import annotations

import ast
import re

from fixer import names
from fixer.prefilter import dotted_name, parse_quietly


def _spelling_pattern() -> re.Pattern[bytes]:
    """A class name as a whole word, then what Python allows before the call's parenthesis
    (spaces, newlines and comments inside brackets, continuations, closing parentheses)."""
    classes = b"|".join(name.encode() for name in sorted(names.STAR_IMPORTABLE_OPTIMIZERS))
    filler = rb"(?:[ \t\f\r\n)]|\\(?:\r\n?|\n)|#[^\r\n]*)*"
    return re.compile(
        rb"(?<![\w\x80-\xff])(?:" + classes + rb")(?![\w\x80-\xff])" + filler + rb"\("
    )


_SPELLED = _spelling_pattern()
# ``tf.function`` with ``tf`` perhaps unbound: the analysis then assumes a tracer.
_TRACER = re.compile(rb"(?<![\w\x80-\xff.])tf\s*\.\s*function(?![\w\x80-\xff])")


def may_assume_tracer(data: bytes) -> bool:
    """Whether the analysis may take ``tf.function`` for TensorFlow's though the file binds no
    ``tf`` at module level: for a file whose constructor calls stage 4 ruled out, as that stage
    only counts tracers that resolve through imports."""
    if _TRACER.search(data) is None:
        return False
    tree = parse_quietly(data)
    return tree is None or "tf" not in _module_level_imports(tree.body)


# The class names as bytes: a substring search for each is much cheaper than the pattern.
_CLASS_BYTES = tuple(name.encode() for name in sorted(names.STAR_IMPORTABLE_OPTIMIZERS))


def may_assume(data: bytes) -> bool:
    """Whether the analysis may take an unbound name in ``data`` for a TensorFlow optimizer."""
    if not any(name in data for name in _CLASS_BYTES) or _SPELLED.search(data) is None:
        return False
    tree = parse_quietly(data)
    if tree is None:
        return True  # the engine reports what it makes of it
    imported = _module_level_imports(tree.body)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        spelled = dotted_name(node.func)
        if spelled is None or not names.assumed_optimizer(spelled):
            continue
        if spelled.partition(".")[0] not in imported:
            return True
    return False


def _module_level_imports(body: list[ast.stmt]) -> set[str]:
    """Names bound by imports that run at module level (also inside ``if``/``try`` there)."""
    found: set[str] = set()
    for statement in body:
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            for alias in statement.names:
                if alias.name != "*":
                    found.add(alias.asname or alias.name.partition(".")[0])
        elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        else:
            for field in ("body", "orelse", "finalbody"):
                inner = getattr(statement, field, None)
                if isinstance(inner, list):
                    found |= _module_level_imports(inner)
            for handler in getattr(statement, "handlers", []):
                found |= _module_level_imports(handler.body)
    return found
