"""Bounds on the work fixer does for one file: its size, its nesting, the stack it is parsed
on, and its time.

LibCST's parser is native code that recurses once per level of nesting, and its scope analysis
and code generation are recursive Python. On a deeply nested file the first overflows the C
stack (a segmentation fault, which takes the whole process down) and the second raises
``RecursionError``. So the engine (1) lets only what CPython itself compiles reach LibCST, (2)
measures the nesting on CPython's syntax tree first and refuses a file nested deeper than
:data:`NESTING_LIMIT` (``TFO903``), and (3) runs LibCST on a thread with a stack and a
recursion limit large enough for that depth (:func:`on_deep_stack`). A worker process that
still dies, or a file that runs past its time, costs only that file (``fixer/workers.py``).
"""

from __future__ import annotations

import ast
import io
import sys
import threading
import tokenize
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

# Levels of nesting in CPython's syntax tree (an implicit concatenation of N strings and an
# ``and``/``or`` chain of N operands count N: LibCST nests them pairwise). Deeper files are
# refused with TFO903. CPython itself refuses 200 nested brackets and 100 indentation levels;
# what it accepts past this depth (``- - - ... 1``, ``a if b else ...`` 1,500 times) costs
# LibCST seconds and hundreds of megabytes, growing with the square of the depth.
NESTING_LIMIT = 1000

# Default ``--max-file-size``: a file larger than this is not parsed (TFO902) when it may hold
# a finding. LibCST's analysis costs about 1.2 GB of memory and a minute per megabyte.
DEFAULT_MAX_FILE_SIZE = 1024 * 1024

# Default ``--timeout``, in seconds per file (TFO904). The median file with a finding takes
# 20 ms; a file of 1 MiB near a minute on a slow machine.
DEFAULT_TIMEOUT = 120.0

# The stack LibCST runs on, and the recursion limit there: enough for NESTING_LIMIT levels with
# room to spare (a level costs LibCST's parser a few kilobytes of C stack and its Python passes
# up to about ten frames). Pages of the stack are only used, and counted, when touched.
STACK_SIZE = 512 * 1024 * 1024
RECURSION_LIMIT = 60_000

_lock = threading.Lock()
_active = 0
_saved_limit = 0


def nesting_depth(tree: ast.AST, source: str | bytes) -> int:
    """How deeply ``tree`` nests, as LibCST will nest it (see :data:`NESTING_LIMIT`)."""
    deepest = 0
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    pop, push, children = stack.pop, stack.append, ast.iter_child_nodes
    while stack:
        node, depth = pop()
        if depth > deepest:
            deepest = depth
        if isinstance(node, ast.BoolOp):
            depth += len(node.values) - 1
        for child in children(node):
            push((child, depth + 1))
    return max(deepest, _longest_concatenation(source))


def _longest_concatenation(source: str | bytes) -> int:
    """The most string literals written next to each other (``"a" "b" "c"``: 3). Counted with
    the tokenizer only when the file holds enough quotes for a chain past the limit."""
    if isinstance(source, str):
        if source.count("'") + source.count('"') < 2 * NESTING_LIMIT:
            return 0
        tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    else:
        if source.count(b"'") + source.count(b'"') < 2 * NESTING_LIMIT:
            return 0
        tokens = tokenize.tokenize(io.BytesIO(source).readline)
    fstring_start = getattr(tokenize, "FSTRING_START", None)  # Python 3.12
    fstring_end = getattr(tokenize, "FSTRING_END", None)
    skipped = {tokenize.NL, tokenize.COMMENT, tokenize.ENCODING}
    longest = run = inside = 0
    try:
        for token in tokens:
            kind = token.type
            if kind == fstring_start:
                if not inside:
                    run += 1
                inside += 1
            elif kind == fstring_end:
                inside -= 1
            elif inside or kind in skipped:
                continue
            elif kind == tokenize.STRING:
                run += 1
            else:
                run = 0
            longest = max(longest, run)
    except (tokenize.TokenError, SyntaxError):
        pass  # CPython parsed it; the tokenizer module is only stricter about odd corners
    return longest


def on_deep_stack(call: Callable[[], T]) -> T:
    """``call()`` on a thread with :data:`STACK_SIZE` of stack and :data:`RECURSION_LIMIT`, its
    result returned and its exception raised here. Runs it in place when no such thread can be
    made (a platform or a ``ulimit`` that refuses the stack)."""
    global _active, _saved_limit
    box: dict[str, object] = {}

    def target() -> None:
        try:
            box["result"] = call()
        except BaseException as error:  # re-raised in the caller's thread
            box["error"] = error

    thread: threading.Thread | None = threading.Thread(
        target=target, name="fixer-deep-stack", daemon=True
    )
    with _lock:
        if _active == 0:
            _saved_limit = sys.getrecursionlimit()
            sys.setrecursionlimit(max(_saved_limit, RECURSION_LIMIT))
        _active += 1
        try:
            previous = threading.stack_size(STACK_SIZE)
            try:
                assert thread is not None
                thread.start()
            finally:
                threading.stack_size(previous)
        except (ValueError, RuntimeError, MemoryError):
            thread = None
            _active -= 1
            if _active == 0:
                sys.setrecursionlimit(_saved_limit)
    if thread is None:
        target()  # on the caller's own stack, with its own recursion limit
    else:
        try:
            thread.join()
        finally:
            with _lock:
                _active -= 1
                if _active == 0:
                    sys.setrecursionlimit(_saved_limit)
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["result"]  # type: ignore[return-value]
