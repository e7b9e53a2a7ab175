"""Stage 4 of the pre-filter: a file whose possible constructor calls all lie where no rule looks.

Stage 3 (:mod:`fixer.prefilter`) leaves the calls of the syntax tree that may build an optimizer
or a wrapper. Every finding is anchored at such a call (or, for TFO004, at a call of a function
holding one), and every rule looks only at calls in one of these places:

- **a loop**: the body of a ``for`` or ``while`` (TFO002, TFO003);
- **a traced function** (TFO001): a def decorated by a tracer (``tf.function`` or a configured
  one), a def named by a call of a tracer (``tf.function(step)``, ``tf.function(...)(step)``)
  or of ``<strategy>.run``, or a Keras step method (``train_step``, ``test_step``,
  ``predict_step``) of a class;
- **a function a traced function calls** by name, directly or through other functions (TFO004);
- **a function called from a loop**, by name or as a method (TFO005).

A name bound to a ``lambda`` or to what may be a ``functools.partial(<dotted>, ...)`` call counts
as a def of that name for the calls in its value (TFO004 follows a call of it).

This stage over-approximates each place with the standard library's ``ast`` and the file's
text, and says ``NO_SITE`` only when no candidate call is in any of them. Names are matched by
spelling, which only adds places: the engine resolves them by meaning (the def of this file a
name refers to), and every such reference spells the name.

- A candidate is *in a loop* when a ``for`` or ``while`` is among the nodes around it, at any
  depth and in any part (the engine counts only the loop's body, in the same function).
- Each def around a candidate (the engine looks at the innermost) is checked by name: a name
  is *hot* when a def of that name is decorated by anything that may resolve to a tracer (each
  import of the file, each enclosing scope and ``builtins`` are tried, as LibCST builds
  qualified names) or is a step method directly in a class body; or when the name, as a
  ``Name`` or an attribute, is used inside a loop, as an argument of a call that may be a
  tracer's or a ``<strategy>.run``, or inside a def whose name is hot.

A candidate in a loop, or with a hot def around it, sends the file to LibCST. The syntax tree is
read only on the lines that matter: the candidates', then the lines where a whole-word search of
the text finds a name being checked (plus every line with non-ASCII text, which may spell a name
in another NFKC form), so a file costs little more than its parse.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator, Sequence

from fixer import names, prefilter
from fixer.names import NameTable

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_STRATEGY_RUNS = frozenset({"run", "experimental_run_v2"})
# As the engine's facts: the updates, and ``compile``, which hands the optimizer to a model.
_UPDATE_METHODS = frozenset({"apply_gradients", "minimize", "apply", "compile"})


def _word_offsets(text: bytes, word: bytes) -> Iterator[int]:
    """Where ``word`` (ASCII) is spelled as a whole word; non-ASCII bytes count as letters."""
    start = text.find(word)
    while start != -1:
        if prefilter.word_at(text, start, word):
            yield start
        start = text.find(word, start + len(word))


_NON_ASCII = re.compile(rb"[\x80-\xff]+")


def _non_ascii_offsets(text: bytes) -> Iterator[int]:
    if not text.isascii():
        yield from (match.start() for match in _NON_ASCII.finditer(text))


class _Tracers:
    """Whether a dotted expression may resolve to a tracer, as LibCST would qualify it."""

    def __init__(self, table: NameTable, imported: Iterable[prefilter.ImportedName]) -> None:
        self.table = table
        self.imported = imported
        self._groups: list[list[tuple[str, str]]] | None = None

    def may_be(self, expr: ast.expr, prefixes: Iterable[str]) -> bool:
        dotted = prefilter.dotted_name(expr)
        if dotted is None:
            return False
        if self._groups is None:  # the imports are read when a decorator or a call needs them
            self._groups = [item.bindings() for item in self.imported]
        found = prefilter.meanings(dotted, self._groups, prefixes)
        return any(self.table.is_tracing_decorator((name,)) for name in found)

    def traces(self, call: ast.Call, prefixes: Sequence[str]) -> bool:
        """A call that may hand its arguments to a tracer: ``tf.function(f)``,
        ``tf.function(...)(f)`` or ``<strategy>.run(f)``."""
        func = call.func
        if isinstance(func, ast.Call):
            return self.may_be(func.func, prefixes)
        if isinstance(func, ast.Attribute) and func.attr in _STRATEGY_RUNS:
            receiver = func.value
            spelled = receiver.id if isinstance(receiver, ast.Name) else ""
            if isinstance(receiver, ast.Attribute):
                spelled = receiver.attr
            if "strateg" in spelled.lower():
                return True
        return self.may_be(func, prefixes)


def _applies_update(func: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether ``func`` calls ``.apply_gradients``, ``.minimize``, ``.apply`` or ``.compile`` on
    anything."""
    return any(
        isinstance(node, ast.Attribute) and node.attr in _UPDATE_METHODS for node in ast.walk(func)
    )


class _Heat:
    """Whether some def name of a set is hot (see the module's docstring)."""

    def __init__(
        self,
        tree: ast.Module,
        text: bytes,
        imported: Iterable[prefilter.ImportedName],
        table: NameTable,
    ) -> None:
        self.tree = tree
        self.text = text
        self.tracers = _Tracers(table, imported)
        self._unusual: set[int] | None = None
        self._configured: set[str] | None = None

    @property
    def unusual(self) -> set[int]:
        """Lines with non-ASCII text: Python reads identifiers in NFKC form, so such a line may
        spell any name (fullwidth ``main``, U+FF4D U+FF41 U+FF49 U+FF4E, is ``main``)."""
        if self._unusual is None:
            self._unusual = prefilter.line_numbers(self.text, _non_ascii_offsets(self.text))
        return self._unusual

    def any_hot(self, start: Iterable[str]) -> bool:
        """Whether a def named in ``start`` may be where a rule looks.

        Breadth first over callers: each name reached calls, through the names before it, a
        name of ``start``; so one that is traced by itself (decorated, a step method, handed to
        a tracer) makes a def of ``start`` traced or called while tracing. A def of ``start``
        that is used in a loop and applies an update itself may also be TFO005's.
        """
        seen = set(start)
        frontier = seen
        looped: set[str] = set()
        defs_of: dict[str, list[ast.FunctionDef | ast.AsyncFunctionDef]] = {}
        first = True
        while frontier:
            if any(not name.isascii() for name in frontier):
                return True  # spelled in other NFKC forms than the text search knows
            lines = set(self.unusual)
            for name in frontier:
                lines |= prefilter.line_numbers(self.text, _word_offsets(self.text, name.encode()))
            callers: set[str] = set()
            for node, around in prefilter.walk_lines(self.tree, lines):
                used = None
                if isinstance(node, _FUNCTIONS):
                    if node.name in frontier:
                        if self._decorated(node, around):
                            return True
                        defs_of.setdefault(node.name, []).append(node)
                elif isinstance(node, ast.Call):
                    if self._traces_one_of(node, around, frontier):
                        return True
                elif isinstance(node, ast.Name):
                    used = node.id
                elif isinstance(node, ast.Attribute):
                    used = node.attr
                if used is not None and used in frontier:
                    callers.update(around.defs)
                    if around.in_loop and first:
                        looped.add(used)
            if first and any(
                _applies_update(node) for name in looped for node in defs_of.get(name, ())
            ):
                return True
            first = False
            frontier = callers - seen
            seen |= callers
        return False

    def _decorated(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef, around: prefilter.Around
    ) -> bool:
        """A step method of a class, or a def decorated by what may be a tracer."""
        if around.in_class_body and node.name in names.KERAS_STEP_METHODS:
            return True
        for decorator in node.decorator_list:
            expr = decorator.func if isinstance(decorator, ast.Call) else decorator
            if self.tracers.may_be(expr, around.prefixes):
                return True
            if isinstance(expr, ast.Name) and expr.id in self.configured_tracers:
                return True
        return False

    @property
    def configured_tracers(self) -> set[str]:
        """Names bound anywhere to a call that may be a tracer's (``compile_fn =
        tf.function(jit_compile=True)``): as a decorator, such a name may trace."""
        if self._configured is None:
            self._configured = {
                target.id
                for node in ast.walk(self.tree)
                if isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Call)
                and self.tracers.may_be(node.value.func, ("",))
                for target in node.targets
                if isinstance(target, ast.Name)
            }
        return self._configured

    def _traces_one_of(self, call: ast.Call, around: prefilter.Around, wanted: set[str]) -> bool:
        arguments = [*call.args, *(keyword.value for keyword in call.keywords)]
        return any(
            (isinstance(a, ast.Name) and a.id in wanted)
            or (isinstance(a, ast.Attribute) and a.attr in wanted)  # tf.function(self.step)
            for a in arguments
        ) and self.tracers.traces(call, around.prefixes)


def may_hold_site(
    tree: ast.Module,
    text: bytes,
    candidates: Sequence[prefilter.Candidate],
    imported: Iterable[tuple[prefilter.ImportedName, int]],
    table: NameTable,
    *,
    loops: bool = True,
) -> bool:
    """Whether a rule may look at one of ``candidates`` (calls of ``tree``, whose source in
    UTF-8 is ``text``, each with what surrounds it when stage 3 knows). ``imported`` holds at
    least every import that may bind a tracer (:func:`fixer.prefilter.text_imports`). Without
    ``loops``, only traced functions and the functions they call count (the one place a call of
    another module's builder is a finding)."""
    arounds = [around for _, around in candidates if around is not None]
    wanted = {id(call) for call, around in candidates if around is None}
    if wanted:
        lines = {call.lineno for call, around in candidates if around is None}
        for node, around in prefilter.walk_lines(tree, lines):
            if id(node) in wanted:
                arounds.append(around)
                wanted.discard(id(node))
        if wanted:
            return True  # a position the tree got wrong (inside an f-string before Python 3.12)
    if loops and any(around.in_loop for around in arounds):
        return True
    defs = {name for around in arounds for name in around.defs}
    return bool(defs) and _Heat(tree, text, (item for item, _ in imported), table).any_hot(defs)
