"""An independent judge of fixer's output, written with ``ast`` alone (none of fixer's analysis).

``traced_constructions(source)`` lists the optimizers a program still builds while TensorFlow
traces: inside a function ``tf.function`` decorates or wraps (``tf.function(f)``), inside a
``train_step``/``test_step``/``predict_step`` of a Keras model subclass, or inside a module-level
function one of those calls by name (transitively). A construction under ``if <x> is None:`` (or
``if not hasattr(<x>, "<name>"):``) is the lazy singleton TensorFlow's guide recommends, and is
not listed.

``defined_names(source)`` lists the names a program binds at module level and in class bodies
(``Class.name``), looking through ``if``/``try``/``with``/``for``/``while`` but not into
functions.

Both resolve names through the program's own imports, so ``import tensorflow as tf2`` or
``from tensorflow import function as compiled`` are understood; both are deliberately simpler
than fixer's analysis, and the tests check them on the fixtures before trusting them.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Union

# What counts as building an optimizer, by qualified name (after the imports are resolved).
_OPTIMIZER_MODULE = re.compile(
    r"^(tensorflow|keras|tf_keras|tensorflow_addons)(\.[a-z_0-9]+)*\.optimizers(\.(legacy|experimental))?\.(?P<name>\w+)$"
)
_TRAIN_OPTIMIZER = re.compile(r"^tensorflow(\.compat\.v[12])?\.train\.\w+Optimizer$")
_TRACERS = {"tensorflow.function", "tensorflow.compat.v2.function", "tensorflow.compat.v1.function"}
_KERAS_MODELS = re.compile(
    r"^(tensorflow\.|tensorflow\.compat\.v2\.)?(keras|tf_keras)(\.models)?\.(Model|Sequential)$"
)
_TRACED_METHODS = {"train_step", "test_step", "predict_step"}


def _imports(tree: ast.Module) -> dict[str, str]:
    """Local name -> qualified name, from every import statement of the module."""
    table: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    table[alias.asname] = alias.name
                else:
                    first = alias.name.split(".")[0]
                    table[first] = first
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                table[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    # tf.keras is Keras: one spelling for the checks below.
    return table


def qualified(expr: ast.expr, table: dict[str, str]) -> str | None:
    """The dotted name ``expr`` stands for, through the imports; None for anything else."""
    if isinstance(expr, ast.Name):
        return table.get(expr.id)
    if isinstance(expr, ast.Attribute):
        base = qualified(expr.value, table)
        return None if base is None else f"{base}.{expr.attr}"
    return None


def is_optimizer_class(name: str | None) -> bool:
    if name is None:
        return False
    if _TRAIN_OPTIMIZER.match(name) or name.endswith(".LossScaleOptimizer"):
        return True
    match = _OPTIMIZER_MODULE.match(name)
    if match is None or ".schedules." in name:
        return False
    leaf = match.group("name")
    return leaf[:1].isupper() or leaf in ("get", "deserialize")


def _is_construction(call: ast.Call, table: dict[str, str]) -> bool:
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr == "from_config":
        return is_optimizer_class(qualified(func.value, table))
    name = qualified(func, table)
    if name is not None and name.endswith((".get", ".deserialize")):
        # get/deserialize of an optimizer namespace only: not `schedules.deserialize`.
        return is_optimizer_class(name)
    return is_optimizer_class(name) and name.rsplit(".", 1)[-1][:1].isupper()


def _is_tracer(expr: ast.expr, table: dict[str, str]) -> bool:
    if isinstance(expr, ast.Call):
        expr = expr.func
    return qualified(expr, table) in _TRACERS


_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
Function = Union[ast.FunctionDef, ast.AsyncFunctionDef]


@dataclass(frozen=True)
class Construction:
    line: int
    function: str


def _functions(tree: ast.Module) -> Iterator[Function]:
    for node in ast.walk(tree):
        if isinstance(node, _FUNCTIONS):
            yield node


def _keras_classes(tree: ast.Module, table: dict[str, str]) -> set[str]:
    """Names of the classes of the module that are Keras models (through local bases too)."""
    classes = {n.name: n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)}
    found: set[str] = set()
    changed = True
    while changed:
        changed = False
        for name, node in classes.items():
            if name in found:
                continue
            for base in node.bases:
                base_name = qualified(base, table)
                local = base.id if isinstance(base, ast.Name) else None
                if (
                    base_name and _KERAS_MODELS.match(base_name.replace(".keras.src.", ".keras."))
                ) or (local in found):
                    found.add(name)
                    changed = True
                    break
    return found


def _traced_functions(tree: ast.Module, table: dict[str, str]) -> list[Function]:
    functions = list(_functions(tree))
    wrapped: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _is_tracer(node.func, table) and node.args:
            target = node.args[0]
            if isinstance(target, ast.Name):
                wrapped.add(target.id)
            elif isinstance(target, ast.Attribute):
                wrapped.add(target.attr)
    keras = _keras_classes(tree, table)
    methods_of_keras = {
        id(item)
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef) and node.name in keras
        for item in node.body
        if isinstance(item, ast.FunctionDef) and item.name in _TRACED_METHODS
    }
    traced = [
        f
        for f in functions
        if any(_is_tracer(d, table) for d in f.decorator_list)
        or f.name in wrapped
        or id(f) in methods_of_keras
    ]
    # Module-level helpers a traced body calls by name are traced too.
    helpers = {node.name: node for node in tree.body if isinstance(node, _FUNCTIONS)}
    seen = {id(f) for f in traced}
    pending = list(traced)
    while pending:
        function = pending.pop()
        for node in ast.walk(function):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                helper = helpers.get(node.func.id)
                if helper is not None and id(helper) not in seen:
                    seen.add(id(helper))
                    traced.append(helper)
                    pending.append(helper)
    return traced


def _is_none_test(test: ast.expr) -> bool:
    return (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.Is)
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value is None
    )


def _is_hasattr_test(test: ast.expr) -> bool:
    """``not hasattr(<x>, "<name>")``: the other spelling of the lazy singleton."""
    return (
        isinstance(test, ast.UnaryOp)
        and isinstance(test.op, ast.Not)
        and isinstance(test.operand, ast.Call)
        and isinstance(test.operand.func, ast.Name)
        and test.operand.func.id == "hasattr"
    )


def _calls_outside_lazy_guards(node: ast.AST) -> Iterator[ast.Call]:
    """The calls in ``node``, not looking inside ``if <x> is None:`` (or ``if not
    hasattr(...)``) bodies."""
    if isinstance(node, ast.If) and (_is_none_test(node.test) or _is_hasattr_test(node.test)):
        for item in (node.test, *node.orelse):
            yield from _calls_outside_lazy_guards(item)
        return
    if isinstance(node, ast.Call):
        yield node
    for child in ast.iter_child_nodes(node):
        yield from _calls_outside_lazy_guards(child)


def traced_constructions(source: str | bytes) -> list[Construction]:
    """Every optimizer construction left inside a traced body of ``source``."""
    tree = ast.parse(source)
    table = _imports(tree)
    found = []
    for function in _traced_functions(tree, table):
        for statement in function.body:
            for call in _calls_outside_lazy_guards(statement):
                if _is_construction(call, table):
                    found.append(Construction(call.lineno, function.name))
    return sorted(set(found), key=lambda c: (c.line, c.function))


# ------------------------------------------------------------------ names


def _targets(target: ast.expr) -> Iterator[str]:
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            yield from _targets(element)
    elif isinstance(target, ast.Starred):
        yield from _targets(target.value)


def _bound(statements: list[ast.stmt], prefix: str) -> Iterator[str]:
    for statement in statements:
        if isinstance(statement, _FUNCTIONS):
            yield prefix + statement.name
        elif isinstance(statement, ast.ClassDef):
            yield prefix + statement.name
            yield from _bound(statement.body, f"{prefix}{statement.name}.")
        elif isinstance(statement, ast.Assign):
            for target in statement.targets:
                yield from (prefix + n for n in _targets(target))
        elif isinstance(statement, (ast.AnnAssign, ast.AugAssign)):
            yield from (prefix + n for n in _targets(statement.target))
        elif isinstance(statement, (ast.Import, ast.ImportFrom)):
            for alias in statement.names:
                if alias.name != "*":
                    yield prefix + (alias.asname or alias.name.split(".")[0])
        elif isinstance(statement, (ast.For, ast.AsyncFor)):
            yield from (prefix + n for n in _targets(statement.target))
            yield from _bound(statement.body + statement.orelse, prefix)
        elif isinstance(statement, (ast.While, ast.If)):
            yield from _bound(statement.body + statement.orelse, prefix)
        elif isinstance(statement, (ast.With, ast.AsyncWith)):
            for item in statement.items:
                if item.optional_vars is not None:
                    yield from (prefix + n for n in _targets(item.optional_vars))
            yield from _bound(statement.body, prefix)
        elif isinstance(statement, ast.Try):
            blocks = statement.body + statement.orelse + statement.finalbody
            for handler in statement.handlers:
                blocks = blocks + handler.body
            yield from _bound(blocks, prefix)


def defined_names(source: str | bytes) -> set[str]:
    """The names bound at module level, and ``Class.name`` for those bound in class bodies."""
    return set(_bound(ast.parse(source).body, ""))
