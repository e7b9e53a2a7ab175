"""The bot's pieces on their own: fences, markers, the hunk mapper, the review plan, the
artifact's checks, the HTTP client's handling of the token, and the lazy import."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from fixer.bot import artifact
from fixer.bot.analyze import fix_lines
from fixer.bot.artifact import ArtifactError
from fixer.bot.http import ApiError, Http
from fixer.bot.hunks import DiffMap, Hunk, parse_patch
from fixer.bot.markdown import code_block, code_span, fence, inert, marker, read_marker
from fixer.bot.publish import UNSAFE_NOTE, Options, Review, plan_review, review_body

ROOT = Path(__file__).resolve().parent.parent.parent
FP = "a" * 64


# ------------------------------------------------------------------ Markdown


@pytest.mark.parametrize(
    ("text", "expected"),
    [("x = 1\n", "```"), ("a ``` b", "````"), ("`````", "``````"), ("`", "```")],
)
def test_the_fence_is_longer_than_any_backtick_run(text: str, expected: str) -> None:
    assert fence(text) == expected
    block = code_block(text, "suggestion")
    assert block.startswith(expected + "suggestion\n")
    assert block.endswith("\n" + expected)


def test_an_empty_suggestion_deletes_the_lines() -> None:
    assert code_block("", "suggestion") == "```suggestion\n```"


def test_markers_are_read_only_at_the_end_of_a_body() -> None:
    body = "text\n\n" + marker("finding", [FP])
    assert read_marker(body) == ("finding", [FP])
    assert read_marker(body + "\nmore") is None
    forged = f"<!-- fixer:finding {FP} -->"
    assert read_marker("x\n" + inert(forged)) is None
    assert read_marker(f"x {forged}") is None  # not on its own last line


def test_inert_text_is_one_line_with_no_html_and_no_mentions() -> None:
    assert inert("a\r\nb\u2028c <b>@team</b>\n") == "a b c &lt;b&gt;@\u200bteam&lt;/b&gt;"
    assert code_span("a`b") == "``a`b``"
    assert code_span("`x`") == "`` `x` ``"
    assert code_span("a\nb") == "`a b`"


# ------------------------------------------------------------------ hunks


PATCH = """\
@@ -1,4 +1,5 @@
 a
-b
+B
+C
 d
 e
@@ -20,3 +21,2 @@ def f():
 x
-y
 z
\\ No newline at end of file"""


def test_the_hunks_are_the_right_side_lines_each_shows() -> None:
    assert parse_patch(PATCH) == [Hunk(1, 5), Hunk(21, 22)]
    diff = DiffMap({"f.py": parse_patch(PATCH)})
    assert diff.hunk("f.py", 5) == Hunk(1, 5)
    assert diff.hunk("f.py", 6) is None
    assert diff.one_hunk("f.py", 2, 5)
    assert not diff.one_hunk("f.py", 4, 21)
    assert not diff.one_hunk("other.py", 1, 1)


def test_a_deleted_file_has_no_right_side_lines() -> None:
    assert parse_patch("@@ -1,2 +0,0 @@\n-a\n-b") == []
    assert parse_patch("") == []


# ------------------------------------------------------------------ fixes as lines


def _fix(edits: list[tuple[int, int, int, int, str]]) -> dict[str, Any]:
    return {
        "id": 1,
        "applicability": "safe",
        "applied": True,
        "edits": [
            {"start": {"line": a, "column": b}, "end": {"line": c, "column": d}, "content": text}
            for a, b, c, d, text in edits
        ],
    }


def test_a_fix_becomes_the_lines_it_touches() -> None:
    text = "a\nb\nc\nd\n"
    lines = fix_lines("f.py", text, _fix([(2, 1, 2, 1, "new\n"), (3, 1, 4, 1, "")]))
    assert (lines["first_line"], lines["last_line"]) == (2, 3)
    assert lines["replacement"] == "new\nb\n"
    assert lines["diff"].startswith("--- a/f.py\n+++ b/f.py\n")


def test_an_insertion_after_the_last_line_names_no_lines() -> None:
    lines = fix_lines("f.py", "a\n", _fix([(2, 1, 2, 1, "b\n")]))
    assert lines["replacement"] is None
    assert (lines["first_line"], lines["last_line"]) == (1, 1)


# ------------------------------------------------------------------ the review plan


def _results(applicability: str = "safe") -> artifact.Results:
    document = {
        "version": 1,
        "head_sha": "1" * 40,
        "exit_status": 1,
        "patch": "",
        "counts": {},
        "findings": [
            {
                "path": "f.py",
                "line": 3,
                "end_line": 3,
                "code": "TFO003",
                "name": "optimizer-rebuilt-every-step",
                "fixable": True,
                "message": "rebuilt; fix (unsafe: training results change, as intended)",
                "applicability": applicability,
                "fingerprint": FP,
                "fix": {
                    "id": 1,
                    "applicability": applicability,
                    "applied": applicability == "safe",
                },
            }
        ],
        "fixes": [
            {
                "path": "f.py",
                "id": 1,
                "applicability": applicability,
                "applied": applicability == "safe",
                "first_line": 2,
                "last_line": 3,
                "replacement": "opt = A()\nfor x in y:\n",
                "diff": "--- a/f.py\n+++ b/f.py\n",
            }
        ],
    }
    return artifact.parse(json.dumps(document).encode())


def test_an_unsafe_fix_is_suggested_only_when_asked_and_then_labelled() -> None:
    diff = DiffMap({"f.py": [Hunk(1, 10)]})
    (held,) = plan_review(_results("unsafe"), diff, [], Options()).comments
    assert "```suggestion" not in held["body"]
    assert "An unsafe fix exists" in held["body"]
    (shown,) = plan_review(_results("unsafe"), diff, [], Options(suggest_unsafe=True)).comments
    assert UNSAFE_NOTE in shown["body"]
    assert "unsafe: training results change" in shown["body"]
    assert "```suggestion\nopt = A()\nfor x in y:\n```" in shown["body"]
    assert (shown["start_line"], shown["line"]) == (2, 3)


def test_a_finding_already_posted_is_not_planned_again() -> None:
    diff = DiffMap({"f.py": [Hunk(1, 10)]})
    assert not plan_review(_results(), diff, [FP], Options())


def test_a_finding_off_the_diff_goes_to_the_body() -> None:
    plan = plan_review(_results(), DiffMap({"f.py": [Hunk(8, 10)]}), [], Options())
    assert plan.comments == [] and len(plan.outside) == 1


# ------------------------------------------------------------------ the artifact


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda d: d.update(version=2), "is not a version 1 results document"),
        (lambda d: d.update(head_sha="main"), "`head_sha` is not valid"),
        (lambda d: d["findings"][0].update(path="../etc/passwd"), "not a relative path"),
        (lambda d: d["findings"][0].update(path="/etc/passwd"), "not a relative path"),
        (lambda d: d["findings"][0].update(line="3"), "`line` is not a int"),
        (lambda d: d["findings"][0].update(line=True), "`line` is not an integer"),
        (lambda d: d["findings"][0].update(fingerprint="x"), "`fingerprint` is not valid"),
        (lambda d: d["findings"][0].update(message="m" * 3000), "longer than 2000"),
        (lambda d: d["fixes"][0].update(first_line=9), "`last_line` is before `first_line`"),
        (lambda d: d.update(findings=[d["findings"][0]] * 501), "more than 500 findings"),
    ],
)
def test_the_artifact_is_checked_field_by_field(change: Any, reason: str) -> None:
    document = json.loads((ROOT / "tests/bot/data/fixer-bot.json").read_text())
    change(document)
    with pytest.raises(ArtifactError, match=reason.replace("(", r"\(")):
        artifact.parse(json.dumps(document).encode())


def test_the_artifact_is_read_no_further_than_the_cap(tmp_path: Path) -> None:
    (tmp_path / "fixer-bot.json").write_bytes(b" " * (artifact.MAX_BYTES + 10))
    with pytest.raises(ArtifactError, match="larger than"):
        artifact.read(tmp_path)
    (tmp_path / "fixer-bot.json").unlink()
    (tmp_path / "fixer-bot.json").symlink_to("/etc/hostname")
    with pytest.raises(ArtifactError, match="not a regular file"):
        artifact.read(tmp_path)


# ------------------------------------------------------------------ HTTP


class _Echo(BaseHTTPRequestHandler):
    seen: list[dict[str, str]] = []  # noqa: RUF012

    def do_GET(self) -> None:
        self.seen.append(dict(self.headers))
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", f"http://localhost:{self.server.server_port}/landed")
            self.end_headers()
            return
        if self.path == "/fail":
            body = json.dumps({"message": "nope, token secret-token is wrong"}).encode()
            self.send_response(422)
        elif self.path == "/away":
            body = b"[1]"
            self.send_response(200)
            self.send_header("Link", '<http://example.invalid/x?page=2>; rel="next"')
        else:
            body = b"[]"
            self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def echo() -> Any:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Echo.seen.clear()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_token_is_not_sent_after_a_redirect_nor_printed(echo: str) -> None:
    http = Http("secret-token")
    http.request("GET", f"{echo}/redirect")
    first, landed = _Echo.seen
    assert first["Authorization"] == "Bearer secret-token"
    assert "Authorization" not in landed
    with pytest.raises(ApiError) as raised:
        http.request("GET", f"{echo}/fail")
    assert str(raised.value) == "GET /fail: HTTP 422: nope, token *** is wrong"
    assert "secret-token" not in repr(http)


def test_pages_are_followed_only_on_the_same_host(echo: str) -> None:
    with pytest.raises(ApiError, match="next page is on another host"):
        list(Http("t").paginate(f"{echo}/away"))


def test_no_answer_is_one_line() -> None:
    with pytest.raises(ApiError, match=r"^GET /x: no response: "):
        Http("t", timeout=2).request("GET", "http://127.0.0.1:9/x")


# ------------------------------------------------------------------ the command line


def test_importing_the_cli_does_not_import_the_bot() -> None:
    code = "import fixer.cli, sys; print(sorted(m for m in sys.modules if 'fixer.bot' in m))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_fixer_bot_is_a_command_and_fixer_dot_slash_bot_a_path(tmp_path: Path) -> None:
    (tmp_path / "bot").mkdir()
    (tmp_path / "bot" / "x.py").write_text("x = 1\n")
    run = [sys.executable, "-m", "fixer"]
    done = subprocess.run([*run, "bot", "--help"], cwd=tmp_path, capture_output=True, text=True)
    assert "analyze" in done.stdout and done.returncode == 0
    done = subprocess.run([*run, "./bot"], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0 and "checked 1 file" in done.stderr
    done = subprocess.run([*run, "bot"], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0 and "checked 1 file" in done.stderr


def test_publish_without_a_token_is_one_line_and_status_2(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text("{}")
    env = {"PATH": "/usr/bin:/bin", "GITHUB_REPOSITORY": "a/b", "GITHUB_EVENT_PATH": str(event)}
    done = subprocess.run(
        [sys.executable, "-m", "fixer", "bot", "publish", "--artifact", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 2
    assert done.stderr == "fixer bot: error: no token: set GITHUB_TOKEN\n"


def test_bodies_stay_under_githubs_limit() -> None:
    results = _results()
    big = dataclasses.replace(results.fixes["f.py", 1], replacement="x = 1\n" * 11_000)
    results = dataclasses.replace(results, fixes={("f.py", 1): big})
    (comment,) = plan_review(results, DiffMap({"f.py": [Hunk(1, 10)]}), [], Options()).comments
    assert "The fix is too large to show here" in comment["body"]
    assert len(comment["body"]) < 65_536 and comment["line"] == 3
    finding = results.findings[0]
    many = Review(outside=[finding] * 60, fingerprints=[FP] * 60)
    body = review_body(many, "1" * 40)
    assert body.count("- `f.py` line 3") == 50
    assert "- and 10 more" in body


def test_a_notebook_finding_points_at_the_notebook_text_and_suggests_nothing(
    tmp_path: Path,
) -> None:
    """In a notebook the review comments on the ``.ipynb`` line that holds the optimizer; its fix
    edits a cell's source, which a suggestion on the file's JSON cannot show."""
    import json
    import subprocess
    import sys

    from notebook_samples import jupyter

    from fixer.bot.analyze import results_document

    notebook = tmp_path / "train.ipynb"
    notebook.write_bytes(jupyter())
    report_path = tmp_path / "fixer.json"
    subprocess.run(
        [sys.executable, "-m", "fixer", "--format", "json", "-o", str(report_path), "train.ipynb"],
        cwd=tmp_path,
        check=False,
    )
    report = json.loads(report_path.read_text())
    document = results_document(tmp_path, "0" * 40, report, "", 1)
    (finding,) = document["findings"]
    assert finding["fix"] is None and document["fixes"] == []
    held = notebook.read_text().splitlines()[finding["line"] - 1]
    assert "tf.keras.optimizers" in held, held
