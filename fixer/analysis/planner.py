"""The planner: runs the rules over a file's facts, in order, and gathers their findings and the
edits of the fixes the gate lets through into a frozen :class:`~fixer.analysis.plan.Plan`.
"""

from __future__ import annotations

import keyword
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import (
    Access,
    Assignment,
    BaseAssignment,
    ComprehensionScope,
    GlobalScope,
    Scope,
)

from fixer import names
from fixer.analysis.facts import (
    BUILTINS,
    NESTED,
    Binding,
    Construction,
    Facts,
    Loop,
    Owner,
    Traced,
    deleted_names,
    names_in,
    nodes_in,
    prepare,
    root_name,
    self_parameter,
)
from fixer.analysis.plan import (
    BoundCall,
    Decision,
    FixGate,
    Hoisted,
    Insertion,
    MovedStatement,
    NewInit,
    Plan,
    Reference,
    SiteKey,
    default_gate,
)
from fixer.findings import Applicability, Diagnostic
from fixer.rules import (
    OPTIMIZER_BUILT_BY_TRACED_HELPER,
    OPTIMIZER_BUILT_PER_CALL,
    OPTIMIZER_IN_TRACED_FUNCTION,
    OPTIMIZER_PER_ITERATION_TRACED,
    OPTIMIZER_REBUILT_EVERY_STEP,
)
from fixer.rules.base import Rule


@dataclass
class _Site:
    """One optimizer to move: its call, the statements that go with it, and the outcome."""

    call: cst.Call
    traced: Traced
    bound: Binding | None  # the ``name = Optimizer(...)`` statement, if any
    feeders: list[Binding]
    rule: Rule = OPTIMIZER_IN_TRACED_FUNCTION
    applicability: Applicability = Applicability.SAFE
    headline: str | None = None  # the message before "; <outcome>", for rules other than TFO001

    def moved_nodes(self, moved: Sequence[Binding]) -> list[cst.CSTNode]:
        """What moves: the bound statements, and the call itself when it is used inline."""
        nodes: list[cst.CSTNode] = [b.small for b in moved]
        if self.bound is None:
            nodes.append(self.call)
        return nodes


def analyse(
    wrapper: cst.MetadataWrapper,
    path: str,
    table: names.NameTable = names.DEFAULT_NAMES,
    *,
    unsafe_fixes: bool = False,
) -> Plan:
    """Find every optimizer built while tracing and plan its move (or the reason it can't).

    Unsafe fixes (they change how an already-running program trains) are planned only with
    ``unsafe_fixes``; their findings are reported either way.
    """
    return plan(prepare(wrapper, path, table), default_gate(unsafe_fixes))


def plan(facts: Facts, gate: FixGate) -> Plan:
    """The plan for ``facts``: every finding, and the fixes ``gate`` lets through."""
    return _Planner(facts, gate).plan()


@dataclass
class _Edits:
    """The planner's edits, as copied to roll back a fix that is held back."""

    insertions: dict[tuple[cst.BaseStatement, bool], list[Hoisted]]
    blank_after: dict[cst.BaseStatement, int]
    removed_lines: set[cst.SimpleStatementLine]
    removed_smalls: set[cst.BaseSmallStatement]
    replaced: dict[cst.Call, Reference]
    references: dict[cst.Name, Reference]
    new_inits: dict[cst.ClassDef, NewInit]
    reserved: set[str]


class _Planner:
    def __init__(self, analysis: Facts, gate: FixGate) -> None:
        self.a = analysis
        self.gate = gate
        self.reserved: set[str] = set()  # names given to moved optimizers in this plan
        self.diagnostics: list[Diagnostic] = []
        self.insertions: dict[tuple[cst.BaseStatement, bool], list[Hoisted]] = {}
        self.blank_after: dict[cst.BaseStatement, int] = {}
        self.removed_lines: set[cst.SimpleStatementLine] = set()
        self.removed_smalls: set[cst.BaseSmallStatement] = set()
        self.replaced: dict[cst.Call, Reference] = {}
        self.references: dict[cst.Name, Reference] = {}
        self.attributes_taken: dict[cst.ClassDef, set[str]] = {}
        self.new_inits: dict[cst.ClassDef, NewInit] = {}

    def plan(self) -> Plan:
        a = self.a
        traced = a.traced_functions()
        by_function: dict[cst.FunctionDef, list[Construction]] = {}
        for construction in a.collector.constructions:
            owner = construction.owner
            if isinstance(owner, cst.FunctionDef) and owner in traced:
                by_function.setdefault(owner, []).append(construction)
        for func in sorted(by_function, key=a.sort_key):
            self.plan_function(traced[func], by_function[func], traced)
        self.plan_helpers(traced)
        self.plan_loops(traced)
        self.plan_per_call(traced)
        self.diagnostics.sort(key=lambda d: (d.line, d.column, d.code))
        insertions = tuple(
            Insertion(anchor, tuple(hoisted), self.blank_after.get(anchor, 0), after)
            for (anchor, after), hoisted in self.insertions.items()
        )
        return Plan(
            diagnostics=tuple(self.diagnostics),
            insertions=insertions,
            removed_lines=frozenset(self.removed_lines),
            removed_smalls=frozenset(self.removed_smalls),
            replaced_calls=dict(self.replaced),
            references=dict(self.references),
        )

    # ----------------------------------------------------------------- per function

    def plan_function(
        self,
        traced: Traced,
        constructions: list[Construction],
        all_traced: Mapping[cst.FunctionDef, Traced],
    ) -> None:
        a = self.a
        func = traced.func
        calls = {c.call for c in constructions}
        # Outermost constructor calls only: Adam(...) inside LossScaleOptimizer(...) moves with it.
        outermost = [
            c
            for c in constructions
            if not any(p in calls for p in a.ancestors(c.call) if isinstance(p, cst.Call))
        ]
        bindings: dict[cst.Call, Binding] = {}
        for c in outermost:
            found = a.binding(c.call)
            if found is not None:
                bindings[c.call] = found
        feeders = self.find_feeders(func, outermost, bindings)
        fed = {binding.small for group in feeders.values() for binding in group}
        for c in outermost:
            if c.kind is names.Kind.SCHEDULE:
                continue
            binding = bindings.get(c.call)
            if binding is not None and binding.small in fed:
                continue
            if a.lazy_singleton(c.call, func):
                continue
            group = sorted(feeders.get(c.call, []), key=lambda b: a.sort_key(b.small))
            self.plan_site(_Site(c.call, traced, binding, group), all_traced)

    def find_feeders(
        self,
        func: cst.FunctionDef,
        outermost: list[Construction],
        bindings: Mapping[cst.Call, Binding],
    ) -> dict[cst.Call, list[Binding]]:
        """Schedules and optimizers bound to a name read only by one later construction.

        ``lr = ExponentialDecay(...)`` read only by ``Adam(lr)`` moves with the Adam; so does
        ``opt = Adam()`` read only by ``opt = LossScaleOptimizer(opt)``.
        """
        a = self.a
        scope = a.inner_scope(func)
        declared = a.collector.declared.get(func, set())
        consumer_of: dict[Binding, cst.Call] = {}
        for binding in bindings.values():
            if binding.name in declared:
                continue
            consumers: set[cst.Call | None] = set()
            for access in a.accesses_in(scope, binding.name):
                if a.within(access.node, binding.small):
                    continue
                if any(
                    isinstance(r, Assignment) and a.within(r.node, binding.small)
                    for r in access.referents
                ):
                    consumers.add(self.consumer_of(access.node, outermost, binding, bindings))
            if len(consumers) != 1:
                continue
            consumer = consumers.pop()
            # The consumer must really read it (``LossScaleOptimizer(opt)``), not merely rebind
            # the same name on another branch.
            if consumer is not None and any(
                a.within(access.node, consumer) for access in a.accesses_in(scope, binding.name)
            ):
                consumer_of[binding] = consumer
        # Chains (schedule -> optimizer -> wrapper): every feeder joins its last consumer.
        result: dict[cst.Call, list[Binding]] = {}
        for binding, consumer in consumer_of.items():
            seen = {binding}
            while consumer in bindings and bindings[consumer] in consumer_of:
                step = bindings[consumer]
                if step in seen:
                    break
                seen.add(step)
                consumer = consumer_of[step]
            result.setdefault(consumer, []).append(binding)
        return result

    def consumer_of(
        self,
        node: cst.CSTNode,
        outermost: list[Construction],
        feeder: Binding,
        bindings: Mapping[cst.Call, Binding],
    ) -> cst.Call | None:
        """The construction whose arguments read ``node``; None if anything else reads it."""
        a = self.a
        if a.sort_key(node) < a.end_key(feeder.small):
            return None
        for c in outermost:
            if c.kind is not names.Kind.SCHEDULE and a.within(node, c.call):
                return c.call
        # A read after a wrapper that rebinds the same name reads the wrapper, not the feeder.
        for c in outermost:
            binding = bindings.get(c.call)
            if binding is None or binding.name != feeder.name or binding is feeder:
                continue
            if a.sort_key(binding.small) > a.sort_key(feeder.small) and a.sort_key(
                node
            ) > a.end_key(binding.small):
                return c.call
        return None

    # ----------------------------------------------------------------- per site

    def plan_site(self, site: _Site, all_traced: Mapping[cst.FunctionDef, Traced]) -> None:
        a = self.a
        func = site.traced.func
        moved = [*site.feeders, *([site.bound] if site.bound is not None else [])]
        reason = a.blocked_by_context(site.call, func)
        if reason is None:
            reason = self.check_owner(site, all_traced)
        if reason is None:
            reason = self.check_bindings(site, moved)
        snapshot = self.edits()
        if reason is None and isinstance(site.traced.owner, cst.ClassDef):
            reason = self.plan_instance_move(site, moved, site.traced.owner)
        elif reason is None:
            reason = self.plan_scope_move(site, moved)
        if reason is not None:
            self.report(site, Applicability.NONE, f"not moved: {reason}")
        decision = (
            None if reason is not None else self.decide(site.rule, site.applicability, site.call)
        )
        if decision is not Decision.APPLY:
            # A fix held back: the finding stays, edits go. A finding not in force (suppressed,
            # not selected) must not even change the names other fixes take.
            self.restore(snapshot, keep_names=decision is not Decision.DROP)

    def edits(self) -> _Edits:
        """A copy of every planned edit, to roll back a fix that is not applied."""
        return _Edits(
            {key: list(value) for key, value in self.insertions.items()},
            dict(self.blank_after),
            set(self.removed_lines),
            set(self.removed_smalls),
            dict(self.replaced),
            dict(self.references),
            dict(self.new_inits),
            set(self.reserved),
        )

    def restore(self, snapshot: _Edits, keep_names: bool = True) -> None:
        self.insertions = snapshot.insertions
        self.blank_after = snapshot.blank_after
        self.removed_lines = snapshot.removed_lines
        self.removed_smalls = snapshot.removed_smalls
        self.replaced = snapshot.replaced
        self.references = snapshot.references
        self.new_inits = snapshot.new_inits
        if not keep_names:
            self.reserved = snapshot.reserved

    def remove_moved(self, moved: Sequence[Binding], anchor_column: int) -> list[MovedStatement]:
        """Mark the moved statements for removal; they come back at the destination."""
        a = self.a
        statements: list[MovedStatement] = []
        for binding in moved:
            small: cst.BaseSmallStatement | None = None
            if len(binding.line.body) > 1:
                small = binding.small
                self.removed_smalls.add(small)
            else:
                self.removed_lines.add(binding.line)
            dedent = a.start(binding.line).column - anchor_column
            statements.append(MovedStatement(binding.line, small, dedent))
        return statements

    def plan_scope_move(self, site: _Site, moved: Sequence[Binding]) -> str | None:
        """Module scope, or the enclosing (factory) function, just before the traced def."""
        a = self.a
        func = site.traced.func
        owner = site.traced.owner
        destination = a.scopes[func]
        assert destination is not None
        reason = self.check_reads(site, moved, destination)
        if reason is None and isinstance(owner, cst.Module):
            reason = self.check_strategy(func)
        if reason is not None:
            return reason
        func_scope = a.inner_scope(func)
        when = (
            "when the module is imported"
            if isinstance(owner, cst.Module)
            else f"when `{owner.name.value}` is called"  # type: ignore[union-attr]
        )
        caveats = self.caveats(site, moved, destination, when)
        notes: list[str] = []
        for name in dict.fromkeys(b.name for b in moved):
            group = self.group_of(name, func_scope, moved)
            new = self.choose_name(name, func, destination, group, inside=func_scope)
            if new != name:
                notes.append(f"as `{new}`")
                self.point_group_at(name, Reference(new), func_scope, group)
        anchor_column = a.start(func).column
        hoisted: list[Hoisted] = list(self.remove_moved(moved, anchor_column))
        if site.bound is None:
            name = self.choose_name("optimizer", func, destination, set(), inside=func_scope)
            target = Reference(name)
            enclosing = a.enclosing_statement(site.call)
            self.replaced[site.call] = target
            hoisted.append(BoundCall(target, site.call, a.start(enclosing).column - anchor_column))
            notes.append(f"as `{target.name}`")
        self.insertions.setdefault((func, False), []).extend(hoisted)
        self.blank_after[func] = 2 if isinstance(a.parents.get(func), cst.Module) else 1
        if isinstance(owner, cst.FunctionDef):
            where = f"in `{owner.name.value}`, before `{func.name.value}`"
        elif isinstance(a.parents.get(func), cst.Module):
            where = "at module scope"
        else:
            where = f"at module level, just before `{func.name.value}` in the same block"
        notes.extend(f"together with `{b.name}`" for b in site.feeders)
        detail = f" {', '.join(notes)}" if notes else ""
        if isinstance(owner, cst.Module) and not a.is_script():
            # A library module: building at import time is a visible change worth saying.
            caveats += "; note: this module now builds it at import time"
        self.report(
            site,
            site.applicability,
            f"{_fix_word(site)}: build it once {where}{detail}{caveats}",
        )
        return None

    def caveats(self, site: _Site, moved: Sequence[Binding], destination: Scope, when: str) -> str:
        """What makes a move that compiles change behaviour; any of them makes the fix unsafe."""
        a = self.a
        func = site.traced.func
        found: list[str] = []
        nodes = site.moved_nodes(moved)
        late = self.late_read(nodes, destination, func, site.call)
        if late is not None:
            found.append(
                f"its arguments {late}, now evaluated once {when} instead of at the first call"
            )
        binding = site.bound
        update = self.a.update_in(site.call, binding, func)
        if update is not None:
            func_scope = a.inner_scope(func)
            self_name = (
                self_parameter(func) if isinstance(site.traced.owner, cst.ClassDef) else None
            )
            for variable in a.updated_variables(update):
                if variable == self_name:
                    continue
                if any(a.is_parameter(x) for x in a.assignments_of(func_scope, variable)):
                    found.append(
                        f"it trains `{variable}`, a parameter of `{func.name.value}`: if that "
                        "is called with more than one model, they would share one optimizer"
                    )
                    break
        if not found:
            return ""
        if site.applicability is Applicability.SAFE:
            site.applicability = Applicability.UNSAFE
        return " (unsafe: " + "; ".join(found) + ")"

    def late_read(
        self,
        nodes: Sequence[cst.CSTNode],
        destination: Scope,
        func: cst.FunctionDef,
        site_call: cst.Call,
    ) -> str | None:
        """A read whose value may differ between the destination and the first call."""
        a = self.a
        constructions = a.construction_calls | {site_call}
        for node in nodes:
            for inner in nodes_in(node, cst.Call, skip=(cst.Lambda,)):
                if inner in constructions or inner is node:
                    continue
                root = root_name(inner.func)
                if root is None or not self.is_imported_or_builtin(root):
                    return f"call `{a.code(inner.func)}()`"
            for subscript in nodes_in(node, cst.Subscript):
                root = root_name(subscript)
                if root is None or not self.is_imported_or_builtin(root):
                    return f"read `{a.code(subscript)}`"
            for attribute in nodes_in(node, cst.Attribute):
                root = root_name(attribute)
                text = a.code(attribute)
                if root is None or ".FLAGS" in f".{text}":
                    return f"read `{text}`"
                if not self.is_imported_or_builtin(root):
                    parent = a.parents.get(attribute)
                    if isinstance(parent, cst.Attribute) and parent.value is attribute:
                        continue  # the outermost attribute is reported
                    if isinstance(parent, cst.Call) and parent.func is attribute:
                        continue  # a method call: reported as a call
                    return f"read `{text}`"
        if not isinstance(destination, GlobalScope):
            # Module names read in a factory are read when it runs, perhaps before they exist.
            factory_start = a.sort_key(func)
            for access in a.names_read(nodes):
                for referent in access.referents:
                    if (
                        isinstance(referent, Assignment)
                        and isinstance(referent.scope, GlobalScope)
                        and destination is not referent.scope
                        and a.sort_key(referent.node) > factory_start
                    ):
                        return f"read `{access.node.value}`, bound after the factory"  # type: ignore[union-attr]
        return None

    def is_imported_or_builtin(self, name: cst.Name) -> bool:
        access = self.a.access_of.get(name)
        if access is None:
            return False
        referents = list(access.referents)
        if not referents:
            return name.value in BUILTINS
        return all(
            not isinstance(r, Assignment) or isinstance(r.node, (cst.Import, cst.ImportFrom))
            for r in referents
        )

    def plan_instance_move(
        self, site: _Site, moved: Sequence[Binding], cls: cst.ClassDef
    ) -> str | None:
        """A method: build it in ``__init__`` and keep it on the instance."""
        a = self.a
        func = site.traced.func
        self_name = self_parameter(func)
        if self_name is None:
            return f"`{func.name.value}` is a static or class method; build the optimizer outside"
        attributes, reason = self.check_method_reads(site, moved, self_name)
        if reason is not None:
            return reason
        slotted = next((c for c in a.class_lineage(cls) if _defines_slots(c)), None)
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
            anchor, after, reason = self.init_insertion_point(cls, init, attributes)
            if reason is not None:
                return reason
        caveat = self.instance_caveat(site, moved, self_name)
        taken = self.attributes_taken.setdefault(cls, self.class_attributes(cls))
        func_scope = a.inner_scope(func)
        notes: list[str] = []
        for name in dict.fromkeys(b.name for b in moved):
            attribute = _fresh(name, func.name.value, taken)
            group = self.group_of(name, func_scope, moved)
            self.point_group_at(name, Reference(attribute, init_self), func_scope, group)
            notes.append(f"`{init_self}.{attribute}`")
        if self_name != init_self:
            for access in a.names_read([b.small for b in moved]):
                if isinstance(access.node, cst.Name) and access.node.value == self_name:
                    self.references[access.node] = Reference(init_self)
        hoisted: list[MovedStatement | BoundCall] = []
        # Columns of the statements that will hold the moved ones (a new __init__'s body is
        # indented one level below the method it is placed before).
        column = a.start(anchor).column + (0 if init is not None else 4)
        hoisted.extend(self.remove_moved(moved, column))
        if site.bound is None:
            attribute = _fresh("optimizer", func.name.value, taken)
            enclosing = a.enclosing_statement(site.call)
            self.replaced[site.call] = Reference(attribute, self_name)
            target = Reference(attribute, init_self)
            hoisted.append(BoundCall(target, site.call, a.start(enclosing).column - column))
            notes.append(f"`{init_self}.{attribute}`")
        if init is None:
            previous = self.new_inits.get(cls)
            body = (*previous.body, *hoisted) if previous else tuple(hoisted)
            new_init = NewInit(init_self, bool(cls.bases), body)
            self.new_inits[cls] = new_init
            self.insertions[(anchor, False)] = [new_init]
            self.blank_after[anchor] = 1
            where = "a new `__init__`"
        else:
            self.insertions.setdefault((anchor, after), []).extend(hoisted)
            where = "`__init__`"
        self.report(
            site,
            site.applicability,
            f"{_fix_word(site)}: build it once in {where} as {', '.join(notes)}{caveat}",
        )
        return None

    def instance_caveat(self, site: _Site, moved: Sequence[Binding], self_name: str) -> str:
        """Calls and reads other than ``self.<attr>`` now run when the instance is created."""
        a = self.a
        nodes = site.moved_nodes(moved)
        module_scope = a.scopes[a.module.body[0]] if a.module.body else None
        if module_scope is None:
            return ""
        late = self.late_read(nodes, module_scope, site.traced.func, site.call)
        if late is None or f"`{self_name}." in late:
            return ""
        if site.applicability is Applicability.SAFE:
            site.applicability = Applicability.UNSAFE
        return (
            f" (unsafe: its arguments {late}, now evaluated once when the instance is created "
            "instead of at the first call)"
        )

    def report(self, site: _Site, applicability: Applicability, outcome: str) -> None:
        a = self.a
        headline = site.headline
        if headline is None:
            func = site.traced.func
            if site.traced.via is not None:
                where = f"`{func.name.value}` ({site.traced.via})"
            elif isinstance(site.traced.owner, cst.ClassDef) and func not in a.collector.decorated:
                where = f"`{site.traced.owner.name.value}.{func.name.value}` (traced by Keras)"
            else:
                where = f"tf.function `{func.name.value}`"
            headline = (
                f"optimizer `{a.label(site.call)}` is built inside {where} "
                "and fails on its first call"
            )
        self.report_at(site.call, site.rule, applicability, f"{headline}; {outcome}")

    def check_strategy(self, func: cst.FunctionDef) -> str | None:
        """Optimizer variables belong to the strategy in scope when they are created: with any
        sign of a strategy in the module, module scope may be outside it."""
        a = self.a
        if any(a.within(func, block.body) for block in a.collector.scope_blocks):
            return None  # the move stays inside the same `with strategy.scope():` block
        if not a.collector.strategy_signs:
            return None
        node, what = min(a.collector.strategy_signs, key=lambda sign: a.sort_key(sign[0]))
        return (
            f"this module uses a distribution strategy ({what} on line {a.start(node).line}), "
            "and at module scope the optimizer would be created outside it; create it inside "
            "`with strategy.scope():` and pass it to "
            f"`{func.name.value}`"
        )

    # ----------------------------------------------------------------- instance moves

    def check_method_reads(
        self, site: _Site, moved: Sequence[Binding], self_name: str
    ) -> tuple[set[str], str | None]:
        """Reads allowed in ``__init__``: module names and ``self.<attr>``; returns the attrs."""
        a = self.a
        attributes: set[str] = set()
        for access, name, referents in self.outer_reads(site, moved):
            if referents and name == self_name and all(a.is_parameter(r) for r in referents):
                parent = a.parents.get(access.node)
                if isinstance(parent, cst.Attribute) and parent.value is access.node:
                    attributes.add(parent.attr.value)
                    continue
                return attributes, f"its arguments use `{self_name}` itself"
            reason = self.local_read(site, name, referents)
            if reason is not None:
                return attributes, reason
        return attributes, None

    def init_insertion_point(
        self, cls: cst.ClassDef, init: cst.FunctionDef, attributes: set[str]
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
            if cls.bases:
                reason = f"`__init__` of `{cls.name.value}` does not call `super().__init__()`"
                return body[0], False, reason
            anchor_index = 0 if _is_docstring(body[0]) else None
        for attribute in sorted(attributes):
            where = [i for i, st in enumerate(body) if _assigns_attribute(st, init_self, attribute)]
            if not where:
                reason = (
                    f"its arguments read `self.{attribute}`, which `__init__` does not set "
                    "before the place the optimizer would go"
                )
                return body[0], False, reason
            if self.attribute_set_elsewhere(cls, init, attribute):
                return body[0], False, f"`self.{attribute}` is also set outside `__init__`"
            anchor_index = max(-1 if anchor_index is None else anchor_index, where[-1])
        if anchor_index is None:
            return body[0], False, None
        return body[anchor_index], True, None

    def attribute_set_elsewhere(
        self, cls: cst.ClassDef, init: cst.FunctionDef, attribute: str
    ) -> bool:
        for statement in cls.body.body:
            if isinstance(statement, cst.FunctionDef) and statement is not init:
                self_name = self_parameter(statement)
                if self_name and any(
                    _is_self_attribute(node, self_name, attribute)
                    and isinstance(self.a.parents.get(node), (cst.AssignTarget, cst.AugAssign))
                    for node in nodes_in(statement, cst.Attribute)
                ):
                    return True
        return False

    def class_attributes(self, cls: cst.ClassDef) -> set[str]:
        """Every attribute name the class (and its bases in this file) uses or Keras reserves."""
        taken: set[str] = set(names.RESERVED_ATTRIBUTES)
        for current in self.a.class_lineage(cls):
            for statement in current.body.body:
                if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
                    taken.add(statement.name.value)
                elif isinstance(statement, cst.SimpleStatementLine):
                    for small in statement.body:
                        if isinstance(small, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
                            taken.update(n.value for n in names_in(small))
                # Any attribute the class touches on anything: conservative, never a clash.
                taken.update(node.attr.value for node in nodes_in(statement, cst.Attribute))
        return taken

    # ----------------------------------------------------------------- helpers

    def builders(
        self, traced: Mapping[cst.FunctionDef, Traced]
    ) -> dict[cst.FunctionDef, Construction]:
        """Untraced functions that build an optimizer, directly or through other such functions,
        each with the construction it ends up running."""
        a = self.a
        found: dict[cst.FunctionDef, Construction] = {}
        for c in a.collector.constructions:
            owner = c.owner
            if (
                isinstance(owner, cst.FunctionDef)
                and owner not in traced
                and owner not in found
                and c.kind is not names.Kind.SCHEDULE
                and not a.lazy_singleton(c.call, owner)
            ):
                found[owner] = c
        changed = True
        while changed:
            changed = False
            for owner, call in a.collector.name_calls:
                if not isinstance(owner, cst.FunctionDef) or owner in traced or owner in found:
                    continue
                assert isinstance(call.func, cst.Name)
                callee = a.function_named(call.func)
                if callee is not None and callee in found:
                    found[owner] = found[callee]
                    changed = True
        return found

    def returns_optimizer(
        self, func: cst.FunctionDef, builders: Mapping[cst.FunctionDef, Construction]
    ) -> bool:
        """Whether ``func`` returns what it builds: ``return Adam()``, ``opt = Adam(); return
        opt``, or ``return other_builder()``."""
        a = self.a
        for node in nodes_in(func.body, cst.Return, skip=NESTED):
            value = node.value
            if isinstance(value, cst.Call):
                if value is builders[func].call and builders[func].owner is func:
                    return True
                if isinstance(value.func, cst.Name):
                    callee = a.function_named(value.func)
                    if callee is not None and callee in builders and callee is not func:
                        return self.returns_optimizer(callee, builders)
            if isinstance(value, cst.Name):
                access = a.access_of.get(value)
                if access is None:
                    continue
                for referent in access.referents:
                    if isinstance(referent, Assignment):
                        binding = a.binding(builders[func].call)
                        if binding is not None and a.within(referent.node, binding.small):
                            return True
        return False

    def plan_helpers(self, traced: Mapping[cst.FunctionDef, Traced]) -> None:
        """Calls, inside traced bodies, of functions that build an optimizer (TFO004)."""
        a = self.a
        builders = self.builders(traced)
        if not builders:
            return
        for owner, call in a.collector.name_calls:
            if not isinstance(owner, cst.FunctionDef) or owner not in traced:
                continue
            assert isinstance(call.func, cst.Name)
            helper = a.function_named(call.func)
            if helper is None or helper not in builders:
                continue
            self.plan_helper_call(traced[owner], call, helper, builders, traced)

    def plan_helper_call(
        self,
        traced: Traced,
        call: cst.Call,
        helper: cst.FunctionDef,
        builders: Mapping[cst.FunctionDef, Construction],
        all_traced: Mapping[cst.FunctionDef, Traced],
    ) -> None:
        a = self.a
        func = traced.func
        construction = builders[helper]
        built_in = construction.owner
        assert isinstance(built_in, cst.FunctionDef)
        before = len(self.diagnostics)
        headline = (
            f"`{helper.name.value}()` builds optimizer `{a.label(construction.call)}` (line "
            f"{a.start(construction.call).line}) and is called inside tf.function "
            f"`{func.name.value}`, which fails on its first call"
        )
        site = _Site(
            call,
            traced,
            a.binding(call),
            [],
            rule=OPTIMIZER_BUILT_BY_TRACED_HELPER,
            headline=headline,
        )
        if not self.returns_optimizer(helper, builders):
            reason = (
                f"`{helper.name.value}` builds the optimizer on every call; build it once "
                f"outside `{func.name.value}` and pass it in"
            )
            self.report(site, Applicability.NONE, f"not moved: {reason}")
        elif not a.lazy_singleton(call, func):
            self.plan_site(site, all_traced)
        if len(self.diagnostics) == before:
            return
        # One more finding at the construction itself, pointing at the call that runs it.
        at_call = self.diagnostics[-1]
        self.report_at(
            construction.call,
            OPTIMIZER_BUILT_BY_TRACED_HELPER,
            at_call.applicability,
            f"optimizer `{a.label(construction.call)}` is built in `{built_in.name.value}`, "
            f"which tf.function `{func.name.value}` calls (line {at_call.line}) and so builds "
            "it while tracing; see the finding at that call",
            fixed_with=(at_call.line, at_call.column),
        )

    # ----------------------------------------------------------------- per-call builders

    def plan_per_call(self, traced: Mapping[cst.FunctionDef, Traced]) -> None:
        """Step functions that build their optimizer on each call, called from a loop (TFO005)."""
        a = self.a
        reported = {(d.line, d.column) for d in self.diagnostics}
        callers = self.loop_callers()
        for c in a.collector.constructions:
            func = c.owner
            if (
                c.kind is names.Kind.SCHEDULE
                or not isinstance(func, cst.FunctionDef)
                or func in traced
                or func not in callers
                or a.enclosing_loops(c.call)
                or a.lazy_singleton(c.call, func)
            ):
                continue
            position = a.start(c.call)
            if (position.line, position.column + 1) in reported:
                continue
            binding = a.binding(c.call)
            update = self.a.update_in(c.call, binding, func)
            if update is None:
                continue
            variables = a.updated_variables(update)
            func_scope = a.inner_scope(func)
            built_here = [
                v
                for v in variables
                for x in a.assignments_of(func_scope, v)
                if not a.is_parameter(x)
            ]
            if not variables or built_here:
                continue  # it trains something it builds itself: a fresh model per call
            self.plan_per_call_site(c, func, binding, callers[func], traced)

    def loop_callers(self) -> dict[cst.FunctionDef, cst.Call]:
        """Functions called from a loop of this file, each with one such call."""
        a = self.a
        methods: dict[str, list[cst.FunctionDef]] = {}
        for func in a.collector.owner_of:
            methods.setdefault(func.name.value, []).append(func)
        found: dict[cst.FunctionDef, cst.Call] = {}
        for call in a.collector.all_calls:
            if not a.enclosing_loops(call):
                continue
            callee: cst.FunctionDef | None = None
            if isinstance(call.func, cst.Name):
                callee = a.function_named(call.func)
            elif isinstance(call.func, cst.Attribute):
                candidates = methods.get(call.func.attr.value, [])
                if len(candidates) == 1 and isinstance(
                    a.collector.owner_of[candidates[0]], cst.ClassDef
                ):
                    callee = candidates[0]
            if callee is not None:
                found.setdefault(callee, call)
        return found

    def plan_per_call_site(
        self,
        c: Construction,
        func: cst.FunctionDef,
        binding: Binding | None,
        caller: cst.Call,
        traced: Mapping[cst.FunctionDef, Traced],
    ) -> None:
        a = self.a
        loop = a.enclosing_loops(caller)[0]
        owner = a.collector.owner_of[func]
        headline = (
            f"optimizer `{a.label(c.call)}` is built on every call of `{func.name.value}`, which "
            f"the loop on line {a.start(loop).line} calls each step, so its state (moments, step "
            "count) restarts every step and training silently differs from what is written"
        )
        site = _Site(
            c.call,
            Traced(func, owner),
            binding,
            [],
            rule=OPTIMIZER_BUILT_PER_CALL,
            applicability=Applicability.UNSAFE,
            headline=headline,
        )
        scope = a.scopes.get(caller)
        model = next(
            (
                arg.value.value
                for arg in caller.args
                if isinstance(arg.value, cst.Name)
                and "model" in arg.value.value.lower()
                and scope is not None
                and self.a.assigned_in(arg.value.value, scope, loop)
            ),
            None,
        )
        if model is not None:
            reason = (
                f"the loop on line {a.start(loop).line} also builds a new `{model}` for each "
                "call, and one optimizer must not serve two models"
            )
            self.report(site, Applicability.NONE, f"not moved: {reason}")
            return
        shadowed = self.identical_module_optimizer(binding, owner)
        if shadowed is not None:
            self.removed_lines_if_unsafe(site, binding, shadowed)
            return
        self.plan_site(site, traced)

    def identical_module_optimizer(
        self, binding: Binding | None, owner: Owner
    ) -> cst.SimpleStatementLine | None:
        """A module-level ``name = <the same call>`` that the local binding merely shadows."""
        a = self.a
        if binding is None or not isinstance(owner, cst.Module):
            return None
        local = binding.small
        assert isinstance(local, (cst.Assign, cst.AnnAssign))
        assert local.value is not None
        for statement in a.module.body:
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                if (
                    isinstance(small, cst.Assign)
                    and len(small.targets) == 1
                    and isinstance(small.targets[0].target, cst.Name)
                    and small.targets[0].target.value == binding.name
                    and a.code(small.value) == a.code(local.value)
                ):
                    return statement
        return None

    def removed_lines_if_unsafe(
        self, site: _Site, binding: Binding | None, shadowed: cst.SimpleStatementLine
    ) -> None:
        """The fix for a shadowing copy: delete it, so the module-level one is used."""
        a = self.a
        assert binding is not None
        func = site.traced.func
        reason = self.check_bindings(site, [binding])
        if reason is not None:
            self.report(site, Applicability.NONE, f"not moved: {reason}")
            return
        if (
            len(binding.line.body) == 1
            and self.decide(site.rule, Applicability.UNSAFE, site.call) is Decision.APPLY
        ):
            self.removed_lines.add(binding.line)
        self.report(
            site,
            Applicability.UNSAFE if len(binding.line.body) == 1 else Applicability.NONE,
            f"an identical `{binding.name}` already exists at module scope (line "
            f"{a.start(shadowed).line}) and this local one in `{func.name.value}` merely "
            f"shadows it; {_fix_word(site)}: delete the local one",
        )

    # ----------------------------------------------------------------- loops

    def plan_loops(self, traced: Mapping[cst.FunctionDef, Traced]) -> None:
        """Optimizers built in a loop body outside any traced function (TFO002, TFO003)."""
        a = self.a
        callables = self.traced_callables(traced)
        calls = {c.call for c in a.collector.constructions}
        for c in a.collector.constructions:
            if c.kind not in (names.Kind.OPTIMIZER, names.Kind.WRAPPER):
                continue
            if isinstance(c.owner, (cst.ClassDef, cst.Lambda)) or c.owner in traced:
                continue
            if any(isinstance(p, cst.Call) and p in calls for p in a.ancestors(c.call)):
                continue
            loops = a.enclosing_loops(c.call)
            if not loops or a.lazy_singleton(c.call, c.owner):
                continue
            self.plan_loop_site(c, loops, callables)

    def traced_callables(self, traced: Mapping[cst.FunctionDef, Traced]) -> set[cst.CSTNode]:
        """Nodes that bind a traced callable: its def, and ``step = tf.function(fn)`` targets."""
        a = self.a
        nodes: set[cst.CSTNode] = {func for func, t in traced.items() if t.owner is not None}
        for call, target in a.collector.call_forms:
            if a.def_called(call, target) is None:
                continue
            parent = a.parents.get(call)
            if isinstance(parent, cst.Assign):
                nodes.update(t.target for t in parent.targets if isinstance(t.target, cst.Name))
        return nodes

    def plan_loop_site(
        self, c: Construction, loops: list[Loop], callables: set[cst.CSTNode]
    ) -> None:
        a = self.a
        binding = a.binding(c.call)
        scope = a.scopes.get(c.call)
        if scope is None or isinstance(scope, ComprehensionScope):
            return
        uses: list[cst.CSTNode] = [c.call]
        if binding is not None:
            uses = [
                access.node
                for access in a.accesses_in(scope, binding.name)
                if any(a.in_group(r, [binding]) for r in access.referents)
            ]
        traced_call = next((t for u in uses if (t := self.traced_call_of(u, callables))), None)
        update = None if traced_call else next((x for u in uses if (x := a.update_of(u))), None)
        if traced_call is None and update is None:
            return
        outermost = loops[-1]
        if traced_call is not None:
            rule, applicability = OPTIMIZER_PER_ITERATION_TRACED, Applicability.SAFE
            callee = a.code(traced_call.func)
            problem = (
                f"is built anew on each iteration of the loop on line "
                f"{a.start(outermost).line} and passed to tf.function `{callee}`, which "
                "retraces for each new optimizer and fails on the second iteration"
            )
        else:
            assert update is not None
            rule, applicability = OPTIMIZER_REBUILT_EVERY_STEP, Applicability.UNSAFE
            problem = (
                f"is rebuilt on every iteration of the loop on line {a.start(loops[0]).line}, "
                "so its state (moments, step count) restarts each step and training silently "
                "differs from what is written"
            )
        chosen, reason, outer_blocker = self.choose_loop(c, binding, loops, scope, update)
        if chosen is None and reason is None:
            return  # a fresh model per iteration: a new optimizer per iteration is intended
        if traced_call is not None and reason is None:
            # Every new object retraces: it must leave every loop, not only the inner one.
            reason = self.fresh_model_in(loops[-1], scope, traced_call) or outer_blocker
        if reason is None and chosen is not None:
            reason = a.blocked_by_context(c.call, chosen)
        label = a.label(c.call)
        if reason is not None or chosen is None:
            self.report_at(
                c.call,
                rule,
                Applicability.NONE,
                f"optimizer `{label}` {problem}; not moved: {reason}",
            )
            return
        column = a.start(chosen).column
        decision = self.decide(rule, applicability, c.call)
        apply = decision is Decision.APPLY
        note = ""
        hoisted: list[Hoisted] = []
        if binding is None:
            name = self.choose_name("optimizer", "", scope, set())
            if decision is Decision.DROP:
                self.reserved.discard(name)
            note = f" as `{name}`"
            if apply:
                enclosing = a.enclosing_statement(c.call)
                self.replaced[c.call] = Reference(name)
                dedent = a.start(enclosing).column - column
                hoisted.append(BoundCall(Reference(name), c.call, dedent))
        elif apply:
            hoisted.extend(self.remove_moved([binding], column))
        if apply:
            self.insertions.setdefault((chosen, False), []).extend(hoisted)
            self.blank_after.setdefault(chosen, 0)
        how = (
            "fix"
            if applicability is Applicability.SAFE
            else ("fix (unsafe: training results change, as intended)")
        )
        self.report_at(
            c.call,
            rule,
            applicability,
            f"optimizer `{label}` {problem}; {how}: build it once before the loop on line "
            f"{a.start(chosen).line}{note}",
        )

    def choose_loop(
        self,
        c: Construction,
        binding: Binding | None,
        loops: list[Loop],
        scope: Scope,
        update: cst.Call | None,
    ) -> tuple[Loop | None, str | None, str | None]:
        """The outermost loop the construction can move before.

        Returns the loop, the reason no loop will do, and what stops it leaving an outer loop;
        ``(None, None, None)`` when the loop trains a fresh model each iteration.
        """
        a = self.a
        read = [
            access
            for access in a.names_read([binding.small if binding else c.call])
            if any(isinstance(r, Assignment) and r.scope is scope for r in access.referents)
        ]
        variables = a.updated_variables(update) if update is not None else []
        chosen: Loop | None = None
        outer_blocker: str | None = None
        for depth, loop in enumerate(loops):
            fresh = [v for v in variables if self.a.assigned_in(v, scope, loop)]
            if fresh:
                if depth == 0:
                    return None, None, None
                break
            blocker = next(
                (
                    access.node.value
                    for access in read
                    if isinstance(access.node, cst.Name)
                    and self.a.assigned_in(access.node.value, scope, loop)
                ),
                None,
            )
            if blocker is None and binding is not None:
                others = [
                    x
                    for x in a.assignments_of(scope, binding.name)
                    if not a.in_group(x, [binding])
                    and isinstance(x, Assignment)
                    and a.within(x.node, loop)
                ]
                if others:
                    message = f"`{binding.name}` is assigned elsewhere in the loop too"
                    if chosen is None:
                        return None, message, None
                    outer_blocker = message
                    break
            if blocker is not None:
                message = (
                    f"its arguments read `{blocker}`, which the loop on line "
                    f"{a.start(loop).line} rebinds"
                )
                if chosen is None:
                    return None, message, None
                outer_blocker = message
                break
            chosen = loop
        if update is not None and not variables:
            return None, None, None  # cannot tell which variables it updates: say nothing
        return chosen, None, outer_blocker

    def traced_call_of(self, use: cst.CSTNode, callables: set[cst.CSTNode]) -> cst.Call | None:
        """The call of a traced function that receives ``use`` as an argument."""
        a = self.a
        arg = a.parents.get(use)
        call = a.parents.get(arg) if isinstance(arg, cst.Arg) else None
        if not isinstance(call, cst.Call) or not isinstance(call.func, cst.Name):
            return None
        access = a.access_of.get(call.func)
        if access is None:
            return None
        if any(isinstance(r, Assignment) and r.node in callables for r in access.referents):
            return call
        return None

    def fresh_model_in(self, loop: Loop, scope: Scope, traced_call: cst.Call) -> str | None:
        """A loop that also builds a new model per iteration cannot share one optimizer."""
        for arg in traced_call.args:
            if not isinstance(arg.value, cst.Name) or "model" not in arg.value.value.lower():
                continue
            if self.a.assigned_in(arg.value.value, scope, loop):
                return (
                    f"the loop also builds a new `{arg.value.value}` each iteration, and one "
                    "optimizer must not serve two models: build each optimizer with its model"
                )
        return None

    def report_at(
        self,
        call: cst.Call,
        rule: Rule,
        applicability: Applicability,
        message: str,
        fixed_with: tuple[int, int] | None = None,
    ) -> None:
        span = self.a.positions[call]
        self.diagnostics.append(
            Diagnostic(
                path=self.a.path,
                line=span.start.line,
                column=span.start.column + 1,
                code=rule.code,
                message=message,
                applicability=applicability,
                end_line=span.end.line,
                end_column=span.end.column + 1,
                fixed_with=fixed_with,
                suppressible_at=self.a.suppressible_at(call),
            )
        )

    def decide(self, rule: Rule, applicability: Applicability, call: cst.Call) -> Decision:
        """What becomes of the fix planned for the finding at ``call`` (the gate decides)."""
        start = self.a.start(call)
        key = SiteKey(
            rule.code, start.line, start.column + 1, applicability, self.a.suppressible_at(call)
        )
        return self.gate(key)

    # ----------------------------------------------------------------- safety

    def check_owner(self, site: _Site, all_traced: Mapping[cst.FunctionDef, Traced]) -> str | None:
        owner = site.traced.owner
        name = site.traced.func.name.value
        if isinstance(owner, cst.Lambda):
            return f"`{name}` is defined inside a lambda"
        if isinstance(owner, cst.FunctionDef) and owner in all_traced:
            return f"the enclosing `{owner.name.value}` is traced too; build it outside both"
        return None

    def check_bindings(self, site: _Site, moved: Sequence[Binding]) -> str | None:
        """Each moved name must be bound in the traced function by the moved statements alone."""
        a = self.a
        func = site.traced.func
        scope = a.inner_scope(func)
        declared = a.collector.declared.get(func, set())
        group = [x for b in moved for x in a.assignments_of(scope, b.name) if a.in_group(x, moved)]
        for binding in moved:
            if binding.name in declared:
                return f"`{binding.name}` is declared global or nonlocal in `{func.name.value}`"
            if any(not a.in_group(x, moved) for x in a.assignments_of(scope, binding.name)):
                return f"`{binding.name}` is assigned more than once in `{func.name.value}`"
            if binding.name in deleted_names(func):
                return f"`{binding.name}` is deleted with `del` in `{func.name.value}`"
            for access in a.accesses_in(scope, binding.name):
                referents = access.referents
                if any(r in group for r in referents):
                    continue
                if referents and all(
                    r.scope is not scope and a.is_descendant_scope(r.scope, scope)
                    for r in referents
                ):
                    continue  # a local of a nested function, unrelated
                line = a.start(access.node).line
                return (
                    f"`{binding.name}` is read on line {line} of `{func.name.value}` before "
                    "it is built"
                )
        return None

    def check_reads(self, site: _Site, moved: Sequence[Binding], destination: Scope) -> str | None:
        """Everything the moved code reads must mean the same at the destination."""
        for _access, name, referents in self.outer_reads(site, moved):
            reason = self.local_read(site, name, referents)
            if reason is None and any(r.scope is destination for r in referents):
                reason = self.binding_problem(name, destination, site.traced.func)
            if reason is not None:
                return reason
        return None

    def outer_reads(
        self, site: _Site, moved: Sequence[Binding]
    ) -> Iterator[tuple[Access, str, list[Assignment]]]:
        """Reads in the moved code of names it does not bind itself (nor builtins, nor what a star
        import may bring), with the assignments they may refer to."""
        a = self.a
        nodes = site.moved_nodes(moved)
        for access in a.names_read(nodes):
            name = access.node.value if isinstance(access.node, cst.Name) else "?"
            referents = [r for r in access.referents if isinstance(r, Assignment)]
            if any(a.in_group(r, moved) for r in referents):
                continue
            if any(a.within(r.node, n) for r in referents for n in nodes):
                continue  # a comprehension variable inside the arguments
            if not referents and (name in BUILTINS or a.collector.star_namespaces):
                continue  # a builtin, or (perhaps) brought in by a star import at the top
            yield access, name, referents

    def local_read(self, site: _Site, name: str, referents: Sequence[Assignment]) -> str | None:
        """Why a read cannot move: the name is unbound, or local to the traced function."""
        a = self.a
        func = site.traced.func
        if not referents:
            return f"`{name}` is not defined in this file"
        func_scope = a.inner_scope(func)
        for referent in referents:
            if a.is_descendant_scope(referent.scope, func_scope):
                what = "a parameter" if a.is_parameter(referent) else "a local variable"
                if site.rule is OPTIMIZER_BUILT_PER_CALL:
                    return (
                        f"its arguments read `{name}`, {what} of `{func.name.value}` that "
                        "may change from call to call; keep one optimizer and update its "
                        "`learning_rate` instead"
                    )
                return (
                    f"its arguments read `{name}`, {what} of `{func.name.value}`; "
                    "build it outside and pass it in"
                )
        return None

    def binding_problem(self, name: str, destination: Scope, func: cst.FunctionDef) -> str | None:
        """``name`` must be bound before the move's destination and never rebound after it."""
        a = self.a
        anchor = a.sort_key_statement(func)
        bound_before = False
        for assignment in sorted(a.assignments_of(destination, name), key=a.assignment_key):
            if not isinstance(assignment, Assignment):
                continue
            node = assignment.node
            line = a.start(node).line
            if a.scopes.get(node) is not destination and not isinstance(
                node, (cst.Import, cst.ImportFrom)
            ):
                return f"`{name}` is rebound inside a function (line {line})"
            if a.sort_key(node) < anchor:
                bound_before = True
            elif bound_before:
                return f"`{name}` is rebound on line {line}, after the place the optimizer would go"
            else:
                return (
                    f"`{name}` is not bound yet where the optimizer would go "
                    f"(first bound on line {line})"
                )
        return None

    # ----------------------------------------------------------------- names

    def choose_name(
        self,
        name: str,
        func: cst.FunctionDef | str,
        destination: Scope,
        group: set[BaseAssignment],
        inside: Scope | None = None,
    ) -> str:
        """``name`` when free at the destination, else ``<function>_<name>`` (then ``_2``...).

        ``inside`` is the scope the references are placed in: the name must not be bound there.
        """
        chosen = name
        if not self.is_free(name, destination, group, inside):
            prefix = func if isinstance(func, str) else func.name.value
            base = f"{prefix}_{name}" if prefix else name
            chosen, n = base, 1
            while not self.is_free(chosen, destination, set(), inside):
                n += 1
                chosen = f"{base}_{n}"
        self.reserved.add(chosen)
        return chosen

    def is_free(
        self,
        name: str,
        destination: Scope,
        group: set[BaseAssignment],
        inside: Scope | None = None,
    ) -> bool:
        """Binding ``name`` in ``destination`` changes the meaning of no other code, and no
        binding in ``inside`` would capture the references placed there."""
        a = self.a
        if name in self.reserved or name in BUILTINS or keyword.iskeyword(name):
            return False
        if inside is not None:
            for scope in a.scopes_within(inside):
                if any(x not in group for x in a.assignments_of(scope, name)):
                    return False
        if any(x not in group for x in a.assignments_of(destination, name)):
            return False
        for access in a.accesses_in(destination, name):
            referents = access.referents
            if referents and all(r in group for r in referents):
                continue
            if referents and all(
                r.scope is not destination and a.is_descendant_scope(r.scope, destination)
                for r in referents
            ):
                continue  # shadowed by a local of a nested function
            return False
        return True

    def group_of(
        self, name: str, func_scope: Scope, moved: Sequence[Binding]
    ) -> set[BaseAssignment]:
        """The assignments of ``name`` that the moved statements make."""
        return {x for x in self.a.assignments_of(func_scope, name) if self.a.in_group(x, moved)}

    def point_group_at(
        self, name: str, reference: Reference, func_scope: Scope, group: set[BaseAssignment]
    ) -> None:
        """Make every binding and read of the moved name refer to ``reference``."""
        for assignment in group:
            if isinstance(assignment, Assignment) and isinstance(assignment.node, cst.Name):
                self.references[assignment.node] = reference
        for access in self.a.accesses_in(func_scope, name):
            if any(r in group for r in access.referents) and isinstance(access.node, cst.Name):
                self.references[access.node] = reference


def _fix_word(site: _Site) -> str:
    if site.rule in (OPTIMIZER_REBUILT_EVERY_STEP, OPTIMIZER_BUILT_PER_CALL):
        return "fix (unsafe: training results change, as intended)"
    if site.applicability is Applicability.UNSAFE:
        return "fix (unsafe)"
    return "fix"


def _find_init(cls: cst.ClassDef) -> cst.FunctionDef | None:
    found = None
    for statement in cls.body.body:
        if isinstance(statement, cst.FunctionDef) and statement.name.value == "__init__":
            found = statement
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
