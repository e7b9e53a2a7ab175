"""Code actions for one document: each finding's fix, its suppression, and all fixes at once.

- the fix of a finding (``quickfix``; preferred when safe, its title saying so when unsafe);
- "Ignore TFO001 on this line" (``quickfix``): the comment fixer reads, on a line that takes it;
- ``source.fixAll.fixer``: every fix the command line's ``--write`` makes (the safe ones, and the
  unsafe ones only when the configuration sets ``unsafe-fixes``).

Every edit is a whole fix as minimal text edits on the version the client holds. Runs the engine
(to prove a suppression works), so the server calls it off its event loop.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from lsprotocol import types

from fixer.findings import Applicability, Diagnostic, TextEdit
from fixer.lsp.checking import DocumentCheck, fix_all_edits
from fixer.lsp.ignore import ignore_edit, suppressed_in_file
from fixer.lsp.positions import PositionMap
from fixer.lsp.translate import finding_range, lsp_diagnostic, lsp_edits
from fixer.rules import RULES_BY_CODE, UNUSED_SUPPRESSION

FIX_ALL = "source.fixAll.fixer"
UNSAFE_NOTE = " (unsafe fix: changes how a working program trains; review it)"


@dataclass(frozen=True)
class Request:
    """A ``textDocument/codeAction`` request, as the actions need it."""

    uri: str
    version: int | None
    range: types.Range
    only: Sequence[str] | None = None
    document_changes: bool = False  # the client takes versioned ``documentChanges``


def _wanted(kind: str, only: Sequence[str] | None) -> bool:
    """Whether ``only`` asks for ``kind`` (a kind asks for its sub-kinds: ``source.fixAll``
    covers ``source.fixAll.fixer``)."""
    return only is None or any(kind == k or kind.startswith(f"{k}.") for k in only)


def _overlaps(a: types.Range, b: types.Range) -> bool:
    def key(p: types.Position) -> tuple[int, int]:
        return p.line, p.character

    return key(a.start) <= key(b.end) and key(b.start) <= key(a.end)


def fix_title(finding: Diagnostic) -> str:
    rule = RULES_BY_CODE[finding.code]
    title = f"{rule.fix_title or 'Fix'} ({finding.code})"
    return title + UNSAFE_NOTE if finding.applicability is Applicability.UNSAFE else title


def needs_edits(check: DocumentCheck, positions: PositionMap, request: Request) -> bool:
    """Whether the request asks for the quick fix of a fixable finding (whose edits a check
    computes only on demand)."""
    return _wanted(types.CodeActionKind.QuickFix.value, request.only) and any(
        f.applicability is not Applicability.NONE
        and _overlaps(finding_range(positions, f), request.range)
        for f in check.findings
    )


def code_actions(
    check: DocumentCheck,
    positions: PositionMap,
    request: Request,
    suppress: Callable[[str, Diagnostic], TextEdit | None] | None = None,
) -> list[types.CodeAction]:
    """The actions for the findings of ``check`` that the request's range touches, and the
    fix-all action when it changes anything. ``suppress`` finds a suppression edit (by default
    :func:`fixer.lsp.ignore.ignore_edit`, proved on the file under its configuration)."""

    def edit(edits: Sequence[TextEdit]) -> types.WorkspaceEdit:
        changes = lsp_edits(positions, edits)
        if request.document_changes:
            document = types.OptionalVersionedTextDocumentIdentifier(
                uri=request.uri, version=request.version
            )
            return types.WorkspaceEdit(
                document_changes=[types.TextDocumentEdit(text_document=document, edits=changes)]
            )
        return types.WorkspaceEdit(changes={request.uri: changes})

    if suppress is None:

        def suppress(text: str, finding: Diagnostic) -> TextEdit | None:
            return ignore_edit(text, finding, suppressed_in_file(finding, check.governance))

    actions: list[types.CodeAction] = []
    quick = _wanted(types.CodeActionKind.QuickFix.value, request.only)
    for finding in check.findings if quick else ():
        if not _overlaps(finding_range(positions, finding), request.range):
            continue
        diagnostic = lsp_diagnostic(positions, finding)
        fix = finding.fix
        if fix is not None and fix.edits:
            safe = finding.applicability is Applicability.SAFE
            actions.append(
                types.CodeAction(
                    title=fix_title(finding),
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[diagnostic],
                    edit=edit(fix.edits),
                    is_preferred=safe,
                )
            )
        if finding.code == UNUSED_SUPPRESSION.code:
            continue
        ignore = suppress(check.text, finding)
        if ignore is not None:
            actions.append(
                types.CodeAction(
                    title=f"Ignore {finding.code} on this line",
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[diagnostic],
                    edit=edit([ignore]),
                )
            )
    if _wanted(FIX_ALL, request.only):
        every = fix_all_edits(check)
        if every:
            actions.append(
                types.CodeAction(
                    title="Fix all fixer findings that have a safe fix",
                    kind=FIX_ALL,
                    edit=edit(every),
                )
            )
    return actions
