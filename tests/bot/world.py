"""Real git repositories for the bot's tests: a base repository, a fork, pull request branches,
and a checkout of ``refs/pull/N/head`` as the analyze job makes one; plus a runner for the
bot's commands against the fake GitHub."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fakehub import FakeGitHub, Pull, Token, git

BASE = "acme/models"
FORK = "contributor/models"
BOT = "github-actions[bot]"

TRAIN = """\
\"\"\"Training for the regression model.\"\"\"

import tensorflow as tf

model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
optimizer = tf.keras.optimizers.Adam(0.01)


def loss_of(x, y):
    return tf.reduce_mean((model(x) - y) ** 2)


@tf.function
def train_step(x, y):
    with tf.GradientTape() as tape:
        loss = loss_of(x, y)
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss
"""

LEGACY = """\
import tensorflow as tf

model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
VERSION = 1


def describe():
    return f"legacy model, version {VERSION}"


@tf.function
def old_step(x):
    opt = tf.keras.optimizers.SGD(0.1)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(model(x))
    grads = tape.gradient(loss, model.trainable_variables)
    opt.apply_gradients(zip(grads, model.trainable_variables))
"""

NEW_STEP = """\
import tensorflow as tf

model = tf.keras.Sequential([tf.keras.layers.Dense(1)])


@tf.function
def train_step(x, y):
    optimizer = tf.keras.optimizers.Adam(learning_rate=0.05)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean((model(x) - y) ** 2)
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss
"""

ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
    "HOME": "/nonexistent",
    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
}


def commit(
    repo: Path, files: dict[str, str], message: str, links: dict[str, str] | None = None
) -> str:
    """One commit of ``files`` (name -> text) and symbolic ``links`` (name -> target)."""
    for name, text in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        git(repo, "add", "--", name, env=ENV)
    for name, target in (links or {}).items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.symlink_to(target)
        git(repo, "add", "--", name, env=ENV)
    git(repo, "commit", "-q", "-m", message, env=ENV)
    return git(repo, "rev-parse", "HEAD").strip()


@dataclass
class World:
    root: Path
    fake: FakeGitHub

    @property
    def base(self) -> Path:
        return self.fake.repos[BASE]

    @property
    def fork(self) -> Path:
        return self.fake.repos[FORK]

    def open_pull(
        self,
        number: int,
        files: dict[str, str],
        *,
        fork: bool,
        branch: str,
        links: dict[str, str] | None = None,
        **options: Any,
    ) -> Pull:
        """A branch with one commit changing ``files`` (and adding symbolic ``links``), in the
        fork or the base repository, and an open pull request from it."""
        repo = self.fork if fork else self.base
        git(repo, "checkout", "-q", "-b", branch, "main", env=ENV)
        commit(repo, files, f"change for #{number}", links)
        git(repo, "checkout", "-q", "main", env=ENV)
        pull = Pull(number, FORK if fork else BASE, branch, **options)
        self.fake.pulls[number] = pull
        self.fake.sync_pull_ref(pull)
        return pull

    def push(self, pull: Pull, files: dict[str, str], message: str = "more") -> str:
        """Another commit on the pull request's branch."""
        repo = self.fake.repos[pull.head_repo]
        git(repo, "checkout", "-q", pull.head_ref, env=ENV)
        sha = commit(repo, files, message)
        git(repo, "checkout", "-q", "main", env=ENV)
        self.fake.sync_pull_ref(pull)
        return sha

    def checkout(self, pull: Pull, name: str = "checkout") -> Path:
        """What actions/checkout makes of the pull request's head, with the base's history."""
        path = self.root / name
        if path.exists():
            git(path, "fetch", "-q", "origin", f"+refs/pull/{pull.number}/head:refs/pr", env=ENV)
        else:
            git(self.root, "clone", "-q", str(self.base), str(path), env=ENV)
            git(path, "fetch", "-q", "origin", f"refs/pull/{pull.number}/head:refs/pr", env=ENV)
        git(path, "checkout", "-q", "--detach", "refs/pr", env=ENV)
        return path

    def head(self, pull: Pull) -> str:
        return self.fake.head_sha(pull)

    def base_sha(self) -> str:
        return git(self.base, "rev-parse", "main").strip()


def make_world(root: Path) -> World:
    base = root / "base"
    base.mkdir()
    git(base, "init", "-q", "-b", "main", env=ENV)
    commit(base, {"train.py": TRAIN, "legacy.py": LEGACY, "README.md": "models\n"}, "initial")
    fork = root / "fork"
    git(root, "clone", "-q", str(base), str(fork), env=ENV)
    git(fork, "checkout", "-q", "main", env=ENV)
    fake = FakeGitHub(repos={BASE: base, FORK: fork}, base=BASE)
    fake.tokens = {
        "base-token": Token(BOT, {BASE}),
        "fork-token": Token(BOT, set()),
    }
    fake.permissions = {
        "maintainer": "write",
        "contributor": "read",
        "admin": "admin",
        "lead": "maintain",
        "triager": "triage",
        "releaser": "release-manager",
        "auditor": "security-auditor",
    }
    fake.custom_roles = {"release-manager": "write", "security-auditor": "read"}
    return World(root, fake)


def bot_env(fake: FakeGitHub, event: dict[str, Any], root: Path, **more: str) -> dict[str, str]:
    """The environment a workflow step sees, pointed at the fake."""
    event_path = root / f"event-{len(fake.requests)}.json"
    event_path.write_text(json.dumps(event), encoding="utf-8")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(root),
        "GITHUB_API_URL": fake.url,
        "GITHUB_GRAPHQL_URL": f"{fake.url}/graphql",
        "GITHUB_REPOSITORY": BASE,
        "GITHUB_EVENT_PATH": str(event_path),
        "GITHUB_TOKEN": "base-token",
        **{k: v for k, v in ENV.items() if k != "PATH" and k != "HOME"},
    }
    if "PYTHONPATH" in os.environ:  # the fixer under test, when it is not the installed one
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    env.update(more)
    return env


def fixer_bot(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fixer", "bot", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def workflow_run_event(head_sha: str, run_id: int = 7) -> dict[str, Any]:
    """A workflow_run event: for a fork, ``pull_requests`` is empty, as on GitHub."""
    return {
        "action": "completed",
        "workflow_run": {
            "id": run_id,
            "name": "fixer analyze",
            "event": "pull_request",
            "conclusion": "failure",
            "head_sha": head_sha,
            "pull_requests": [],
        },
    }
