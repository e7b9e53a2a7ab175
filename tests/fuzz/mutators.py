"""Meaning-preserving mutations of a Python program, written as LibCST transformers.

Each mutator takes a module and a ``random.Random`` and returns a module that does what the
first one did (the same names are bound to the same values, the same functions are traced),
spelled differently: an import alias renamed, ``tf.function`` written another way, a function
nested in a factory or moved into a class, statements wrapped in ``if``/``with``/``try``, another
indentation, comments and blank lines, unrelated code. A mutator that finds nothing to change
returns the module as it was. ``mutate`` applies a sequence of them; the fuzz tests check that
fixer's output on the result still has the properties it has on the fixtures.

New names all start with ``_fz`` (or ``fz_``) and never collide with a name of the program.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

import libcst as cst
from libcst import matchers as m
from libcst.metadata import (
    Assignment,
    MetadataWrapper,
    QualifiedNameProvider,
    ScopeProvider,
)

Mutator = Callable[[cst.Module, random.Random], cst.Module]
_TRACERS = {"tensorflow.function", "tensorflow.compat.v2.function", "tensorflow.compat.v1.function"}


def _words(module: cst.Module) -> set[str]:
    """Every identifier of the module: new names must avoid all of them."""
    found: set[str] = set()

    class Collect(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            found.add(node.value)

    module.visit(Collect())
    return found


def fresh(module: cst.Module, stem: str, rng: random.Random) -> str:
    taken = _words(module)
    while True:
        name = f"{stem}{rng.randrange(1000)}"
        if name not in taken:
            return name


def _statement(code: str) -> cst.BaseStatement:
    return cst.parse_statement(code)


def _is_docstring(statement: cst.CSTNode) -> bool:
    return m.matches(
        statement,
        m.SimpleStatementLine(body=[m.Expr(value=m.SimpleString() | m.ConcatenatedString())]),
    )


def _is_future_import(statement: cst.CSTNode) -> bool:
    return m.matches(
        statement,
        m.SimpleStatementLine(body=[m.ImportFrom(module=m.Name("__future__"))]),
    )


def _first_free(body: Sequence[cst.BaseStatement]) -> int:
    """The first index of ``body`` after its docstring and ``from __future__`` imports."""
    index = 0
    if body and _is_docstring(body[0]):
        index = 1
    while index < len(body) and _is_future_import(body[index]):
        index += 1
    return index


def _after_imports(body: Sequence[cst.BaseStatement]) -> int:
    """The index just after the last top-level import statement (or the first free one)."""
    last = _first_free(body)
    for index, statement in enumerate(body):
        if m.matches(statement, m.SimpleStatementLine(body=[m.Import() | m.ImportFrom()])):
            last = max(last, index + 1)
    return last


def _blocks(module: cst.Module) -> list[cst.CSTNode]:
    """The module and every indented block, in document order."""
    found: list[cst.CSTNode] = [module]

    class Collect(cst.CSTVisitor):
        def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
            found.append(node)

    module.visit(Collect())
    return found


class _ReplaceBody(cst.CSTTransformer):
    """Gives one block (the module or an indented block, by identity) a new list of statements."""

    def __init__(
        self,
        target: cst.CSTNode,
        change: Callable[[list[cst.BaseStatement]], list[cst.BaseStatement]],
    ) -> None:
        self.target = target
        self.change = change

    def leave_IndentedBlock(
        self, original: cst.IndentedBlock, updated: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        if original is self.target:
            return updated.with_changes(body=self.change(list(updated.body)))
        return updated

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        if original is self.target:
            return updated.with_changes(body=self.change(list(updated.body)))
        return updated


def _function_blocks(module: cst.Module) -> list[cst.IndentedBlock]:
    """The bodies of every function."""
    found: list[cst.IndentedBlock] = []

    class Collect(cst.CSTVisitor):
        def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
            if isinstance(node.body, cst.IndentedBlock):
                found.append(node.body)

    module.visit(Collect())
    return found


# ------------------------------------------------------------------ rename an import alias


class _Rename(cst.CSTTransformer):
    def __init__(self, names: set[int], alias: cst.ImportAlias, new: str) -> None:
        self.names = names
        self.alias = alias
        self.new = new

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.Name:
        if id(original) in self.names:
            return updated.with_changes(value=self.new)
        return updated

    def leave_ImportAlias(
        self, original: cst.ImportAlias, updated: cst.ImportAlias
    ) -> cst.ImportAlias:
        if original is self.alias:
            return updated.with_changes(asname=cst.AsName(name=cst.Name(self.new)))
        return updated


def _leftmost_name(node: cst.CSTNode) -> cst.Name | None:
    while isinstance(node, cst.Attribute):
        node = node.value
    return node if isinstance(node, cst.Name) else None


def rename_import_alias(module: cst.Module, rng: random.Random) -> cst.Module:
    """``import tensorflow as tf`` -> ``import tensorflow as tf_fz12``, every use renamed (by
    scope, so a local ``tf`` elsewhere is left alone); also ``from x import y`` -> ``... as
    fz_y``. Skipped for a name bound more than once at module level."""
    wrapper = MetadataWrapper(module)
    scopes = wrapper.resolve(ScopeProvider)
    candidates: list[tuple[cst.ImportAlias, Assignment]] = []
    for node, scope in scopes.items():
        if (
            not isinstance(node, cst.ImportAlias)
            or scope is None
            or scope is not scopes.get(wrapper.module)
        ):
            continue
        if isinstance(node.name, cst.Attribute) and node.asname is None:
            continue  # import a.b binds a: leave it
        bound = node.evaluated_alias or node.evaluated_name
        if bound == "*":
            continue
        assignments = list(scope.assignments[bound])
        if len(assignments) != 1 or not isinstance(assignments[0], Assignment):
            continue
        candidates.append((node, assignments[0]))
    if not candidates:
        return module
    alias, assignment = rng.choice(candidates)
    names: set[int] = set()
    for access in assignment.references:
        name = _leftmost_name(access.node)
        if name is None:
            return module
        names.add(id(name))
    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        names.add(id(alias.asname.name))
    bound = alias.evaluated_alias or alias.evaluated_name
    new = fresh(wrapper.module, f"{bound.split('.')[-1]}_fz", rng)
    return wrapper.module.visit(_Rename(names, alias, new))


# ------------------------------------------------------------------ tf.function spellings


def _tracer_decorators(module: cst.Module) -> tuple[cst.Module, list[tuple[cst.FunctionDef, int]]]:
    """The module as analysed and its (function, decorator index) pairs that are tf.function."""
    wrapper = MetadataWrapper(module)
    found: list[tuple[cst.FunctionDef, int]] = []

    class Collect(cst.CSTVisitor):
        METADATA_DEPENDENCIES = (QualifiedNameProvider,)

        def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
            for index, decorator in enumerate(node.decorators):
                expression = decorator.decorator
                if isinstance(expression, cst.Call):
                    expression = expression.func
                names = self.get_metadata(QualifiedNameProvider, expression, set())
                if {q.name for q in names} & _TRACERS:
                    found.append((node, index))

    wrapper.visit(Collect())
    return wrapper.module, found


def _add_import(module: cst.Module, statement: str) -> cst.Module:
    body = list(module.body)
    at = _first_free(body)
    return module.with_changes(body=[*body[:at], _statement(statement), *body[at:]])


class _Redecorate(cst.CSTTransformer):
    def __init__(
        self, function: cst.FunctionDef, index: int, decorator: cst.Decorator | None
    ) -> None:
        self.function = function
        self.index = index
        self.decorator = decorator
        self.removed: cst.FunctionDef | None = None

    def leave_FunctionDef(
        self, original: cst.FunctionDef, updated: cst.FunctionDef
    ) -> cst.FunctionDef:
        if original is not self.function:
            return updated
        decorators = list(updated.decorators)
        old = decorators[self.index]
        if self.decorator is None:
            del decorators[self.index]
            self.removed = original
            lines = list(old.leading_lines)
            if decorators:
                decorators[0] = decorators[0].with_changes(
                    leading_lines=[*lines, *decorators[0].leading_lines]
                )
                return updated.with_changes(decorators=decorators)
            return updated.with_changes(
                decorators=decorators, leading_lines=[*updated.leading_lines, *lines]
            )
        decorators[self.index] = self.decorator.with_changes(
            leading_lines=old.leading_lines, trailing_whitespace=old.trailing_whitespace
        )
        return updated.with_changes(decorators=decorators)


class _InsertAfter(cst.CSTTransformer):
    """Inserts statements after a given statement, in whichever block holds it."""

    def __init__(self, anchor: cst.CSTNode, statements: Sequence[cst.BaseStatement]) -> None:
        self.anchor = anchor
        self.statements = statements
        self.done = False

    def _insert(
        self, original: Sequence[cst.BaseStatement], updated: Sequence[cst.BaseStatement]
    ) -> list[cst.BaseStatement]:
        out: list[cst.BaseStatement] = []
        for before, after in zip(original, updated):
            out.append(after)
            if before is self.anchor:
                out.extend(self.statements)
                self.done = True
        return out

    def leave_IndentedBlock(
        self, original: cst.IndentedBlock, updated: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        return updated.with_changes(body=self._insert(original.body, updated.body))

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        return updated.with_changes(body=self._insert(original.body, updated.body))


def respell_tracer(module: cst.Module, rng: random.Random) -> cst.Module:
    """One ``tf.function`` decorator written another way: bare, called with no arguments,
    with ``jit_compile=True``, through ``from tensorflow import function as fz_function``, or
    as the call form ``step = tf.function(step)`` after the def (when it is the outermost
    decorator)."""
    module, found = _tracer_decorators(module)
    if not found:
        return module
    function, index = rng.choice(found)
    old = function.decorators[index].decorator
    base = old.func if isinstance(old, cst.Call) else old
    args = list(old.args) if isinstance(old, cst.Call) else []
    forms = ["bare", "empty", "jit", "alias"] + (["call"] if index == 0 else [])
    form = rng.choice(forms)
    if form == "alias":
        name = fresh(module, "fz_function", rng)
        module = _add_import(module, f"from tensorflow import function as {name}\n")
        module, found = _tracer_decorators(module)
        function, index = next((f, i) for f, i in found if f.name.value == function.name.value)
        base = cst.Name(name)
        form = rng.choice(["bare", "empty", "jit", "same"])
    if form == "call":
        call = cst.Call(
            func=base.deep_clone(), args=[cst.Arg(cst.Name(function.name.value)), *args]
        )
        assign = cst.SimpleStatementLine(
            [cst.Assign([cst.AssignTarget(cst.Name(function.name.value))], call)]
        )
        removing = _Redecorate(function, index, None)
        module = module.visit(removing)
        assert removing.removed is not None
        # Find the new function node (the transformer rebuilt it) by position in the tree.
        targets: list[cst.FunctionDef] = []

        class Find(cst.CSTVisitor):
            def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
                if (
                    node.name.value == function.name.value
                    and len(node.decorators) == len(function.decorators) - 1
                ):
                    targets.append(node)

        module.visit(Find())
        if not targets:
            return module
        inserting = _InsertAfter(targets[0], [assign])
        return module.visit(inserting)
    if form == "bare":
        expression: cst.BaseExpression = base.deep_clone()
    elif form == "empty":
        expression = cst.Call(func=base.deep_clone())
    elif form == "jit":
        keep = [a for a in args if not (a.keyword is not None and a.keyword.value == "jit_compile")]
        keyword = cst.Arg(
            keyword=cst.Name("jit_compile"),
            value=cst.Name("True"),
            equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")),
        )
        keep = [a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in keep]
        expression = cst.Call(func=base.deep_clone(), args=[*keep, keyword])
    else:  # the same arguments, through the alias
        expression = cst.Call(func=base.deep_clone(), args=args) if args else base.deep_clone()
    return module.visit(_Redecorate(function, index, cst.Decorator(decorator=expression)))


# ------------------------------------------------------------------ nest, move into a class


def _top_functions(module: cst.Module) -> list[cst.FunctionDef]:
    return [s for s in module.body if isinstance(s, cst.FunctionDef)]


def _uses_name(node: cst.CSTNode, name: str) -> bool:
    found = False

    class Look(cst.CSTVisitor):
        def visit_Name(self, n: cst.Name) -> None:
            nonlocal found
            found = found or n.value == name

    node.visit(Look())
    return found


def nest_in_factory(module: cst.Module, rng: random.Random) -> cst.Module:
    """``def step`` at module level becomes ``def fz_make(): def step...; return step`` and
    ``step = fz_make()``."""
    functions = _top_functions(module)
    if not functions:
        return module
    function = rng.choice(functions)
    name = function.name.value
    factory = fresh(module, "fz_make", rng)
    inner = function.with_changes(leading_lines=[])
    body = cst.IndentedBlock(body=[inner, _statement(f"return {name}\n")])
    outer = cst.FunctionDef(
        name=cst.Name(factory),
        params=cst.Parameters(),
        body=body,
        leading_lines=function.leading_lines,
    )
    rebind = _statement(f"{name} = {factory}()\n")

    def change(statements: list[cst.BaseStatement]) -> list[cst.BaseStatement]:
        at = next(i for i, s in enumerate(module.body) if s is function)
        return [*statements[:at], outer, rebind, *statements[at + 1 :]]

    return module.visit(_ReplaceBody(module, change))


def move_into_class(module: cst.Module, rng: random.Random) -> cst.Module:
    """``def step(x)`` at module level becomes a method ``def step(self, x)`` of a new class
    and ``step = FzHolder().step``; or a ``@staticmethod`` and ``step = FzHolder.step``."""
    functions = [
        f
        for f in _top_functions(module)
        if not _uses_name(f, "self")
        and not _uses_name(f, "__class__")
        and not _uses_name(f, "super")
    ]
    if not functions:
        return module
    function = rng.choice(functions)
    name = function.name.value
    holder = fresh(module, "FzHolder", rng)
    static = rng.random() < 0.4
    if static:
        decorators = [cst.Decorator(cst.Name("staticmethod")), *function.decorators]
        method = function.with_changes(leading_lines=[], decorators=decorators)
        rebind = _statement(f"{name} = {holder}.{name}\n")
    else:
        params = function.params
        self_param = cst.Param(cst.Name("self"))
        if params.posonly_params:
            params = params.with_changes(posonly_params=[self_param, *params.posonly_params])
        else:
            params = params.with_changes(params=[self_param, *params.params])
        method = function.with_changes(leading_lines=[], params=params)
        rebind = _statement(f"{name} = {holder}().{name}\n")
    holder_class = cst.ClassDef(
        name=cst.Name(holder),
        body=cst.IndentedBlock(body=[method]),
        leading_lines=function.leading_lines,
    )

    def change(statements: list[cst.BaseStatement]) -> list[cst.BaseStatement]:
        at = next(i for i, s in enumerate(module.body) if s is function)
        return [*statements[:at], holder_class, rebind, *statements[at + 1 :]]

    return module.visit(_ReplaceBody(module, change))


# ------------------------------------------------------------------ wrap in if / with / try


def _wrappable(statement: cst.BaseStatement) -> bool:
    if _is_docstring(statement) or _is_future_import(statement):
        return False
    return not m.matches(statement, m.SimpleStatementLine(body=[m.Global() | m.Nonlocal()]))


def wrap_in_block(module: cst.Module, rng: random.Random) -> cst.Module:
    """One to three statements of a block (the module or any indented block) wrapped in
    ``if True:``, ``if False: pass / else:``, ``try: / finally: pass``, ``try: / except
    ZeroDivisionError: raise`` or ``with contextlib.nullcontext():``."""
    blocks = _blocks(module)
    target = rng.choice(blocks)
    body = list(target.body)  # type: ignore[attr-defined]
    start_at = _first_free(body)
    choices = [i for i in range(start_at, len(body)) if _wrappable(body[i])]
    if not choices:
        return module
    first = rng.choice(choices)
    last = first
    while (
        last + 1 < len(body)
        and last - first < 2
        and _wrappable(body[last + 1])
        and rng.random() < 0.5
    ):
        last += 1
    kind = rng.choice(["if", "else", "try_finally", "try_except", "with"])
    need_contextlib = kind == "with"
    context_name = fresh(module, "fz_contextlib", rng) if need_contextlib else ""

    def change(statements: list[cst.BaseStatement]) -> list[cst.BaseStatement]:
        inner = statements[first : last + 1]
        leading = inner[0].leading_lines  # type: ignore[attr-defined]
        inner[0] = inner[0].with_changes(leading_lines=[])
        block = cst.IndentedBlock(body=inner)
        wrapper: cst.BaseStatement
        if kind == "if":
            wrapper = cst.If(test=cst.Name("True"), body=block)
        elif kind == "else":
            wrapper = cst.If(
                test=cst.Name("False"),
                body=cst.IndentedBlock([_statement("pass\n")]),
                orelse=cst.Else(body=block),
            )
        elif kind == "try_finally":
            wrapper = cst.Try(
                body=block, finalbody=cst.Finally(cst.IndentedBlock([_statement("pass\n")]))
            )
        elif kind == "try_except":
            wrapper = cst.Try(
                body=block,
                handlers=[
                    cst.ExceptHandler(
                        body=cst.IndentedBlock([_statement("raise\n")]),
                        type=cst.Name("ZeroDivisionError"),
                    )
                ],
            )
        else:
            call = cst.parse_expression(f"{context_name}.nullcontext()")
            wrapper = cst.With(items=[cst.WithItem(call)], body=block)
        wrapper = wrapper.with_changes(leading_lines=leading)
        return [*statements[:first], wrapper, *statements[last + 1 :]]

    module = module.visit(_ReplaceBody(target, change))
    if need_contextlib:
        module = _add_import(module, f"import contextlib as {context_name}\n")
    return module


# ------------------------------------------------------------------ indentation


class _Indent(cst.CSTTransformer):
    def leave_IndentedBlock(
        self, original: cst.IndentedBlock, updated: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        return updated.with_changes(indent=None)


def reindent(module: cst.Module, rng: random.Random) -> cst.Module:
    """Every block indented with a tab, or two, three or eight spaces."""
    indent = rng.choice(["\t", "\t", "  ", "   ", "        "])
    return module.visit(_Indent()).with_changes(default_indent=indent)


# ------------------------------------------------------------------ comments and blank lines

_COMMENTS = (
    "# fz: a note",
    "# tf.keras.optimizers.Adam(0.1) would be wrong here",
    "#",
    "# -*- not a coding cookie -*-",
    "# @tf.function",
    "#: type: ignore",
)


class _Comments(cst.CSTTransformer):
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def _lines(self) -> list[cst.EmptyLine]:
        lines = []
        for _ in range(self.rng.randint(1, 2)):
            if self.rng.random() < 0.5:
                lines.append(cst.EmptyLine())
            else:
                lines.append(cst.EmptyLine(comment=cst.Comment(self.rng.choice(_COMMENTS))))
        return lines

    def _maybe(self, node: cst.CSTNode) -> cst.CSTNode:
        if self.rng.random() < 0.2 and hasattr(node, "leading_lines"):
            return node.with_changes(leading_lines=[*node.leading_lines, *self._lines()])  # type: ignore[attr-defined]
        return node

    def leave_SimpleStatementLine(
        self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine:
        node = self._maybe(updated)
        assert isinstance(node, cst.SimpleStatementLine)
        if node.trailing_whitespace.comment is None and self.rng.random() < 0.15:
            node = node.with_changes(
                trailing_whitespace=cst.TrailingWhitespace(
                    whitespace=cst.SimpleWhitespace("  "), comment=cst.Comment("# fz: trailing")
                )
            )
        return node

    def leave_FunctionDef(
        self, original: cst.FunctionDef, updated: cst.FunctionDef
    ) -> cst.FunctionDef:
        return self._maybe(updated)  # type: ignore[return-value]

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        return self._maybe(updated)  # type: ignore[return-value]

    def leave_If(self, original: cst.If, updated: cst.If) -> cst.If:
        return self._maybe(updated)  # type: ignore[return-value]

    def leave_For(self, original: cst.For, updated: cst.For) -> cst.For:
        return self._maybe(updated)  # type: ignore[return-value]

    def leave_With(self, original: cst.With, updated: cst.With) -> cst.With:
        return self._maybe(updated)  # type: ignore[return-value]

    def leave_Decorator(self, original: cst.Decorator, updated: cst.Decorator) -> cst.Decorator:
        return self._maybe(updated)  # type: ignore[return-value]

    def leave_IndentedBlock(
        self, original: cst.IndentedBlock, updated: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        if self.rng.random() < 0.1:
            return updated.with_changes(footer=[*updated.footer, *self._lines()])
        return updated


def add_comments(module: cst.Module, rng: random.Random) -> cst.Module:
    """Comment lines and blank lines before statements, decorators and block ends, and trailing
    comments (never a suppression comment: that would change what fixer may do)."""
    return module.visit(_Comments(rng))


# ------------------------------------------------------------------ unrelated code

_MODULE_SNIPPETS = (
    "{n} = {{'a': [1, 2, 3], 'b': (4, 5)}}\n",
    "def {n}(x, *args, **kwargs):\n    return [y for y in args if y] or x\n",
    "class {n}:\n    attr = 1\n\n    def method(self):\n        return self.attr\n",
    "import os as {n}\n",
    "{n} = lambda x: x\n",
    "async def {n}():\n    return 1\n",
    "{n} = 'tf.keras.optimizers.Adam(0.1) inside @tf.function'\n",
    "for {n} in range(2):\n    pass\n",
    "try:\n    import json as {n}\nexcept ImportError:\n    {n} = None\n",
)
_BODY_SNIPPETS = (
    "{n} = 0\n",
    "{n} = [i for i in range(3)]\n",
    "if {n}_flag := False:\n    pass\n",
    "def {n}():\n    return None\n",
)


def add_unrelated_code(module: cst.Module, rng: random.Random) -> cst.Module:
    """A statement or definition that nothing else uses, at module level or in a function."""
    name = fresh(module, "fz_unrelated", rng)
    functions = _function_blocks(module)
    if functions and rng.random() < 0.5:
        target: cst.CSTNode = rng.choice(functions)
        snippet = rng.choice(_BODY_SNIPPETS)
    else:
        target = module
        snippet = rng.choice(_MODULE_SNIPPETS)
    statement = _statement(snippet.format(n=name))
    body = list(target.body)  # type: ignore[attr-defined]
    start = _first_free(body)
    if target is module:
        start = _after_imports(body) if rng.random() < 0.5 else start
    at = rng.randint(start, len(body))

    def change(statements: list[cst.BaseStatement]) -> list[cst.BaseStatement]:
        return [*statements[:at], statement, *statements[at:]]

    return module.visit(_ReplaceBody(target, change))


MUTATORS: dict[str, Mutator] = {
    "rename_import_alias": rename_import_alias,
    "respell_tracer": respell_tracer,
    "nest_in_factory": nest_in_factory,
    "move_into_class": move_into_class,
    "wrap_in_block": wrap_in_block,
    "reindent": reindent,
    "add_comments": add_comments,
    "add_unrelated_code": add_unrelated_code,
}


def mutate(source: str, steps: Sequence[tuple[str, int]]) -> str:
    """``source`` after each named mutator in turn, each with its own seed."""
    module = cst.parse_module(source)
    for name, seed in steps:
        module = MUTATORS[name](module, random.Random(seed))
    return module.code
