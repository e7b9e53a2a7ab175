"""The facts of one file, computed once and read by every plan: what the one visitor pass
collects (traced functions, optimizer constructions, strategies, classes), the scopes and
positions LibCST resolves, and the queries over them. Read-only: nothing here plans a move.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar, Union

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata import (
    Access,
    Assignment,
    BaseAssignment,
    CodePosition,
    GlobalScope,
    QualifiedNameSource,
    Scope,
)

from fixer import names
from fixer.analysis.metadata import positions_of, scopes_of
from fixer.exports import ImportedHelper

Owner = Union[cst.Module, cst.FunctionDef, cst.ClassDef, cst.Lambda]
_N = TypeVar("_N", bound=cst.CSTNode)
Loop = Union[cst.For, cst.While]

# Methods through which an optimizer updates variables.
_UPDATE_METHODS = frozenset({"apply_gradients", "minimize", "apply"})
# Keras methods that train a compiled model with the optimizer ``compile`` gave it.
_FIT_METHODS = frozenset({"fit", "fit_generator", "train_on_batch"})
# Attributes naming the variables a model trains.
_VARIABLE_ATTRIBUTES = frozenset(
    {"trainable_variables", "trainable_weights", "variables", "weights", "trainable_params"}
)

BUILTINS = frozenset(dir(builtins))


# --------------------------------------------------------------------------- collection


@dataclass(frozen=True)
class Construction:
    """A call that builds an optimizer, a wrapper or a schedule."""

    call: cst.Call
    kind: names.Kind
    owner: Owner
    # ``getattr(tf.keras.optimizers, name)(...)``: the class is chosen when the program runs,
    # so the construction is reported, never moved. The namespace, as spelled.
    chosen_from: str | None = None
    # An unbound name taken to be TensorFlow's (``Adam(...)`` in a snippet with no imports):
    # reported with that said, never moved (``names.assumed_optimizer``).
    assumed: bool = False


@dataclass(frozen=True)
class Traced:
    """A function that ``tf.function`` traces and the scope owner it is defined in."""

    func: cst.FunctionDef
    owner: Owner
    via: str | None = None  # how it comes to be traced, when not by tf.function itself
    assumed: bool = False  # traced by an unbound ``tf.function`` (``names.ASSUMED_TRACERS``)


def _is_dotted(expr: cst.BaseExpression) -> bool:
    """``a.b.c`` made only of names: the only callee spelling resolved (``f(a)(b)`` is not)."""
    while isinstance(expr, cst.Attribute):
        expr = expr.value
    return isinstance(expr, cst.Name)


class _Collector(cst.CSTVisitor):
    """One pass over the module: what the rules look for, the comments (for suppressions), and
    every node's parent (what LibCST's ``ParentNodeProvider`` gives, without a pass of its
    own)."""

    def __init__(self, table: names.NameTable, scopes: Mapping[cst.CSTNode, Scope | None]) -> None:
        super().__init__()
        self.scopes = scopes
        self.parents: dict[cst.CSTNode, cst.CSTNode] = {}
        self._open: list[cst.CSTNode] = []  # the nodes being visited, outermost first
        self.comments: list[cst.Comment] = []  # in the order of the file
        self.deletions: dict[Owner, list[cst.Del]] = {}  # ``del`` statements, by scope owner
        self.table = table
        self.owners: list[Owner] = []
        self.owner_of: dict[cst.FunctionDef, Owner] = {}
        self.decorated: list[cst.FunctionDef] = []
        # Decorated or wrapped by an unbound ``tf.function`` (a snippet without imports).
        self.assumed_tracing: set[cst.FunctionDef] = set()
        # First components of every module the file imports (``import torch.nn`` gives torch).
        self.imported_roots: set[str] = set()
        self.any_star = False  # a star import, which may bind any name
        self.assumed_forms: set[cst.Call] = set()  # ``tf.function(step)`` with ``tf`` unbound
        self.call_forms: list[tuple[cst.Call, cst.Name]] = []
        # ``tf.function(self.<method>)`` inside a method: the call, that method, the attribute.
        self.method_forms: list[tuple[cst.Call, cst.FunctionDef, cst.Attribute]] = []
        self.constructions: list[Construction] = []
        # Calls that build other things holding variables (a layer, a model, a tf.Variable).
        self.variable_builders: list[tuple[Owner, cst.Call, str]] = []
        self.session_resets: list[cst.Call] = []  # ``tf.keras.backend.clear_session()``
        self.declared: dict[Owner, set[str]] = {}
        self.strategy_signs: list[tuple[cst.CSTNode, str]] = []
        self.name_calls: list[tuple[Owner, cst.Call]] = []
        self.all_calls: list[cst.Call] = []
        self.strategy_runs: list[tuple[Owner, cst.Call, cst.Name]] = []
        self.scope_blocks: list[cst.With] = []
        self.harmless_withs: set[cst.With] = set()
        self.star_namespaces: list[str] = []
        self.in_import_fallback = 0
        self.import_fallbacks: set[cst.CSTNode] = set()
        self.classes: dict[cst.ClassDef, Owner] = {}
        self.model_bases: dict[cst.ClassDef, bool] = {}
        self.local_bases: dict[cst.ClassDef, list[str]] = {}

    def on_visit(self, node: cst.CSTNode) -> bool:
        if self._open:
            self.parents[node] = self._open[-1]
        self._open.append(node)
        return super().on_visit(node)

    def on_leave(self, original_node: cst.CSTNode) -> None:
        super().on_leave(original_node)
        self._open.pop()

    def qualified(self, node: cst.CSTNode) -> set[str]:
        return self._qualified(node)

    def _qualified(self, node: cst.CSTNode) -> set[str]:
        """Qualified names of an expression. A local resolution that only comes from an import
        fallback (``except ImportError: tf = None``) is not another meaning: it is dropped.

        Computed as LibCST's ``QualifiedNameProvider`` does, for the nodes asked about only."""
        scope = self.scopes.get(node)
        found = scope.get_qualified_names_for(node) if scope is not None else set()
        names_found = {q.name for q in found}
        local = {q for q in found if q.source is QualifiedNameSource.LOCAL}
        if local and len(local) < len(found) and self._only_import_fallbacks(node):
            names_found -= {q.name for q in local}
        return names_found

    def _only_import_fallbacks(self, node: cst.CSTNode) -> bool:
        root: cst.CSTNode = node
        while isinstance(root, cst.Attribute):
            root = root.value
        if not isinstance(root, cst.Name):
            return False
        scope = self.scopes.get(root)
        if scope is None or root.value not in scope:
            return False
        others = [
            a
            for a in scope[root.value]
            if not isinstance(getattr(a, "node", None), (cst.Import, cst.ImportFrom))
        ]
        return bool(others) and all(
            getattr(a, "node", None) in self.import_fallbacks for a in others
        )

    def visit_Comment(self, node: cst.Comment) -> None:
        self.comments.append(node)

    def visit_Del(self, node: cst.Del) -> None:
        self.deletions.setdefault(self.owners[-1], []).append(node)

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            spelled = get_full_name_for_node(alias.name)
            if spelled is not None:
                self.imported_roots.add(spelled.partition(".")[0])

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.module is not None and not node.relative:
            spelled = get_full_name_for_node(node.module)
            if spelled is not None:
                self.imported_roots.add(spelled.partition(".")[0])
        if isinstance(node.names, cst.ImportStar):
            self.any_star = True
        if isinstance(node.names, cst.ImportStar) and node.module is not None and not node.relative:
            self.star_namespaces.append(cst.Module(body=[]).code_for_node(node.module))

    def _star_resolved(self, func: cst.BaseExpression) -> set[str]:
        """``Adam`` brought in by ``from tensorflow.keras.optimizers import *``, when nothing in
        the file binds ``Adam`` itself."""
        if not isinstance(func, cst.Name) or func.value not in names.STAR_IMPORTABLE_OPTIMIZERS:
            return set()
        scope = self.scopes.get(func)
        if scope is None or func.value in scope:
            return set()
        return {f"{namespace}.{func.value}" for namespace in self.star_namespaces}

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self.in_import_fallback += _catches_import_error(node)

    def leave_ExceptHandler(self, original_node: cst.ExceptHandler) -> None:
        self.in_import_fallback -= _catches_import_error(original_node)

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        if self.in_import_fallback and isinstance(node.target, cst.Name):
            self.import_fallbacks.add(node.target)

    def _is_tf_function(self, expr: cst.BaseExpression) -> bool:
        return _is_dotted(expr) and self.table.is_tracing_decorator(self._qualified(expr))

    def _names_a_tracer(self, expr: cst.BaseExpression) -> bool:
        """A decorator name bound once to a configured tracer:
        ``compile_fn = tf.function(jit_compile=True)`` then ``@compile_fn``."""
        if not isinstance(expr, cst.Name):
            return False
        scope = self.scopes.get(expr)
        if scope is None:
            return False
        assignments = list(scope[expr.value])
        if len(assignments) != 1 or not isinstance(assignments[0], Assignment):
            return False
        target = self.parents.get(assignments[0].node)
        assign = self.parents.get(target) if isinstance(target, cst.AssignTarget) else None
        if not isinstance(assign, cst.Assign) or len(assign.targets) != 1:
            return False
        value = assign.value
        return (
            isinstance(value, cst.Call)
            and all(arg.keyword is not None for arg in value.args)
            and self._is_tf_function(value.func)
        )

    def _unbound(self, expr: cst.BaseExpression, allowed: Callable[[str], bool]) -> bool:
        """A dotted name spelled as ``allowed`` accepts whose first name nothing binds: not an
        import, an assignment, a builtin, nor (perhaps) a star import."""
        root: cst.BaseExpression = expr
        while isinstance(root, cst.Attribute):
            root = root.value
        if not isinstance(root, cst.Name) or root.value in BUILTINS:
            return False
        spelled = get_full_name_for_node(expr)
        if spelled is None or not allowed(spelled):
            return False
        scope = self.scopes.get(root)
        return scope is not None and root.value not in scope

    def _is_assumed_tracer(self, expr: cst.BaseExpression) -> bool:
        return self._unbound(expr, names.ASSUMED_TRACERS.__contains__)

    def visit_Module(self, node: cst.Module) -> None:
        self.owners.append(node)

    # Defaults, decorators, annotations and base classes run in the enclosing scope: only the
    # body of a def, class or lambda belongs to it.
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.owner_of[node] = self.owners[-1]
        for decorator in node.decorators:
            expr = decorator.decorator
            if isinstance(expr, cst.Call):
                expr = expr.func
            if self._is_tf_function(expr) or self._names_a_tracer(expr):
                self.decorated.append(node)
                break
            if self._is_assumed_tracer(expr):
                self.decorated.append(node)
                self.assumed_tracing.add(node)
                break

    def visit_FunctionDef_body(self, node: cst.FunctionDef) -> None:
        self.owners.append(node)

    def leave_FunctionDef_body(self, node: cst.FunctionDef) -> None:
        self.owners.pop()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.classes[node] = self.owners[-1]
        self.model_bases[node] = False
        self.local_bases[node] = []
        for base in node.bases:
            if base.keyword is not None or base.star or not _is_dotted(base.value):
                continue
            qualified = self._qualified(base.value)
            if names.is_keras_model_base(qualified):
                self.model_bases[node] = True
            elif isinstance(base.value, cst.Name):
                self.local_bases[node].append(base.value.value)

    def visit_ClassDef_body(self, node: cst.ClassDef) -> None:
        self.owners.append(node)

    def leave_ClassDef_body(self, node: cst.ClassDef) -> None:
        self.owners.pop()

    def visit_Lambda_body(self, node: cst.Lambda) -> None:
        self.owners.append(node)

    def leave_Lambda_body(self, node: cst.Lambda) -> None:
        self.owners.pop()

    def visit_Global(self, node: cst.Global) -> None:
        self.declared.setdefault(self.owners[-1], set()).update(n.name.value for n in node.names)

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        self.declared.setdefault(self.owners[-1], set()).update(n.name.value for n in node.names)

    def visit_With(self, node: cst.With) -> None:
        for item in node.items:
            if is_scope_call(item.item):
                self.scope_blocks.append(node)
                self.strategy_signs.append((node, "a `.scope()` block"))
        if all(
            isinstance(item.item, cst.Call)
            and _is_dotted(item.item.func)
            and self._qualified(item.item.func)
            and self._qualified(item.item.func) <= names.HARMLESS_CONTEXTS
            for item in node.items
        ):
            self.harmless_withs.add(node)

    def _getattr_namespace(self, func: cst.BaseExpression) -> str | None:
        """The optimizer namespace ``func`` takes a class from (``getattr(tf.keras.optimizers,
        name)``, ``getattr`` being the builtin), as spelled; else None."""
        target = _getattr_target(func)
        if target is None:
            return None
        assert isinstance(func, cst.Call)
        if self._qualified(func.func) != {"builtins.getattr"}:
            return None
        if not self.table.is_optimizer_namespace(self._qualified(target)):
            return None
        spelled = get_full_name_for_node(target)
        assert spelled is not None  # a dotted name
        return spelled

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        self.all_calls.append(node)
        if isinstance(func, cst.Attribute) and func.attr.value in ("run", "experimental_run_v2"):
            receiver = func.value
            spelled = receiver.value if isinstance(receiver, cst.Name) else ""
            if isinstance(receiver, cst.Attribute):
                spelled = receiver.attr.value
            if "strateg" in spelled.lower():
                self.strategy_signs.append((node, "a `strategy.run(...)` call"))
                if node.args and isinstance(node.args[0].value, cst.Name):
                    self.strategy_runs.append((self.owners[-1], node, node.args[0].value))
        if isinstance(func, cst.Name):
            self.name_calls.append((self.owners[-1], node))
        if _is_dotted(func) and names.is_strategy_constructor(self._qualified(func)):
            self.strategy_signs.append((node, "a `tf.distribute` strategy"))
        if _is_dotted(func):
            qualified = self._qualified(func) or self._star_resolved(func)
            kind = self.table.constructor_kind(qualified)
            if kind is not None:
                self.constructions.append(Construction(node, kind, self.owners[-1]))
                return
            built = names.variable_builder(qualified)
            if built is not None:
                self.variable_builders.append((self.owners[-1], node, built))
            elif names.clears_session(qualified):
                self.session_resets.append(node)
            elif self._unbound(func, names.assumed_optimizer):
                self.constructions.append(
                    Construction(node, names.Kind.OPTIMIZER, self.owners[-1], assumed=True)
                )
            elif self._is_tf_function(func) or self._is_assumed_tracer(func):
                target = _traced_argument(node)
                method = _traced_method(node)
                if method is not None and isinstance(self.owners[-1], cst.FunctionDef):
                    # ``self.step = tf.function(self._step)`` in a method
                    self.method_forms.append((node, self.owners[-1], method))
                if target is not None:
                    self.call_forms.append((node, target))
                    if not self._is_tf_function(func):
                        self.assumed_forms.add(node)
        elif (namespace := self._getattr_namespace(func)) is not None:
            self.constructions.append(
                Construction(node, names.Kind.OPTIMIZER, self.owners[-1], namespace)
            )
        elif (
            isinstance(func, cst.Call)
            and _is_dotted(func.func)
            and self._is_tf_function(func.func)  # tf.function(reduce_retracing=True)(fn)
            and node.args
            and node.args[0].keyword is None
            and isinstance(node.args[0].value, cst.Name)
        ):
            self.call_forms.append((node, node.args[0].value))


def _traced_method(call: cst.Call) -> cst.Attribute | None:
    """``self.<name>`` handed to a tracer: ``tf.function(self._train)``."""
    first = call.args[0] if call.args else None
    if (
        first is None
        or first.star
        or (first.keyword is not None and first.keyword.value != "func")
        or not isinstance(first.value, cst.Attribute)
        or not isinstance(first.value.value, cst.Name)
    ):
        return None
    return first.value


def _getattr_target(func: cst.BaseExpression) -> cst.BaseExpression | None:
    """``X`` in ``getattr(X, name)`` (two positional arguments), else None."""
    if (
        isinstance(func, cst.Call)
        and isinstance(func.func, cst.Name)
        and func.func.value == "getattr"
        and len(func.args) == 2
        and all(arg.keyword is None and not arg.star for arg in func.args)
        and _is_dotted(func.args[0].value)
    ):
        return func.args[0].value
    return None


def _catches_import_error(handler: cst.ExceptHandler) -> bool:
    if handler.type is None:
        return False
    spelled = cst.Module(body=[]).code_for_node(handler.type)
    return "ImportError" in spelled or "ModuleNotFoundError" in spelled


def is_scope_call(expr: cst.BaseExpression) -> bool:
    """``<strategy>.scope()``: a call of an attribute named ``scope`` without arguments."""
    return (
        isinstance(expr, cst.Call)
        and isinstance(expr.func, cst.Attribute)
        and expr.func.attr.value == "scope"
        and not expr.args
    )


def _traced_argument(call: cst.Call) -> cst.Name | None:
    for arg in call.args:
        if arg.star:
            return None
        if arg.keyword is None or arg.keyword.value == "func":
            return arg.value if isinstance(arg.value, cst.Name) else None
    return None


# --------------------------------------------------------------------------- facts


@dataclass(frozen=True)
class Binding:
    """``name = <call>`` as a small statement of ``line``."""

    line: cst.SimpleStatementLine
    small: cst.BaseSmallStatement
    name: str


class Facts:
    """The facts of one file that every plan reads: metadata, collected calls, scopes."""

    def __init__(
        self,
        wrapper: cst.MetadataWrapper,
        path: str,
        table: names.NameTable,
        imported: Mapping[str, ImportedHelper] | None = None,
    ) -> None:
        self.module = wrapper.module
        self.path = path
        # Builders of other modules of the repository, by the qualified name a call of one
        # has here (:mod:`fixer.exports`; the runner reads those modules).
        self.imported: Mapping[str, ImportedHelper] = imported or {}
        self.scopes = scopes_of(wrapper.module)
        self.positions = positions_of(wrapper)
        self.collector = _Collector(table, self.scopes)
        wrapper.module.visit(self.collector)
        self._drop_assumptions()
        self.parents: Mapping[cst.CSTNode, cst.CSTNode] = self.collector.parents
        self.code = cst.Module(body=[]).code_for_node
        self.all_scopes: list[Scope] = list(
            {scope for scope in self.scopes.values() if scope is not None}
        )
        self._children: dict[Scope, list[Scope]] = {}
        self._within_cache: dict[Scope, list[Scope]] = {}
        self._within_sets: dict[Scope, set[Scope]] = {}
        self.access_of: dict[cst.CSTNode, Access] = {}
        self.accesses_named: dict[str, list[Access]] = {}
        for scope in self.all_scopes:
            for access in scope.accesses:
                self.access_of[access.node] = access
                if isinstance(access.node, cst.Name):
                    self.accesses_named.setdefault(access.node.value, []).append(access)
        self.construction_calls = {c.call for c in self.collector.constructions}
        self.assumed_calls = {c.call for c in self.collector.constructions if c.assumed}
        self.chosen_from = {
            c.call: c.chosen_from for c in self.collector.constructions if c.chosen_from
        }
        self._is_script: bool | None = None

    def _drop_assumptions(self) -> None:
        """Unbound names are taken to be TensorFlow's only in a file without star imports, and,
        for optimizers, without imports of another framework that has classes of those names."""
        collector = self.collector
        if collector.any_star:
            collector.decorated = [
                f for f in collector.decorated if f not in collector.assumed_tracing
            ]
            collector.assumed_tracing = set()
            collector.call_forms = [
                (call, target)
                for call, target in collector.call_forms
                if call not in collector.assumed_forms
            ]
            collector.assumed_forms = set()
        if collector.any_star or collector.imported_roots & names.OTHER_FRAMEWORKS:
            collector.constructions = [c for c in collector.constructions if not c.assumed]

    # ----------------------------------------------------------------- traced functions

    def traced_functions(self) -> dict[cst.FunctionDef, Traced]:
        found: dict[cst.FunctionDef, Traced] = {}
        owner_of = self.collector.owner_of
        assumed = self.collector.assumed_tracing
        for func in self.collector.decorated:
            found[func] = Traced(func, owner_of[func], assumed=func in assumed)
        for call, target in self.collector.call_forms:
            called = self.def_called(call, target)
            if called is not None and called not in found:
                guess = call in self.collector.assumed_forms
                found[called] = Traced(called, owner_of[called], assumed=guess)
        for call, method, attribute in self.collector.method_forms:
            called = self._method_named(method, attribute)
            if called is not None and called not in found:
                guess = not self.collector._is_tf_function(call.func)
                found[called] = Traced(called, owner_of[called], assumed=guess)
        changed = True
        while changed:  # strategy.run(fn) inside a traced function traces fn too
            changed = False
            for owner, _run, target in self.collector.strategy_runs:
                if owner not in found:
                    continue
                called = self.function_named(target)
                if called is not None and called not in found:
                    assert isinstance(owner, cst.FunctionDef)
                    via = f"run by `strategy.run` in tf.function `{owner.name.value}`"
                    found[called] = Traced(called, owner_of[called], via)
                    changed = True
        for cls in self.collector.classes:
            if not self.is_keras_model(cls):
                continue
            for statement in cls.body.body:
                if (
                    isinstance(statement, cst.FunctionDef)
                    and statement.name.value in names.KERAS_STEP_METHODS
                    and statement not in found
                ):
                    found[statement] = Traced(statement, cls)
        return found

    def _method_named(
        self, method: cst.FunctionDef, attribute: cst.Attribute
    ) -> cst.FunctionDef | None:
        """The method ``self.<name>`` names, read in ``method`` of a class: the last def of that
        name directly in the class body (``self`` is ``method``'s first parameter)."""
        cls = self.collector.owner_of.get(method)
        if not isinstance(cls, cst.ClassDef) or not isinstance(attribute.value, cst.Name):
            return None
        if attribute.value.value != self_parameter(method):
            return None
        found = None
        for statement in cls.body.body:
            if (
                isinstance(statement, cst.FunctionDef)
                and statement.name.value == attribute.attr.value
            ):
                found = statement
        return found

    def function_named(self, name: cst.Name) -> cst.FunctionDef | None:
        """The def a name refers to, when it refers to exactly one def of this file."""
        access = self.access_of.get(name)
        if access is None:
            return None
        referents = [r for r in access.referents if isinstance(r, Assignment)]
        if len(referents) == 1 and isinstance(referents[0].node, cst.FunctionDef):
            return referents[0].node
        return None

    def qualified_names(self, node: cst.CSTNode) -> set[str]:
        """The qualified names of an expression, as the collector resolves them."""
        return self.collector.qualified(node)

    def module_classes(self) -> dict[str, cst.ClassDef]:
        return {
            cls.name.value: cls
            for cls, owner in self.collector.classes.items()
            if isinstance(owner, cst.Module)
        }

    def class_lineage(self, cls: cst.ClassDef) -> list[cst.ClassDef]:
        """The class and its bases defined at module level in this file, nearest first."""
        by_name = self.module_classes()
        lineage: list[cst.ClassDef] = []
        pending = [cls]
        while pending:
            current = pending.pop(0)
            if current in lineage:
                continue
            lineage.append(current)
            pending.extend(
                by_name[name] for name in self.collector.local_bases[current] if name in by_name
            )
        return lineage

    def is_keras_model(self, cls: cst.ClassDef) -> bool:
        """A subclass of Keras's Model, directly or through a base class of this file."""
        return any(self.collector.model_bases[c] for c in self.class_lineage(cls))

    def def_called(self, call: cst.Call, target: cst.Name) -> cst.FunctionDef | None:
        """The def that ``tf.function(target)`` compiles: the last binding of the name before the
        call in the same scope, when that binding is a def (``step = tf.function(step)`` too)."""
        scope = self.scopes.get(call)
        if scope is None:
            return None
        if target.value not in scope.assignments:
            return self.function_named(target)  # a def of an enclosing scope
        statement = self.sort_key(self.enclosing_statement(call))
        before = [
            a
            for a in scope.assignments[target.value]
            if isinstance(a, Assignment) and self.sort_key(a.node) < statement
        ]
        if not before:
            return None
        last = max(before, key=self.assignment_key).node
        if isinstance(last, cst.FunctionDef) and self.scopes.get(last) is scope:
            return last
        return None

    # ----------------------------------------------------------------- helpers

    def is_script(self) -> bool:
        """A script (a ``__main__`` guard, or loops or calls at top level), not a library."""
        if self._is_script is None:
            self._is_script = self._find_script_markers()
        return self._is_script

    def _find_script_markers(self) -> bool:
        for statement in self.module.body:
            if isinstance(statement, (cst.For, cst.While)):
                return True
            if isinstance(statement, cst.If) and "__main__" in self.code(statement.test):
                return True
            if isinstance(statement, cst.SimpleStatementLine) and any(
                isinstance(small, cst.Expr) and isinstance(small.value, cst.Call)
                for small in statement.body
            ):
                return True
        return False

    def enclosing_loops(self, node: cst.CSTNode) -> list[Loop]:
        """Loops of the same function whose body holds ``node``, innermost first."""
        loops: list[Loop] = []
        for parent in self.ancestors(node):
            if isinstance(parent, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
                break
            if isinstance(parent, (cst.For, cst.While)) and self.within(node, parent.body):
                loops.append(parent)
        return loops

    def suppressible_at(self, node: cst.CSTNode) -> tuple[int, ...]:
        """The lines of ``node`` and the header lines (decorators to colon) of every function
        and loop around it: a suppression comment on any of them applies to its finding."""
        span = self.positions[node]
        lines = set(range(span.start.line, span.end.line + 1))
        for parent in self.ancestors(node):
            if isinstance(parent, (cst.FunctionDef, cst.For, cst.While)):
                first = self.start(
                    parent.decorators[0]
                    if isinstance(parent, cst.FunctionDef) and parent.decorators
                    else parent
                ).line
                body = parent.body
                header = body.header if isinstance(body, cst.IndentedBlock) else body
                lines.update(range(first, self.start(header).line + 1))
        return tuple(sorted(lines))

    def start(self, node: cst.CSTNode) -> CodePosition:
        return self.positions[node].start

    def sort_key(self, node: cst.CSTNode) -> tuple[int, int]:
        start = self.positions[node].start
        return start.line, start.column

    def end_key(self, node: cst.CSTNode) -> tuple[int, int]:
        end = self.positions[node].end
        return end.line, end.column

    def sort_key_statement(self, node: cst.FunctionDef) -> tuple[int, int]:
        """Where a def really starts: its first decorator."""
        return self.sort_key(node.decorators[0] if node.decorators else node)

    def assignment_key(self, assignment: BaseAssignment) -> tuple[int, int]:
        return self.sort_key(assignment.node) if isinstance(assignment, Assignment) else (0, 0)

    def within(self, node: cst.CSTNode, container: cst.CSTNode) -> bool:
        return self.sort_key(container) <= self.sort_key(node) and self.end_key(
            node
        ) <= self.end_key(container)

    def inner_scope(self, func: cst.FunctionDef) -> Scope:
        """The scope of a function's body (the def itself sits in the enclosing scope)."""
        first: cst.CSTNode = func.body.body[0] if func.body.body else func.body
        scope = self.scopes[first]
        assert scope is not None
        return scope

    def ancestors(self, node: cst.CSTNode) -> Iterator[cst.CSTNode]:
        while node in self.parents:
            node = self.parents[node]
            yield node

    def enclosing_statement(self, node: cst.CSTNode) -> cst.CSTNode:
        """The simple statement line (or compound statement header) an expression is part of."""
        for parent in self.ancestors(node):
            if isinstance(parent, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
                return parent
        return node

    def is_descendant_scope(self, scope: Scope | None, ancestor: Scope) -> bool:
        while scope is not None:
            if scope is ancestor:
                return True
            if isinstance(scope, GlobalScope):
                return False
            scope = scope.parent
        return False

    def scopes_within(self, scope: Scope) -> list[Scope]:
        """``scope`` and every scope nested in it (computed once per scope)."""
        found = self._within_cache.get(scope)
        if found is None:
            if not self._children:
                for inner in self.all_scopes:
                    if not isinstance(inner, GlobalScope) and inner.parent is not None:
                        self._children.setdefault(inner.parent, []).append(inner)
            found, pending = [], [scope]
            while pending:
                current = pending.pop()
                found.append(current)
                pending.extend(self._children.get(current, ()))
            self._within_cache[scope] = found
        return found

    def accesses_in(self, scope: Scope, name: str) -> Iterator[Access]:
        """Reads of ``name`` in ``scope`` and every scope nested in it."""
        within = self._within_sets.get(scope)
        if within is None:
            within = self._within_sets[scope] = set(self.scopes_within(scope))
        for access in self.accesses_named.get(name, ()):
            if access.scope in within:
                yield access

    def assignments_of(self, scope: Scope, name: str) -> list[BaseAssignment]:
        if name not in scope.assignments:
            return []
        return list(scope.assignments[name])

    def in_group(self, assignment: BaseAssignment, moved: Sequence[Binding]) -> bool:
        return isinstance(assignment, Assignment) and any(
            self.within(assignment.node, b.small) for b in moved
        )

    def is_parameter(self, assignment: BaseAssignment) -> bool:
        if not isinstance(assignment, Assignment):
            return False
        node = assignment.node
        return isinstance(node, cst.Param) or isinstance(self.parents.get(node), cst.Param)

    def label(self, call: cst.Call) -> str:
        """How a finding names a construction: its callee as written, or, for a class picked with
        ``getattr``, ``getattr(<namespace>, ...)``."""
        namespace = self.chosen_from.get(call)
        if namespace is not None:
            return f"getattr({namespace}, ...)"
        return self.code(call.func)

    def assumed(self, call: cst.Call) -> bool:
        """An optimizer only by its spelling: the file does not import the name."""
        return call in self.assumed_calls

    # ----------------------------------------------------------------- sites

    def binding(self, call: cst.Call) -> Binding | None:
        """The ``name = <call>`` line when the call is the whole value of a plain binding."""
        parent = self.parents.get(call)
        if isinstance(parent, cst.Assign):
            if len(parent.targets) != 1 or not isinstance(parent.targets[0].target, cst.Name):
                return None
            target = parent.targets[0].target
        elif isinstance(parent, cst.AnnAssign) and parent.value is call:
            if not isinstance(parent.target, cst.Name):
                return None
            target = parent.target
        else:
            return None
        line = self.parents.get(parent)
        if not isinstance(line, cst.SimpleStatementLine):
            return None
        if not isinstance(self.parents.get(line), (cst.IndentedBlock, cst.Module)):
            return None
        return Binding(line, parent, target.value)

    def lazy_singleton(self, call: cst.Call, func: cst.CSTNode) -> bool:
        """``if opt is None: opt = Adam()``: created on the first call only, which is correct."""
        parent = self.parents.get(call)
        if not isinstance(parent, (cst.Assign, cst.AnnAssign)):
            return False
        targets = (
            [t.target for t in parent.targets]
            if isinstance(parent, cst.Assign)
            else [parent.target]
        )
        # A local name set under `if opt is None:` is None again on every trace: only an
        # attribute, a global/nonlocal, or a module-level name keeps the first object.
        owner = func if isinstance(func, (cst.FunctionDef, cst.ClassDef, cst.Lambda)) else None
        declared = self.collector.declared.get(owner, set()) if owner else set()
        if not all(
            isinstance(t, cst.Attribute)
            or isinstance(func, cst.Module)
            or (isinstance(t, cst.Name) and t.value in declared)
            for t in targets
        ):
            return False
        spelled = {self.code(t) for t in targets}
        for node in self.ancestors(call):
            if node is func:
                return False
            if isinstance(node, cst.If) and self._tests_unset(node.test, spelled):
                return self.within(call, node.body)
        return False

    def weights_reset_in(self, node: cst.CSTNode, trained: Iterable[str]) -> cst.Call | None:
        """``model.set_weights(...)`` or ``model.load_weights(...)`` inside ``node`` for a model
        of ``trained``: a fresh start (a new fold, a new trial), so a new optimizer is intended."""
        roots = set(trained)
        for call in self.collector.all_calls:
            func = call.func
            if (
                isinstance(func, cst.Attribute)
                and func.attr.value in ("set_weights", "load_weights")
                and self.within(call, node)
            ):
                root = root_name(func.value)
                if root is not None and root.value in roots:
                    return call
        return None

    def variable_built(self, call: cst.Call) -> str | None:
        """What ``call`` builds that holds variables (a layer, a model...), if it is one."""
        return next((b for _, c, b in self.collector.variable_builders if c is call), None)

    def session_reset_in(self, node: cst.CSTNode) -> cst.Call | None:
        """A ``clear_session()`` call inside ``node``: training restarts there on purpose."""
        return next((c for c in self.collector.session_resets if self.within(c, node)), None)

    def variables_built_in(self, func: cst.FunctionDef) -> tuple[cst.Call, str] | None:
        """The first call in ``func``'s own body that builds something else holding variables
        (a layer, a model, a metric, a ``tf.Variable``) on every call, with what it builds."""
        for owner, call, built in self.collector.variable_builders:
            if owner is func and not self.lazy_singleton(call, func):
                return call, built
        return None

    def _tests_unset(self, test: cst.BaseExpression, spelled: set[str]) -> bool:
        if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
            comparison = test.comparisons[0]
            if (
                isinstance(comparison.operator, (cst.Is, cst.Equal))
                and isinstance(comparison.comparator, cst.Name)
                and comparison.comparator.value == "None"
            ):
                return self.code(test.left) in spelled
        if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            inner = test.expression
            if (
                isinstance(inner, cst.Call)
                and isinstance(inner.func, cst.Name)
                and inner.func.value == "hasattr"
                and len(inner.args) == 2
                and isinstance(inner.args[1].value, cst.SimpleString)
            ):
                # ``if not hasattr(self, "opt"): self.opt = ...``
                attribute = inner.args[1].value.evaluated_value
                owner = self.code(inner.args[0].value)
                return f"{owner}.{attribute!s}" in spelled
            return self.code(inner) in spelled
        if isinstance(test, cst.BooleanOperation):
            return self._tests_unset(test.left, spelled) or self._tests_unset(test.right, spelled)
        return False

    # ----------------------------------------------------------------- reads

    def returns_of(self, func: cst.FunctionDef) -> Iterator[cst.Return]:
        """The ``return`` statements of ``func`` itself, not of the functions it defines."""
        return nodes_in(func.body, cst.Return, skip=NESTED)

    def deleted_names(self, func: cst.FunctionDef) -> set[str]:
        """Names ``del``eted in ``func`` itself (not in a def or class inside it)."""
        return {
            name.value
            for statement in self.collector.deletions.get(func, ())
            for name in names_in(statement.target)
        }

    def names_read(self, nodes: Iterable[cst.CSTNode]) -> list[Access]:
        reads: list[Access] = []
        for node in nodes:
            for name in names_in(node):
                access = self.access_of.get(name)
                if access is not None:
                    reads.append(access)
        return reads

    # ----------------------------------------------------------------- training

    def update_of(self, use: cst.CSTNode) -> cst.Call | None:
        """``use.apply_gradients(...)`` (or ``minimize``/``apply``): the update call, if any; or
        ``model.compile(optimizer=use)`` followed by ``model.fit(...)`` in the same function."""
        attribute = self.parents.get(use)
        if isinstance(attribute, cst.Arg):
            return self._compiled_with(use, attribute)
        if not isinstance(attribute, cst.Attribute) or attribute.value is not use:
            return None
        if attribute.attr.value not in _UPDATE_METHODS:
            return None
        call = self.parents.get(attribute)
        return call if isinstance(call, cst.Call) and call.func is attribute else None

    def _compiled_with(self, use: cst.CSTNode, arg: cst.Arg) -> cst.Call | None:
        """``<model>.compile(optimizer=use)`` (or first positional), when the same function (or
        module) then trains that model with ``fit``: the model's variables are what it trains."""
        call = self.parents.get(arg)
        if (
            not isinstance(call, cst.Call)
            or not isinstance(call.func, cst.Attribute)
            or call.func.attr.value != "compile"
            or _argument(call, 0, "optimizer") is not use
        ):
            return None
        receiver = self.code(call.func.value)
        scope = self.scopes.get(call)
        for other in self.collector.all_calls:
            func = other.func
            if (
                isinstance(func, cst.Attribute)
                and func.attr.value in _FIT_METHODS
                and self.scopes.get(other) is scope
                and self.sort_key(other) > self.sort_key(call)
                and self.code(func.value) == receiver
            ):
                return call
        return None

    def update_in(
        self, call: cst.Call, binding: Binding | None, func: cst.FunctionDef
    ) -> cst.Call | None:
        """The update that applies the optimizer built by ``call`` (through its name when it is
        bound) in ``func``, if any."""
        if binding is None:
            return self.update_of(call)
        for access in self.accesses_in(self.inner_scope(func), binding.name):
            if any(self.in_group(r, [binding]) for r in access.referents):
                update = self.update_of(access.node)
                if update is not None:
                    return update
        return None

    def updated_variables(self, update: cst.Call) -> list[str]:
        """Names of what an update trains: ``model`` in ``model.trainable_variables``, the names
        in ``var_list=`` or in the variables half of ``zip(grads, [w, b])``, and whatever the
        argument that names the variables leads to (:meth:`_variable_roots`)."""
        found: list[str] = []
        for node in nodes_in(update, cst.Attribute):
            if node.attr.value in _VARIABLE_ATTRIBUTES:
                root: cst.BaseExpression = node.value
                while isinstance(root, cst.Attribute):
                    root = root.value
                if isinstance(root, cst.Name):
                    found.append(root.value)
        for arg in update.args:
            if arg.keyword is not None and arg.keyword.value == "var_list":
                found.extend(n.value for n in names_in(arg.value))
        for name in names_in(update):
            parent = self.parents.get(name)
            container = self.parents.get(parent) if isinstance(parent, cst.Element) else None
            if isinstance(container, cst.List):
                found.append(name.value)
        trained = _trained_argument(update)
        if trained is not None:
            found.extend(self._variable_roots(trained, depth=0))
        func = update.func
        if isinstance(func, cst.Attribute) and func.attr.value == "compile":
            receiver = root_name(func.value)
            if receiver is not None:
                found.append(receiver.value)  # model.compile(...): it trains the model
        return list(dict.fromkeys(found))

    def _variable_roots(self, expr: cst.BaseExpression, depth: int) -> list[str]:
        """The names whose values hold the variables ``expr`` denotes: ``w`` in ``[(g, w)]``,
        ``model`` in ``model.trainable_weights``, ``self`` in ``self.w``, and through a local
        name bound once to such an expression (``variables = [w, b]``, ``grads_and_vars =
        zip(grads, variables)``, ``opt.compute_gradients(loss, var_list=...)``); a name bound
        otherwise stands for itself."""
        if depth > 4:
            return []
        if isinstance(expr, cst.Call):
            callee = expr.func
            positional = [a.value for a in expr.args if a.keyword is None and not a.star]
            if isinstance(callee, cst.Name) and callee.value == "zip" and len(positional) == 2:
                return self._variable_roots(positional[1], depth + 1)
            if isinstance(callee, cst.Attribute) and callee.attr.value == "compute_gradients":
                var_list = _argument(expr, 1, "var_list")
                return [] if var_list is None else self._variable_roots(var_list, depth + 1)
            return []
        if isinstance(expr, (cst.List, cst.Tuple)):
            found: list[str] = []
            for element in expr.elements:
                value = element.value
                if isinstance(value, cst.Tuple) and len(value.elements) == 2:
                    value = value.elements[1].value  # (gradient, variable)
                found.extend(self._variable_roots(value, depth + 1))
            return found
        root = root_name(expr)
        if root is None:
            return []
        if root is not expr:
            return [root.value]  # model.trainable_variables, self.w, layer.kernel
        bound = self._bound_once(root)
        if bound is None:
            return [root.value]
        return self._variable_roots(bound, depth + 1) or [root.value]

    def _bound_once(self, name: cst.Name) -> cst.BaseExpression | None:
        """The value of the one ``name = <value>`` statement a read of ``name`` refers to."""
        access = self.access_of.get(name)
        if access is None or len(access.referents) != 1:
            return None
        (referent,) = access.referents
        if not isinstance(referent, Assignment):
            return None
        target = self.parents.get(referent.node)
        assign = self.parents.get(target) if isinstance(target, cst.AssignTarget) else None
        if not isinstance(assign, cst.Assign) or len(assign.targets) != 1:
            return None
        return assign.value

    def assigned_in(self, name: str, scope: Scope, loop: Loop) -> bool:
        """Whether ``name`` of ``scope`` is bound somewhere in ``loop``."""
        return any(
            isinstance(x, Assignment) and self.within(x.node, loop)
            for x in self.assignments_of(scope, name)
        )


# --------------------------------------------------------------------------- tree helpers

# Nodes that open a scope of their own.
NESTED = (cst.FunctionDef, cst.ClassDef, cst.Lambda)


def nodes_in(
    node: cst.CSTNode, kind: type[_N], *, skip: tuple[type[cst.CSTNode], ...] = ()
) -> Iterator[_N]:
    """Every ``kind`` node at or below ``node``, not looking inside nodes of the ``skip`` types."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, kind):
            yield current
        if current is node or not isinstance(current, skip):
            stack.extend(current.children)


def names_in(node: cst.CSTNode) -> Iterator[cst.Name]:
    """Every ``Name`` below ``node`` (attribute names and keywords are filtered by scope later)."""
    return nodes_in(node, cst.Name)


def _argument(call: cst.Call, position: int, keyword: str) -> cst.BaseExpression | None:
    """The argument of ``call`` at ``position`` (0-based, positional) or named ``keyword``."""
    positional = [a.value for a in call.args if a.keyword is None and not a.star]
    if len(positional) > position:
        return positional[position]
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg.value
    return None


def learning_rate_argument(call: cst.Call) -> cst.BaseExpression | None:
    """The learning rate an optimizer constructor is given (first, ``learning_rate=``, ``lr=``)."""
    found = _argument(call, 0, "learning_rate")
    if found is None:
        found = next((a.value for a in call.args if a.keyword and a.keyword.value == "lr"), None)
    return found


# What each update method trains: the argument's position and keyword.
_TRAINED_ARGUMENT = {
    "apply_gradients": (0, "grads_and_vars"),
    "minimize": (1, "var_list"),
    "apply": (1, "trainable_variables"),
}


def _trained_argument(update: cst.Call) -> cst.BaseExpression | None:
    """The argument of an update that names what it trains."""
    func = update.func
    if not isinstance(func, cst.Attribute) or func.attr.value not in _TRAINED_ARGUMENT:
        return None
    position, keyword = _TRAINED_ARGUMENT[func.attr.value]
    return _argument(update, position, keyword)


def root_name(expr: cst.BaseExpression) -> cst.Name | None:
    """``a`` in ``a.b[c].d``; None when the expression does not start with a name."""
    while isinstance(expr, (cst.Attribute, cst.Subscript)):
        expr = expr.value
    return expr if isinstance(expr, cst.Name) else None


def self_parameter(func: cst.FunctionDef | None) -> str | None:
    """The name of a method's instance parameter; None for static and class methods."""
    if func is None:
        return None
    for decorator in func.decorators:
        if isinstance(decorator.decorator, cst.Name) and decorator.decorator.value in (
            "staticmethod",
            "classmethod",
        ):
            return None
    params = [*func.params.posonly_params, *func.params.params]
    return params[0].name.value if params else None


def prepare(
    wrapper: cst.MetadataWrapper,
    path: str,
    table: names.NameTable = names.DEFAULT_NAMES,
    imported: Mapping[str, ImportedHelper] | None = None,
) -> Facts:
    """The facts of one file, computed once; :func:`~fixer.analysis.plan` may then run on them
    many times. ``imported``: the builders of other modules the file imports."""
    return Facts(wrapper, path, table, imported)
