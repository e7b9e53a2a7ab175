"""The bot end to end against the fake GitHub, over real git repositories: analyze in a checkout
of ``refs/pull/N/head``, publish from the artifact, autofix on request."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

from fakehub import Pull, git
from world import (
    BASE,
    LEGACY,
    NEW_STEP,
    TRAIN,
    World,
    bot_env,
    fixer_bot,
    workflow_run_event,
)

from fixer.bot.markdown import read_marker


def analyze(world: World, pull: Pull, name: str = "results") -> tuple[Path, str, str]:
    """Runs ``fixer bot analyze`` as the analyze job does; returns the artifact folder, the
    annotations printed and the job summary."""
    checkout = world.checkout(pull)
    summary = world.root / f"{name}-summary.md"
    env = bot_env(world.fake, {}, world.root, GITHUB_STEP_SUMMARY=str(summary))
    del env["GITHUB_TOKEN"]  # the analyze job has none
    out = world.root / name
    args = ["analyze", "--base", world.base_sha(), "--head-sha", world.head(pull)]
    done = fixer_bot([*args, "--output", str(out)], env, checkout)
    assert done.returncode in (0, 1), done.stderr
    return out, done.stdout, summary.read_text(encoding="utf-8") if summary.exists() else ""


def publish(
    world: World, head_sha: str, results: Path, *options: str, token: str = "base-token"
) -> subprocess.CompletedProcess[str]:
    env = bot_env(world.fake, workflow_run_event(head_sha), world.root, GITHUB_TOKEN=token)
    return fixer_bot(["publish", "--artifact", str(results), *options], env, world.root)


def comment_event(number: int, login: str, body: str = "/fixer fix", kind: str = "User") -> Any:
    user = {"login": login, "type": kind}
    return {
        "action": "created",
        "issue": {"number": number, "pull_request": {"url": "x"}},
        "comment": {"body": body, "user": user},
        "sender": user,
    }


def autofix(world: World, pull: Pull, event: Any, name: str = "autofix") -> Any:
    checkout = world.checkout(pull, name)
    env = bot_env(world.fake, event, world.root, GITHUB_EVENT_NAME="issue_comment")
    return fixer_bot(["autofix", "--source", str(checkout)], env, world.root)


def fixed_by_fixer(text: str, tmp: Path) -> str:
    path = tmp / "expected.py"
    path.write_text(text, encoding="utf-8")
    subprocess.run([sys.executable, "-m", "fixer", "--write", str(path)], capture_output=True)
    return path.read_text(encoding="utf-8")


def writes(world: World) -> list[tuple[str, str]]:
    return [(m, p) for m, p, _ in world.fake.requests if m != "GET"]


# ------------------------------------------------------------------ the fork, end to end


def test_a_fork_pull_request_end_to_end(world: World) -> None:
    """A fork adds a whole training step: annotations and a summary from analyze, one review
    with a suggestion covering the lines of the fix, one autofix commit on the fork's branch
    when a maintainer asks, and the comment marked outdated once the finding is gone."""
    pull = world.open_pull(
        1, {"steps.py": NEW_STEP}, fork=True, branch="new-step", maintainer_can_modify=True
    )
    head = world.head(pull)
    results, annotations, summary = analyze(world, pull)
    assert annotations.startswith("::error file=steps.py,line=8,col=17,")
    assert "| TFO001 | 1 |" in summary
    assert "<details><summary>The safe fixes, as a diff</summary>" in summary
    assert {p.name for p in results.iterdir()} >= {"fixer-bot.json", "fixer.sarif", "fixer.patch"}

    done = publish(world, head, results)
    assert done.returncode == 0, done.stderr
    (review,) = world.fake.reviews
    assert review["commit_id"] == head
    (comment,) = world.fake.review_comments
    assert (comment["path"], comment["start_line"], comment["line"]) == ("steps.py", 6, 8)
    assert (
        "```suggestion\noptimizer = tf.keras.optimizers.Adam(learning_rate=0.05)\n"
        in (comment["body"])
    )
    assert read_marker(comment["body"]) == (
        "finding",
        [json.loads((results / "fixer-bot.json").read_text())["findings"][0]["fingerprint"]],
    )

    done = autofix(world, pull, comment_event(1, "maintainer"))
    assert done.returncode == 0, done.stderr
    new_head = world.head(pull)
    assert git(world.fork, "rev-parse", f"{new_head}~1").strip() == head  # exactly one commit
    message = git(world.fork, "log", "-1", "--format=%B", new_head)
    assert f"Fixer-Autofix: {head}" in message
    fixed = git(world.fork, "show", f"{new_head}:steps.py")
    assert fixed == fixed_by_fixer(NEW_STEP, world.root)
    assert git(world.fork, "diff", "--name-only", head, new_head).split() == ["steps.py"]
    assert read_marker(world.fake.issue_comments[-1]["body"]) == ("autofix", [head])

    # The next analysis finds nothing: the suggestion's comment is marked outdated.
    results2, annotations2, _ = analyze(world, pull, "results2")
    assert annotations2 == ""
    done = publish(world, new_head, results2)
    assert done.returncode == 0, done.stderr
    assert len(world.fake.reviews) == 1
    assert world.fake.review_comments[0]["body"].startswith("Outdated: fixer no longer reports")
    assert read_marker(world.fake.review_comments[0]["body"])[0] == "outdated"  # type: ignore[index]


def test_a_rerun_on_the_same_head_posts_nothing_new(world: World) -> None:
    """Comments and reviews are read page by page (one item a page here), so the markers on
    later pages are found too."""
    world.fake.max_per_page = 1
    pull = world.open_pull(
        2,
        {"steps.py": NEW_STEP, "legacy.py": LEGACY.replace("VERSION = 1", "VERSION = 2")},
        fork=False,
        branch="two-files",
    )
    results, _, _ = analyze(world, pull)
    assert publish(world, world.head(pull), results).returncode == 0
    before = (len(world.fake.reviews), len(world.fake.review_comments))
    assert before == (1, 1)
    done = publish(world, world.head(pull), results)
    assert done.returncode == 0, done.stderr
    assert "nothing new to post" in done.stderr
    assert (len(world.fake.reviews), len(world.fake.review_comments)) == before
    pages = [p for m, p, _ in world.fake.requests if p.endswith("/pulls/2/comments")]
    assert len(pages) >= 2


# ------------------------------------------------------------------ where comments may go


def test_a_suggestion_spanning_two_hunks_falls_back_to_a_diff_comment(world: World) -> None:
    """Editing one line of an existing step (and another line far above it): the fix inserts
    above the def, in the first hunk, and edits the step, in the second. GitHub would refuse a
    suggestion over both (the fake does, with 422); the bot comments with the diff instead."""
    edited = TRAIN.replace("** 2)", "** 2)  # squared error").replace(
        "    optimizer.apply_gradients(", "    tf.keras.optimizers.SGD(0.1).apply_gradients("
    )
    pull = world.open_pull(3, {"train.py": edited}, fork=False, branch="inline")
    results, _, _ = analyze(world, pull)
    fix = json.loads((results / "fixer-bot.json").read_text())["fixes"][0]
    assert (fix["first_line"], fix["last_line"]) == (13, 18)
    assert publish(world, world.head(pull), results).returncode == 0
    (comment,) = world.fake.review_comments
    assert (comment["line"], comment["start_line"]) == (18, None)
    assert "```diff\n--- a/train.py\n+++ b/train.py\n" in comment["body"]
    assert "```suggestion" not in comment["body"]

    # What the bot avoided: the same comment as a suggestion over both hunks.
    status, answer = post_review(
        world,
        3,
        [
            {
                "path": "train.py",
                "start_line": 13,
                "line": 18,
                "side": "RIGHT",
                "start_side": "RIGHT",
                "body": "x",
            }
        ],
    )
    assert status == 422
    assert "same hunk" in answer["errors"][0]
    status, answer = post_review(
        world, 3, [{"path": "train.py", "line": 5, "body": "x", "side": "RIGHT"}]
    )
    assert (status, answer["errors"]) == (422, ["Line could not be resolved"])
    status, answer = post_review(
        world, 3, [{"path": "train.py", "start_line": 19, "line": 18, "side": "RIGHT", "body": "x"}]
    )
    assert (status, answer["errors"]) == (422, ["start_line must precede the end line."])


def test_editing_one_line_of_a_step_comments_the_diff_on_that_line(world: World) -> None:
    """The fix also inserts above the def, outside the only hunk: no suggestion."""
    edited = TRAIN.replace(
        "    optimizer.apply_gradients(", "    tf.keras.optimizers.SGD(0.1).apply_gradients("
    )
    pull = world.open_pull(19, {"train.py": edited}, fork=True, branch="one-line")
    results, annotations, _ = analyze(world, pull)
    assert annotations.startswith("::error file=train.py,line=18,")
    assert publish(world, world.head(pull), results).returncode == 0
    (comment,) = world.fake.review_comments
    assert (comment["line"], comment["start_line"]) == (18, None)
    assert "The fix reaches lines outside this pull request's diff:" in comment["body"]
    assert "+train_step_optimizer = tf.keras.optimizers.SGD(0.1)\n" in comment["body"]


def post_review(world: World, number: int, comments: list[Any]) -> tuple[int, Any]:
    body = {
        "commit_id": world.head(world.fake.pulls[number]),
        "event": "COMMENT",
        "body": "b",
        "comments": comments,
    }
    request = urllib.request.Request(
        f"{world.fake.url}/repos/{BASE}/pulls/{number}/reviews",
        json.dumps(body).encode(),
        {"Authorization": "Bearer base-token", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_findings_outside_the_changed_lines_go_in_the_review_body(world: World) -> None:
    pull = world.open_pull(
        4, {"legacy.py": LEGACY.replace("VERSION = 1", "VERSION = 2")}, fork=False, branch="bump"
    )
    results, _, _ = analyze(world, pull)
    assert publish(world, world.head(pull), results).returncode == 0
    assert world.fake.review_comments == []
    (review,) = world.fake.reviews
    assert "Outside the lines this pull request changes:" in review["body"]
    assert "- `legacy.py` line 13: **TFO001**" in review["body"]
    assert read_marker(review["body"])[0] == "review"  # type: ignore[index]


def test_at_most_thirty_inline_comments_the_rest_in_the_body(world: World) -> None:
    steps = "import tensorflow as tf\n\n" + "".join(
        f"\n@tf.function\ndef step_{i}(x):\n    opt = tf.keras.optimizers.SGD(0.1)\n"
        f"    return opt.iterations + x\n\n"
        for i in range(33)
    )
    pull = world.open_pull(5, {"many.py": steps}, fork=False, branch="many")
    results, _, _ = analyze(world, pull)
    assert publish(world, world.head(pull), results).returncode == 0
    assert len(world.fake.review_comments) == 30
    (review,) = world.fake.reviews
    assert review["body"].count("- `many.py` line") == 3
    assert len(read_marker(review["body"])[1]) == 33  # type: ignore[index]


# ------------------------------------------------------------------ untrusted artifacts


def _tamper(results: Path, change: Any) -> None:
    path = results / "fixer-bot.json"
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))


def test_an_artifact_naming_a_path_outside_the_pull_request_is_refused(world: World) -> None:
    pull = world.open_pull(6, {"steps.py": NEW_STEP}, fork=True, branch="p6")
    results, _, _ = analyze(world, pull)

    def elsewhere(document: Any) -> None:
        document["findings"][0]["path"] = "legacy.py"

    _tamper(results, elsewhere)
    done = publish(world, world.head(pull), results)
    assert done.returncode == 2
    assert "refused: the artifact names 'legacy.py', not a file of pull request #6" in done.stderr
    assert writes(world) == []


def test_an_oversized_artifact_is_refused(world: World) -> None:
    pull = world.open_pull(7, {"steps.py": NEW_STEP}, fork=True, branch="p7")
    results, _, _ = analyze(world, pull)
    _tamper(results, lambda d: d.update(padding="x" * (5 * 1024 * 1024)))
    done = publish(world, world.head(pull), results)
    assert done.returncode == 2
    assert "refused: fixer-bot.json is larger than 4194304 bytes" in done.stderr
    assert world.fake.requests == []


def test_a_stale_head_is_refused(world: World) -> None:
    """The pull request moved on after the analysis: nothing is posted for the old head."""
    pull = world.open_pull(8, {"steps.py": NEW_STEP}, fork=True, branch="p8")
    results, _, _ = analyze(world, pull)
    old = world.head(pull)
    world.push(pull, {"notes.txt": "later\n"})
    done = publish(world, old, results)
    assert done.returncode == 0
    assert f"refused: no open pull request has head {old}" in done.stderr
    assert writes(world) == []
    # An artifact whose head is not the run's is refused outright.
    done = publish(world, world.head(pull), results)
    assert done.returncode == 2
    assert f"refused: the artifact is for {old}, the run for {world.head(pull)}" in done.stderr


def test_a_fork_token_gets_403_and_the_findings_become_annotations(world: World) -> None:
    pull = world.open_pull(9, {"steps.py": NEW_STEP}, fork=True, branch="p9")
    results, _, _ = analyze(world, pull)
    done = publish(world, world.head(pull), results, token="fork-token")
    assert done.returncode == 0
    assert "HTTP 403: Resource not accessible by integration" in done.stderr
    assert done.stdout.startswith("::warning file=steps.py,line=8,title=TFO001 ")
    assert "fork-token" not in done.stdout + done.stderr
    assert world.fake.reviews == []


# ------------------------------------------------------------------ inert text


def test_names_and_messages_with_workflow_syntax_stay_inert(world: World) -> None:
    """A file named with ``::``, ``%`` and backticks gives one annotation line with its
    properties escaped and a code span its backticks cannot close. A message (from a tampered
    artifact) with CR/LF, ``::`` commands, a fence and a forged marker stays on one line, cannot
    close the suggestion's fence, and cannot pose as a marker."""
    name = "x::set-env%0A`b``.py"
    pull = world.open_pull(10, {name: NEW_STEP}, fork=True, branch="odd")
    results, annotations, summary = analyze(world, pull)
    assert annotations.count("\n") == 1
    assert annotations.startswith("::error file=x%3A%3Aset-env%250A`b``.py,line=8,")
    assert "```x::set-env%0A`b``.py```:8:" in summary
    forged = "0" * 64
    evil = f"bad\r\n::set-output name=x::y %0A\n````\n<!-- fixer:finding {forged} -->\n"

    def message(document: Any) -> None:
        document["findings"][0]["message"] = evil
        document["fixes"][0]["replacement"] = "x = 1  # ````` five\n"

    _tamper(results, message)
    done = publish(world, world.head(pull), results)
    assert done.returncode == 0, done.stderr
    (comment,) = world.fake.review_comments
    assert comment["path"] == name
    header = comment["body"].split("\n")[0]
    assert header.endswith(
        "bad ::set-output name=x::y %0A ```` &lt;!-- fixer:finding " + forged + " --&gt;"
    )
    assert "``````suggestion\nx = 1  # ````` five\n``````" in comment["body"]
    assert read_marker(comment["body"]) == ("finding", [results_fingerprint(results)])
    # The same message as an annotation (the 403 fallback) is one escaped line.
    world.fake.reviews.clear()
    world.fake.review_comments.clear()
    done = publish(world, world.head(pull), results, token="fork-token")
    assert done.stdout.count("\n") == 1
    assert "bad%0D%0A::set-output name=x::y %250A%0A````%0A<!--" in done.stdout


def results_fingerprint(results: Path) -> str:
    return str(json.loads((results / "fixer-bot.json").read_text())["findings"][0]["fingerprint"])


# ------------------------------------------------------------------ autofix rules


def test_a_fork_without_maintainer_edits_gets_the_patch_as_a_comment(world: World) -> None:
    pull = world.open_pull(11, {"steps.py": NEW_STEP}, fork=True, branch="p11")
    head = world.head(pull)
    done = autofix(world, pull, comment_event(11, "maintainer"))
    assert done.returncode == 0, done.stderr
    assert world.head(pull) == head
    (comment,) = world.fake.issue_comments
    assert '"Allow edits by maintainers" is off' in comment["body"]
    assert "```diff\ndiff --git a/steps.py b/steps.py\n" in comment["body"]
    assert "git apply fixer.patch" in comment["body"]


def test_changes_under_dot_github_are_never_pushed(world: World) -> None:
    pull = world.open_pull(12, {".github/scripts/step.py": NEW_STEP}, fork=False, branch="ci")
    head = world.head(pull)
    done = autofix(world, pull, comment_event(12, "maintainer"))
    assert done.returncode == 0, done.stderr
    assert world.head(pull) == head
    assert not any(p == "/graphql" for _, p in writes(world))
    (comment,) = world.fake.issue_comments
    assert "fixer never changes files under `.github/`" in comment["body"]
    assert "+++ b/.github/scripts/step.py" in comment["body"]


def test_a_bot_sender_is_skipped(world: World) -> None:
    pull = world.open_pull(13, {"steps.py": NEW_STEP}, fork=False, branch="p13")
    done = autofix(world, pull, comment_event(13, "renovate[bot]", kind="Bot"))
    assert done.returncode == 0
    assert "skipped: the sender renovate[bot] is a bot" in done.stderr
    assert world.fake.requests == []


def test_someone_without_write_access_is_skipped(world: World) -> None:
    pull = world.open_pull(14, {"steps.py": NEW_STEP}, fork=False, branch="p14")
    done = autofix(world, pull, comment_event(14, "contributor"))
    assert "skipped: contributor has no write access" in done.stderr
    assert writes(world) == []


def test_one_autofix_per_head_and_never_on_its_own_commit(world: World) -> None:
    pull = world.open_pull(15, {"steps.py": NEW_STEP}, fork=False, branch="p15")
    head = world.head(pull)
    assert autofix(world, pull, comment_event(15, "maintainer")).returncode == 0
    pushed = world.head(pull)
    assert pushed != head
    done = autofix(world, pull, comment_event(15, "admin"), "again")
    assert f"skipped: the head commit {pushed[:12]} is fixer's own" in done.stderr
    assert world.head(pull) == pushed
    # A new head that still has nothing to fix gets one comment, then nothing.
    world.push(pull, {"notes.txt": "x\n"})
    assert autofix(world, pull, comment_event(15, "maintainer"), "third").returncode == 0
    count = len(world.fake.issue_comments)
    done = autofix(world, pull, comment_event(15, "maintainer"), "fourth")
    assert "skipped: already done for" in done.stderr
    assert len(world.fake.issue_comments) == count


def test_a_branch_that_moved_is_not_overwritten(world: World) -> None:
    """expectedHeadOid: the checkout is at the old head, the branch has moved."""
    pull = world.open_pull(16, {"steps.py": NEW_STEP}, fork=False, branch="p16")
    checkout = world.checkout(pull, "old")
    world.push(pull, {"notes.txt": "x\n"})
    env = bot_env(
        world.fake, comment_event(16, "maintainer"), world.root, GITHUB_EVENT_NAME="issue_comment"
    )
    done = fixer_bot(["autofix", "--source", str(checkout)], env, world.root)
    assert done.returncode == 2
    assert "refused: the checkout is at" in done.stderr


EAGER = """\
import tensorflow as tf

model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
loss_fn = tf.keras.losses.MeanSquaredError()
dataset = tf.data.Dataset.from_tensor_slices((tf.ones((8, 2)), tf.ones((8, 1)))).batch(4)

for epoch in range(3):
    for x, y in dataset:
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x))
        grads = tape.gradient(loss, model.trainable_variables)
        tf.keras.optimizers.Adam(1e-3).apply_gradients(zip(grads, model.trainable_variables))
"""


def test_unsafe_fixes_are_suggested_when_configured_and_labelled(world: World) -> None:
    pull = world.open_pull(17, {"eager.py": EAGER}, fork=True, branch="eager")
    results, _, _ = analyze(world, pull)
    done = publish(world, world.head(pull), results, "--suggest-unsafe")
    assert done.returncode == 0, done.stderr
    (comment,) = world.fake.review_comments
    assert "**Unsafe fix**" in comment["body"]
    assert "(unsafe: training results change, as intended)" in comment["body"]
    assert "```suggestion\noptimizer = tf.keras.optimizers.Adam(1e-3)\n" in comment["body"]
    # Autofix applies safe fixes only: nothing to push.
    done = autofix(world, pull, comment_event(17, "maintainer"))
    assert done.returncode == 0
    assert "fixer has no safe fix to apply" in world.fake.issue_comments[-1]["body"]


def test_the_autofix_label_asks_too(world: World) -> None:
    pull = world.open_pull(18, {"steps.py": NEW_STEP}, fork=False, branch="p18")
    head = world.head(pull)
    event = {
        "action": "labeled",
        "label": {"name": "fixer: autofix"},
        "pull_request": {"number": 18},
        "sender": {"login": "maintainer", "type": "User"},
    }
    checkout = world.checkout(pull, "label")
    env = bot_env(world.fake, event, world.root, GITHUB_EVENT_NAME="pull_request_target")
    done = fixer_bot(["autofix", "--source", str(checkout)], env, world.root)
    assert done.returncode == 0, done.stderr
    assert git(world.base, "rev-parse", f"{world.head(pull)}~1").strip() == head
    other = dict(event, label={"name": "bug"})
    env = bot_env(world.fake, other, world.root, GITHUB_EVENT_NAME="pull_request_target")
    done = fixer_bot(["autofix", "--source", str(checkout)], env, world.root)
    assert "skipped: not the `fixer: autofix` label being added" in done.stderr


def test_the_fake_checks_the_mutation_against_githubs_graphql_schema(world: World) -> None:
    """What the fake would answer a mutation without ``expectedHeadOid``, or with a field
    GitHub's schema does not have."""
    from fakehub import graphql_errors

    from fixer.bot.github import _CREATE_COMMIT

    good = {
        "input": {
            "branch": {"repositoryNameWithOwner": BASE, "branchName": "main"},
            "expectedHeadOid": "1" * 40,
            "message": {"headline": "h"},
            "fileChanges": {"additions": [{"path": "a.py", "contents": "eA=="}]},
        }
    }
    assert graphql_errors(_CREATE_COMMIT, good) == []
    missing = {"input": {k: v for k, v in good["input"].items() if k != "expectedHeadOid"}}
    assert "expectedHeadOid" in graphql_errors(_CREATE_COMMIT, missing)[0]
    wrong = {"input": {**good["input"], "fileChanges": {"added": []}}}
    assert "added" in graphql_errors(_CREATE_COMMIT, wrong)[0]
    assert graphql_errors(_CREATE_COMMIT.replace("oid url", "oid sha"), good) != []
