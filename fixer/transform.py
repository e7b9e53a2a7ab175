"""Apply a :class:`~fixer.analysis.Plan` to the tree it was made from. Decides nothing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Union

import libcst as cst

from fixer.analysis import BoundCall, Hoisted, MovedStatement, Plan

Block = Union[cst.Module, cst.IndentedBlock]


def apply_plan(module: cst.Module, plan: Plan) -> cst.Module:
    """The module with every move of ``plan`` made; untouched code keeps its bytes."""
    if not plan.changes_anything:
        return module
    return module.visit(_PlanApplier(plan))


def _is_blank(line: cst.EmptyLine) -> bool:
    return line.comment is None


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
    def __init__(self, plan: Plan) -> None:
        super().__init__()
        self.plan = plan
        self.insertions = {insertion.anchor: insertion for insertion in plan.insertions}
        self.moved_lines: dict[cst.SimpleStatementLine, cst.SimpleStatementLine] = {}
        self.moved_smalls: dict[cst.BaseSmallStatement, cst.BaseSmallStatement] = {}
        self.moved_calls: dict[cst.Call, cst.Call] = {}

    # ------------------------------------------------------------- expressions

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.Name:
        new = self.plan.renamed.get(original_node)
        return updated_node if new is None else updated_node.with_changes(value=new)

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        name = self.plan.replaced_calls.get(original_node)
        if name is None:
            return updated_node
        self.moved_calls[original_node] = updated_node
        return cst.Name(
            name,
            lpar=updated_node.lpar,
            rpar=updated_node.rpar,
        )

    # ------------------------------------------------------------- statements

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine:
        if original_node in self.plan.removed_lines:
            self.moved_lines[original_node] = updated_node
            return updated_node
        if not any(small in self.plan.removed_smalls for small in original_node.body):
            return updated_node
        kept: list[cst.BaseSmallStatement] = []
        for original, updated in zip(original_node.body, updated_node.body):
            if original in self.plan.removed_smalls:
                self.moved_smalls[original] = updated.with_changes(
                    semicolon=cst.MaybeSentinel.DEFAULT
                )
            else:
                kept.append(updated)
        if kept:
            kept[-1] = kept[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
        return updated_node.with_changes(body=kept)

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        body = self._rebuild(original_node.body, updated_node.body)
        return updated_node.with_changes(body=body)

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        return updated_node.with_changes(body=self._rebuild(original_node.body, updated_node.body))

    def _rebuild(
        self,
        originals: Sequence[cst.BaseStatement],
        updated: Sequence[cst.BaseStatement],
    ) -> list[cst.BaseStatement]:
        out: list[cst.BaseStatement] = []
        carry: tuple[int, bool] | None = None  # (blank lines of removed statements, first in block)
        for original, statement in zip(originals, updated):
            if self._removed(original):
                assert isinstance(original, cst.SimpleStatementLine)
                blanks = _blank_prefix(original.leading_lines)
                first = not out if carry is None else carry[1]
                carry = (max(blanks, carry[0]) if carry else blanks, first)
                continue
            if carry is not None:
                statement = self._after_removal(statement, *carry)
                carry = None
            insertion = self.insertions.get(original)
            if insertion is not None:
                statement = self._insert(
                    out, statement, insertion.hoisted, insertion.blank_lines_after
                )
            out.append(statement)
        if not out:
            out.append(cst.SimpleStatementLine(body=[cst.Pass()]))
        return out

    def _removed(self, original: cst.BaseStatement) -> bool:
        return isinstance(original, cst.SimpleStatementLine) and original in self.plan.removed_lines

    def _after_removal(
        self, statement: cst.BaseStatement, removed_blanks: int, was_first: bool
    ) -> cst.BaseStatement:
        lines = list(_leading_lines(statement))
        own = _blank_prefix(lines)
        count = 0 if was_first else max(removed_blanks, own)
        return statement.with_changes(leading_lines=_blank(count, lines) + lines[own:])

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
            own = list(statement.leading_lines)
            comments = own[_blank_prefix(own) :]
            lead = separator + comments if index == 0 else comments
            out.append(statement.with_changes(leading_lines=lead))
        return anchor.with_changes(leading_lines=_blank(blank_lines_after, separator) + attached)

    def _hoisted_statement(self, item: Hoisted) -> cst.SimpleStatementLine:
        if isinstance(item, MovedStatement):
            if item.small is None:
                line = self.moved_lines[item.line]
            else:
                line = cst.SimpleStatementLine(body=[self.moved_smalls[item.small]])
            return _dedented(line, item.dedent)
        assert isinstance(item, BoundCall)
        call = self.moved_calls[item.call].with_changes(lpar=(), rpar=())
        assign = cst.Assign(
            targets=[cst.AssignTarget(target=cst.Name(item.name))],
            value=_dedented(call, item.dedent),
        )
        return cst.SimpleStatementLine(body=[assign])
