"""The hooks of .pre-commit-hooks.yaml, run by the real pre-commit on real commits, offline.

pre-commit installs a `language: python` hook by cloning the hook repository at `rev`, creating a
virtualenv and running `pip install .` in the clone. Here the hook repository is a temporary git
repository holding a commit of this checkout's files (uncommitted changes included), and pip finds
every distribution it needs, the hatchling build backend included, in a wheelhouse repacked from
the distributions installed in the test's own environment (`PIP_NO_INDEX`, `PIP_FIND_LINKS`). So
the tests need no network, and they check that the declared dependencies are enough to install
and run the hooks. PRE_COMMIT_HOME, pip's and virtualenv's caches and git's configuration are
private to the test run.

tests/test_ci_snippets.py shares this set-up: see `shared_hook_repository`.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
FIXABLE = (FIXTURES / "hoist_adam_in_train_step" / "input.py").read_bytes()
FIXABLE_FIXED = (FIXTURES / "hoist_adam_in_train_step" / "expected.py").read_bytes()
UNFIXABLE = (FIXTURES / "report_arg_reads_step_parameter" / "input.py").read_bytes()
FINDING = "train.py:12:17: TFO001 [fixable] optimizer `tf.keras.optimizers.Adam`"

# The temporary project's configuration: what pre-commit names under vendored/ is skipped only if
# the hooks pass --force-exclude (a path named on the command line is otherwise always processed).
PYPROJECT = '[tool.fixer]\nextend-exclude = ["vendored/"]\n'


# --- a wheelhouse from the installed distributions -----------------------------------------------


def requirement_closure(roots: Iterable[str]) -> dict[str, metadata.Distribution]:
    """The installed distributions that `roots` need here, following markers and extras."""
    installed: dict[str, metadata.Distribution] = {}
    for distribution in metadata.distributions():  # the first of a name is the one imported
        if distribution.metadata["Name"]:
            installed.setdefault(canonicalize_name(distribution.metadata["Name"]), distribution)
    found: dict[str, metadata.Distribution] = {}
    extras_seen: dict[str, set[str]] = {}
    pending: list[tuple[str, frozenset[str]]] = [(root, frozenset({""})) for root in roots]
    while pending:
        line, parent_extras = pending.pop()
        requirement = Requirement(line)
        marker = requirement.marker
        if marker is not None and not any(marker.evaluate({"extra": e}) for e in parent_extras):
            continue
        name = canonicalize_name(requirement.name)
        extras = set(requirement.extras)
        if name in found and extras <= extras_seen[name]:
            continue
        if name not in installed:
            pytest.fail(f"{line!r} is needed to install the hooks offline; install it here")
        distribution = installed[name]
        version = distribution.version
        if not requirement.specifier.contains(version, prereleases=True):
            pytest.fail(f"{line!r} is needed to install the hooks offline, but {version} is here")
        found[name] = distribution
        extras_seen[name] = extras_seen.get(name, set()) | extras
        wanted = frozenset({"", *extras_seen[name]})
        pending.extend((dependency, wanted) for dependency in distribution.requires or ())
    return found


# Written by the installer, not part of a wheel (RECORD is rewritten below).
INSTALLER_FILES = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}


def repack(distribution: metadata.Distribution, wheelhouse: Path) -> Path:
    """Rebuild the wheel `distribution` was installed from, out of the files its RECORD lists."""
    wheel_metadata = distribution.read_text("WHEEL")
    name = distribution.metadata["Name"]
    assert wheel_metadata, f"{name} was not installed from a wheel: no WHEEL file to repack"
    tags = [
        line.split(":", 1)[1].strip()
        for line in wheel_metadata.splitlines()
        if line.startswith("Tag:")
    ]
    tag_parts = [tag.split("-") for tag in tags]
    compressed = "-".join(
        ".".join(dict.fromkeys(parts[i] for parts in tag_parts)) for i in range(3)
    )
    version = distribution.version
    wheel_name = f"{re.sub(r'[-_.]+', '_', name)}-{version}-{compressed}.whl"
    files = [
        path
        for path in distribution.files or ()
        # Paths outside site-packages are console scripts, which pip recreates from
        # entry_points.txt; byte code is recompiled on install.
        if path.parts[0] != ".." and "__pycache__" not in path.parts
    ]
    dist_info = next(
        path.parts[0]
        for path in files
        if path.parts[0].endswith(".dist-info") and path.name == "METADATA"
    )
    record = io.StringIO()
    writer = csv.writer(record, lineterminator="\n")
    target = wheelhouse / wheel_name
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as wheel:
        for path in files:
            if path.parts[0] == dist_info and path.name in INSTALLER_FILES:
                continue
            source = Path(str(distribution.locate_file(path)))
            if not source.is_file():
                continue
            data = source.read_bytes()
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            writer.writerow([path.as_posix(), f"sha256={digest.decode()}", len(data)])
            wheel.writestr(path.as_posix(), data)
        writer.writerow([f"{dist_info}/RECORD", "", ""])
        wheel.writestr(f"{dist_info}/RECORD", record.getvalue())
    return target


def build_wheelhouse(project: Path, wheelhouse: Path) -> list[Path]:
    """Wheels of everything `pip install <project>` needs: build backend and dependencies."""
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    roots = [*pyproject["build-system"]["requires"], *pyproject["project"]["dependencies"]]
    wheelhouse.mkdir(parents=True, exist_ok=True)
    return [repack(d, wheelhouse) for d in requirement_closure(roots).values()]


# --- git, pre-commit and their environment -------------------------------------------------------


def offline_environment(home: Path, wheelhouse: Path) -> dict[str, str]:
    """The environment of every git and pre-commit subprocess: private, and pip offline."""
    # PYTHONPATH, say, would lend the hook's virtualenv packages that its install left out.
    inherited = ("GIT_", "PIP_", "PRE_COMMIT", "VIRTUALENV_", "PYTHON", "SKIP")
    env = {k: v for k, v in os.environ.items() if not k.startswith(inherited)}
    env.update(
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="fixer tests",
        GIT_AUTHOR_EMAIL="tests@fixer.invalid",
        GIT_COMMITTER_NAME="fixer tests",
        GIT_COMMITTER_EMAIL="tests@fixer.invalid",
        PRE_COMMIT_HOME=str(home / "pre-commit"),
        PRE_COMMIT_COLOR="never",
        PIP_CONFIG_FILE=os.devnull,  # no pip.conf: no index, constraints or find-links from here
        PIP_NO_INDEX="1",
        PIP_FIND_LINKS=str(wheelhouse),
        PIP_NO_CACHE_DIR="1",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        VIRTUALENV_NO_PERIODIC_UPDATE="1",  # else it may fetch newer seed wheels in the background
        VIRTUALENV_OVERRIDE_APP_DATA=str(home / "virtualenv"),
    )
    return env


def git(*args: str, cwd: Path, env: Mapping[str, str]) -> str:
    proc = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, f"git {' '.join(args)} failed:\n{proc.stdout}{proc.stderr}"
    return proc.stdout


def pre_commit(*args: str, cwd: Path, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )


def checkout_files() -> list[str]:
    """This checkout's files, as `git add -A` would stage them (uncommitted ones included)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    listing = git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=ROOT, env=env)
    return [path for path in listing.split("\0") if path and (ROOT / path).is_file()]


def snapshot(destination: Path, env: Mapping[str, str]) -> str:
    """A new repository at `destination` whose one commit holds this checkout; its hash."""
    if (ROOT / ".git").exists():
        for path in checkout_files():
            (destination / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / path, destination / path)
    else:  # not a git checkout (an unpacked sdist, say)
        ignore = shutil.ignore_patterns(".git", ".venv", ".*_cache", "__pycache__", "*.egg-info")
        shutil.copytree(ROOT, destination, ignore=ignore, dirs_exist_ok=True)
    git("init", "--quiet", cwd=destination, env=env)
    git("add", "--all", cwd=destination, env=env)
    git("commit", "--quiet", "--message", "snapshot", cwd=destination, env=env)
    return git("rev-parse", "HEAD", cwd=destination, env=env).strip()


@dataclass(frozen=True)
class HookRepository:
    """A commit of this checkout that pre-commit can install from, offline."""

    path: Path
    commit: str
    env: Mapping[str, str]

    def config(self, *hook_ids: str, args: str = "") -> str:
        """A .pre-commit-config.yaml using these hooks, with `args` (a YAML list) if given."""
        extra = f"        args: {args}\n" if args else ""
        hooks = "".join(f"      - id: {hook_id}\n{extra}" for hook_id in hook_ids)
        return f"repos:\n  - repo: {self.path}\n    rev: {self.commit}\n    hooks:\n{hooks}"


_built: dict[Path, HookRepository] = {}


def shared_hook_repository(base: Path) -> HookRepository:
    """Built once per pytest process under `base`, for both test modules that need it.

    The expensive part is pre-commit's own: a virtualenv with fixer and its dependencies
    pip-installed (about ten seconds). Every test repository names the same repository and
    commit, so pre-commit installs it once in the shared PRE_COMMIT_HOME and then reuses it.
    """
    if base in _built:
        return _built[base]
    home = base / "precommit-home"
    wheelhouse = home / "wheelhouse"
    env = offline_environment(home, wheelhouse)
    path = home / "fixer-hooks"
    path.mkdir(parents=True)
    hooks = HookRepository(path, snapshot(path, env), env)
    build_wheelhouse(path, wheelhouse)
    warm = home / "warm-up"
    warm.mkdir()
    git("init", "--quiet", cwd=warm, env=env)
    (warm / ".pre-commit-config.yaml").write_text(hooks.config("fixer", "fixer-fix"))
    installed = pre_commit("install-hooks", cwd=warm, env=env)
    assert installed.returncode == 0, installed.stdout
    _built[base] = hooks
    return hooks


@pytest.fixture(scope="module")
def hooks(tmp_path_factory: pytest.TempPathFactory) -> HookRepository:
    return shared_hook_repository(tmp_path_factory.getbasetemp())


def new_project(root: Path, config: str, env: Mapping[str, str]) -> Path:
    """A git repository with a first commit and pre-commit installed as its pre-commit hook."""
    root.mkdir(parents=True, exist_ok=True)
    git("init", "--quiet", cwd=root, env=env)
    (root / ".pre-commit-config.yaml").write_text(config)
    (root / "pyproject.toml").write_text(PYPROJECT)
    git("add", "--all", cwd=root, env=env)
    git("commit", "--quiet", "--message", "start", cwd=root, env=env)
    installed = pre_commit("install", cwd=root, env=env)
    assert installed.returncode == 0, installed.stdout
    return root


def stage(root: Path, files: Mapping[str, bytes], env: Mapping[str, str]) -> None:
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(content)
    git("add", *files, cwd=root, env=env)


def commit(root: Path, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    """`git commit`, which runs the installed hooks; stdout and stderr together."""
    return subprocess.run(
        ["git", "commit", "--message", "change"],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )


def commits(root: Path, env: Mapping[str, str]) -> int:
    return int(git("rev-list", "--count", "HEAD", cwd=root, env=env))


def status_line(output: str, name: str) -> str:
    """pre-commit's line for the hook called `name`: `name.....<status>`."""
    lines = [line for line in output.splitlines() if re.match(rf"{re.escape(name)}\.{{3,}}", line)]
    assert len(lines) == 1, output
    return lines[0]


# --- the tests -----------------------------------------------------------------------------------


def test_the_manifest_is_valid_and_both_hooks_force_exclude(tmp_path: Path) -> None:
    env = offline_environment(tmp_path, tmp_path)
    checked = pre_commit("validate-manifest", ".pre-commit-hooks.yaml", cwd=ROOT, env=env)
    assert checked.returncode == 0, checked.stdout
    manifest = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    # Users' configurations name these ids; `args:` there replaces the hook's args, not its entry.
    assert {hook["id"]: hook["entry"] for hook in manifest} == {
        "fixer": "fixer --force-exclude",
        "fixer-fix": "fixer --write --force-exclude",
    }


def test_report_hook_fails_a_commit_that_stages_a_finding(
    hooks: HookRepository, tmp_path: Path
) -> None:
    root = new_project(tmp_path / "project", hooks.config("fixer"), hooks.env)
    stage(root, {"train.py": FIXABLE}, hooks.env)
    proc = commit(root, hooks.env)
    assert proc.returncode == 1, proc.stdout
    assert status_line(proc.stdout, "fixer").endswith("Failed")
    assert "- hook id: fixer\n- exit code: 1\n" in proc.stdout
    assert FINDING in proc.stdout
    assert "files were modified by this hook" not in proc.stdout
    assert (root / "train.py").read_bytes() == FIXABLE
    assert commits(root, hooks.env) == 1


def test_fix_hook_rewrites_the_staged_file_and_the_fixed_file_commits(
    hooks: HookRepository, tmp_path: Path
) -> None:
    root = new_project(tmp_path / "project", hooks.config("fixer-fix"), hooks.env)
    stage(root, {"src/train.py": FIXABLE}, hooks.env)
    proc = commit(root, hooks.env)
    assert proc.returncode == 1, proc.stdout
    assert status_line(proc.stdout, "fixer (fix)").endswith("Failed")
    assert "- files were modified by this hook" in proc.stdout
    assert (root / "src" / "train.py").read_bytes() == FIXABLE_FIXED
    assert commits(root, hooks.env) == 1

    git("add", "src/train.py", cwd=root, env=hooks.env)
    again = commit(root, hooks.env)
    assert again.returncode == 0, again.stdout
    assert status_line(again.stdout, "fixer (fix)").endswith("Passed")
    assert commits(root, hooks.env) == 2


def test_fix_hook_fails_when_a_finding_cannot_be_fixed(
    hooks: HookRepository, tmp_path: Path
) -> None:
    root = new_project(tmp_path / "project", hooks.config("fixer-fix"), hooks.env)
    stage(root, {"train.py": UNFIXABLE}, hooks.env)
    proc = commit(root, hooks.env)
    assert proc.returncode == 1, proc.stdout
    assert status_line(proc.stdout, "fixer (fix)").endswith("Failed")
    assert "files were modified by this hook" not in proc.stdout
    assert "train.py:12:17: TFO001 [not fixable]" in proc.stdout
    assert (root / "train.py").read_bytes() == UNFIXABLE
    assert commits(root, hooks.env) == 1


def test_a_commit_without_python_files_skips_both_hooks(
    hooks: HookRepository, tmp_path: Path
) -> None:
    root = new_project(tmp_path / "project", hooks.config("fixer", "fixer-fix"), hooks.env)
    # Python source under another extension is not Python to pre-commit (`types_or: [python]`).
    stage(root, {"notes.md": b"# Notes\n", "train.py.txt": FIXABLE}, hooks.env)
    proc = commit(root, hooks.env)
    assert proc.returncode == 0, proc.stdout
    assert status_line(proc.stdout, "fixer").endswith("(no files to check)Skipped")
    assert status_line(proc.stdout, "fixer (fix)").endswith("(no files to check)Skipped")
    assert commits(root, hooks.env) == 2


def test_a_file_matched_by_extend_exclude_is_skipped_by_both_hooks(
    hooks: HookRepository, tmp_path: Path
) -> None:
    # A user's `args:` adds to the hooks' own options: --force-exclude stays.
    config = hooks.config("fixer", "fixer-fix", args="[--unsafe-fixes]")
    root = new_project(tmp_path / "project", config, hooks.env)
    stage(root, {"vendored/train.py": FIXABLE}, hooks.env)
    proc = commit(root, hooks.env)
    # pre-commit knows nothing of [tool.fixer]: it runs both hooks on the file, and fixer drops it.
    assert proc.returncode == 0, proc.stdout
    assert status_line(proc.stdout, "fixer").endswith("Passed")
    assert status_line(proc.stdout, "fixer (fix)").endswith("Passed")
    assert (root / "vendored" / "train.py").read_bytes() == FIXABLE
    assert commits(root, hooks.env) == 2


def test_fix_hook_rewrites_the_included_file_and_not_the_excluded_one(
    hooks: HookRepository, tmp_path: Path
) -> None:
    root = new_project(tmp_path / "project", hooks.config("fixer-fix"), hooks.env)
    stage(root, {"src/train.py": FIXABLE, "vendored/train.py": FIXABLE}, hooks.env)
    proc = commit(root, hooks.env)
    assert proc.returncode == 1, proc.stdout
    assert "- files were modified by this hook" in proc.stdout
    assert (root / "src" / "train.py").read_bytes() == FIXABLE_FIXED
    assert (root / "vendored" / "train.py").read_bytes() == FIXABLE


def test_fix_hook_rewrites_a_staged_notebook_in_its_own_layout(
    hooks: HookRepository, tmp_path: Path
) -> None:
    """pre-commit names notebooks to the hooks (`types_or: [python, jupyter]`): the fix hook
    rewrites the staged notebook's edited cell only, and the result commits."""
    from notebook_samples import colab

    root = new_project(tmp_path / "project", hooks.config("fixer", "fixer-fix"), hooks.env)
    original = colab()
    stage(root, {"train.ipynb": original}, hooks.env)
    proc = commit(root, hooks.env)
    assert proc.returncode == 1, proc.stdout
    assert status_line(proc.stdout, "fixer").endswith("Failed")
    assert "train.ipynb:cell 5:3:17: TFO001" in proc.stdout, proc.stdout
    assert "- files were modified by this hook" in proc.stdout
    fixed = (root / "train.ipynb").read_bytes()
    assert fixed != original
    assert json.loads(fixed)["metadata"] == json.loads(original)["metadata"]

    git("add", "train.ipynb", cwd=root, env=hooks.env)
    again = commit(root, hooks.env)
    assert again.returncode == 0, again.stdout
    assert commits(root, hooks.env) == 2
