"""Whether a container the moved code reads into can change before the first call.

A moved constructor that reads ``CONFIG["lr"]``, ``args.lr`` or ``self.config["lr"]`` reads it
earlier than before: at the destination instead of at the traced function's first call. That
is the same value when nothing can change the container in between, which the file shows when
the name is bound once to a new object (a dict or list display, a comprehension, a call's
result; not another name, whose object someone else may hold) and no code that may run in
between assigns into it, deletes from it, calls a method that changes it, or passes it on.

Each use of the name is classified (``_use_of``):

- *certain*: ``X[k] = v``, ``X.a = v``, ``X[k] += v``, ``del X[k]``, ``X.update(...)`` and the
  other methods that change a dict, list or set in place, ``setattr(X, ...)``: the move is
  refused, and the finding names the line;
- *possible*: ``f(X)`` (any call but a few builtins that only read), ``X.method()`` for a method
  not known to only read, ``y = X``, ``return X``: the object may change through another name,
  so the fix stays unsafe and the caveat says which use it was;
- harmless: reads (``X[k]``, ``X.a``, ``X.get(k)``, ``for k in X``, ``k in X``, ``f(**X)``).

Uses that run before the destination (module-level statements above it) do not count; uses
inside functions may run at any time, so they all count.

Fixtures: ``hoist_tf_config_dict_never_changed``, ``hoist_tf_parsed_args_attribute``,
``hoist_factory_config_dict_stable_or_changed``, ``report_factory_config_parameter_stays_unsafe``,
``report_config_overridden_in_main``,
``report_method_config_changed_by_another_method``, ``report_move_changes_when_arguments_are_read``
(passed to a call: unsafe), ``report_method_attribute_set_in_compile`` (see
``fixer.moves.instance``); left alone in ``keep_optimizer_built_once_from_config``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import Assignment

from fixer.analysis.facts import Facts, nodes_in, self_parameter

# Methods that change a dict, a list or a set in place.
MUTATORS = frozenset(
    {
        "update",
        "setdefault",
        "pop",
        "popitem",
        "clear",
        "append",
        "extend",
        "insert",
        "remove",
        "sort",
        "reverse",
        "add",
        "discard",
        "difference_update",
        "intersection_update",
        "symmetric_difference_update",
        "__setitem__",
        "__delitem__",
        "__setattr__",
        "__delattr__",
    }
)
# Methods that only read a dict, a list or an argparse/config namespace.
READERS = frozenset(
    {"get", "keys", "values", "items", "copy", "index", "count", "__getitem__", "__contains__"}
)
# Builtins that only read their arguments.
READING_BUILTINS = frozenset(
    {
        "len",
        "print",
        "str",
        "repr",
        "format",
        "dict",
        "list",
        "tuple",
        "set",
        "frozenset",
        "sorted",
        "isinstance",
        "type",
        "id",
        "hash",
        "bool",
        "int",
        "float",
        "iter",
        "enumerate",
        "zip",
        "min",
        "max",
        "sum",
        "any",
        "all",
        "getattr",
        "hasattr",
    }
)
_CHANGING_BUILTINS = frozenset({"setattr", "delattr"})


@dataclass(frozen=True)
class Change:
    """A use of the container that changes it (``certain``) or may change it."""

    node: cst.CSTNode
    certain: bool
    text: str  # how the finding names the use: "`CONFIG["lr"] = args.lr` in `main`"

    def describe(self, facts: Facts, name: str) -> str:
        line = facts.start(self.node).line
        if self.certain:
            return f"`{name}` is changed on line {line}, by {self.text}"
        return f"`{name}` may be changed on line {line}, where {self.text}"


def reads_into(facts: Facts, name_node: cst.Name) -> bool:
    """The read takes an item or an attribute of the name (``X[k]``, ``X.a``, ``X.get(k)``)."""
    parent = facts.parents.get(name_node)
    return (isinstance(parent, cst.Attribute) and parent.value is name_node) or (
        isinstance(parent, cst.Subscript) and parent.value is name_node
    )


def module_container(
    facts: Facts, name_node: cst.Name, anchor: cst.CSTNode, moved: Iterable[cst.CSTNode]
) -> Change | bool | None:
    """For a read ``X[...]`` / ``X.a`` of a name bound in one scope to a new object: the first
    use that may change it between ``anchor`` (where the move goes) and the first call, None if
    there is none, or False when the binding is not a new object of its own (a parameter,
    another name, an import), so nothing can be said."""
    access = facts.access_of.get(name_node)
    if access is None:
        return False
    referents = [r for r in access.referents if isinstance(r, Assignment)]
    if not referents or len(referents) != len(access.referents):
        return False
    scopes = {r.scope for r in referents}
    if len(scopes) != 1 or not all(_new_object(facts, r.node) for r in referents):
        return False
    (scope,) = scopes
    moved = list(moved)
    anchor_key = facts.sort_key(anchor)
    uses = [
        u
        for u in facts.accesses_named.get(name_node.value, ())
        if any(r in referents for r in u.referents)
    ]
    read = [_path(facts, u.node) for u in uses if any(facts.within(u.node, m) for m in moved)]
    found: Change | None = None
    for use in uses:
        node = use.node
        if any(facts.within(node, m) for m in moved):
            continue
        if use.scope is scope and facts.sort_key(node) < anchor_key:
            continue  # runs before the destination
        change = _use_of(facts, node, read)
        if change is not None and (found is None or (change.certain and not found.certain)):
            found = change
            if change.certain:
                break
    return found


def refusal(
    facts: Facts, name_node: cst.Name, anchor: cst.CSTNode, moved: Iterable[cst.CSTNode]
) -> str | None:
    """Why the move is refused: the moved code reads into a container that the file changes
    between the destination and the first call."""
    if not reads_into(facts, name_node):
        return None
    change = module_container(facts, name_node, anchor, moved)
    if not isinstance(change, Change) or not change.certain:
        return None
    top: cst.CSTNode = name_node
    parent = facts.parents.get(top)
    while isinstance(parent, (cst.Attribute, cst.Subscript)) and parent.value is top:
        top, parent = parent, facts.parents.get(parent)
    return (
        f"its arguments read `{_short(facts, top)}`, and "
        f"{change.describe(facts, name_node.value)}, after the place the optimizer would go, "
        "so it would be built with the value from before that change; build it once after the "
        "change and pass it in"
    )


def attribute_container(
    facts: Facts,
    cls: cst.ClassDef,
    init: cst.FunctionDef | None,
    attribute: str,
    reads: list[list[str]],
    after: cst.CSTNode | None = None,
) -> Change | None:
    """For ``self.<attribute>[...]`` read in a method (``reads``: the paths read below it): the
    first use of ``self.<attribute>`` in the class's methods that changes what those paths
    hold, or may; in ``__init__``, only the uses past ``after`` (where the optimizer goes)."""
    found: Change | None = None
    for statement in cls.body.body:
        if not isinstance(statement, cst.FunctionDef):
            continue
        if statement is init and after is None:
            continue
        self_name = self_parameter(statement)
        if self_name is None:
            continue
        for node in nodes_in(statement, cst.Attribute):
            if not (
                isinstance(node.value, cst.Name)
                and node.value.value == self_name
                and node.attr.value == attribute
            ):
                continue
            if (
                statement is init
                and after is not None
                and facts.sort_key(node) < facts.end_key(after)
            ):
                continue
            change = _use_of(facts, node, reads)
            if change is not None and (found is None or (change.certain and not found.certain)):
                found = change
                if change.certain:
                    return found
    return found


def _new_object(facts: Facts, target: cst.CSTNode) -> bool:
    """``target`` is the name of ``name = <display, comprehension or call>``."""
    parent = facts.parents.get(target)
    statement = facts.parents.get(parent) if isinstance(parent, cst.AssignTarget) else parent
    if isinstance(statement, cst.Assign) and isinstance(parent, cst.AssignTarget):
        value: cst.BaseExpression | None = statement.value
    elif isinstance(statement, cst.AnnAssign) and statement.target is target:
        value = statement.value
    else:
        return False
    return isinstance(
        value,
        (cst.Dict, cst.List, cst.Set, cst.Tuple, cst.DictComp, cst.ListComp, cst.SetComp, cst.Call),
    )


def path_below(facts: Facts, node: cst.CSTNode) -> list[str]:
    """The public name of :func:`_path`, for reads of ``self.<attr>``."""
    return _path(facts, node)


def _path(facts: Facts, node: cst.CSTNode) -> list[str]:
    """The items and attributes taken of ``node``: ``X["a"].b`` gives ``["a", ".b"]``; an item
    whose key is not a literal is ``*`` (it may be any key)."""
    path: list[str] = []
    parent = facts.parents.get(node)
    while (isinstance(parent, cst.Attribute) and parent.value is node) or (
        isinstance(parent, cst.Subscript) and parent.value is node
    ):
        if isinstance(parent, cst.Attribute):
            path.append("." + parent.attr.value)
        else:
            path.append(_key(parent))
        node = parent
        parent = facts.parents.get(node)
    return path


def _key(subscript: cst.Subscript) -> str:
    if len(subscript.slice) == 1:
        index = subscript.slice[0].slice
        if isinstance(index, cst.Index) and isinstance(
            index.value, (cst.SimpleString, cst.Integer)
        ):
            value = index.value
            if isinstance(value, cst.SimpleString):
                evaluated = value.evaluated_value
                return repr(evaluated)
            return value.value
    return "*"


def _overlaps(path: list[str], reads: list[list[str]]) -> bool:
    """Whether changing what ``path`` leads to may change what one of ``reads`` leads to: one
    is a prefix of the other, ``*`` matching any item."""
    return any(all(a == b or "*" in (a, b) for a, b in zip(path, read)) for read in reads)


def _use_of(facts: Facts, node: cst.CSTNode, reads: list[list[str]]) -> Change | None:
    """Whether this use of the container changes what ``reads`` lead to (or may), climbing
    ``X.a[k]`` chains."""
    path = _path(facts, node)
    top = node
    parent = facts.parents.get(top)
    while (isinstance(parent, cst.Attribute) and parent.value is top) or (
        isinstance(parent, cst.Subscript) and parent.value is top
    ):
        top = parent
        parent = facts.parents.get(top)
    if isinstance(parent, cst.Call) and parent.func is top and isinstance(top, cst.Attribute):
        path = path[:-1]  # ``X.update(...)`` changes X
    if not _overlaps(path, reads):
        return None
    where = _where(facts, top)
    if top is not node and _is_target(facts, top, parent):
        statement = facts.enclosing_statement(top)
        return Change(top, True, f"`{_short(facts, statement)}`{where}")
    if isinstance(parent, cst.Call) and parent.func is top and isinstance(top, cst.Attribute):
        method = top.attr.value
        if method in MUTATORS:
            return Change(parent, True, f"`{_short(facts, parent)}`{where}")
        if method in READERS:
            return None
        return Change(parent, False, f"`{_short(facts, parent)}` may change it{where}")
    if isinstance(parent, cst.Arg) and parent.value is top:
        call = facts.parents.get(parent)
        if not isinstance(call, cst.Call) or parent.star:
            return None
        callee = call.func.value if isinstance(call.func, cst.Name) else None
        if callee in _CHANGING_BUILTINS and call.args and call.args[0] is parent:
            return Change(call, True, f"`{_short(facts, call)}`{where}")
        if callee in READING_BUILTINS:
            return None
        return Change(call, False, f"it is passed to `{_short(facts, call)}`{where}")
    if top is not node:
        return None  # a read of an item or an attribute
    if isinstance(
        parent,
        (
            cst.Comparison,
            cst.ComparisonTarget,
            cst.For,
            cst.If,
            cst.While,
            cst.FormattedStringExpression,
            cst.UnaryOperation,
            cst.BooleanOperation,
            cst.Global,
            cst.Nonlocal,
            cst.NameItem,
        ),
    ):
        return None
    statement = facts.enclosing_statement(top)
    return Change(top, False, f"it is handed on in `{_short(facts, statement)}`{where}")


def _is_target(facts: Facts, top: cst.CSTNode, parent: cst.CSTNode | None) -> bool:
    if isinstance(parent, cst.AssignTarget):
        return True
    if isinstance(parent, (cst.AugAssign, cst.AnnAssign)) and parent.target is top:
        return True
    if isinstance(parent, cst.For) and parent.target is top:
        return True
    node: cst.CSTNode | None = parent
    while isinstance(node, (cst.Tuple, cst.List, cst.Element, cst.StarredElement)):
        node = facts.parents.get(node)
    return isinstance(node, (cst.Del, cst.AssignTarget))


def _where(facts: Facts, node: cst.CSTNode) -> str:
    for ancestor in facts.ancestors(node):
        if isinstance(ancestor, cst.FunctionDef):
            return f" in `{ancestor.name.value}`"
    return ""


def _short(facts: Facts, node: cst.CSTNode) -> str:
    text = " ".join(facts.code(node).split())
    return text if len(text) <= 60 else text[:57] + "..."
