"""Apply a :class:`~fixer.analysis.Plan` to the tree it was made from. Decides nothing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import libcst as cst

from fixer.analysis import Hoisted, MovedStatement, NewInit, Plan, Reference


def apply_plan(
    module: cst.Module, plan: Plan, parents: Mapping[cst.CSTNode, cst.CSTNode] | None = None
) -> cst.Module:
    """The module with every move of ``plan`` made; untouched code keeps its bytes.

    With ``parents`` (each node's parent in ``module``), only the nodes the plan touches and
    the nodes around them are visited: the rest of the tree cannot change."""
    if not plan.changes_anything:
        return module
    return module.visit(
        _PlanApplier(plan, within=None if parents is None else _around(plan, parents))
    )


def _around(plan: Plan, parents: Mapping[cst.CSTNode, cst.CSTNode]) -> frozenset[cst.CSTNode]:
    """The nodes ``plan`` edits (or inserts next to), and every node above them."""
    touched: list[cst.CSTNode] = [
        *(insertion.anchor for insertion in plan.insertions),
        *plan.removed_lines,
        *plan.removed_smalls,
        *plan.replaced_calls,
        *plan.references,
        *plan.comment_edits,
    ]
    found: set[cst.CSTNode] = set()
    for node in touched:
        current: cst.CSTNode | None = node
        while current is not None and current not in found:
            found.add(current)
            current = parents.get(current)
    return frozenset(found)


def _is_blank(line: cst.EmptyLine) -> bool:
    """A line with nothing on it. A form feed (a page break) counts as a comment: it stays
    where it is, once, and is never reused as one of several blank lines."""
    return line.comment is None and "\f" not in line.whitespace.value


def _blank_prefix(lines: Sequence[cst.EmptyLine]) -> int:
    count = 0
    for line in lines:
        if not _is_blank(line):
            break
        count += 1
    return count


def _blank(count: int, like: Sequence[cst.EmptyLine] = ()) -> list[cst.EmptyLine]:
    """``count`` empty lines, reusing existing ones so their exact bytes survive."""
    reusable = [line for line in like if _is_blank(line)]
    made = reusable[:count]
    while len(made) < count:
        made.append(cst.EmptyLine(indent=False))
    return made


def _split_attached(
    lines: Sequence[cst.EmptyLine],
) -> tuple[list[cst.EmptyLine], list[cst.EmptyLine]]:
    """Leading lines before the last blank line, and the comments attached right above a def."""
    last_blank = max((i for i, line in enumerate(lines) if _is_blank(line)), default=-1)
    return list(lines[: last_blank + 1]), list(lines[last_blank + 1 :])


def _leading_lines(statement: cst.BaseStatement) -> Sequence[cst.EmptyLine]:
    # Every concrete statement has leading_lines; BaseStatement does not declare it.
    lines: Sequence[cst.EmptyLine] = getattr(statement, "leading_lines", ())
    return lines


class _Dedent(cst.CSTTransformer):
    """Shift continuation lines of a moved statement left by ``amount`` columns."""

    def __init__(self, amount: int) -> None:
        super().__init__()
        self.amount = amount

    def _strip(self, text: str) -> str:
        if self.amount > 0 and text[: self.amount].strip(" ") == "" and len(text) >= self.amount:
            return text[self.amount :]
        if self.amount < 0:
            return " " * -self.amount + text
        return text

    def leave_ParenthesizedWhitespace(
        self,
        original_node: cst.ParenthesizedWhitespace,
        updated_node: cst.ParenthesizedWhitespace,
    ) -> cst.ParenthesizedWhitespace:
        # With ``indent`` set, LibCST already writes the line relative to the block's indentation;
        # only lines stored with absolute whitespace need shifting.
        last = updated_node.last_line
        if not updated_node.indent:
            last = last.with_changes(value=self._strip(last.value))
        return updated_node.with_changes(
            last_line=last,
            empty_lines=[
                line
                if line.indent
                else line.with_changes(
                    whitespace=line.whitespace.with_changes(
                        value=self._strip(line.whitespace.value)
                    )
                )
                for line in updated_node.empty_lines
            ],
        )


def _dedented(node: cst.CSTNodeT, amount: int) -> cst.CSTNodeT:
    if amount == 0:
        return node
    return node.visit(_Dedent(amount))  # type: ignore[return-value]


class _PlanApplier(cst.CSTTransformer):
    def __init__(
        self,
        plan: Plan,
        keep: cst.Call | None = None,
        within: frozenset[cst.CSTNode] | None = None,
    ) -> None:
        super().__init__()
        self.plan = plan
        self.keep = keep  # the hoisted call itself, when transforming it for its new place
        self.within = within  # None: every node; else only these are visited and rebuilt
        self.before = {i.anchor: i for i in plan.insertions if not i.after}
        self.after = {i.anchor: i for i in plan.insertions if i.after}

    def on_visit(self, node: cst.CSTNode) -> bool:
        if self.within is not None and node not in self.within:
            return False  # nothing below changes
        return super().on_visit(node)

    def on_leave(
        self, original_node: cst.CSTNodeT, updated_node: cst.CSTNodeT
    ) -> cst.CSTNodeT | cst.RemovalSentinel | cst.FlattenSentinel[cst.CSTNodeT]:
        if self.within is not None and original_node not in self.within:
            return updated_node
        return super().on_leave(original_node, updated_node)

    # ------------------------------------------------------------- expressions

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.BaseExpression:
        reference = self.plan.references.get(original_node)
        if reference is None:
            return updated_node
        return _expression(reference, updated_node.lpar, updated_node.rpar)

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        reference = self.plan.replaced_calls.get(original_node)
        if reference is None or original_node is self.keep:
            return updated_node
        return _expression(reference, updated_node.lpar, updated_node.rpar)

    # ------------------------------------------------------------- comments

    def leave_TrailingWhitespace(
        self, original_node: cst.TrailingWhitespace, updated_node: cst.TrailingWhitespace
    ) -> cst.TrailingWhitespace:
        comment = original_node.comment
        if comment is None or comment not in self.plan.comment_edits:
            return updated_node
        text = self.plan.comment_edits[comment]
        if text is None:
            return updated_node.with_changes(whitespace=cst.SimpleWhitespace(""), comment=None)
        return updated_node.with_changes(comment=cst.Comment(text))

    def leave_EmptyLine(
        self, original_node: cst.EmptyLine, updated_node: cst.EmptyLine
    ) -> cst.EmptyLine | cst.RemovalSentinel:
        comment = original_node.comment
        if comment is None or comment not in self.plan.comment_edits:
            return updated_node
        text = self.plan.comment_edits[comment]
        if text is None:
            return cst.RemovalSentinel.REMOVE
        return updated_node.with_changes(comment=cst.Comment(text))

    # ------------------------------------------------------------- statements

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine:
        if original_node in self.plan.removed_lines:
            return updated_node
        if not any(small in self.plan.removed_smalls for small in original_node.body):
            return updated_node
        kept: list[cst.BaseSmallStatement] = []
        for original, updated in zip(original_node.body, updated_node.body):
            if original not in self.plan.removed_smalls:
                kept.append(updated)
        if kept:
            kept[-1] = kept[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
        return updated_node.with_changes(body=kept)

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        body, left = self._rebuild(original_node.body, updated_node.body)
        return updated_node.with_changes(body=body, footer=[*left, *updated_node.footer])

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        body, left = self._rebuild(original_node.body, updated_node.body)
        return updated_node.with_changes(body=body, footer=[*left, *updated_node.footer])

    def _rebuild(
        self,
        originals: Sequence[cst.BaseStatement],
        updated: Sequence[cst.BaseStatement],
    ) -> tuple[list[cst.BaseStatement], list[cst.EmptyLine]]:
        """The block's statements after removals and insertions, and comment lines left over
        by a removed last statement (they go to the block's footer)."""
        out: list[cst.BaseStatement] = []
        carry: _Carry | None = None
        for original, statement in zip(originals, updated):
            if self._removed(original):
                assert isinstance(original, cst.SimpleStatementLine)
                carry = _Carry.after(carry, original, first=not out)
                continue
            if carry is not None:
                statement = carry.onto(statement)
                carry = None
            insertion = self.before.get(original)
            if insertion is not None:
                statement = self._insert(
                    out, statement, insertion.hoisted, insertion.blank_lines_after
                )
            out.append(statement)
            insertion = self.after.get(original)
            if insertion is not None:
                for item in insertion.hoisted:
                    hoisted = self._hoisted_statement(item)
                    out.append(hoisted.with_changes(leading_lines=_own_comments(hoisted)))
        if not out:
            out.append(cst.SimpleStatementLine(body=[cst.Pass()]))
        left = carry.comments if carry is not None else []
        return out, left

    def _removed(self, original: cst.BaseStatement) -> bool:
        return isinstance(original, cst.SimpleStatementLine) and original in self.plan.removed_lines

    def _insert(
        self,
        out: list[cst.BaseStatement],
        anchor: cst.BaseStatement,
        hoisted: Sequence[Hoisted],
        blank_lines_after: int,
    ) -> cst.BaseStatement:
        separator, attached = _split_attached(_leading_lines(anchor))
        for index, item in enumerate(hoisted):
            statement = self._hoisted_statement(item)
            comments = _own_comments(statement)
            lead = separator + comments if index == 0 else comments
            out.append(statement.with_changes(leading_lines=lead))
        return anchor.with_changes(leading_lines=_blank(blank_lines_after, separator) + attached)

    def _hoisted_statement(self, item: Hoisted) -> cst.BaseStatement:
        if isinstance(item, NewInit):
            return self._new_init(item)
        # Moved code is transformed here, on demand: its destination may come before its
        # origin in the tree (an __init__ above train_step).
        if isinstance(item, MovedStatement):
            if item.small is None:
                line = cst.ensure_type(
                    item.line.visit(_PlanApplier(self.plan)), cst.SimpleStatementLine
                )
            else:
                small = item.small.visit(_PlanApplier(self.plan))
                assert isinstance(small, cst.BaseSmallStatement)
                line = cst.SimpleStatementLine(
                    body=[small.with_changes(semicolon=cst.MaybeSentinel.DEFAULT)],
                    leading_lines=item.line.leading_lines,
                )
            return _dedented(line, item.dedent)
        visited = item.call.visit(_PlanApplier(self.plan, keep=item.call))
        call = cst.ensure_type(visited, cst.Call).with_changes(lpar=(), rpar=())
        assign = cst.Assign(
            targets=[cst.AssignTarget(target=_expression(item.target))],
            value=_dedented(call, item.dedent),
        )
        return cst.SimpleStatementLine(body=[assign])

    def _new_init(self, item: NewInit) -> cst.FunctionDef:
        if item.forwards_to_super:
            template = (
                f"def __init__({item.self_name}, *args, **kwargs):\n"
                "    super().__init__(*args, **kwargs)\n"
            )
        else:
            template = f"def __init__({item.self_name}):\n    pass\n"
        init = cst.ensure_type(cst.parse_statement(template), cst.FunctionDef)
        body = list(init.body.body) if item.forwards_to_super else []
        for moved in item.body:
            statement = self._hoisted_statement(moved)
            body.append(statement.with_changes(leading_lines=_own_comments(statement)))
        return init.with_changes(body=init.body.with_changes(body=body))


def _own_comments(statement: cst.BaseStatement) -> list[cst.EmptyLine]:
    """The comment lines directly above a moved statement: those after its last blank line."""
    return _split_attached(_leading_lines(statement))[1]


class _Carry:
    """What removed statements leave for the next one: blank lines, and comment lines that were
    separated from them by a blank line (those stay where they were)."""

    def __init__(self, blanks: int, first: bool, kept: list[cst.EmptyLine]) -> None:
        self.blanks = blanks
        self.first = first
        self.kept = kept

    @classmethod
    def after(
        cls, previous: _Carry | None, removed: cst.SimpleStatementLine, first: bool
    ) -> _Carry:
        separator, _ = _split_attached(removed.leading_lines)
        kept = separator if any(not _is_blank(line) for line in separator) else []
        blanks = _blank_prefix(removed.leading_lines)
        if previous is None:
            return cls(blanks, first, kept)
        return cls(max(previous.blanks, blanks), previous.first, previous.kept + kept)

    @property
    def comments(self) -> list[cst.EmptyLine]:
        """Kept comment lines for a block footer, without the blank lines that ended them."""
        kept = list(self.kept)
        while kept and _is_blank(kept[-1]):
            kept.pop()
        return kept

    def onto(self, statement: cst.BaseStatement) -> cst.BaseStatement:
        lines = list(_leading_lines(statement))
        own = _blank_prefix(lines)
        if self.kept:
            return statement.with_changes(leading_lines=self.kept + lines[own:])
        count = 0 if self.first else max(self.blanks, own)
        return statement.with_changes(leading_lines=_blank(count, lines) + lines[own:])


def _expression(
    reference: Reference,
    lpar: Sequence[cst.LeftParen] = (),
    rpar: Sequence[cst.RightParen] = (),
) -> cst.BaseAssignTargetExpression:
    if reference.owner is None:
        return cst.Name(reference.name, lpar=lpar, rpar=rpar)
    return cst.Attribute(
        value=cst.Name(reference.owner), attr=cst.Name(reference.name), lpar=lpar, rpar=rpar
    )
