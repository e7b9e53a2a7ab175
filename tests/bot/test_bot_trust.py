"""The bot's trust boundary: everything a pull request chooses is data, and each attempt to
make it more is refused with one clear line. Forged artifacts, paths that climb out or are
absolute, symbolic links out of the checkout, a file name that reads as an option, a head that
moved, a request from someone without write access, a branch under ``.github/``.

(Also held elsewhere: an artifact naming a file outside the pull request, an oversized one and
one for a stale head, ``test_bot_flow.py``; changes under ``.github/`` never pushed, the same;
field-by-field checks of the artifact, ``test_bot_units.py``.)
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from fakehub import git
from test_bot_flow import _tamper, analyze, autofix, comment_event, publish, writes
from world import BASE, LEGACY, NEW_STEP, World, bot_env, fixer_bot

from fixer.bot import artifact
from fixer.bot import autofix as bot
from fixer.bot.artifact import ArtifactError
from fixer.bot.github import GitHub, Settings


def one_line(stderr: str, needle: str) -> str:
    """The single line of ``stderr`` holding ``needle``."""
    (line,) = [line for line in stderr.splitlines() if needle in line]
    return line


# ------------------------------------------------------------------ forged artifacts


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"[" * 100_000, "is nested too deeply"),
        (b'{"version": 1, "a": ' + b"[" * 50_000 + b"]" * 50_000 + b"}", "nested too deeply"),
        (b"\xff\xfe{}", "is not JSON"),
        (b"[]", "is not a version 1 results document"),
    ],
)
def test_a_forged_artifact_is_refused_not_a_traceback(data: bytes, reason: str) -> None:
    with pytest.raises(ArtifactError, match=reason):
        artifact.parse(data)


def test_an_exit_status_fixer_never_gives_is_refused() -> None:
    document = json.loads((Path(__file__).parent / "data" / "fixer-bot.json").read_text())
    document["exit_status"] = 7
    with pytest.raises(ArtifactError, match="`exit_status` is not 0, 1 or 2"):
        artifact.parse(json.dumps(document).encode())


@pytest.mark.parametrize(
    ("tamper", "line"),
    [
        (
            lambda d: d["findings"][0].update(path="../train.py"),
            "refused: findings[0]: `path` is not a relative path inside the repository",
        ),
        (
            lambda d: d["fixes"][0].update(path="/etc/passwd"),
            "refused: fixes[0]: `path` is not a relative path inside the repository",
        ),
        (
            lambda d: d.update(patch="--- a/legacy.py\n+++ b/legacy.py\n@@ -1 +1 @@\n-a\n+b\n"),
            "refused: the artifact names 'legacy.py', not a file of pull request #40",
        ),
        (
            lambda d: d.update(head_sha="f" * 40),
            "refused: the artifact is for ffffffffffff",
        ),
        (
            lambda d: d.update(findings={"0": 1}),
            "refused: fixer-bot.json: `findings` is not a list",
        ),
    ],
)
def test_publish_refuses_a_forged_artifact_in_one_line(
    world: World, tamper: Any, line: str
) -> None:
    pull = world.open_pull(40, {"steps.py": NEW_STEP}, fork=True, branch="p40")
    results, _, _ = analyze(world, pull)
    _tamper(results, tamper)
    done = publish(world, world.head(pull), results)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("fixer bot: " + line)
    assert writes(world) == []


def test_publish_refuses_a_deeply_nested_artifact(world: World) -> None:
    pull = world.open_pull(41, {"steps.py": NEW_STEP}, fork=True, branch="p41")
    results = world.root / "forged"
    results.mkdir()
    (results / "fixer-bot.json").write_bytes(b"[" * 200_000)
    done = publish(world, world.head(pull), results)
    assert done.returncode == 2
    assert done.stderr == "fixer bot: refused: fixer-bot.json is nested too deeply\n"
    assert world.fake.requests == []


# ------------------------------------------------------------------ symbolic links


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A file outside every checkout that holds a fixable step (so fixer would print it)."""
    outside = tmp_path / "outside"
    outside.mkdir()
    path = outside / "secret_step.py"
    path.write_text(NEW_STEP.replace("0.05", "0.0123456789"), encoding="utf-8")
    return path


def test_analyze_refuses_a_link_to_a_file_outside_the_checkout(world: World, secret: Path) -> None:
    pull = world.open_pull(
        42, {"steps.py": NEW_STEP}, fork=True, branch="p42", links={"linked.py": str(secret)}
    )
    checkout = world.checkout(pull)
    env = bot_env(world.fake, {}, world.root)
    out = world.root / "results"
    args = ["analyze", "--base", world.base_sha(), "--output", str(out)]
    done = fixer_bot(args, env, checkout)
    assert done.returncode == 2
    assert done.stderr == (
        f"fixer bot: error: refused: 'linked.py' is a symbolic link to '{secret}', outside the "
        "checkout; fixer reads nothing through it\n"
    )
    assert "0.0123456789" not in done.stdout + done.stderr
    assert not out.exists()


def test_analyze_refuses_a_link_to_a_folder_outside_the_checkout(
    world: World, secret: Path
) -> None:
    pull = world.open_pull(
        43, {"steps.py": NEW_STEP}, fork=True, branch="p43", links={"vendor": str(secret.parent)}
    )
    checkout = world.checkout(pull)
    done = fixer_bot(
        ["analyze", "--base", world.base_sha()], bot_env(world.fake, {}, world.root), checkout
    )
    assert done.returncode == 2
    assert "refused: 'vendor' is a symbolic link to" in one_line(done.stderr, "vendor")


def test_analyze_reads_links_that_stay_inside(world: World) -> None:
    """A link to another file of the checkout, or to a file fixer never reads, is fine."""
    pull = world.open_pull(
        44,
        {"steps.py": NEW_STEP},
        fork=True,
        branch="p44",
        links={"again.py": "steps.py", "data.csv": "/etc/hostname"},
    )
    _, annotations, _ = analyze(world, pull)
    assert "file=again.py" in annotations and "file=steps.py" in annotations


def test_autofix_never_writes_through_a_link(world: World, secret: Path) -> None:
    """A link out of the checkout and a link to another file of it are both left out; the
    regular file is fixed and pushed; the link's target is not touched, nor printed."""
    before = secret.read_bytes()
    pull = world.open_pull(
        45,
        {"steps.py": NEW_STEP},
        fork=False,
        branch="p45",
        links={"linked.py": str(secret), "alias.py": "legacy.py"},
    )
    head = world.head(pull)
    done = autofix(world, pull, comment_event(45, "maintainer"))
    assert done.returncode == 0, done.stderr
    assert one_line(done.stderr, "linked.py") == "fixer bot: left out linked.py: a symbolic link"
    assert one_line(done.stderr, "alias.py") == "fixer bot: left out alias.py: a symbolic link"
    assert secret.read_bytes() == before
    new_head = world.head(pull)
    assert git(world.base, "diff", "--name-only", head, new_head).split() == ["steps.py"]
    assert git(world.base, "show", f"{new_head}:legacy.py") == LEGACY
    body = world.fake.issue_comments[-1]["body"]
    assert "left out: `alias.py`, `linked.py`" in body
    assert "0.0123456789" not in body


def test_a_file_name_that_reads_as_an_option_stays_a_name(world: World) -> None:
    """Without ``--`` before the names, fixer would take this one as ``--output-file`` and
    write its report to an absolute path outside the checkout."""
    target = world.root / "pwned.py"
    name = f"--output-file={target}"
    pull = world.open_pull(46, {name: NEW_STEP}, fork=False, branch="p46")
    head = world.head(pull)
    done = autofix(world, pull, comment_event(46, "maintainer"))
    assert done.returncode == 0, done.stderr
    assert not target.exists()
    new_head = world.head(pull)
    assert git(world.base, "diff", "--name-only", head, new_head).split() == [name]


# ------------------------------------------------------------------ heads that move


class RacingGitHub(GitHub):
    """GitHub as the bot sees it, while someone pushes to the branch after the bot has
    checked the head (between the files list and the commit)."""

    def __init__(self, world: World, pull: Any, settings: Settings) -> None:
        super().__init__(settings)
        self.world = world
        self.racing = pull

    def pull_files(self, number: int) -> list[dict[str, Any]]:
        files = super().pull_files(number)
        self.pushed = self.world.push(self.racing, {"notes.txt": "pushed meanwhile\n"})
        return files


def _github(world: World) -> Settings:
    return Settings("base-token", world.fake.url, f"{world.fake.url}/graphql", BASE)


def test_a_head_that_moves_while_autofix_works_gets_nothing_pushed(world: World) -> None:
    pull = world.open_pull(47, {"steps.py": NEW_STEP}, fork=False, branch="p47")
    head = world.head(pull)
    checkout = world.checkout(pull, "race")
    github = RacingGitHub(world, pull, _github(world))
    err = io.StringIO()
    status = bot.autofix(
        github, "issue_comment", comment_event(47, "maintainer"), checkout, bot.Options(), err
    )
    assert status == 2
    assert err.getvalue() == (
        f"fixer bot: refused: the branch moved on from {head} to {github.pushed} while fixer "
        "worked; nothing was pushed\n"
    )
    assert world.head(pull) == github.pushed
    assert world.fake.issue_comments == []


# ------------------------------------------------------------------ who may ask


@pytest.mark.parametrize(
    ("login", "says"),
    [
        ("contributor", "read"),
        ("triager", "read"),  # triage is read access
        ("auditor", "read"),  # a custom role on top of read
        ("stranger", "none"),  # GitHub answers 404 for a login it does not know
    ],
)
def test_an_autofix_asked_without_write_access_is_skipped(
    world: World, login: str, says: str
) -> None:
    pull = world.open_pull(48, {"steps.py": NEW_STEP}, fork=False, branch="p48")
    done = autofix(world, pull, comment_event(48, login))
    assert done.returncode == 0
    assert done.stderr == (
        f"fixer bot: skipped: {login} has no write access to this repository "
        f"(GitHub says: {says})\n"
    )
    assert writes(world) == []
    asked = [p for m, p, _ in world.fake.requests if "/permission" in p]
    assert asked == [f"/repos/{BASE}/collaborators/{login}/permission"]


@pytest.mark.parametrize("login", ["lead", "releaser"])  # maintain; a custom role on write
def test_maintain_and_custom_roles_on_write_may_ask(world: World, login: str) -> None:
    pull = world.open_pull(49, {"steps.py": NEW_STEP}, fork=False, branch="p49")
    head = world.head(pull)
    done = autofix(world, pull, comment_event(49, login))
    assert done.returncode == 0, done.stderr
    assert world.head(pull) != head


def test_the_fake_answers_the_permission_check_as_githubs_schema_says(world: World) -> None:
    """The fake validates its own answer; an answer missing what the schema requires is a
    violation (and the world fixture fails the test on any violation)."""
    status, data, _ = world.fake._permission(
        "GET", f"/repos/{BASE}/collaborators/lead/permission", "lead"
    )
    assert status == 200
    assert (data["permission"], data["role_name"]) == ("write", "maintain")
    assert world.fake.violations == []
    world.fake._collaborator = lambda login, role: {"login": login}  # type: ignore[method-assign]
    world.fake._permission("GET", f"/repos/{BASE}/collaborators/lead/permission", "lead")
    assert len(world.fake.violations) == 1 and "answer to GET" in world.fake.violations[0]
    world.fake.violations.clear()


# ------------------------------------------------------------------ branches under .github/


class DotGithubBranch(GitHub):
    """GitHub answering that the pull request's head branch is under ``.github/`` (git itself
    refuses such a name, so this is what a forged or odd answer would look like)."""

    def pull(self, number: int) -> dict[str, Any]:
        data = super().pull(number)
        data["head"]["ref"] = ".github/workflows"
        return data


def test_autofix_refuses_to_push_to_a_branch_under_dot_github(world: World) -> None:
    pull = world.open_pull(50, {"steps.py": NEW_STEP}, fork=False, branch="p50")
    head = world.head(pull)
    checkout = world.checkout(pull, "dotgithub")
    err = io.StringIO()
    status = bot.autofix(
        DotGithubBranch(_github(world)),
        "issue_comment",
        comment_event(50, "maintainer"),
        checkout,
        bot.Options(),
        err,
    )
    assert status == 0
    assert err.getvalue() == (
        "fixer bot: refused to push to .github/workflows, a branch under .github/; "
        "commented with the patch\n"
    )
    assert world.head(pull) == head
    assert not any(p == "/graphql" for _, p in writes(world))
    body = world.fake.issue_comments[-1]["body"]
    assert "fixer does not push to the branch `.github/workflows`" in body
    assert "+++ b/steps.py" in body
