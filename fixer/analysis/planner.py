"""The planner: runs the rules over a file's facts, in order, and gathers their findings and the
edits of the fixes the gate lets through into a frozen :class:`~fixer.analysis.plan.Plan`.

The :class:`Planner` is what rules and moves write to: the findings (``report``, ``report_at``),
the edits being planned (insertions, removals, renamed references) with ``snapshot`` and
``restore`` to roll back a fix the gate holds back, and the names the moved optimizers take
(``choose_name``: free at the destination, not captured where they are read).
"""

from __future__ import annotations

import keyword
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst
from libcst.metadata import Assignment, BaseAssignment, ComprehensionScope, Scope

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
    nodes_in,
    prepare,
)
from fixer.analysis.plan import (
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
from fixer.lazy import lazy
from fixer.rules import (
    OPTIMIZER_BUILT_BY_TRACED_HELPER,
    OPTIMIZER_BUILT_PER_CALL,
    OPTIMIZER_IN_TRACED_FUNCTION,
    OPTIMIZER_PER_ITERATION_TRACED,
    OPTIMIZER_REBUILT_EVERY_STEP,
)
from fixer.rules.base import Rule

if TYPE_CHECKING:
    from fixer import moves
    from fixer.moves import Site
else:
    moves = lazy("fixer.moves")  # the moves import the analysis


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
    return Planner(facts, gate).plan()


@dataclass
class Edits:
    """The planner's edits, as copied to roll back a fix that is held back."""

    insertions: dict[tuple[cst.BaseStatement, bool], list[Hoisted]]
    blank_after: dict[cst.BaseStatement, int]
    removed_lines: set[cst.SimpleStatementLine]
    removed_smalls: set[cst.BaseSmallStatement]
    replaced: dict[cst.Call, Reference]
    references: dict[cst.Name, Reference]
    new_inits: dict[cst.ClassDef, NewInit]
    reserved: set[str]


class Planner:
    """The plan being built for one file: the findings so far, the edits of the fixes the gate
    let through, and the names those fixes took."""

    def __init__(self, facts: Facts, gate: FixGate) -> None:
        self.facts = facts
        self.gate = gate
        self.traced: Mapping[cst.FunctionDef, Traced] = facts.traced_functions()
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
        """Run the rules, then freeze what they found and planned."""
        a = self.facts
        traced = self.traced
        by_function: dict[cst.FunctionDef, list[Construction]] = {}
        for construction in a.collector.constructions:
            owner = construction.owner
            if isinstance(owner, cst.FunctionDef) and owner in traced:
                by_function.setdefault(owner, []).append(construction)
        for func in sorted(by_function, key=a.sort_key):
            self.plan_function(traced[func], by_function[func])
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

    # ----------------------------------------------------------------- edits

    def snapshot(self) -> Edits:
        """A copy of every planned edit, to roll back a fix that is not applied."""
        return Edits(
            {key: list(value) for key, value in self.insertions.items()},
            dict(self.blank_after),
            set(self.removed_lines),
            set(self.removed_smalls),
            dict(self.replaced),
            dict(self.references),
            dict(self.new_inits),
            set(self.reserved),
        )

    def restore(self, snapshot: Edits, keep_names: bool = True) -> None:
        """Go back to ``snapshot``; the names reserved since stay taken unless ``keep_names`` is
        False."""
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
        a = self.facts
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

    # ----------------------------------------------------------------- findings

    def report(self, site: Site, applicability: Applicability, outcome: str) -> None:
        """The finding of ``site``: its headline, then the outcome (the fix, or why not)."""
        self.report_at(site.call, site.rule, applicability, f"{site.headline}; {outcome}")

    def report_at(
        self,
        call: cst.Call,
        rule: Rule,
        applicability: Applicability,
        message: str,
        fixed_with: tuple[int, int] | None = None,
    ) -> None:
        """A finding at ``call``, with the lines whose suppression comments apply to it."""
        span = self.facts.positions[call]
        self.diagnostics.append(
            Diagnostic(
                path=self.facts.path,
                line=span.start.line,
                column=span.start.column + 1,
                code=rule.code,
                message=message,
                applicability=applicability,
                end_line=span.end.line,
                end_column=span.end.column + 1,
                fixed_with=fixed_with,
                suppressible_at=self.facts.suppressible_at(call),
            )
        )

    def decide(self, rule: Rule, applicability: Applicability, call: cst.Call) -> Decision:
        """What becomes of the fix planned for the finding at ``call`` (the gate decides)."""
        start = self.facts.start(call)
        key = SiteKey(
            rule.code, start.line, start.column + 1, applicability, self.facts.suppressible_at(call)
        )
        return self.gate(key)

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
        a = self.facts
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
        return {
            x for x in self.facts.assignments_of(func_scope, name) if self.facts.in_group(x, moved)
        }

    def point_group_at(
        self, name: str, reference: Reference, func_scope: Scope, group: set[BaseAssignment]
    ) -> None:
        """Make every binding and read of the moved name refer to ``reference``."""
        for assignment in group:
            if isinstance(assignment, Assignment) and isinstance(assignment.node, cst.Name):
                self.references[assignment.node] = reference
        for access in self.facts.accesses_in(func_scope, name):
            if any(r in group for r in access.referents) and isinstance(access.node, cst.Name):
                self.references[access.node] = reference

    # ----------------------------------------------------------------- detection (to move to rules)

    def tfo001_headline(self, call: cst.Call, traced: Traced) -> str:
        a = self.facts
        func = traced.func
        if traced.via is not None:
            where = f"`{func.name.value}` ({traced.via})"
        elif isinstance(traced.owner, cst.ClassDef) and func not in a.collector.decorated:
            where = f"`{traced.owner.name.value}.{func.name.value}` (traced by Keras)"
        else:
            where = f"tf.function `{func.name.value}`"
        return f"optimizer `{a.label(call)}` is built inside {where} and fails on its first call"

    def plan_function(
        self,
        traced: Traced,
        constructions: list[Construction],
    ) -> None:
        a = self.facts
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
            headline = self.tfo001_headline(c.call, traced)
            site = moves.Site(
                c.call, func, traced.owner, binding, group, OPTIMIZER_IN_TRACED_FUNCTION, headline
            )
            moves.plan_site(self, site)

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
        a = self.facts
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
        a = self.facts
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

    def builders(
        self, traced: Mapping[cst.FunctionDef, Traced]
    ) -> dict[cst.FunctionDef, Construction]:
        """Untraced functions that build an optimizer, directly or through other such functions,
        each with the construction it ends up running."""
        a = self.facts
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
        a = self.facts
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
        a = self.facts
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
            self.plan_helper_call(traced[owner], call, helper, builders)

    def plan_helper_call(
        self,
        traced: Traced,
        call: cst.Call,
        helper: cst.FunctionDef,
        builders: Mapping[cst.FunctionDef, Construction],
    ) -> None:
        a = self.facts
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
        site = moves.Site(
            call,
            func,
            traced.owner,
            a.binding(call),
            [],
            OPTIMIZER_BUILT_BY_TRACED_HELPER,
            headline,
        )
        if not self.returns_optimizer(helper, builders):
            reason = (
                f"`{helper.name.value}` builds the optimizer on every call; build it once "
                f"outside `{func.name.value}` and pass it in"
            )
            self.report(site, Applicability.NONE, f"not moved: {reason}")
        elif not a.lazy_singleton(call, func):
            moves.plan_site(self, site)
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

    def plan_per_call(self, traced: Mapping[cst.FunctionDef, Traced]) -> None:
        """Step functions that build their optimizer on each call, called from a loop (TFO005)."""
        a = self.facts
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
            update = self.facts.update_in(c.call, binding, func)
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
            self.plan_per_call_site(c, func, binding, callers[func])

    def loop_callers(self) -> dict[cst.FunctionDef, cst.Call]:
        """Functions called from a loop of this file, each with one such call."""
        a = self.facts
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
    ) -> None:
        a = self.facts
        loop = a.enclosing_loops(caller)[0]
        owner = a.collector.owner_of[func]
        headline = (
            f"optimizer `{a.label(c.call)}` is built on every call of `{func.name.value}`, which "
            f"the loop on line {a.start(loop).line} calls each step, so its state (moments, step "
            "count) restarts every step and training silently differs from what is written"
        )
        site = moves.Site(
            c.call,
            func,
            owner,
            binding,
            [],
            OPTIMIZER_BUILT_PER_CALL,
            headline,
            Applicability.UNSAFE,
            read_advice=(
                " that may change from call to call; keep one optimizer and update its "
                "`learning_rate` instead"
            ),
        )
        scope = a.scopes.get(caller)
        model = next(
            (
                arg.value.value
                for arg in caller.args
                if isinstance(arg.value, cst.Name)
                and "model" in arg.value.value.lower()
                and scope is not None
                and a.assigned_in(arg.value.value, scope, loop)
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
        moves.plan_site(self, site)

    def identical_module_optimizer(
        self, binding: Binding | None, owner: Owner
    ) -> cst.SimpleStatementLine | None:
        """A module-level ``name = <the same call>`` that the local binding merely shadows."""
        a = self.facts
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
        self, site: Site, binding: Binding | None, shadowed: cst.SimpleStatementLine
    ) -> None:
        """The fix for a shadowing copy: delete it, so the module-level one is used."""
        a = self.facts
        assert binding is not None
        func = site.func
        reason = moves.check_bindings(a, site, [binding])
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
            f"shadows it; {site.fix_word}: delete the local one",
        )

    def plan_loops(self, traced: Mapping[cst.FunctionDef, Traced]) -> None:
        """Optimizers built in a loop body outside any traced function (TFO002, TFO003)."""
        a = self.facts
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
        a = self.facts
        nodes: set[cst.CSTNode] = {func for func, t in traced.items() if t.owner is not None}
        for call, target in a.collector.call_forms:
            if a.def_called(call, target) is None:
                continue
            parent = a.parents.get(call)
            if isinstance(parent, cst.Assign):
                nodes.update(t.target for t in parent.targets if isinstance(t.target, cst.Name))
        return nodes

    def traced_call_of(self, use: cst.CSTNode, callables: set[cst.CSTNode]) -> cst.Call | None:
        """The call of a traced function that receives ``use`` as an argument."""
        a = self.facts
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
            if self.facts.assigned_in(arg.value.value, scope, loop):
                return (
                    f"the loop also builds a new `{arg.value.value}` each iteration, and one "
                    "optimizer must not serve two models: build each optimizer with its model"
                )
        return None

    def plan_loop_site(
        self, c: Construction, loops: list[Loop], callables: set[cst.CSTNode]
    ) -> None:
        a = self.facts
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
        headline = f"optimizer `{a.label(c.call)}` {problem}"
        site = moves.LoopSite(c.call, binding, scope, loops, rule, applicability, headline)
        chosen, reason, outer_blocker = moves.choose_loop(a, site, update)
        if chosen is None and reason is None:
            return  # a fresh model per iteration: a new optimizer per iteration is intended
        if traced_call is not None and reason is None:
            # Every new object retraces: it must leave every loop, not only the inner one.
            reason = self.fresh_model_in(loops[-1], scope, traced_call) or outer_blocker
        moves.plan_before_loop(self, site, chosen, reason)
