"""Destination: ``__init__``, for a traced method; the optimizer is kept on the instance.

A traced method (``train_step`` of a Keras model, a method decorated with ``@tf.function``, or
an untraced step method for TFO005) gets its optimizer built once in ``__init__``, after
``super().__init__()`` and after every ``self.<attr>`` its arguments read, as
``self.<name>``; a class without ``__init__`` gets a new one, placed before its first method.
The checks particular to this destination are here: the arguments may read only module names
and ``self.<attr>`` set in ``__init__`` (``check_method_reads``), ``__init__`` must call
``super().__init__()`` and set those attributes before the insertion point and nowhere else
(``init_insertion_point``), the class must not define ``__slots__``, neither the method nor
``__init__`` may be defined inside a block of the class body (``if``, ``try``...: which
definition wins is then decided at run time, ``_defined_in_a_block``); and what still runs
earlier than before makes the fix unsafe (``instance_caveat``). Attribute names avoid every
name the class and its bases in the file use (``class_attributes``).

Fixtures: ``hoist_method_adds_init_when_missing``, ``hoist_method_keras_train_step``,
``hoist_method_reads_attribute_set_in_init``, ``hoist_method_through_base_class_in_module``,
``hoist_tf_keras_train_step_fit``, ``report_method_attribute_set_after_init``,
``report_method_init_without_super_call``, ``report_object_base_class_rebuilds_optimizer`` (a
``class C(object):`` needs no ``super().__init__()``), ``report_method_reads_step_argument``,
``report_method_defined_in_a_class_block``, ``report_method_init_defined_in_a_class_block``,
``report_trainer_method_called_per_batch``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import libcst as cst

from fixer import names
from fixer.analysis.facts import Binding, Facts, names_in, nodes_in, self_parameter
from fixer.analysis.plan import BoundCall, MovedStatement, NewInit, Reference
from fixer.findings import Applicability
from fixer.moves import checks, stability

if TYPE_CHECKING:
    from fixer.analysis.planner import Planner
    from fixer.moves.hoist import Site


def plan_instance_move(
    planner: Planner, site: Site, moved: Sequence[Binding], cls: cst.ClassDef
) -> str | None:
    """A method: build it in ``__init__`` and keep it on the instance."""
    facts = planner.facts
    func = site.func
    self_name = self_parameter(func)
    if self_name is None:
        return f"`{func.name.value}` is a static or class method; build the optimizer outside"
    in_block = _defined_in_a_block(cls)
    for name in (func.name.value, "__init__"):
        if name in in_block:
            return (
                f"`{name}` of `{cls.name.value}` is defined under `{in_block[name]}` in the "
                "class body; build the optimizer outside"
            )
    attributes, reason = check_method_reads(facts, site, moved, self_name)
    if reason is not None:
        return reason
    slotted = next((c for c in facts.class_lineage(cls) if _defines_slots(c)), None)
    if slotted is not None:
        return f"`{slotted.name.value}` defines `__slots__`, so it cannot take a new attribute"
    init = _find_init(cls)
    init_self = self_parameter(init) if init is not None else "self"
    if init_self is None:
        return f"`__init__` of `{cls.name.value}` takes no `self`"
    if init is None:
        if attributes:
            first = sorted(attributes)[0]
            return (
                f"its arguments read `{self_name}.{first}`, "
                f"and `{cls.name.value}` has no `__init__`"
            )
        if cls.decorators:
            return f"`{cls.name.value}` is decorated and has no `__init__` to build it in"
        anchor: cst.BaseStatement = _first_method(cls)
        after = False
    else:
        if not isinstance(init.body, cst.IndentedBlock):
            return f"`__init__` of `{cls.name.value}` is written on one line"
        anchor, after, reason = init_insertion_point(facts, cls, init, attributes)
        if reason is not None:
            return reason
    changed = container_change(facts, site, moved, self_name, init, anchor)
    if changed is not None and changed[1].certain:
        name, change = changed
        return (
            f"its arguments read `{self_name}.{name}`, and "
            f"{change.describe(facts, f'{self_name}.{name}')}, so an optimizer built in "
            "`__init__` could be built with a value that is later changed; build it where the "
            "value is final"
        )
    caveat = instance_caveat(facts, site, moved, self_name)
    if changed is not None:
        name, change = changed
        if site.applicability is Applicability.SAFE:
            site.applicability = Applicability.UNSAFE
        caveat += (
            f" (unsafe: its arguments read `{self_name}.{name}`, and "
            f"{change.describe(facts, f'{self_name}.{name}')})"
        )
    taken = planner.attributes_taken.setdefault(cls, class_attributes(facts, cls))
    func_scope = facts.inner_scope(func)
    notes: list[str] = []
    for name in dict.fromkeys(b.name for b in moved):
        attribute = _fresh(name, func.name.value, taken)
        group = planner.group_of(name, func_scope, moved)
        planner.point_group_at(name, Reference(attribute, init_self), func_scope, group)
        notes.append(f"`{init_self}.{attribute}`")
    if self_name != init_self:
        for access in facts.names_read([b.small for b in moved]):
            if isinstance(access.node, cst.Name) and access.node.value == self_name:
                planner.references[access.node] = Reference(init_self)
    hoisted: list[MovedStatement | BoundCall] = []
    # Columns of the statements that will hold the moved ones (a new __init__'s body is
    # indented one level below the method it is placed before).
    column = facts.start(anchor).column + (0 if init is not None else 4)
    hoisted.extend(planner.remove_moved(moved, column))
    if site.bound is None:
        attribute = _fresh("optimizer", func.name.value, taken)
        enclosing = facts.enclosing_statement(site.call)
        planner.replaced[site.call] = Reference(attribute, self_name)
        target = Reference(attribute, init_self)
        hoisted.append(BoundCall(target, site.call, facts.start(enclosing).column - column))
        notes.append(f"`{init_self}.{attribute}`")
    if init is None:
        previous = planner.new_inits.get(cls)
        body = (*previous.body, *hoisted) if previous else tuple(hoisted)
        new_init = NewInit(init_self, bool(cls.bases), body)
        planner.new_inits[cls] = new_init
        planner.insertions[(anchor, False)] = [new_init]
        planner.blank_after[anchor] = 1
        where = "a new `__init__`"
    else:
        planner.insertions.setdefault((anchor, after), []).extend(hoisted)
        where = "`__init__`"
    planner.report(
        site,
        site.applicability,
        f"{site.fix_word}: build it once in {where} as {', '.join(notes)}{caveat}",
    )
    return None


def check_method_reads(
    facts: Facts, site: Site, moved: Sequence[Binding], self_name: str
) -> tuple[set[str], str | None]:
    """Reads allowed in ``__init__``: module names and ``self.<attr>``; returns the attrs."""
    attributes: set[str] = set()
    for access, name, referents in checks.outer_reads(facts, site, moved):
        if referents and name == self_name and all(facts.is_parameter(r) for r in referents):
            parent = facts.parents.get(access.node)
            if isinstance(parent, cst.Attribute) and parent.value is access.node:
                attributes.add(parent.attr.value)
                continue
            return attributes, f"its arguments use `{self_name}` itself"
        reason = checks.local_read(facts, site, name, referents, access)
        if reason is None and isinstance(access.node, cst.Name):
            reason = stability.refusal(facts, access.node, site.func, site.moved_nodes(moved))
        if reason is not None:
            return attributes, reason
    return attributes, None


def container_change(
    facts: Facts,
    site: Site,
    moved: Sequence[Binding],
    self_name: str,
    init: cst.FunctionDef | None,
    anchor: cst.CSTNode | None,
) -> tuple[str, stability.Change] | None:
    """A ``self.<attr>`` the arguments read into (``self.config["lr"]``) that another method
    changes, or may: the first such attribute and its change."""
    assert isinstance(site.owner, cst.ClassDef)
    reads: dict[str, list[list[str]]] = {}
    for node in site.moved_nodes(moved):
        for attribute in nodes_in(node, cst.Attribute):
            if isinstance(attribute.value, cst.Name) and attribute.value.value == self_name:
                path = stability.path_below(facts, attribute)
                if path:
                    reads.setdefault(attribute.attr.value, []).append(path)
    found: tuple[str, stability.Change] | None = None
    for name in sorted(reads):
        change = stability.attribute_container(
            facts, site.owner, init, name, reads[name], anchor if init is not None else None
        )
        if change is not None and (found is None or (change.certain and not found[1].certain)):
            found = (name, change)
    return found


def instance_caveat(facts: Facts, site: Site, moved: Sequence[Binding], self_name: str) -> str:
    """Calls and reads other than ``self.<attr>`` now run when the instance is created."""
    nodes = site.moved_nodes(moved)
    module_scope = facts.scopes[facts.module.body[0]] if facts.module.body else None
    if module_scope is None:
        return ""
    late = checks.late_read(facts, nodes, module_scope, site.func, site.call)
    if late is None or f"`{self_name}." in late:
        return ""
    if site.applicability is Applicability.SAFE:
        site.applicability = Applicability.UNSAFE
    return (
        f" (unsafe: its arguments {late}, now evaluated once when the instance is created "
        "instead of at the first call)"
    )


def init_insertion_point(
    facts: Facts, cls: cst.ClassDef, init: cst.FunctionDef, attributes: set[str]
) -> tuple[cst.BaseStatement, bool, str | None]:
    """After ``super().__init__(...)`` and every ``self.<attr>`` the arguments read.

    Returns the anchor statement of ``__init__``'s body and whether to insert after it.
    """
    init_self = self_parameter(init) or "self"
    assert isinstance(init.body, cst.IndentedBlock)
    body: list[cst.BaseStatement] = list(init.body.body)
    anchor_index: int | None = None
    for index, statement in enumerate(body):
        if _calls_super_init(statement):
            anchor_index = index
    if anchor_index is None:
        if any(not _is_object(base.value) for base in cls.bases):
            reason = f"`__init__` of `{cls.name.value}` does not call `super().__init__()`"
            return body[0], False, reason
        anchor_index = 0 if _is_docstring(body[0]) else None
    for attribute in sorted(attributes):
        where = [i for i, st in enumerate(body) if _assigns_attribute(st, init_self, attribute)]
        if not where:
            setter = attribute_setter(facts, cls, init, attribute)
            elsewhere = (
                f", only `{setter[0]}` does (line {setter[1]}), and that may run after "
                "`__init__`; set it in `__init__` or build the optimizer there"
                if setter is not None
                else " before the place the optimizer would go"
            )
            reason = (
                f"its arguments read `self.{attribute}`, which `__init__` does not set{elsewhere}"
            )
            return body[0], False, reason
        if attribute_set_elsewhere(facts, cls, init, attribute):
            return body[0], False, f"`self.{attribute}` is also set outside `__init__`"
        anchor_index = max(-1 if anchor_index is None else anchor_index, where[-1])
    if anchor_index is None:
        return body[0], False, None
    return body[anchor_index], True, None


def attribute_set_elsewhere(
    facts: Facts, cls: cst.ClassDef, init: cst.FunctionDef, attribute: str
) -> bool:
    """Whether a method other than ``__init__`` assigns ``self.<attribute>``."""
    return attribute_setter(facts, cls, init, attribute) is not None


def attribute_setter(
    facts: Facts, cls: cst.ClassDef, init: cst.FunctionDef | None, attribute: str
) -> tuple[str, int] | None:
    """The first method other than ``__init__`` that assigns ``self.<attribute>``, and where."""
    for statement in cls.body.body:
        if isinstance(statement, cst.FunctionDef) and statement is not init:
            self_name = self_parameter(statement)
            if not self_name:
                continue
            for node in nodes_in(statement, cst.Attribute):
                if _is_self_attribute(node, self_name, attribute) and isinstance(
                    facts.parents.get(node), (cst.AssignTarget, cst.AugAssign)
                ):
                    return statement.name.value, facts.start(node).line
    return None


def class_attributes(facts: Facts, cls: cst.ClassDef) -> set[str]:
    """Every attribute name the class (and its bases in this file) uses or Keras reserves."""
    taken: set[str] = set(names.RESERVED_ATTRIBUTES)
    for current in facts.class_lineage(cls):
        for statement in current.body.body:
            if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
                taken.add(statement.name.value)
            elif isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    if isinstance(small, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
                        taken.update(n.value for n in names_in(small))
            else:  # a block: whatever it may bind in the class, every name in it is taken
                taken.update(n.value for n in names_in(statement))
            # Any attribute the class touches on anything: conservative, never a clash.
            taken.update(node.attr.value for node in nodes_in(statement, cst.Attribute))
    return taken


def _fresh(name: str, method: str, taken: set[str]) -> str:
    """``name`` if the class does not use it, else ``<method>_<name>`` (then ``_2``...)."""
    chosen = name
    if chosen in taken:
        base = f"{method}_{name}"
        chosen, n = base, 1
        while chosen in taken:
            n += 1
            chosen = f"{base}_{n}"
    taken.add(chosen)
    return chosen


def _find_init(cls: cst.ClassDef) -> cst.FunctionDef | None:
    """The class's ``__init__`` (the last one, as Python keeps), if any."""
    found = None
    for statement in cls.body.body:
        if isinstance(statement, cst.FunctionDef) and statement.name.value == "__init__":
            found = statement
    return found


def _is_object(base: cst.BaseExpression) -> bool:
    """``class C(object):``: a base that needs no ``super().__init__()`` call."""
    return isinstance(base, cst.Name) and base.value == "object"


_BLOCK_WORDS: dict[type[cst.CSTNode], str] = {
    cst.If: "if",
    cst.Try: "try",
    cst.TryStar: "try",
    cst.With: "with",
    cst.For: "for",
    cst.While: "while",
    cst.Match: "match",
}


def _defined_in_a_block(cls: cst.ClassDef) -> dict[str, str]:
    """The functions defined inside a compound statement of the class body (not directly in
    it, nor inside another function or class), with the keyword of that statement."""
    found: dict[str, str] = {}
    for statement in cls.body.body:
        word = _BLOCK_WORDS.get(type(statement))
        if word is None:
            continue
        for child in statement.children:
            for func in nodes_in(child, cst.FunctionDef, skip=(cst.FunctionDef, cst.ClassDef)):
                found.setdefault(func.name.value, word)
    return found


def _first_method(cls: cst.ClassDef) -> cst.BaseStatement:
    for statement in cls.body.body:
        if isinstance(statement, cst.FunctionDef):
            return statement
    raise AssertionError("a class with a traced method has a method")


def _is_docstring(statement: cst.BaseStatement) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def _calls_super_init(statement: cst.BaseStatement) -> bool:
    """``super().__init__(...)``, ``super(C, self).__init__(...)`` or ``Base.__init__(self)``."""
    if not isinstance(statement, cst.SimpleStatementLine):
        return False
    for small in statement.body:
        if not isinstance(small, cst.Expr) or not isinstance(small.value, cst.Call):
            continue
        func = small.value.func
        if isinstance(func, cst.Attribute) and func.attr.value == "__init__":
            return True
    return False


def _is_self_attribute(node: cst.CSTNode, self_name: str, attribute: str) -> bool:
    return (
        isinstance(node, cst.Attribute)
        and isinstance(node.value, cst.Name)
        and node.value.value == self_name
        and node.attr.value == attribute
    )


def _assigns_attribute(statement: cst.BaseStatement, self_name: str, attribute: str) -> bool:
    if not isinstance(statement, cst.SimpleStatementLine):
        return False
    for small in statement.body:
        targets: list[cst.BaseExpression] = []
        if isinstance(small, cst.Assign):
            targets = [t.target for t in small.targets]
        elif isinstance(small, (cst.AnnAssign, cst.AugAssign)):
            targets = [small.target]
        if any(_is_self_attribute(t, self_name, attribute) for t in targets):
            return True
    return False


def _defines_slots(cls: cst.ClassDef) -> bool:
    for statement in cls.body.body:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                targets: list[cst.BaseExpression] = []
                if isinstance(small, cst.Assign):
                    targets = [t.target for t in small.targets]
                elif isinstance(small, cst.AnnAssign):
                    targets = [small.target]
                if any(isinstance(t, cst.Name) and t.value == "__slots__" for t in targets):
                    return True
    return False
