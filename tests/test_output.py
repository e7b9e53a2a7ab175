"""The output formats, over findings built by hand (no engine): one test group per format."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from fixer import __version__
from fixer.explain import render_rule
from fixer.findings import Applicability, Diagnostic, Fix, TextEdit
from fixer.output import FORMATS, make_emitter
from fixer.output.github import GithubEmitter
from fixer.output.gitlab import Fingerprints, code_quality
from fixer.output.json_document import file_record
from fixer.output.records import FileReport, RunInfo
from fixer.output.sarif import artifact_location, rule_descriptor, sarif_log
from fixer.output.statistics import render_json, render_statistics, render_text, statistics
from fixer.rules import RULES

SCHEMA = Path(__file__).parent / "data" / "sarif" / "sarif-2.1.0-rtm.5.json"
PATH = "src/train.py"

SOURCE = """\
import tensorflow as tf

@tf.function
def train_step(x):
    opt = tf.keras.optimizers.Adam()
    return x
"""
FIXED = """\
import tensorflow as tf

opt = tf.keras.optimizers.Adam()

@tf.function
def train_step(x):
    return x
"""
HOIST = Fix(
    id=1,
    applicability=Applicability.SAFE,
    edits=(
        TextEdit(3, 1, 3, 1, "opt = tf.keras.optimizers.Adam()\n\n"),
        TextEdit(5, 1, 6, 1, ""),
    ),
    applied=True,
)
CRASH = Diagnostic(
    PATH,
    5,
    11,
    "TFO001",
    "optimizer `tf.keras.optimizers.Adam()` is built inside tf.function `train_step`",
    Applicability.SAFE,
    end_line=5,
    end_column=37,
    fix=HOIST,
)
SILENT = Diagnostic(
    PATH,
    9,
    5,
    "TFO003",
    "optimizer `Adam()` is rebuilt on every iteration of the loop on line 8",
    Applicability.UNSAFE,
    end_line=9,
    end_column=20,
    fix=Fix(2, Applicability.UNSAFE, (TextEdit(8, 1, 8, 1, "opt = Adam()\n"),), applied=False),
)
MANUAL = Diagnostic(PATH, 12, 9, "TFO005", "optimizer `SGD()` is built on each call (line 12)")
UNUSED = Diagnostic(
    PATH,
    14,
    10,
    "TFO100",
    "unused suppression comment: `# noqa: TFO001`",
    Applicability.SAFE,
    end_line=14,
    end_column=26,
    fix=Fix(3, Applicability.SAFE, (TextEdit(14, 8, 14, 26, ""),), applied=True),
)
SUPPRESSED = replace(CRASH, line=20, end_line=20, fix=None, suppressed_by="# noqa: TFO001")
SYNTAX = Diagnostic("src/broken.py", 2, 11, "TFO900", "syntax error: invalid syntax", is_error=True)

TRAIN = FileReport(PATH, (CRASH, SILENT, MANUAL, UNUSED), (SUPPRESSED,), changed=True)
BROKEN = FileReport("src/broken.py", (SYNTAX,))
UNREADABLE = FileReport("src/locked.py", error="cannot read: permission denied")
CLEAN = FileReport("src/clean.py")
REPORTS = (TRAIN, BROKEN, UNREADABLE, CLEAN)
RUN = RunInfo(
    files=tuple(r.path for r in REPORTS),
    counts={
        "files": 4,
        "findings": 4,
        "fixable": 2,
        "errors": 2,
        "changed_files": 1,
        "generated": 0,
    },
)


def emit(name: str, reports: tuple[FileReport, ...] = REPORTS, **options: bool) -> str:
    emitter = make_emitter(name, **options)
    return "".join(emitter.file(report) for report in reports) + emitter.finish(RUN)


# ----------------------------------------------------------------------------- registry


def test_every_format_is_registered_and_unknown_ones_are_refused() -> None:
    assert list(FORMATS) == ["text", "json", "json-lines", "sarif", "github", "gitlab"]
    with pytest.raises(ValueError, match="unknown format 'xml'"):
        make_emitter("xml")


@pytest.mark.parametrize("name", list(FORMATS))
def test_streaming_formats_write_per_file_and_the_others_at_the_end(name: str) -> None:
    emitter = make_emitter(name)
    per_file = emitter.file(TRAIN)
    at_end = emitter.finish(RUN)
    if FORMATS[name].streams:
        assert (bool(per_file), at_end) == (True, "")
    else:
        assert (per_file, bool(json.loads(at_end))) == ("", True)


def test_each_emitter_is_new() -> None:
    first = make_emitter("json")
    first.file(TRAIN)
    assert json.loads(make_emitter("json").finish(RUN))["findings"] == []


# ----------------------------------------------------------------------------- text


def test_text_lists_findings_in_force_only() -> None:
    assert emit("text") == "".join(d.render() + "\n" for d in (CRASH, SILENT, MANUAL, UNUSED))


def test_text_in_write_modes_lists_only_findings_left_unfixed() -> None:
    assert emit("text", only_unfixed=True) == SILENT.render() + "\n" + MANUAL.render() + "\n"


# ----------------------------------------------------------------------------- JSON

FINDING_KEYS = {
    "path",
    "line",
    "column",
    "end_line",
    "end_column",
    "code",
    "name",
    "message",
    "applicability",
    "fixable",
    "suppressed",
    "suppression",
    "fix",
}


def test_json_lines_is_one_versioned_record_per_file() -> None:
    lines = emit("json-lines").splitlines()
    assert len(lines) == len(REPORTS)
    records = [json.loads(line) for line in lines]
    assert [r["path"] for r in records] == [r.path for r in REPORTS]
    assert all(r["version"] == 1 for r in records)
    assert set(records[0]) == {"version", "path", "findings", "errors", "changed"}
    train = records[0]
    assert train["changed"] is True
    codes = [f["code"] for f in train["findings"]]
    assert codes == ["TFO001", "TFO003", "TFO005", "TFO100", "TFO001"]
    assert all(set(f) == FINDING_KEYS for f in train["findings"])
    crash, silent, manual, _, suppressed = train["findings"]
    assert crash["name"] == "optimizer-in-traced-function"
    assert (crash["end_line"], crash["end_column"]) == (5, 37)
    assert crash["fix"] == {
        "id": 1,
        "applicability": "safe",
        "applied": True,
        "edits": [
            {
                "start": {"line": 3, "column": 1},
                "end": {"line": 3, "column": 1},
                "content": "opt = tf.keras.optimizers.Adam()\n\n",
            },
            {"start": {"line": 5, "column": 1}, "end": {"line": 6, "column": 1}, "content": ""},
        ],
    }
    assert (crash["suppressed"], crash["suppression"]) == (False, None)
    assert silent["fix"]["applicability"] == "unsafe"
    assert silent["fix"]["applied"] is False
    assert (silent["applicability"], silent["fixable"]) == ("unsafe", False)
    assert manual["fix"] is None
    assert (manual["end_line"], manual["end_column"]) == (12, 9)  # no range: the start
    assert (suppressed["suppressed"], suppressed["suppression"]) == (True, "# noqa: TFO001")
    assert records[1]["errors"] == [
        {
            "path": "src/broken.py",
            "line": 2,
            "column": 11,
            "code": "TFO900",
            "message": "syntax error: invalid syntax",
        }
    ]
    assert records[1]["findings"] == []
    assert records[2]["errors"][0] == {
        "path": "src/locked.py",
        "line": None,
        "column": None,
        "code": None,
        "message": "cannot read: permission denied",
    }


def test_json_lines_records_depend_on_their_file_alone() -> None:
    """What shards rely on: each file's line is the same whatever came before it."""
    together = emit("json-lines").splitlines()
    alone = [emit("json-lines", (report,)).rstrip("\n") for report in REPORTS]
    assert together == alone


def test_json_document() -> None:
    document = json.loads(emit("json"))
    assert list(document) == ["version", "files", "findings", "errors", "summary"]
    assert document["version"] == 1
    assert document["files"] == [r.path for r in REPORTS]
    assert document["summary"] == dict(RUN.counts)
    assert len(document["findings"]) == 5
    assert all(set(f) == FINDING_KEYS for f in document["findings"])
    in_force = [f for f in document["findings"] if not f["suppressed"]]
    assert len(in_force) == document["summary"]["findings"]
    assert sum(f["fixable"] for f in in_force) == document["summary"]["fixable"]
    assert [e["code"] for e in document["errors"]] == ["TFO900", None]


def apply_as_documented(source: str, findings: list[dict[str, Any]]) -> str:
    """The README's recipe: the edits of every distinct applied fix, in order of position."""
    fixes = {f["fix"]["id"]: f["fix"] for f in findings if f["fix"] and f["fix"]["applied"]}
    edits = [edit for fix in fixes.values() for edit in fix["edits"]]
    starts = [0] + [i + 1 for i, char in enumerate(source) if char == "\n"]

    def offset(point: dict[str, int]) -> int:
        return starts[point["line"] - 1] + point["column"] - 1

    out, position = [], 0
    for edit in sorted(edits, key=lambda e: offset(e["start"])):
        out += [source[position : offset(edit["start"])], edit["content"]]
        position = offset(edit["end"])
    return "".join(out) + source[position:]


def test_the_documented_recipe_reproduces_write() -> None:
    twin = replace(CRASH, line=5, column=5, code="TFO004", message="helper")  # same fix id
    record = file_record(FileReport(PATH, (CRASH, twin, SILENT)))
    assert apply_as_documented(SOURCE, record["findings"]) == FIXED


# ----------------------------------------------------------------------------- SARIF


@pytest.fixture(scope="module")
def validator() -> Any:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def test_sarif_is_valid_against_the_official_schema(validator: Any) -> None:
    log = json.loads(emit("sarif"))
    validator.validate(log)
    broken = json.loads(emit("sarif"))
    broken["runs"][0]["results"][0]["fixes"][0]["artifactChanges"] = []
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(broken)  # the schema does catch what the renderer must avoid


def test_sarif_clean_run_is_valid_and_successful(validator: Any) -> None:
    log = json.loads(emit("sarif", (CLEAN,)))
    validator.validate(log)
    run = log["runs"][0]
    assert run["results"] == []
    assert run["invocations"] == [{"executionSuccessful": True, "toolExecutionNotifications": []}]


def test_sarif_driver_describes_every_rule() -> None:
    run = json.loads(emit("sarif"))["runs"][0]
    assert run["columnKind"] == "unicodeCodePoints"
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("fixer", __version__)
    assert [rule["id"] for rule in driver["rules"]] == [rule.code for rule in RULES]
    levels = {rule["id"]: rule["defaultConfiguration"]["level"] for rule in driver["rules"]}
    assert levels == {
        "TFO001": "error",
        "TFO002": "error",
        "TFO003": "warning",
        "TFO004": "error",
        "TFO005": "warning",
        "TFO100": "note",
        "TFO900": "error",
        "TFO901": "error",
        "TFO902": "error",
        "TFO903": "error",
        "TFO904": "error",
        "TFO905": "error",
    }
    first = driver["rules"][0]
    assert first["shortDescription"]["text"] == RULES[0].summary
    assert first["help"]["text"] == RULES[0].doc


def test_sarif_rule_help_is_the_rule_documentation() -> None:
    (rule,) = (r for r in RULES if r.code == "TFO003")
    descriptor = rule_descriptor(rule)
    assert descriptor["help"] == {"text": rule.doc, "markdown": render_rule(rule)}
    assert "\n\n" not in descriptor["fullDescription"]["text"]
    assert rule.catches.startswith(descriptor["fullDescription"]["text"][:40])


def test_sarif_results() -> None:
    log = json.loads(emit("sarif"))
    run = log["runs"][0]
    results = run["results"]
    assert [r["ruleId"] for r in results] == ["TFO001", "TFO003", "TFO005", "TFO100", "TFO001"]
    rules = run["tool"]["driver"]["rules"]
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in results)
    assert [r["level"] for r in results] == ["error", "warning", "warning", "note", "error"]
    crash, silent, manual, unused, suppressed = results
    assert crash["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "src/train.py", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 5, "startColumn": 11, "endLine": 5, "endColumn": 37},
    }
    (change,) = crash["fixes"][0]["artifactChanges"]
    assert change["replacements"] == [
        {
            "deletedRegion": {"startLine": 3, "startColumn": 1, "endLine": 3, "endColumn": 1},
            "insertedContent": {"text": "opt = tf.keras.optimizers.Adam()\n\n"},
        },
        {"deletedRegion": {"startLine": 5, "startColumn": 1, "endLine": 6, "endColumn": 1}},
    ]
    assert "Unsafe" in silent["fixes"][0]["description"]["text"]
    assert "fixes" not in manual
    assert "fixes" in unused
    assert "fixes" not in suppressed
    assert suppressed["suppressions"] == [{"kind": "inSource", "justification": "# noqa: TFO001"}]
    assert not any("suppressions" in r for r in results[:4])
    (invocation,) = run["invocations"]
    assert invocation["executionSuccessful"] is False
    notes = invocation["toolExecutionNotifications"]
    assert [n["level"] for n in notes] == ["error", "error"]
    assert notes[0]["associatedRule"] == {"id": "TFO900", "index": 6}
    assert notes[0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 2
    assert notes[1]["message"]["text"] == "src/locked.py: cannot read: permission denied"


def test_sarif_fingerprints_are_the_gitlab_ones() -> None:
    results = sarif_log([TRAIN])["runs"][0]["results"]
    in_force = {r["locations"][0]["physicalLocation"]["region"]["startLine"]: r for r in results}
    by_line = {issue["location"]["lines"]["begin"]: issue for issue in code_quality([TRAIN])}
    assert by_line  # the suppressed finding (line 20) is in SARIF only
    for line, issue in by_line.items():
        assert in_force[line]["partialFingerprints"] == {"fixer/v1": issue["fingerprint"]}


def test_sarif_leaves_out_a_fix_without_edits(validator: Any) -> None:
    empty = replace(CRASH, fix=replace(HOIST, edits=()))
    log = sarif_log([FileReport(PATH, (empty,))])
    validator.validate(log)
    assert "fixes" not in log["runs"][0]["results"][0]


@pytest.mark.parametrize(
    ("shown", "location"),
    [
        ("src/train.py", {"uri": "src/train.py", "uriBaseId": "%SRCROOT%"}),
        ("./src/my model#1.py", {"uri": "src/my%20model%231.py", "uriBaseId": "%SRCROOT%"}),
        ("/home/me/train.py", {"uri": "file:///home/me/train.py"}),
    ],
)
def test_sarif_artifact_locations(shown: str, location: dict[str, str]) -> None:
    assert artifact_location(shown) == location


# ----------------------------------------------------------------------------- GitHub

_ESCAPE = re.compile(r"%(25|0D|0A|3A|2C)")


def unescape(text: str) -> str:
    """What the Actions runner does to a value, in one pass."""
    return _ESCAPE.sub(lambda match: chr(int(match.group(1), 16)), text)


COMMAND = re.compile(r"::(?P<name>error|warning) (?P<properties>[^:]*)::(?P<message>.*)")


def parse(line: str) -> tuple[str, dict[str, str], str]:
    match = COMMAND.fullmatch(line)
    assert match, line
    properties = {}
    for field in match["properties"].split(","):
        key, _, value = field.partition("=")
        properties[key] = unescape(value)
    return match["name"], properties, unescape(match["message"])


def test_github_annotations() -> None:
    lines = emit("github").split("\n")
    assert lines.pop() == ""
    parsed = [parse(line) for line in lines]
    assert [(name, props.get("title")) for name, props, _ in parsed] == [
        ("error", "TFO001 optimizer-in-traced-function"),
        ("warning", "TFO003 optimizer-rebuilt-every-step"),
        ("warning", "TFO005 optimizer-built-per-call"),
        ("warning", "TFO100 unused-suppression"),
        ("error", "TFO900 syntax-error"),
        ("error", "read error"),
    ]
    _, props, message = parsed[0]
    assert props == {
        "file": PATH,
        "line": "5",
        "col": "11",
        "endLine": "5",
        "endColumn": "37",
        "title": "TFO001 optimizer-in-traced-function",
    }
    assert message == f"[fixable] {CRASH.message}"
    assert parsed[-1][1] == {"file": "src/locked.py", "title": "read error"}


def test_github_escaping_cannot_form_a_second_command() -> None:
    path = "src/a,b::c%2C\r\n::error file=x::owned.py"
    message = "100% broken,\r\n::warning ::injected\nline 3: a,b"
    diagnostics = (
        replace(CRASH, path=path, message=message),
        replace(SILENT, path=path, message=message),
    )
    report = FileReport(path, diagnostics, error=message)
    out = GithubEmitter().file(report)
    lines = out.split("\n")
    assert lines.pop() == ""
    assert len(lines) == 3  # the read error and one line per finding
    assert all(line.startswith(("::error ", "::warning ")) for line in lines)
    assert not any("\r" in line for line in lines)
    for line in lines:
        _, props, text = parse(line)
        assert props["file"] == path
        assert text.endswith(message)
    assert "%252C" in out  # "%" itself is escaped first


# ----------------------------------------------------------------------------- GitLab


def shifted(diagnostic: Diagnostic, by: int) -> Diagnostic:
    """The same finding after ``by`` lines were added above it (numbers in the text move too)."""
    message = re.sub(r"line (\d+)", lambda m: f"line {int(m.group(1)) + by}", diagnostic.message)
    return replace(
        diagnostic,
        line=diagnostic.line + by,
        end_line=diagnostic.end_line + by if diagnostic.end_line else 0,
        message=message,
    )


def test_gitlab_report() -> None:
    issues = json.loads(emit("gitlab"))
    assert [(i["check_name"], i["severity"]) for i in issues] == [
        ("TFO001", "critical"),
        ("TFO003", "major"),
        ("TFO005", "major"),
        ("TFO100", "minor"),
        ("TFO900", "blocker"),
        ("read-error", "blocker"),
    ]
    assert issues[0] == {
        "description": f"TFO001 {CRASH.message}",
        "check_name": "TFO001",
        "fingerprint": issues[0]["fingerprint"],
        "severity": "critical",
        "location": {"path": PATH, "lines": {"begin": 5, "end": 5}},
    }
    assert re.fullmatch(r"[0-9a-f]{64}", issues[0]["fingerprint"])
    assert len({i["fingerprint"] for i in issues}) == len(issues)


def test_gitlab_fingerprints_survive_lines_added_above() -> None:
    before = code_quality([TRAIN])
    after = code_quality(
        [replace(TRAIN, diagnostics=tuple(shifted(d, 3) for d in TRAIN.diagnostics))]
    )
    assert [i["location"]["lines"]["begin"] for i in after] == [8, 12, 15, 17]
    assert "loop on line 11" in after[1]["description"]
    assert [i["fingerprint"] for i in after] == [i["fingerprint"] for i in before]


def test_gitlab_fingerprints_tell_duplicates_and_files_apart() -> None:
    twice = FileReport(PATH, (CRASH, replace(CRASH, line=30, end_line=30)))
    first, second = (i["fingerprint"] for i in code_quality([twice]))
    assert first != second
    assert first == code_quality([FileReport(PATH, (CRASH,))])[0]["fingerprint"]
    elsewhere = code_quality([FileReport("src/other.py", (replace(CRASH, path="src/other.py"),))])
    assert elsewhere[0]["fingerprint"] != first
    fingerprints = Fingerprints()
    assert fingerprints(PATH, "TFO001", "x") != fingerprints(PATH, "TFO002", "x")


def test_gitlab_fingerprints_change_with_the_text() -> None:
    other = replace(CRASH, message=CRASH.message.replace("Adam", "SGD"))
    assert (
        code_quality([FileReport(PATH, (other,))])[0]["fingerprint"]
        != code_quality([FileReport(PATH, (CRASH,))])[0]["fingerprint"]
    )


# ----------------------------------------------------------------------------- statistics


def test_statistics() -> None:
    more = FileReport(
        "src/more.py",
        (
            replace(MANUAL, path="src/more.py"),
            replace(MANUAL, path="src/more.py", line=20),
            replace(SILENT, applicability=Applicability.SAFE),
            replace(CRASH, line=40),
        ),
    )
    rows = statistics([*TRAIN.diagnostics, *BROKEN.diagnostics, *more.diagnostics])
    assert [(r.code, r.count, r.marker) for r in rows] == [
        ("TFO005", 3, "[ ]"),
        ("TFO001", 2, "[*]"),  # suppressed findings are not counted
        ("TFO003", 2, "[-]"),  # one safe, one unsafe
        ("TFO100", 1, "[*]"),
    ]
    assert render_text(rows) == (
        "3\tTFO005\t[ ] optimizer-built-per-call\n"
        "2\tTFO001\t[*] optimizer-in-traced-function\n"
        "2\tTFO003\t[-] optimizer-rebuilt-every-step\n"
        "1\tTFO100\t[*] unused-suppression\n"
    )
    assert json.loads(render_json(rows))[:2] == [
        {"code": "TFO005", "name": "optimizer-built-per-call", "count": 3, "fixable": False},
        {"code": "TFO001", "name": "optimizer-in-traced-function", "count": 2, "fixable": True},
    ]


def test_statistics_counts_align_and_tie_on_code() -> None:
    many = FileReport(PATH, (*(replace(CRASH, line=n) for n in range(1, 11)), MANUAL))
    unused = FileReport("b.py", (replace(UNUSED, path="b.py"),))
    assert render_text(statistics([*unused.diagnostics, *many.diagnostics])).splitlines() == [
        "10\tTFO001\t[*] optimizer-in-traced-function",
        " 1\tTFO005\t[ ] optimizer-built-per-call",
        " 1\tTFO100\t[*] unused-suppression",
    ]
    assert render_text([]) == ""


def test_render_statistics_in_each_format() -> None:
    findings = TRAIN.diagnostics
    assert render_statistics(findings) == render_text(statistics(findings))
    as_json = json.loads(render_statistics(findings, "json"))
    assert [row["code"] for row in as_json] == ["TFO001", "TFO003", "TFO005", "TFO100"]
