"""``fixer server``: a language server over stdio (pygls), a thin layer over the engine.

Documents are checked when opened and, debounced, when changed; each check runs on a worker
thread, so a slow file never blocks the server. A check that a newer version supersedes is
cancelled if it has not started, and its result is dropped if it has: diagnostics are published
only for the version the client holds, with that version echoed. The client sends whole texts
(full synchronisation), so the server never has to agree with it on what a line is; the edits it
sends back are in the position encoding negotiated at initialisation.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import threading
from pathlib import Path
from typing import Any, Callable, TypeVar
from urllib.parse import unquote

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from fixer import __version__
from fixer.config import CONFIG_FILES
from fixer.explain import render_rule
from fixer.findings import Diagnostic, TextEdit
from fixer.lsp.actions import FIX_ALL, Request, code_actions, needs_edits
from fixer.lsp.checking import DocumentCheck, check_text, governance
from fixer.lsp.ignore import ignore_edit
from fixer.lsp.notebook import CellText, cell_suppressed, check_cells
from fixer.lsp.positions import ENCODINGS, UTF16, PositionMap
from fixer.lsp.translate import finding_range, lsp_diagnostic
from fixer.rules import RULES_BY_CODE

# Seconds to wait after a change before checking: typing produces a change per keystroke.
DEBOUNCE = 0.3
# Checks running at once (each on its own thread; more wait for a slot).
WORKERS = 2
_T = TypeVar("_T")
# A notebook as checked: its version, and each cell's URI, version, whether it is Python code,
# and text.
_Snapshot = tuple[int, tuple[tuple[str, "int | None", bool, str], ...]]
_Suppress = Callable[[str, Diagnostic], "TextEdit | None"]


class FixerServer(LanguageServer):
    """The server's state: the last check of each open document, and the checks under way."""

    def __init__(self, debounce: float = DEBOUNCE) -> None:
        super().__init__(
            "fixer",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Full,
            notebook_document_sync=types.NotebookDocumentSyncOptions(
                notebook_selector=[
                    types.NotebookDocumentFilterWithNotebook(
                        notebook="*", cells=[types.NotebookCellLanguage(language="python")]
                    )
                ]
            ),
        )
        self.debounce = debounce
        self.slots = threading.BoundedSemaphore(WORKERS)
        self.pending: dict[str, asyncio.Task[None]] = {}
        self.checks: dict[str, tuple[int | None, DocumentCheck]] = {}
        self.reported: set[str] = set()  # configuration errors already shown
        self.shut_down = False  # a shutdown request came
        # Notebooks: the cells each was last checked with, and their checks by cell URI.
        self.notebooks: dict[str, _Snapshot] = {}
        self.cell_checks: dict[str, tuple[_Snapshot, int, DocumentCheck]] = {}
        self.opened: set[str] = set()  # the URIs of the open documents, as the client spells them

    # ------------------------------------------------------------------ documents

    @property
    def encoding(self) -> str:
        chosen = self.workspace.position_encoding
        value = str(getattr(chosen, "value", chosen) or UTF16)
        return value if value in ENCODINGS else UTF16

    def folder(self) -> Path:
        root = self.workspace.root_path
        return Path(root) if root else Path.cwd()

    def path_of(self, uri: str) -> Path | None:
        if not uri.startswith("file:"):
            return None
        path = to_fs_path(uri)
        return None if path is None else Path(path)

    def document(self, uri: str) -> tuple[int | None, str] | None:
        """The version and text the client holds; None for a closed document."""
        document = self.workspace.text_documents.get(unquote(uri))  # pygls keys them unquoted
        if document is None:
            return None
        return document.version, document.source

    def check_now(self, uri: str, text: str, with_edits: bool) -> DocumentCheck:
        """Check ``text`` as the document ``uri`` (on a worker thread: it runs the engine)."""
        return check_text(text, governance(self.path_of(uri), self.folder()), with_edits)

    async def off_loop(self, work: Callable[..., _T], *args: Any) -> _T:
        """``work(*args)`` on a thread of its own, at most ``WORKERS`` at a time. The thread is a
        daemon: a check still running when the client says ``exit`` (or goes away) does not keep
        the process alive. Work whose result is no longer wanted is not started if it is still
        waiting for a slot, and finishes unobserved if it is running."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[_T] = loop.create_future()

        def settle(result: _T | None, error: BaseException | None) -> None:
            if future.done():
                return  # cancelled: a newer version superseded it
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(result)  # type: ignore[arg-type]

        abandoned = threading.Event()
        future.add_done_callback(lambda _: abandoned.set())

        def run() -> None:
            with self.slots:
                if abandoned.is_set():
                    return  # superseded while it waited for a slot: never started
                try:
                    result, error = work(*args), None
                except BaseException as raised:  # handed to the awaiting task
                    result, error = None, raised
            with contextlib.suppress(RuntimeError):  # a closed loop: the server is gone
                loop.call_soon_threadsafe(settle, result, error)

        threading.Thread(target=run, name="fixer-check", daemon=True).start()
        return await future

    # ------------------------------------------------------------------ diagnostics

    def schedule(self, uri: str, delay: float) -> None:
        """Check ``uri`` after ``delay`` seconds, replacing a check still pending for it."""
        self.cancel(uri)
        self.pending[uri] = asyncio.ensure_future(self._check_later(uri, delay))

    def cancel(self, uri: str) -> None:
        task = self.pending.pop(uri, None)
        if task is not None:
            task.cancel()

    async def _check_later(self, uri: str, delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
        held = self.document(uri)
        if held is None:
            return
        version, text = held
        check = await self.current_check(uri, version, text)
        if self.document(uri) != held:
            return  # a newer version came meanwhile: its own check publishes
        if self.pending.get(uri) is asyncio.current_task():
            del self.pending[uri]
        self.publish(uri, version, check)

    async def current_check(
        self, uri: str, version: int | None, text: str, with_edits: bool = False
    ) -> DocumentCheck:
        """The check of this version, computed once (with each fix's edits on request: they
        cost a plan per fix, so diagnostics go without them)."""
        cached = self.checks.get(uri)
        if (
            cached is not None
            and (cached[0], cached[1].text) == (version, text)
            and (cached[1].with_edits or not with_edits)
        ):
            return cached[1]
        check = await self.off_loop(self.check_now, uri, text, with_edits)
        if self.document(uri) == (version, text):
            self.checks[uri] = (version, check)
        return check

    def publish(self, uri: str, version: int | None, check: DocumentCheck) -> None:
        error = check.governance.config_error
        if error is not None and error not in self.reported:
            self.reported.add(error)
            self.window_show_message(
                types.ShowMessageParams(type=types.MessageType.Error, message=f"fixer: {error}")
            )
        elif check.problem is not None:
            self.window_log_message(
                types.LogMessageParams(
                    type=types.MessageType.Info, message=f"fixer: {uri}: {check.problem}"
                )
            )
        positions = PositionMap(check.text, self.encoding)
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(
                uri=uri,
                diagnostics=[lsp_diagnostic(positions, f) for f in check.findings],
                version=version,
            )
        )

    def forget(self, uri: str) -> None:
        self.opened.discard(uri)
        self.cancel(uri)
        self.clear(uri)

    def clear(self, uri: str) -> None:
        """No findings for ``uri`` any more (closed, or a cell that left its notebook)."""
        self.checks.pop(uri, None)
        self.cell_checks.pop(uri, None)
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=[])
        )

    def stop_work(self) -> None:
        for uri in list(self.pending):
            self.cancel(uri)

    # ------------------------------------------------------------------ notebooks

    def snapshot(self, notebook_uri: str) -> _Snapshot | None:
        """The notebook's version and its cells as the client holds them (a cell whose text
        is not synchronised, markdown or another language, counts as text)."""
        notebook = self.workspace.get_notebook_document(notebook_uri=notebook_uri)
        if notebook is None:
            return None
        cells = []
        for cell in notebook.cells:
            held = self.document(cell.document)
            code = cell.kind == types.NotebookCellKind.Code and held is not None
            cells.append((cell.document, held[0] if held else None, code, held[1] if held else ""))
        return notebook.version, tuple(cells)

    def schedule_notebook(self, uri: str, delay: float) -> None:
        self.cancel(uri)
        self.pending[uri] = asyncio.ensure_future(self._check_notebook_later(uri, delay))

    async def _check_notebook_later(self, uri: str, delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
        held = self.snapshot(uri)
        if held is None:
            return
        await self.notebook_checks(uri, held)
        if self.snapshot(uri) != held:
            return  # a newer version came meanwhile: its own check publishes
        if self.pending.get(uri) is asyncio.current_task():
            del self.pending[uri]
        gone = self.notebooks.get(uri)
        self.notebooks[uri] = held
        if gone is not None and gone is not held:
            for cell_uri in {c[0] for c in gone[1]} - {c[0] for c in held[1]}:
                self.clear(cell_uri)
        for cell_uri, version, code, _text in held[1]:
            cached = self.cell_checks.get(cell_uri)
            if code and cached is not None:
                self.publish(cell_uri, version, cached[2])

    async def notebook_checks(self, uri: str, held: _Snapshot) -> None:
        """Check the notebook as ``held`` (once per snapshot), keeping each cell's check."""
        cells = held[1]
        first = self.cell_checks.get(cells[0][0]) if cells else None
        if first is not None and first[0] == held:
            return
        texts = [CellText(code, text) for _, _, code, text in cells]
        checks = await self.off_loop(self.check_notebook_now, uri, texts)
        if self.snapshot(uri) == held:
            for index, ((cell_uri, _, _, _), check) in enumerate(zip(cells, checks)):
                self.cell_checks[cell_uri] = (held, index, check)

    def check_notebook_now(self, uri: str, cells: list[CellText]) -> list[DocumentCheck]:
        return check_cells(cells, governance(self.path_of(uri), self.folder()))

    def forget_notebook(self, uri: str) -> None:
        self.cancel(uri)
        held = self.notebooks.pop(uri, None)
        for cell_uri, *_ in held[1] if held else ():
            self.clear(cell_uri)

    async def cell_check(self, cell_uri: str) -> tuple[DocumentCheck, _Suppress] | None:
        """The check of a notebook cell the client holds, and how to prove a suppression in
        it; None when ``cell_uri`` is not a cell."""
        notebook = self.workspace.get_notebook_document(cell_uri=cell_uri)
        if notebook is None:
            return None
        held = self.snapshot(notebook.uri)
        if held is None:
            return None
        await self.notebook_checks(notebook.uri, held)
        cached = self.cell_checks.get(cell_uri)
        if cached is None or cached[0] != held:
            return None
        _, index, check = cached
        texts = [CellText(code, text) for _, _, code, text in held[1]]

        def suppress(text: str, finding: Diagnostic) -> TextEdit | None:
            def suppressed(after: str) -> bool:
                return cell_suppressed(texts, index, after, finding, check.governance)

            return ignore_edit(text, finding, suppressed)

        return check, suppress

    # ------------------------------------------------------------------ requests

    def document_changes(self) -> bool:
        capabilities = self.client_capabilities
        workspace = capabilities.workspace if capabilities else None
        edit = workspace.workspace_edit if workspace else None
        return bool(edit and edit.document_changes)

    async def actions(self, params: types.CodeActionParams) -> list[types.CodeAction] | None:
        uri = params.text_document.uri
        held = self.document(uri)
        if held is None:
            return None
        version, text = held
        in_cell = await self.cell_check(uri)
        check = in_cell[0] if in_cell else await self.current_check(uri, version, text)
        request = Request(
            uri=uri,
            version=version,
            range=params.range,
            only=[str(getattr(k, "value", k)) for k in params.context.only]
            if params.context.only
            else None,
            document_changes=self.document_changes(),
        )
        positions = PositionMap(check.text, self.encoding)
        if in_cell is None and needs_edits(check, positions, request):
            check = await self.current_check(uri, version, text, with_edits=True)
        suppress = in_cell[1] if in_cell else None
        return await self.off_loop(code_actions, check, positions, request, suppress)

    async def hover(self, params: types.HoverParams) -> types.Hover | None:
        """The documentation of the rule of the finding under the cursor (``fixer rule``)."""
        uri = params.text_document.uri
        cached = self.checks.get(uri)
        held = self.document(uri)
        in_cell = self.cell_checks.get(uri)
        if in_cell is not None:
            check = in_cell[2]
        elif cached is None or held is None or cached[0] != held[0]:
            return None
        else:
            check = cached[1]
        positions = PositionMap(check.text, self.encoding)
        at = (params.position.line, params.position.character)
        for finding in check.findings:
            where = finding_range(positions, finding)
            if (
                (where.start.line, where.start.character)
                <= at
                <= (
                    where.end.line,
                    where.end.character,
                )
            ):
                rule = RULES_BY_CODE[finding.code]
                return types.Hover(
                    contents=types.MarkupContent(
                        kind=types.MarkupKind.Markdown, value=render_rule(rule)
                    ),
                    range=where,
                )
        return None


def make_server(debounce: float = DEBOUNCE) -> FixerServer:
    """A server with fixer's features registered."""
    server = FixerServer(debounce)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: FixerServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.opened.add(params.text_document.uri)
        ls.schedule(params.text_document.uri, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: FixerServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, ls.debounce)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: FixerServer, params: types.DidSaveTextDocumentParams) -> None:
        path = ls.path_of(params.text_document.uri)
        if path is not None and path.name in CONFIG_FILES:  # every document may be governed anew
            ls.checks.clear()
            for uri in ls.opened:
                ls.schedule(uri, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: FixerServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.forget(params.text_document.uri)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(
            code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL], resolve_provider=False
        ),
    )
    async def code_action(
        ls: FixerServer, params: types.CodeActionParams
    ) -> list[types.CodeAction] | None:
        return await ls.actions(params)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def hover(ls: FixerServer, params: types.HoverParams) -> types.Hover | None:
        return await ls.hover(params)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_OPEN)
    def notebook_open(ls: FixerServer, params: types.DidOpenNotebookDocumentParams) -> None:
        ls.schedule_notebook(params.notebook_document.uri, 0)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CHANGE)
    def notebook_change(ls: FixerServer, params: types.DidChangeNotebookDocumentParams) -> None:
        ls.schedule_notebook(params.notebook_document.uri, ls.debounce)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CLOSE)
    def notebook_close(ls: FixerServer, params: types.DidCloseNotebookDocumentParams) -> None:
        ls.forget_notebook(params.notebook_document.uri)

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: FixerServer, params: None) -> None:
        ls.stop_work()
        ls.shut_down = True

    @server.feature(types.EXIT)
    def exit_(ls: FixerServer, params: None) -> None:
        # The protocol's status: 0 after a shutdown request, 1 without one. Ended here, at
        # once: a check still running on its thread has nothing left to report to.
        sys.stdout.flush()
        os._exit(0 if ls.shut_down else 1)

    return server


def serve() -> None:
    """Run the server on stdin and stdout until the client says ``exit``."""
    logging.basicConfig(level=logging.WARNING, format="fixer server: %(message)s")
    make_server().start_io()
