"""``fix_source``: text in, fixed text and findings out. Pure: no file or terminal I/O."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import AnyStr, Generic

import libcst as cst

from fixer.analysis import analyse
from fixer.findings import INTERNAL_ERROR, SYNTAX_ERROR, Applicability, Diagnostic, FindingsView
from fixer.names import DEFAULT_NAMES, NameTable
from fixer.transform import apply_plan


@dataclass(frozen=True)
class FixResult(FindingsView, Generic[AnyStr]):
    """What fixer found in one source and the source with its fixes applied.

    ``fixed`` has the type of the input (``str`` or ``bytes``); with bytes, the encoding, a BOM
    and line endings are kept. On an error finding ``fixed`` is the input, unchanged.
    """

    path: str
    source: AnyStr
    fixed: AnyStr
    diagnostics: tuple[Diagnostic, ...]

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
) -> FixResult[AnyStr]:
    """Find optimizers built while tracing in ``source`` and move those that safely can.

    ``names`` adds a project's own optimizer and tracing names to the built-in table;
    ``unsafe_fixes`` also applies fixes that change how a running program trains.

    Never raises on bad input: a syntax error, an undecodable file or an internal failure comes
    back as an error finding with the source unchanged.
    """
    null = b"\x00" if isinstance(source, bytes) else "\x00"
    if null in source:
        line = source[: source.index(null)].count(b"\n" if isinstance(source, bytes) else "\n")
        diagnostic = _error(
            path, SYNTAX_ERROR.code, "syntax error: source code cannot contain null bytes", line + 1
        )
        return FixResult(path, source, source, (diagnostic,))
    try:
        module = cst.parse_module(source)
        if _has_bare_cr(source) and _render(module, source) != source:
            # e.g. old Mac CR-only line endings: LibCST cannot give the same bytes back.
            message = "cannot keep this file byte-for-byte (CR-only line endings?); not checked"
            return FixResult(path, source, source, (_error(path, SYNTAX_ERROR.code, message),))
    except RecursionError:
        message = "syntax error: too deeply nested to parse"
        return FixResult(path, source, source, (_error(path, SYNTAX_ERROR.code, message),))
    except cst.ParserSyntaxError as error:
        diagnostic = _syntax_error(source, path, error)
        return FixResult(path, source, source, (diagnostic,))
    except (UnicodeError, LookupError, SyntaxError, ValueError) as error:
        diagnostic = _error(path, SYNTAX_ERROR.code, f"cannot decode or parse: {error}")
        return FixResult(path, source, source, (diagnostic,))
    try:
        wrapper = cst.MetadataWrapper(module, unsafe_skip_copy=True)
        plan = analyse(wrapper, path, names, unsafe_fixes=unsafe_fixes)
        if not plan.changes_anything:
            return FixResult(path, source, source, plan.diagnostics)
        fixed = _render(apply_plan(wrapper.module, plan), source)
        cst.parse_module(fixed)
    except cst.ParserSyntaxError as error:
        diagnostic = _error(
            path,
            INTERNAL_ERROR.code,
            f"internal error: the fixed file would not parse ({error.message}); left unchanged",
        )
        return FixResult(path, source, source, (diagnostic,))
    except Exception as error:  # a bug in fixer must not stop a batch run
        detail = (str(error).splitlines() or [""])[0][:160]
        diagnostic = _error(
            path,
            INTERNAL_ERROR.code,
            f"internal error: {type(error).__name__}: {detail}; left unchanged "
            "(please report this file)",
        )
        return FixResult(path, source, source, (diagnostic,))
    return FixResult(path, source, fixed, plan.diagnostics)
