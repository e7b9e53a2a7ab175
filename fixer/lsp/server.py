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
from fixer.lsp.actions import FIX_ALL, Request, code_actions, needs_edits
from fixer.lsp.checking import DocumentCheck, check_text, governance
from fixer.lsp.positions import ENCODINGS, UTF16, PositionMap
from fixer.lsp.translate import finding_range, lsp_diagnostic
from fixer.rules import RULES_BY_CODE

# Seconds to wait after a change before checking: typing produces a change per keystroke.
DEBOUNCE = 0.3
_T = TypeVar("_T")


class FixerServer(LanguageServer):
    """The server's state: the last check of each open document, and the checks under way."""

    def __init__(self, debounce: float = DEBOUNCE) -> None:
        super().__init__(
            "fixer",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Full,
        )
        self.debounce = debounce
        self.pending: dict[str, asyncio.Task[None]] = {}
        self.checks: dict[str, tuple[int | None, DocumentCheck]] = {}
        self.reported: set[str] = set()  # configuration errors already shown
        self.shut_down = False  # a shutdown request came
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
        """``work(*args)`` on a thread of its own. The thread is a daemon: a check still running
        when the client says ``exit`` (or goes away) does not keep the process alive, and one
        whose result is no longer wanted finishes unobserved."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[_T] = loop.create_future()

        def settle(result: _T | None, error: BaseException | None) -> None:
            if future.done():
                return  # cancelled: a newer version superseded it
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(result)  # type: ignore[arg-type]

        def run() -> None:
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
        self.checks.pop(uri, None)
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=[])
        )

    def stop_work(self) -> None:
        for uri in list(self.pending):
            self.cancel(uri)

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
        check = await self.current_check(uri, version, text)
        request = Request(
            uri=uri,
            version=version,
            range=params.range,
            only=[str(getattr(k, "value", k)) for k in params.context.only]
            if params.context.only
            else None,
            document_changes=self.document_changes(),
        )
        positions = PositionMap(text, self.encoding)
        if needs_edits(check, positions, request):
            check = await self.current_check(uri, version, text, with_edits=True)
        return await self.off_loop(code_actions, check, positions, request)

    async def hover(self, params: types.HoverParams) -> types.Hover | None:
        """The documentation of the rule of the finding under the cursor (``fixer rule``)."""
        uri = params.text_document.uri
        cached = self.checks.get(uri)
        held = self.document(uri)
        if cached is None or held is None or cached[0] != held[0]:
            return None
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
