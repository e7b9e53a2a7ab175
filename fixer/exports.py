"""What a module offers other modules that builds an optimizer: its *builders*.

A builder is a module-level function, without decorators, that builds an optimizer (or a
wrapper) directly or by calling another builder, of its own module or of a module it imports;
a name a module imports from a builder's module is a builder of that module too (a package's
``__init__`` re-exporting ``build_optimizer``). :func:`summarize` reads one module with the
standard library's ``ast`` (no LibCST: the runner calls it for the modules a file imports before
it knows that the file needs LibCST); :class:`Linker` follows the calls from module to module.
Both are pure: the edge (:mod:`fixer.siblings`) hands them the modules' syntax trees and says
which file an import names. The engine receives the result as :class:`ImportedHelper` values,
keyed by the qualified name a call spells in the importing file (``.optim.build_optimizer``,
``project.optim.make_opt``), as LibCST's ``QualifiedNameProvider`` gives it.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from fixer import names
from fixer.names import NameTable
from fixer.prefilter import ImportedName, dotted_name

_K = TypeVar("_K")  # how the edge identifies a module (its file)
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


@dataclass(frozen=True)
class ImportedHelper:
    """A builder of another module of the repository, as a call of it is reported."""

    name: str  # the function's name in its module
    module: str  # the module it is defined in (dotted, from the package layout)
    line: int  # of its ``def``
    construction: str  # the constructor it ends up calling, as spelled there
    construction_module: str
    construction_line: int
    returns: bool  # it returns what it builds

    @property
    def where(self) -> str:
        """Where the optimizer is built, for a finding."""
        return f"module `{self.construction_module}`, line {self.construction_line}"


@dataclass(frozen=True)
class _Call:
    target: str  # a function of this module (``local``) or an imported qualified name
    local: bool
    returned: bool


@dataclass(frozen=True)
class FunctionSummary:
    """One module-level function: what it builds itself and which functions it calls."""

    name: str
    line: int
    construction: tuple[str, int] | None  # (constructor as spelled, line): the first one
    returns_construction: bool
    calls: tuple[_Call, ...]


@dataclass(frozen=True)
class ModuleSummary:
    """A module's functions and the names it imports at module level (bound name: the
    qualified name as LibCST would spell it there)."""

    functions: Mapping[str, FunctionSummary]
    imports: Mapping[str, str]

    @property
    def names(self) -> list[str]:
        return [*self.functions, *(n for n in self.imports if n not in self.functions)]


EMPTY = ModuleSummary({}, {})


def _imported(node: ast.Import | ast.ImportFrom) -> Iterator[ImportedName]:
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield ImportedName("", alias.name, alias.asname)
        return
    module = "." * node.level + (node.module or "")
    for alias in node.names:
        yield ImportedName(module, alias.name, alias.asname)


def _through(dotted: str, groups: list[list[tuple[str, str]]]) -> set[str]:
    """The qualified names ``dotted`` has through the imports ``groups`` (none: not imported)."""
    found: set[str] = set()
    for group in groups:
        for bound, real in group:
            if dotted == bound:
                found.add(real)
                break
            if dotted.startswith(bound) and dotted[len(bound)] == ".":
                found.add(f"{real}.{dotted[len(bound) + 1 :]}")
                break
    return found


def _body_nodes(func: ast.AST) -> Iterator[ast.AST]:
    """The nodes of a function's own body, not of the functions, classes and lambdas in it."""
    stack = list(ast.iter_child_nodes(func))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, _SCOPES):
            stack.extend(ast.iter_child_nodes(node))


def summarize(tree: ast.Module, table: NameTable) -> ModuleSummary:
    """The builders' raw material in ``tree``: each undecorated module-level function, what it
    constructs itself and what it calls, and the module's imports."""
    module_groups: list[list[tuple[str, str]]] = []
    imports: dict[str, str] = {}
    defs: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
    bound_otherwise: set[str] = set()
    for statement in tree.body:
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            for item in _imported(statement):
                bindings = item.bindings()
                if bindings:
                    module_groups.append(bindings)
                    imports[bindings[-1][0]] = bindings[-1][1]
        elif isinstance(statement, _FUNCTIONS):
            if statement.decorator_list:
                bound_otherwise.add(statement.name)
            else:
                defs[statement.name] = statement
        elif isinstance(statement, ast.ClassDef):
            bound_otherwise.add(statement.name)
        else:
            for node in ast.walk(statement):
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                    bound_otherwise.add(node.id)
    for name in bound_otherwise:  # rebound after the import, or by a fallback: not knowable
        imports.pop(name, None)
        defs.pop(name, None)
    functions = {
        name: _function(func, module_groups, set(defs), bound_otherwise, table)
        for name, func in defs.items()
    }
    return ModuleSummary(functions, imports)


def _function(
    func: ast.FunctionDef | ast.AsyncFunctionDef,
    module_groups: list[list[tuple[str, str]]],
    module_defs: set[str],
    bound_otherwise: set[str],
    table: NameTable,
) -> FunctionSummary:
    nodes = list(_body_nodes(func))
    groups = list(module_groups)
    declared: set[str] = set()
    local: set[str] = {a.arg for a in ast.walk(func.args) if isinstance(a, ast.arg)}
    for node in nodes:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            groups.extend(b for b in (item.bindings() for item in _imported(node)) if b)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            declared.update(node.names)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            local.add(node.id)
        elif isinstance(node, _SCOPES) and not isinstance(node, ast.Lambda):
            local.add(node.name)
    local -= declared
    parent = {child: node for node in nodes for child in ast.iter_child_nodes(node)}
    returns_of = [node.value for node in nodes if isinstance(node, ast.Return) and node.value]
    returned = {id(value) for value in returns_of}
    returned_names = {value.id for value in returns_of if isinstance(value, ast.Name)}
    construction: tuple[str, int] | None = None
    returns = False
    calls: list[_Call] = []
    for node in sorted((n for n in nodes if isinstance(n, ast.Call)), key=_position):
        dotted = dotted_name(node.func)
        if dotted is None:
            continue
        head = dotted.partition(".")[0]
        if head in local:
            continue
        kept = _kept_in(node, parent, declared)
        if kept is False:
            continue  # a lazy singleton or a cache: built once, not per call
        given_back = id(node) in returned or (isinstance(kept, str) and kept in returned_names)
        qualified = _through(dotted, groups)
        if qualified:
            kind = table.constructor_kind(qualified)
            if kind in (names.Kind.OPTIMIZER, names.Kind.WRAPPER):
                construction = construction or (dotted, node.lineno)
                returns = returns or given_back
            elif kind is None and head not in bound_otherwise:
                calls.append(_Call(sorted(qualified)[0], False, given_back))
        elif dotted in module_defs:
            calls.append(_Call(dotted, True, given_back))
    return FunctionSummary(func.name, _first_line(func), construction, returns, tuple(calls))


def _position(node: ast.expr) -> tuple[int, int]:
    return node.lineno, node.col_offset


def _first_line(func: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    return func.lineno


def _kept_in(
    call: ast.Call, parent: Mapping[ast.AST, ast.AST], declared: set[str]
) -> str | bool | None:
    """Where a call's value is kept: False when it goes to an attribute or a global (a cache,
    built once); the local name it is bound to; None otherwise."""
    assign = parent.get(call)
    if isinstance(assign, (ast.Assign, ast.AnnAssign)) and assign.value is call:
        targets = assign.targets if isinstance(assign, ast.Assign) else [assign.target]
        if any(
            isinstance(t, (ast.Attribute, ast.Subscript))
            or (isinstance(t, ast.Name) and t.id in declared)
            for t in targets
        ):
            return False
        if len(targets) == 1 and isinstance(targets[0], ast.Name):
            return targets[0].id
    return None


class Linker(Generic[_K]):
    """Follows builders across modules. ``resolve(importer, spelled)`` is the module an import
    names (``.optim``, ``project.optim``) seen from the module ``importer``, or None when it is
    not a module of the repository; ``summary(module)`` and ``name(module)`` read it. Each
    module and function is linked once; an import cycle ends the search along it."""

    def __init__(
        self,
        resolve: Callable[[_K, str], _K | None],
        summary: Callable[[_K], ModuleSummary],
        name: Callable[[_K], str],
    ) -> None:
        self._resolve = resolve
        self._summary = summary
        self._name = name
        self._done: dict[tuple[_K, str], ImportedHelper | None] = {}
        self._open: set[tuple[_K, str]] = set()

    def builder(self, module: _K, function: str) -> ImportedHelper | None:
        """The builder ``function`` of ``module`` (a def, or a name imported there), if it is
        one."""
        key = (module, function)
        if key in self._done:
            return self._done[key]
        if key in self._open:
            return None  # a cycle: this path builds nothing new
        self._open.add(key)
        try:
            found = self._link(module, function)
        finally:
            self._open.discard(key)
        self._done[key] = found
        return found

    def builders(self, module: _K) -> dict[str, ImportedHelper]:
        """Every builder ``module`` offers, by name."""
        found = {}
        for function in self._summary(module).names:
            helper = self.builder(module, function)
            if helper is not None:
                found[function] = helper
        return found

    def target(self, importer: _K, qualified: str) -> ImportedHelper | None:
        """The builder a qualified name of ``importer`` (``.optim.build``) denotes, if any: a
        function (or imported name) of the module the rest of the name spells."""
        rest = qualified.lstrip(".")
        dots = qualified[: len(qualified) - len(rest)]
        module_part, _, function = rest.rpartition(".")
        spelled = dots + module_part
        if not spelled or not function:
            return None
        module = self._resolve(importer, spelled)
        return None if module is None else self.builder(module, function)

    def _link(self, module: _K, function: str) -> ImportedHelper | None:
        summary = self._summary(module)
        func = summary.functions.get(function)
        if func is None:
            imported = summary.imports.get(function)
            if imported is None:
                return None
            return self.target(module, imported)
        own = self._name(module)
        if func.construction is not None:
            spelled, line = func.construction
            return ImportedHelper(
                function, own, func.line, spelled, own, line, func.returns_construction
            )
        for call in func.calls:
            inner = (
                self.builder(module, call.target)
                if call.local
                else self.target(module, call.target)
            )
            if inner is not None:
                return ImportedHelper(
                    function,
                    own,
                    func.line,
                    inner.construction,
                    inner.construction_module,
                    inner.construction_line,
                    call.returned and inner.returns,
                )
        return None
