"""The language server (``fixer server``), driven over stdio by pytest-lsp as an editor drives it:
diagnostics, code actions applied to the text, suppressions, position encodings, bad input,
shutdown. One server per module for the fixture sweep (per xdist worker)."""

from __future__ import annotations

import asyncio
import codecs
import json
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

from fixer import fix_source
from fixer.edits import decode
from fixer.lsp.notebook import CellText, notebook_bytes
from fixer.notebooks import check, load

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
HOIST = sorted(p for p in FIXTURES.glob("hoist_*") if (p / "input.py").is_file())
SERVER = [sys.executable, "-m", "fixer", "server", "--stdio"]
FIX_ALL = "source.fixAll.fixer"
TIMEOUT = 60.0

# The async tests share the module's event loop, as the module's server does.
ON_MODULE_LOOP = pytest.mark.asyncio(loop_scope="module")


# --------------------------------------------------------------------------- the client


class Recorder(LanguageClient):
    """pytest-lsp's client, keeping every publishDiagnostics (with its version) in order."""

    published: list[types.PublishDiagnosticsParams]


def _make_client() -> LanguageClient:
    client = Recorder(converter_factory=default_converter)
    client.published = []

    def publish(client: Recorder, params: types.PublishDiagnosticsParams) -> None:
        client.diagnostics[params.uri] = params.diagnostics
        client.published.append(params)

    features = dict(DEFAULT_CLIENT_FEATURES)
    features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = publish
    register_lsp_features(client, features)
    return client


CONFIG = ClientServerConfig(server_command=SERVER, client_factory=_make_client)


async def _stop(client: LanguageClient) -> None:
    """Stop a client started by a test; a server a failed test left running is killed (pygls's
    ``stop`` waits for the server to exit)."""
    server = client._server  # type: ignore[attr-defined]
    if server is not None and server.returncode is None:
        server.kill()
    await client.stop()


def _initialize(capabilities: types.ClientCapabilities) -> types.InitializeParams:
    return types.InitializeParams(
        capabilities=capabilities,
        root_uri=ROOT.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=ROOT.as_uri(), name="fixer")],
    )


@pytest_lsp.fixture(config=CONFIG, scope="module")
async def client(lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    """A server as VS Code talks to it: UTF-16 positions, versioned ``documentChanges``."""
    await lsp_client.initialize_session(_initialize(client_capabilities("visual-studio-code")))
    yield
    await lsp_client.shutdown_session()


# --------------------------------------------------------------------------- an editor's work


def _lines(text: str) -> list[tuple[int, int]]:
    """(start, end before the break) of each line, as LSP counts lines: they end at ``\\n``,
    ``\\r\\n`` or ``\\r``."""
    spans, start = [], 0
    for match in re.finditer(r"\r\n|\r|\n", text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return spans


def _offset(text: str, position: types.Position, encoding: str) -> int:
    """An LSP position as an offset in ``text``, counting code units of ``encoding``."""
    start, end = _lines(text)[position.line]
    units = 0
    for index in range(start, end):
        if units >= position.character:
            return index
        char = text[index]
        units += {"utf-8": len(char.encode("utf-8")), "utf-16": 2 if ord(char) > 0xFFFF else 1}.get(
            encoding, 1
        )
    assert units == position.character or position.character > units
    return end


def _slice(text: str, where: types.Range, encoding: str = "utf-16") -> str:
    return text[_offset(text, where.start, encoding) : _offset(text, where.end, encoding)]


def _edits_of(edit: types.WorkspaceEdit, uri: str) -> list[types.TextEdit]:
    found: list[types.TextEdit] = []
    for change in edit.document_changes or []:
        assert isinstance(change, types.TextDocumentEdit)
        assert change.text_document.uri == uri
        found.extend(e for e in change.edits if isinstance(e, types.TextEdit))
    for target, edits in (edit.changes or {}).items():
        assert target == uri
        found.extend(edits)
    return found


def _apply(text: str, edits: Sequence[types.TextEdit], encoding: str = "utf-16") -> str:
    """Apply LSP text edits as an editor does: all positions refer to ``text`` before any."""
    spans = sorted(
        (
            (_offset(text, e.range.start, encoding), _offset(text, e.range.end, encoding), i)
            for i, e in enumerate(edits)
        ),
    )
    out, at = [], 0
    for start, end, index in spans:
        assert start >= at, "overlapping edits"
        out += [text[at:start], edits[index].new_text]
        at = end
    out.append(text[at:])
    return "".join(out)


async def _until(condition: Any, what: str) -> None:
    async def wait() -> None:
        while not condition():
            await asyncio.sleep(0.01)

    try:
        await asyncio.wait_for(wait(), TIMEOUT)
    except asyncio.TimeoutError:
        pytest.fail(f"timed out waiting for {what}")


async def _diagnostics(client: LanguageClient, uri: str, version: int) -> list[types.Diagnostic]:
    """The diagnostics published for ``version`` of ``uri`` (waiting for them)."""
    published: list[types.PublishDiagnosticsParams] = client.published  # type: ignore[attr-defined]

    def found() -> types.PublishDiagnosticsParams | None:
        for params in published:
            if params.uri == uri and params.version == version:
                return params
        return None

    await _until(lambda: found() is not None, f"diagnostics of {uri} v{version}")
    result = found()
    assert result is not None
    return list(result.diagnostics)


def _open(client: LanguageClient, uri: str, text: str, version: int = 1) -> None:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="python", version=version, text=text
            )
        )
    )


def _change(client: LanguageClient, uri: str, text: str, version: int) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


def _close(client: LanguageClient, uri: str) -> None:
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )


WHOLE = types.Range(types.Position(0, 0), types.Position(1_000_000, 0))


async def _actions(
    client: LanguageClient,
    uri: str,
    where: types.Range = WHOLE,
    only: list[str] | None = None,
    diagnostics: Sequence[types.Diagnostic] = (),
) -> list[types.CodeAction]:
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=where,
            context=types.CodeActionContext(
                diagnostics=list(diagnostics),
                only=[types.CodeActionKind(k) if k in _KINDS else k for k in only]  # type: ignore[misc]
                if only
                else None,
            ),
        )
    )
    return [a for a in result or [] if isinstance(a, types.CodeAction)]


_KINDS = {kind.value for kind in types.CodeActionKind}


def _source_text(case: Path, name: str) -> tuple[str, bytes]:
    data = (case / name).read_bytes()
    return decode(data), data


def _encoded(text: str, like: bytes) -> bytes:
    """``text`` written back as the editor writes the file it read from ``like``."""
    import io
    import tokenize

    encoding, _ = tokenize.detect_encoding(io.BytesIO(like).readline)
    data = text.encode("utf-8" if encoding == "utf-8-sig" else encoding)
    return codecs.BOM_UTF8 + data if like.startswith(codecs.BOM_UTF8) else data


# --------------------------------------------------------------------------- every hoist fixture


@ON_MODULE_LOOP
@pytest.mark.parametrize("case", HOIST, ids=lambda case: case.name)
async def test_hoist_fixture_fixed_through_the_editor(client: LanguageClient, case: Path) -> None:
    """Open the fixture, receive its findings, apply the fix-all action and, separately, every
    preferred quick fix: both give ``expected.py`` byte for byte."""
    text, data = _source_text(case, "input.py")
    expected = (case / "expected.py").read_bytes()
    uri = (case / "input.py").as_uri()
    _open(client, uri, text)
    try:
        diagnostics = await _diagnostics(client, uri, 1)
        assert diagnostics, "no finding published"
        assert {d.source for d in diagnostics} == {"fixer"}

        fix_all = await _actions(client, uri, only=[FIX_ALL])
        assert [a.kind for a in fix_all] == [FIX_ALL]
        assert fix_all[0].edit is not None
        fixed = _apply(text, _edits_of(fix_all[0].edit, uri))
        assert _encoded(fixed, data) == expected

        quick: dict[str, list[types.TextEdit]] = {}
        for diagnostic in diagnostics:
            actions = await _actions(client, uri, diagnostic.range, ["quickfix"], [diagnostic])
            for action in actions:
                assert action.kind == types.CodeActionKind.QuickFix
                if action.is_preferred:
                    assert action.edit is not None
                    edits = _edits_of(action.edit, uri)
                    key = json.dumps(
                        [
                            [
                                e.range.start.line,
                                e.range.start.character,
                                e.range.end.line,
                                e.range.end.character,
                                e.new_text,
                            ]
                            for e in edits
                        ]
                    )
                    quick[key] = edits
        assert quick, "no preferred quick fix"
        every = [edit for edits in quick.values() for edit in edits]
        assert _encoded(_apply(text, every), data) == expected
    finally:
        _close(client, uri)


# --------------------------------------------------------------------------- one document's life

STEP = """\
import tensorflow as tf

model = tf.keras.Sequential([tf.keras.layers.Dense(1)])


@tf.function
def train_step(x, y):
    optimizer = tf.keras.optimizers.Adam(learning_rate=1e-3)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(model(x) - y))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss
"""

EAGER = """\
import tensorflow as tf

model = tf.keras.Sequential([tf.keras.layers.Dense(1)])

for x, y in data:
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(model(x) - y))
    grads = tape.gradient(loss, model.trainable_variables)
    tf.keras.optimizers.Adam(1e-3).apply_gradients(zip(grads, model.trainable_variables))
"""


@ON_MODULE_LOOP
async def test_finding_published_with_its_range_code_and_severity(
    client: LanguageClient, tmp_path: Path
) -> None:
    uri = (tmp_path / "train.py").as_uri()
    _open(client, uri, STEP)
    [diagnostic] = await _diagnostics(client, uri, 1)
    assert diagnostic.code == "TFO001"
    assert diagnostic.severity == types.DiagnosticSeverity.Error  # TensorFlow crashes on it
    assert diagnostic.source == "fixer"
    assert diagnostic.message.startswith("optimizer `tf.keras.optimizers.Adam` is built inside")
    assert _slice(STEP, diagnostic.range) == "tf.keras.optimizers.Adam(learning_rate=1e-3)"

    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=diagnostic.range.start,
        )
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert hover.contents.value.startswith("# TFO001 optimizer-in-traced-function")

    [fix, ignore, fix_all] = await _actions(client, uri, diagnostic.range, diagnostics=[diagnostic])
    assert fix.title == "Move the optimizer out of the traced function (TFO001)"
    assert fix.kind == types.CodeActionKind.QuickFix and fix.is_preferred
    assert ignore.title == "Ignore TFO001 on this line" and not ignore.is_preferred
    assert ignore.kind == types.CodeActionKind.QuickFix
    assert fix_all.kind == FIX_ALL and fix_all.edit == fix.edit  # the file's only fix
    _close(client, uri)


@ON_MODULE_LOOP
async def test_silent_rebuild_is_a_warning(client: LanguageClient, tmp_path: Path) -> None:
    uri = (tmp_path / "loop.py").as_uri()
    _open(client, uri, EAGER)
    [diagnostic] = await _diagnostics(client, uri, 1)
    assert diagnostic.code == "TFO003"
    assert diagnostic.severity == types.DiagnosticSeverity.Warning
    actions = await _actions(client, uri, diagnostic.range, ["quickfix"])
    [fix] = [a for a in actions if a.title.startswith("Build the optimizer once")]
    assert "unsafe" in fix.title and not fix.is_preferred  # an unsafe fix, labelled and held back
    assert fix.edit is not None
    fixed = _apply(EAGER, _edits_of(fix.edit, uri))
    assert fixed == fix_source(EAGER, unsafe_fixes=True).fixed
    assert await _actions(client, uri, only=[FIX_ALL]) == []  # no safe fix to make
    _close(client, uri)


@ON_MODULE_LOOP
async def test_change_that_fixes_the_file_clears_the_diagnostic(
    client: LanguageClient, tmp_path: Path
) -> None:
    uri = (tmp_path / "train.py").as_uri()
    _open(client, uri, STEP)
    assert len(await _diagnostics(client, uri, 1)) == 1
    [fix_all] = await _actions(client, uri, only=["source.fixAll"])  # a parent kind asks too
    assert fix_all.edit is not None
    fixed = _apply(STEP, _edits_of(fix_all.edit, uri))
    _change(client, uri, fixed, 2)
    assert await _diagnostics(client, uri, 2) == []
    _close(client, uri)


@ON_MODULE_LOOP
async def test_suppression_action_adds_the_comment_and_the_finding_goes(
    client: LanguageClient, tmp_path: Path
) -> None:
    uri = (tmp_path / "train.py").as_uri()
    _open(client, uri, STEP)
    [diagnostic] = await _diagnostics(client, uri, 1)
    actions = await _actions(client, uri, diagnostic.range, ["quickfix"], [diagnostic])
    [ignore] = [a for a in actions if a.title == "Ignore TFO001 on this line"]
    assert ignore.edit is not None
    suppressed = _apply(STEP, _edits_of(ignore.edit, uri))
    assert suppressed == STEP.replace(
        "Adam(learning_rate=1e-3)\n", "Adam(learning_rate=1e-3)  # fixer: ignore[TFO001]\n"
    )
    _change(client, uri, suppressed, 2)
    assert await _diagnostics(client, uri, 2) == []
    _close(client, uri)


@ON_MODULE_LOOP
async def test_suppression_joins_an_existing_directive(
    client: LanguageClient, tmp_path: Path
) -> None:
    text = STEP.replace(
        "Adam(learning_rate=1e-3)\n", "Adam(learning_rate=1e-3)  # fixer: ignore[TFO003]\n"
    )
    uri = (tmp_path / "train.py").as_uri()
    _open(client, uri, text)
    [diagnostic] = await _diagnostics(client, uri, 1)
    actions = await _actions(client, uri, diagnostic.range, ["quickfix"])
    [ignore] = [a for a in actions if a.title.startswith("Ignore")]
    assert ignore.edit is not None
    assert "# fixer: ignore[TFO003,TFO001]\n" in _apply(text, _edits_of(ignore.edit, uri))
    _close(client, uri)


@ON_MODULE_LOOP
async def test_document_that_does_not_parse_gets_no_diagnostics(
    client: LanguageClient, tmp_path: Path
) -> None:
    uri = (tmp_path / "train.py").as_uri()
    broken = STEP.replace("def train_step(x, y):", "def train_step(x, y:")
    _open(client, uri, broken)
    assert await _diagnostics(client, uri, 1) == []
    assert await _actions(client, uri) == []
    _change(client, uri, STEP, 2)  # the server is still there
    assert len(await _diagnostics(client, uri, 2)) == 1
    _close(client, uri)


@ON_MODULE_LOOP
async def test_configuration_of_the_document_path_governs_it(
    client: LanguageClient, tmp_path: Path
) -> None:
    (tmp_path / "fixer.toml").write_text('ignore = ["TFO001"]\nextend-exclude = ["gen/"]\n')
    (tmp_path / "gen").mkdir()
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "fixer.toml").write_text("select = ['TFO001']\n")
    ignored = (tmp_path / "train.py").as_uri()
    excluded = (tmp_path / "gen" / "train.py").as_uri()
    selected = (tmp_path / "sub" / "train.py").as_uri()
    for uri in (ignored, excluded, selected):
        _open(client, uri, STEP)
    assert await _diagnostics(client, ignored, 1) == []
    assert await _diagnostics(client, excluded, 1) == []
    assert [d.code for d in await _diagnostics(client, selected, 1)] == ["TFO001"]
    for uri in (ignored, excluded, selected):
        _close(client, uri)


def _big_step_file(functions: int) -> str:
    body = STEP.split("\n\n\n", 1)[1]
    header = STEP.split("\n\n\n", 1)[0]
    steps = [body.replace("train_step", f"train_step_{n}") for n in range(functions)]
    return header + "\n\n\n" + "\n\n".join(steps)


@ON_MODULE_LOOP
async def test_superseded_versions_are_never_published(
    client: LanguageClient, tmp_path: Path
) -> None:
    """A slow version 1 is still being checked when versions 2 and 3 arrive: only version 3's
    findings are published, and the server answers meanwhile."""
    uri = (tmp_path / "big.py").as_uri()
    published: list[types.PublishDiagnosticsParams] = client.published  # type: ignore[attr-defined]
    _open(client, uri, _big_step_file(120))
    other = (tmp_path / "other.py").as_uri()
    _open(client, other, STEP)
    assert len(await _diagnostics(client, other, 1)) == 1
    _change(client, uri, _big_step_file(3), 2)
    _change(client, uri, _big_step_file(2), 3)
    assert len(await _diagnostics(client, uri, 3)) == 2
    assert [p.version for p in published if p.uri == uri] == [3]
    _close(client, uri)
    _close(client, other)


# --------------------------------------------------------------------------- position encodings

UNICODE = """\
import tensorflow as tf

modèle = tf.keras.Sequential([tf.keras.layers.Dense(1)])


@tf.function
def étape(données):
    étiquette = "🚀 départ"; optimiseur = tf.keras.optimizers.Adam(learning_rate=1e-3, name="adam_😀_été")  # 🎉 ok
    with tf.GradientTape() as tape:
        perte = tf.reduce_mean(tf.square(modèle(données)))
    grads = tape.gradient(perte, modèle.trainable_variables)
    optimiseur.apply_gradients(zip(grads, modèle.trainable_variables))
    return perte, étiquette
"""  # noqa: E501 - the line with the optimizer is long on purpose: emoji on both sides of it


def _capabilities(encoding: str) -> types.ClientCapabilities:
    if encoding == "utf-8":
        return client_capabilities("neovim@v0.11.0")  # offers utf-8 first
    if encoding == "utf-16":
        return client_capabilities("visual-studio-code")  # offers nothing: UTF-16
    return types.ClientCapabilities(
        general=types.GeneralClientCapabilities(
            position_encodings=[types.PositionEncodingKind.Utf32]
        )
    )


@ON_MODULE_LOOP
@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-32"])
async def test_ranges_in_the_negotiated_encoding(encoding: str, tmp_path: Path) -> None:
    """Non-ASCII identifiers and emoji before, inside and after the edited ranges: the
    diagnostic, the fix and the suppression land on the right characters in each encoding."""
    client = await CONFIG.start()
    try:
        result = await client.initialize_session(_initialize(_capabilities(encoding)))  # type: ignore[attr-defined]
        assert result.capabilities.position_encoding == encoding
        uri = (tmp_path / "étape 🚀.py").as_uri()  # a percent-encoded URI too
        _open(client, uri, UNICODE)
        [diagnostic] = await _diagnostics(client, uri, 1)
        assert _slice(UNICODE, diagnostic.range, encoding) == (
            'tf.keras.optimizers.Adam(learning_rate=1e-3, name="adam_😀_été")'
        )
        actions = await _actions(client, uri, diagnostic.range, ["quickfix"])
        [fix] = [a for a in actions if a.is_preferred]
        [ignore] = [a for a in actions if a.title.startswith("Ignore")]
        assert fix.edit is not None and ignore.edit is not None
        fixed = _apply(UNICODE, _edits_of(fix.edit, uri), encoding)
        assert fixed == fix_source(UNICODE).fixed
        assert '    étiquette = "🚀 départ"  # 🎉 ok\n' in fixed
        suppressed = _apply(UNICODE, _edits_of(ignore.edit, uri), encoding)
        assert suppressed == UNICODE.replace("# 🎉 ok\n", "# 🎉 ok  # fixer: ignore[TFO001]\n")
        _change(client, uri, suppressed, 2)
        assert await _diagnostics(client, uri, 2) == []
        await client.shutdown_session()  # type: ignore[attr-defined]
    finally:
        await _stop(client)


# --------------------------------------------------------------------------- the process


@ON_MODULE_LOOP
async def test_shutdown_then_exit_ends_the_process_with_status_0() -> None:
    client = await CONFIG.start()
    try:
        await client.initialize_session(_initialize(types.ClientCapabilities()))  # type: ignore[attr-defined]
        await client.shutdown_session()  # type: ignore[attr-defined]  # shutdown, exit, wait
        server = client._server  # type: ignore[attr-defined]
        assert server is not None and server.returncode == 0
    finally:
        await _stop(client)


@ON_MODULE_LOOP
async def test_exit_without_shutdown_ends_the_process_with_status_1() -> None:
    client = await CONFIG.start()
    try:
        await client.initialize_session(_initialize(types.ClientCapabilities()))  # type: ignore[attr-defined]
        client.exit(None)  # type: ignore[attr-defined]
        server = client._server  # type: ignore[attr-defined]
        assert await asyncio.wait_for(server.wait(), TIMEOUT) == 1
    finally:
        await _stop(client)


def test_exit_while_a_slow_check_runs_is_prompt(tmp_path: Path) -> None:
    """``exit`` right after opening a file that takes seconds to check: the process ends at
    once (the check runs on a daemon thread) with status 0 after ``shutdown``."""
    big = _big_step_file(400)
    messages = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {"processId": None, "rootUri": None, "capabilities": {}},
        },
        {"jsonrpc": "2.0", "method": "initialized", "params": {}},
        {
            "jsonrpc": "2.0",
            "method": "textDocument/didOpen",
            "params": {
                "textDocument": {
                    "uri": (tmp_path / "big.py").as_uri(),
                    "languageId": "python",
                    "version": 1,
                    "text": big,
                }
            },
        },
        {"jsonrpc": "2.0", "id": 2, "method": "shutdown"},
        {"jsonrpc": "2.0", "method": "exit"},
    ]
    payload = b""
    for message in messages:
        body = json.dumps(message).encode()
        payload += b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
    done = subprocess.run(SERVER, input=payload, capture_output=True, timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr.decode()
    assert b'"id": 2' in done.stdout or b'"id":2' in done.stdout  # shutdown was answered


HIDE_PYGLS = """\
import sys

class Hide:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in HIDDEN:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, Hide())
from fixer.cli import entry
entry(sys.argv[1:])
"""


@pytest.mark.parametrize("command", ["server", "lsp"])
def test_without_the_lsp_extra_the_server_says_how_to_install_it(command: str) -> None:
    hide = HIDE_PYGLS.replace("HIDDEN", "('pygls',)")
    done = subprocess.run(
        [sys.executable, "-c", hide, command], capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 2
    assert done.stderr == (
        "fixer: error: the language server needs the lsp extra (pygls is missing): "
        "pip install 'fixer[lsp]'\n"
    )


def test_the_core_runs_without_the_lsp_extra(tmp_path: Path) -> None:
    """Checking, fixing and the rule docs never import pygls: they work where it is missing."""
    (tmp_path / "train.py").write_text(STEP)
    script = HIDE_PYGLS.replace("HIDDEN", "('pygls', 'lsprotocol')").replace(
        "entry(sys.argv[1:])",
        "try:\n    entry(sys.argv[1:])\nfinally:\n"
        "    assert not any(m.startswith(('pygls', 'lsprotocol')) for m in sys.modules)",
    )
    done = subprocess.run(
        [sys.executable, "-c", script, "--diff", "train.py"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == 1, done.stderr
    assert "+optimizer = tf.keras.optimizers.Adam(learning_rate=1e-3)" in done.stdout


def test_a_path_named_server_is_still_a_path(tmp_path: Path) -> None:
    """``fixer server`` checks a folder named ``server`` when there is one here;
    ``fixer server --stdio`` is always the server."""
    (tmp_path / "server").mkdir()
    (tmp_path / "server" / "train.py").write_text(STEP)
    done = subprocess.run(
        [sys.executable, "-m", "fixer", "server"], capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode == 1
    assert "server/train.py:8:17: TFO001" in done.stdout
    helped = subprocess.run(
        [sys.executable, "-m", "fixer", "lsp", "--help"], capture_output=True, text=True
    )
    assert helped.returncode == 0 and "Run the language server" in helped.stdout


# --------------------------------------------------------------------------- notebook documents

NOTEBOOK_CELLS = [
    (types.NotebookCellKind.Markup, "markdown", "# Training\n\nA *notebook*."),
    (
        types.NotebookCellKind.Code,
        "python",
        "%matplotlib inline\n" + STEP.split("\n\n\n", 1)[0],
    ),
    (
        types.NotebookCellKind.Code,
        "python",
        STEP.split("\n\n\n", 1)[1].rstrip("\n"),
    ),
]


def _open_notebook(client: LanguageClient, path: Path) -> tuple[str, list[str]]:
    uri = path.as_uri()
    cell_uris = [f"vscode-notebook-cell:{path}#cell{n}" for n in range(len(NOTEBOOK_CELLS))]
    client.notebook_document_did_open(
        types.DidOpenNotebookDocumentParams(
            notebook_document=types.NotebookDocument(
                uri=uri,
                notebook_type="jupyter-notebook",
                version=1,
                cells=[
                    types.NotebookCell(kind=kind, document=cell_uri)
                    for (kind, _, _), cell_uri in zip(NOTEBOOK_CELLS, cell_uris)
                ],
            ),
            cell_text_documents=[
                types.TextDocumentItem(uri=cell_uri, language_id=language, version=1, text=text)
                for (_, language, text), cell_uri in zip(NOTEBOOK_CELLS, cell_uris)
                if language == "python"  # only the cells the server asked for are synced
            ],
        )
    )
    return uri, cell_uris


@ON_MODULE_LOOP
async def test_notebook_cells_get_their_findings_and_fixes(
    client: LanguageClient, tmp_path: Path
) -> None:
    """A notebook document: the traced step in cell 3 uses the imports of cell 2 (which holds a
    magic); the finding is published on cell 3, its fix edits cell 3 as ``fixer --write``
    edits the .ipynb, and a change of the cell that suppresses it clears it."""
    uri, cells = _open_notebook(client, tmp_path / "train.ipynb")
    [diagnostic] = await _diagnostics(client, cells[2], 1)
    step = NOTEBOOK_CELLS[2][2]
    assert diagnostic.code == "TFO001"
    assert _slice(step, diagnostic.range) == "tf.keras.optimizers.Adam(learning_rate=1e-3)"
    assert await _diagnostics(client, cells[1], 1) == []

    actions = await _actions(client, cells[2], diagnostic.range)
    [fix] = [a for a in actions if a.is_preferred]
    [ignore] = [a for a in actions if a.title == "Ignore TFO001 on this line"]
    [fix_all] = [a for a in actions if a.kind == FIX_ALL]
    assert fix.edit is not None and ignore.edit is not None and fix_all.edit is not None
    fixed = _apply(step, _edits_of(fix.edit, cells[2]))
    assert _apply(step, _edits_of(fix_all.edit, cells[2])) == fixed

    written = notebook_bytes(
        [CellText(k == types.NotebookCellKind.Code, t) for k, _, t in NOTEBOOK_CELLS]
    )
    assert load(check(written, "train.ipynb").fixed).cells[2].source == fixed
    assert fixed.startswith("optimizer = tf.keras.optimizers.Adam(learning_rate=1e-3)\n")

    suppressed = _apply(step, _edits_of(ignore.edit, cells[2]))
    client.notebook_document_did_change(
        types.DidChangeNotebookDocumentParams(
            notebook_document=types.VersionedNotebookDocumentIdentifier(version=2, uri=uri),
            change=types.NotebookDocumentChangeEvent(
                cells=types.NotebookDocumentCellChanges(
                    text_content=[
                        types.NotebookDocumentCellContentChanges(
                            document=types.VersionedTextDocumentIdentifier(uri=cells[2], version=2),
                            changes=[types.TextDocumentContentChangeWholeDocument(text=suppressed)],
                        )
                    ]
                )
            ),
        )
    )
    assert await _diagnostics(client, cells[2], 2) == []
    client.notebook_document_did_close(
        types.DidCloseNotebookDocumentParams(
            notebook_document=types.NotebookDocumentIdentifier(uri=uri),
            cell_text_documents=[types.TextDocumentIdentifier(uri=c) for c in cells[1:]],
        )
    )


# --------------------------------------------------------------------------- README snippets


def _readme_snippet(name: str) -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    marker = f"<!-- snippet: {name} -->\n"
    assert readme.count(marker) == 1, name
    block = readme.split(marker, 1)[1]
    match = re.match(r"```\w*\n(.*?)\n```", block, re.DOTALL)
    assert match is not None, name
    return match.group(1)


def _snippet_command(name: str) -> list[str]:
    text = _readme_snippet(name)
    if name == "vscode":
        settings = json.loads(text)
        assert settings["glspc.server.languageId"] == ["python"]
        return [settings["glspc.server.command"], *settings["glspc.server.commandArguments"]]
    if name == "helix":
        if sys.version_info >= (3, 11):
            import tomllib
        else:  # pragma: no cover - Python 3.9 and 3.10
            import tomli as tomllib

        config = tomllib.loads(text)
        server = config["language-server"]["fixer"]
        [python] = config["language"]
        assert python["name"] == "python" and "fixer" in python["language-servers"]
        return [server["command"], *server["args"]]
    match = re.search(r"cmd = \{ (.*?) \}", text)
    assert match is not None and "vim.lsp.start" in text
    return [json.loads(part) for part in match.group(1).split(", ")]


def _fixer_program() -> str:
    """The ``fixer`` program the editor would find: this environment's console script."""
    script = Path(sys.executable).with_name("fixer")
    assert script.exists(), "fixer is not installed in this environment"
    return str(script)


@pytest.mark.parametrize("editor", ["vscode", "neovim", "helix"])
def test_each_readme_snippet_starts_the_server(editor: str, tmp_path: Path) -> None:
    command = _snippet_command(editor)
    assert command == ["fixer", "server", "--stdio"]
    (tmp_path / "server").mkdir()  # as in a project with a folder of that name
    messages = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {}},
        },
        {"jsonrpc": "2.0", "method": "initialized", "params": {}},
        {"jsonrpc": "2.0", "id": 2, "method": "shutdown"},
        {"jsonrpc": "2.0", "method": "exit"},
    ]
    payload = b"".join(
        b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
        for body in (json.dumps(m).encode() for m in messages)
    )
    done = subprocess.run(
        [_fixer_program(), *command[1:]],
        input=payload,
        capture_output=True,
        timeout=TIMEOUT,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert b'"name":"fixer"' in done.stdout.replace(b" ", b"")  # serverInfo in the answer
