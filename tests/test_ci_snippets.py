"""The pre-commit, GitHub Actions and GitLab CI snippets of README.md, run or validated offline.

A snippet is the fenced block right below `<!-- snippet: NAME -->` in README.md. The GitHub
workflow and the GitLab job are validated by check-jsonschema against the schemas it ships
(`--builtin-schema`), in a process that fails on any attempt to open a network connection. The
pre-commit configuration is run by the real pre-commit, offline, as in test_precommit.py: the test
rewrites its `repo:` URL and `rev:` to a local repository holding a commit of this checkout.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_precommit import (
    FIXABLE,
    FIXABLE_FIXED,
    ROOT,
    HookRepository,
    commit,
    commits,
    new_project,
    offline_environment,
    pre_commit,
    shared_hook_repository,
    stage,
    status_line,
)

from fixer import __version__

README = ROOT / "README.md"

# check-jsonschema's own entry point, after an audit hook that refuses any socket use: the builtin
# schemas must not need a download (nor their $refs).
CHECK_JSONSCHEMA_OFFLINE = """
import sys

def refuse_network(event, args):
    if event in ("socket.connect", "socket.getaddrinfo"):
        raise SystemExit(f"check-jsonschema tried the network: {event} {args}")

sys.addaudithook(refuse_network)
from check_jsonschema import main

sys.argv[0] = "check-jsonschema"
main()
"""


def snippet(name: str) -> str:
    """The body of the one fenced block marked `<!-- snippet: name -->` in README.md."""
    text = README.read_text(encoding="utf-8")
    pattern = rf"^<!-- snippet: {re.escape(name)} -->\n```[a-z]*\n(.*?)^```$"
    found = re.findall(pattern, text, flags=re.MULTILINE | re.DOTALL)
    assert len(found) == 1, f"README.md needs one fenced block under <!-- snippet: {name} -->"
    return str(found[0])


def check_jsonschema(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CHECK_JSONSCHEMA_OFFLINE, "--no-cache", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def steps_running(steps: list[dict[str, Any]], command: str) -> list[dict[str, Any]]:
    return [step for step in steps if step.get("run") == command]


def test_the_github_workflow_is_valid_and_uploads_sarif_even_after_findings(
    tmp_path: Path,
) -> None:
    workflow = tmp_path / "fixer.yml"
    workflow.write_text(snippet("github-actions"), encoding="utf-8")
    checked = check_jsonschema("--builtin-schema", "vendor.github-workflows", str(workflow))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "ok -- validation done" in checked.stdout

    (job,) = yaml.safe_load(workflow.read_text(encoding="utf-8"))["jobs"].values()
    assert job["permissions"]["security-events"] == "write"
    steps = job["steps"]
    assert steps_running(steps, "fixer --format github .")
    (sarif,) = steps_running(steps, "fixer --format sarif --output-file fixer.sarif .")
    (upload,) = [s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-")]
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert upload["with"]["sarif_file"] == "fixer.sarif"
    # fixer exits 1 on findings: without always() the steps after it would not run.
    assert sarif["if"] == upload["if"] == "always()"
    assert steps.index(sarif) < steps.index(upload)


def test_the_gitlab_job_is_valid_and_keeps_its_report_after_findings(tmp_path: Path) -> None:
    config = tmp_path / ".gitlab-ci.yml"
    config.write_text(snippet("gitlab-ci"), encoding="utf-8")
    checked = check_jsonschema("--builtin-schema", "vendor.gitlab-ci", str(config))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "ok -- validation done" in checked.stdout

    (job,) = yaml.safe_load(config.read_text(encoding="utf-8")).values()
    report = "gl-code-quality-report.json"
    assert f"fixer --format gitlab --output-file {report} ." in job["script"]
    assert job["artifacts"]["when"] == "always"
    assert job["artifacts"]["reports"]["codequality"] == report


def fixer_commands(name: str) -> list[str]:
    """The fixer command lines a CI snippet runs."""
    document = yaml.safe_load(snippet(name))
    if name == "github-actions":
        lines = [step.get("run", "") for job in document["jobs"].values() for step in job["steps"]]
    else:
        lines = [line for job in document.values() for line in job["script"]]
    return [line for line in lines if line.startswith("fixer ")]


@pytest.mark.parametrize(
    ("name", "writes"),
    [("github-actions", ["fixer.sarif"]), ("gitlab-ci", ["gl-code-quality-report.json"])],
)
def test_the_fixer_commands_exit_1_on_findings_and_write_what_the_next_step_reads(
    tmp_path: Path, name: str, writes: list[str]
) -> None:
    (tmp_path / "train.py").write_bytes(FIXABLE)
    for line in fixer_commands(name):
        args = shlex.split(line)[1:]
        proc = subprocess.run(
            [sys.executable, "-m", "fixer", *args], cwd=tmp_path, capture_output=True, check=False
        )
        assert proc.returncode == 1, proc.stderr
    for output in writes:
        assert json.loads((tmp_path / output).read_text(encoding="utf-8")), output


def _without_runs_on(document: dict[str, Any]) -> None:
    for job in document["jobs"].values():
        del job["runs-on"]


def _artifacts_sometimes(document: dict[str, Any]) -> None:
    for job in document.values():
        job["artifacts"]["when"] = "sometimes"


@pytest.mark.parametrize(
    ("name", "schema", "break_it"),
    [
        ("github-actions", "vendor.github-workflows", _without_runs_on),
        ("gitlab-ci", "vendor.gitlab-ci", _artifacts_sometimes),
    ],
)
def test_the_schema_check_rejects_a_broken_snippet(
    tmp_path: Path, name: str, schema: str, break_it: Callable[[dict[str, Any]], None]
) -> None:
    document = yaml.safe_load(snippet(name))
    break_it(document)
    broken = tmp_path / "broken.yml"
    broken.write_text(yaml.safe_dump(document), encoding="utf-8")
    checked = check_jsonschema("--builtin-schema", schema, str(broken))
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert "Schema validation errors were encountered" in checked.stdout


def test_the_network_guard_stops_a_download(tmp_path: Path) -> None:
    document = tmp_path / "workflow.yml"
    document.write_text(snippet("github-actions"), encoding="utf-8")
    remote = "https://json.schemastore.org/github-workflow.json"
    proc = check_jsonschema("--schemafile", remote, str(document))
    assert proc.returncode != 0
    assert "check-jsonschema tried the network: socket.getaddrinfo" in proc.stderr


def test_the_snippets_name_the_current_version() -> None:
    assert re.findall(r"^\s*rev: (\S+)$", snippet("pre-commit"), flags=re.MULTILINE) == [
        f"v{__version__}"
    ]
    for name in ("github-actions", "gitlab-ci"):
        assert re.findall(r'pip install "(.+?)"', snippet(name)) == [
            f"fixer @ git+https://github.com/OWNER/fixer@v{__version__}"
        ]


@pytest.fixture(scope="module")
def hooks(tmp_path_factory: pytest.TempPathFactory) -> HookRepository:
    return shared_hook_repository(tmp_path_factory.getbasetemp())


def test_the_pre_commit_config_runs_and_fixes_a_staged_file(
    hooks: HookRepository, tmp_path: Path
) -> None:
    text = snippet("pre-commit")
    original = tmp_path / "as-published.yaml"
    original.write_text(text, encoding="utf-8")
    validated = pre_commit("validate-config", str(original), cwd=tmp_path, env=hooks.env)
    assert validated.returncode == 0, validated.stdout

    # The published URL and tag are not reachable offline (the tag may not exist yet): point them
    # at the local repository holding a commit of this checkout.
    local, replaced = re.subn(r"(?m)^(\s*- repo: )\S+$", lambda m: f"{m[1]}{hooks.path}", text)
    local, revs = re.subn(r"(?m)^(\s*rev: )\S+$", lambda m: f"{m[1]}{hooks.commit}", local)
    assert replaced == revs == 1, text
    root = new_project(tmp_path / "project", local, hooks.env)
    stage(root, {"train.py": FIXABLE}, hooks.env)
    proc = commit(root, hooks.env)
    assert proc.returncode == 1, proc.stdout
    assert status_line(proc.stdout, "fixer (fix)").endswith("Failed")
    assert "- files were modified by this hook" in proc.stdout
    assert (root / "train.py").read_bytes() == FIXABLE_FIXED
    assert commits(root, hooks.env) == 1


def test_validate_config_rejects_a_broken_pre_commit_snippet(tmp_path: Path) -> None:
    env = offline_environment(tmp_path, tmp_path)
    broken = tmp_path / "broken.yaml"
    broken.write_text(snippet("pre-commit").replace("rev:", "revision:"), encoding="utf-8")
    checked = pre_commit("validate-config", str(broken), cwd=tmp_path, env=env)
    assert checked.returncode == 1, checked.stdout
    assert "rev" in checked.stdout
