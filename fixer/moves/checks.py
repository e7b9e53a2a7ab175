"""The safety checks that moves share: whether a statement may leave the function that builds
it, and what would make the move change how the program runs.

Each check reads the facts and the site and returns why the move is refused (a sentence for the
finding) or None; none of them touches the plan.

- ``chosen_at_run_time``: the class is picked with ``getattr(<optimizers namespace>, name)``, so
  fixer cannot tell what it builds; reported, never moved.
- ``not_resolved``: the optimizer or the ``tf.function`` is an unbound name in a file with no
  import of it (a snippet, a notebook cell): reported as an assumption, never moved.
- ``builds_more_than_optimizer``: the traced function also builds layers, models or variables,
  so the program would still fail after the move; reported, never moved.
- ``blocked_by_context``: a construct between the call and its destination that it cannot leave
  (a comprehension, a ``try`` block, a ``with`` block, a ``strategy.scope()``).
- ``check_owner``: the function that builds it is defined in a lambda or in a traced function.
- ``check_bindings``: each moved name is bound by the moved statements alone (not assigned
  again, not ``global``, not ``del``eted, not read before).
- ``check_reads`` (with ``outer_reads``, ``local_read`` and ``binding_problem``): every name the
  moved code reads means the same at the destination: not a local or parameter of the function,
  bound before the destination and never rebound after it.
- ``caveats`` (with ``late_read``): what a move that is allowed still changes (arguments now
  evaluated earlier, a model parameter shared between calls); any of them makes the fix unsafe.

The checks particular to one destination live with it: ``check_strategy`` in
:mod:`fixer.moves.scope`, ``check_method_reads`` and ``instance_caveat`` in
:mod:`fixer.moves.instance`, ``choose_loop`` in :mod:`fixer.moves.before_loop`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

import libcst as cst
from libcst.metadata import Access, Assignment, GlobalScope, Scope

from fixer.analysis.facts import (
    BUILTINS,
    Binding,
    Facts,
    Traced,
    is_scope_call,
    learning_rate_argument,
    nodes_in,
    root_name,
    self_parameter,
)
from fixer.findings import Applicability
from fixer.moves import stability

if TYPE_CHECKING:
    from fixer.moves.hoist import Site


def chosen_at_run_time(facts: Facts, call: cst.Call) -> str | None:
    """A construction whose class ``getattr`` picks from a namespace when the program runs."""
    namespace = facts.chosen_from.get(call)
    if namespace is None:
        return None
    return (
        f"the class is taken from `{namespace}` by name when the program runs, which fixer "
        "cannot resolve; build the optimizer once outside the function and pass it in"
    )


def not_resolved(facts: Facts, site: Site, traced: Mapping[cst.FunctionDef, Traced]) -> str | None:
    """The optimizer or the tracer is only assumed to be TensorFlow's: the file does not import
    the name, so nothing is moved on a guess."""
    guessed = traced.get(site.func)
    if not facts.assumed(site.call) and (guessed is None or not guessed.assumed):
        return None
    return "fixer does not move code on an assumption; add the imports and run fixer again"


def builds_more_than_optimizer(facts: Facts, site: Site) -> str | None:
    """A traced function that also builds layers, models or variables: moving the optimizer
    alone leaves a program that fails the same way."""
    if not site.rule.crashes:
        return None
    found = facts.variables_built_in(site.func)
    if found is None:
        return None
    call, built = found
    func = site.func.name.value
    where = (
        "in `__init__`" if isinstance(site.owner, cst.ClassDef) else "outside it, and pass it in"
    )
    return (
        f"`{func}` also builds {built}, `{facts.code(call.func)}` (line "
        f"{facts.start(call).line}), which creates variables on every trace as well, so moving "
        f"the optimizer alone would still fail; do not trace a function that builds models "
        f"(drop its `tf.function`), or build everything once {where}"
    )


def blocked_by_context(facts: Facts, call: cst.Call, stop: cst.CSTNode) -> str | None:
    """A construct between the call and ``stop`` (where the move goes) that it cannot leave."""
    where = f"`{stop.name.value}`" if isinstance(stop, cst.FunctionDef) else "the loop"
    for node in facts.ancestors(call):
        if node is stop:
            return None
        if isinstance(node, (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)):
            return "it is built inside a comprehension, once per element"
        if isinstance(node, (cst.Try, cst.TryStar)) and facts.within(call, node.body):
            return (
                f"it is built inside a `try` block in {where}, whose handlers would no "
                "longer see its errors"
            )
        if isinstance(node, cst.With) and node not in facts.collector.harmless_withs:
            item = node.items[0].item
            if is_scope_call(item):
                return (
                    f"it is created under `{facts.code(item)}` in {where}; moving it "
                    "would take it out of that distribution strategy"
                )
            return (
                f"it is built inside `with {facts.code(item)}:` in {where}, which the "
                "move would leave"
            )
    return None


def check_owner(site: Site, traced: Mapping[cst.FunctionDef, Traced]) -> str | None:
    """The function that builds it must not be defined in a lambda or in a traced function."""
    owner = site.owner
    name = site.func.name.value
    if isinstance(owner, cst.Lambda):
        return f"`{name}` is defined inside a lambda"
    if isinstance(owner, cst.FunctionDef) and owner in traced:
        return f"the enclosing `{owner.name.value}` is traced too; build it outside both"
    return None


def check_bindings(facts: Facts, site: Site, moved: Sequence[Binding]) -> str | None:
    """Each moved name must be bound in the traced function by the moved statements alone."""
    func = site.func
    scope = facts.inner_scope(func)
    declared = facts.collector.declared.get(func, set())
    group = [
        x for b in moved for x in facts.assignments_of(scope, b.name) if facts.in_group(x, moved)
    ]
    for binding in moved:
        if binding.name in declared:
            return f"`{binding.name}` is declared global or nonlocal in `{func.name.value}`"
        if any(not facts.in_group(x, moved) for x in facts.assignments_of(scope, binding.name)):
            return f"`{binding.name}` is assigned more than once in `{func.name.value}`"
        if binding.name in facts.deleted_names(func):
            return f"`{binding.name}` is deleted with `del` in `{func.name.value}`"
        for access in facts.accesses_in(scope, binding.name):
            referents = access.referents
            if any(r in group for r in referents):
                continue
            if referents and all(
                r.scope is not scope and facts.is_descendant_scope(r.scope, scope)
                for r in referents
            ):
                continue  # a local of a nested function, unrelated
            line = facts.start(access.node).line
            return (
                f"`{binding.name}` is read on line {line} of `{func.name.value}` before it is built"
            )
    return None


def check_reads(
    facts: Facts, site: Site, moved: Sequence[Binding], destination: Scope
) -> str | None:
    """Everything the moved code reads must mean the same at the destination."""
    for access, name, referents in outer_reads(facts, site, moved):
        reason = local_read(facts, site, name, referents, access)
        if reason is None and any(r.scope is destination for r in referents):
            reason, rebound = binding_problem(facts, name, destination, site.func)
            if rebound and varying_rate(site, access):
                reason = f"{reason}{rate_advice(site, name)}"
        if reason is None and isinstance(access.node, cst.Name):
            reason = stability.refusal(facts, access.node, site.func, site.moved_nodes(moved))
        if reason is not None:
            return reason
    return None


def varying_rate(site: Site, access: Access | None) -> bool:
    """The read is (part of) the learning rate the optimizer is built with."""
    rate = learning_rate_argument(site.call)
    if access is None or rate is None:
        return False
    node: cst.CSTNode = access.node
    return node is rate or any(node is inner for inner in nodes_in(rate, cst.Name))


def rate_advice(site: Site, name: str) -> str:
    """What to do instead when the learning rate changes between calls."""
    optimizer = site.bound.name if site.bound is not None else "optimizer"
    return (
        f"; the rate varies, so build one optimizer once and set it with "
        f"`{optimizer}.learning_rate.assign({name})` when it changes, or use a "
        "learning-rate schedule"
    )


def outer_reads(
    facts: Facts, site: Site, moved: Sequence[Binding]
) -> Iterator[tuple[Access, str, list[Assignment]]]:
    """Reads in the moved code of names it does not bind itself (nor builtins, nor what a star
    import may bring), with the assignments they may refer to."""
    nodes = site.moved_nodes(moved)
    for access in facts.names_read(nodes):
        name = access.node.value if isinstance(access.node, cst.Name) else "?"
        referents = [r for r in access.referents if isinstance(r, Assignment)]
        if any(facts.in_group(r, moved) for r in referents):
            continue
        if any(facts.within(r.node, n) for r in referents for n in nodes):
            continue  # a comprehension variable inside the arguments
        if not referents and (name in BUILTINS or facts.collector.star_namespaces):
            continue  # a builtin, or (perhaps) brought in by a star import at the top
        yield access, name, referents


def local_read(
    facts: Facts,
    site: Site,
    name: str,
    referents: Sequence[Assignment],
    access: Access | None = None,
) -> str | None:
    """Why a read cannot move: the name is unbound, or local to the traced function."""
    func = site.func
    if not referents:
        return f"`{name}` is not defined in this file"
    func_scope = facts.inner_scope(func)
    for referent in referents:
        if facts.is_descendant_scope(referent.scope, func_scope):
            parameter = facts.is_parameter(referent)
            what = "a parameter" if parameter else "a local variable"
            advice = site.read_advice
            if parameter and varying_rate(site, access):
                advice = " that may change from call to call" + rate_advice(site, name)
            return f"its arguments read `{name}`, {what} of `{func.name.value}`{advice}"
    return None


def binding_problem(
    facts: Facts, name: str, destination: Scope, func: cst.FunctionDef
) -> tuple[str | None, bool]:
    """``name`` must be bound before the move's destination and never rebound after it.

    Returns why not, and whether the reason is that the name is rebound (its value varies)."""
    anchor = facts.sort_key_statement(func)
    bound_before = False
    for assignment in sorted(facts.assignments_of(destination, name), key=facts.assignment_key):
        if not isinstance(assignment, Assignment):
            continue
        node = assignment.node
        line = facts.start(node).line
        if facts.scopes.get(node) is not destination and not isinstance(
            node, (cst.Import, cst.ImportFrom)
        ):
            return f"`{name}` is rebound inside a function (line {line})", True
        if facts.sort_key(node) < anchor:
            bound_before = True
        elif bound_before:
            return (
                f"`{name}` is rebound on line {line}, after the place the optimizer would go",
                True,
            )
        else:
            return (
                f"`{name}` is not bound yet where the optimizer would go "
                f"(first bound on line {line})"
            ), False
    return None, False


def caveats(
    facts: Facts, site: Site, moved: Sequence[Binding], destination: Scope, when: str
) -> str:
    """What makes a move that compiles change behaviour; any of them makes the fix unsafe."""
    func = site.func
    found: list[str] = []
    nodes = site.moved_nodes(moved)
    late = late_read(facts, nodes, destination, func, site.call)
    if late is not None:
        found.append(
            f"its arguments {late}, now evaluated once {when} instead of at the first call"
        )
    binding = site.bound
    update = facts.update_in(site.call, binding, func)
    if update is not None:
        func_scope = facts.inner_scope(func)
        self_name = self_parameter(func) if isinstance(site.owner, cst.ClassDef) else None
        for variable in facts.updated_variables(update):
            if variable == self_name:
                continue
            if any(facts.is_parameter(x) for x in facts.assignments_of(func_scope, variable)):
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
    facts: Facts,
    nodes: Sequence[cst.CSTNode],
    destination: Scope,
    func: cst.FunctionDef,
    site_call: cst.Call,
) -> str | None:
    """A read whose value may differ between the destination and the first call."""
    constructions = facts.construction_calls | {site_call}

    def unstable(read: cst.CSTNode, what: str, root: cst.Name) -> str | None:
        """``what`` unless ``read`` reads into a container the file shows stays the same."""
        change = stability.module_container(facts, root, func, nodes)
        if change is None:
            return None
        if isinstance(change, stability.Change):
            return f"{what} ({change.describe(facts, root.value)})"
        return what

    for node in nodes:
        for inner in nodes_in(node, cst.Call, skip=(cst.Lambda,)):
            if inner in constructions or inner is node:
                continue
            root = root_name(inner.func)
            if root is None or not is_imported_or_builtin(facts, root):
                what = f"call `{facts.code(inner.func)}()`"
                if (
                    root is None
                    or not isinstance(inner.func, cst.Attribute)
                    or inner.func.attr.value not in stability.READERS
                    or not stability.reads_into(facts, root)
                ):
                    return what
                found = unstable(inner, what, root)
                if found is not None:
                    return found
        for subscript in nodes_in(node, cst.Subscript):
            root = root_name(subscript)
            if root is None:
                return f"read `{facts.code(subscript)}`"
            if not is_imported_or_builtin(facts, root):
                found = unstable(subscript, f"read `{facts.code(subscript)}`", root)
                if found is not None:
                    return found
        for attribute in nodes_in(node, cst.Attribute):
            root = root_name(attribute)
            text = facts.code(attribute)
            if root is None or ".FLAGS" in f".{text}":
                return f"read `{text}`"
            if not is_imported_or_builtin(facts, root):
                parent = facts.parents.get(attribute)
                if isinstance(parent, cst.Attribute) and parent.value is attribute:
                    continue  # the outermost attribute is reported
                if isinstance(parent, cst.Call) and parent.func is attribute:
                    continue  # a method call: reported as a call
                found = unstable(attribute, f"read `{text}`", root)
                if found is not None:
                    return found
    if not isinstance(destination, GlobalScope):
        # Module names read in a factory are read when it runs, perhaps before they exist.
        factory_start = facts.sort_key(func)
        for access in facts.names_read(nodes):
            for referent in access.referents:
                if (
                    isinstance(referent, Assignment)
                    and isinstance(referent.scope, GlobalScope)
                    and destination is not referent.scope
                    and facts.sort_key(referent.node) > factory_start
                ):
                    return f"read `{access.node.value}`, bound after the factory"  # type: ignore[union-attr]
    return None


def is_imported_or_builtin(facts: Facts, name: cst.Name) -> bool:
    """``name`` refers only to imports, or to a builtin: its value is the same everywhere."""
    access = facts.access_of.get(name)
    if access is None:
        return False
    referents = list(access.referents)
    if not referents:
        return name.value in BUILTINS
    return all(
        not isinstance(r, Assignment) or isinstance(r.node, (cst.Import, cst.ImportFrom))
        for r in referents
    )
