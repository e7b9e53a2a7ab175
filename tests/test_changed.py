"""``changed_files``: the files that differ from a git revision, with the real git."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fixer.changed import ChangedFilesError, changed_files

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


@pytest.fixture(autouse=True)
def _isolated_git(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Fixed identities and dates; no user or system configuration; no repository above."""
    for variable in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY"):
        monkeypatch.delenv(variable, raising=False)
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "Fixer Test")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "fixer@example.com")
        monkeypatch.setenv(f"GIT_{role}_DATE", "2024-01-01T00:00:00Z")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "no-global-gitconfig"))
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.resolve()))


def git(repo: Path, *args: str) -> str:
    completed = subprocess.run(
        ["git", "-c", "init.defaultBranch=main", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    )
    return completed.stdout


def write(repo: Path, name: str, text: str = "x = 1\n") -> Path:
    path = repo / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository on ``main`` with one commit holding a.py, b.py and pkg/sub/c.py."""
    root = tmp_path.resolve() / "repo"
    root.mkdir()
    git(root, "init", "-q")
    write(root, "a.py")
    write(root, "b.py")
    write(root, "pkg/sub/c.py")
    write(root, ".gitignore", "ignored.py\n*.log\n")
    commit_all(root, "initial")
    return root


def names(repo: Path, paths: list[Path]) -> list[str]:
    assert all(path.is_absolute() for path in paths)
    return [path.relative_to(repo).as_posix() for path in paths]


def test_nothing_changed(repo: Path) -> None:
    assert changed_files("main", repo) == []
    assert changed_files("HEAD", repo) == []


def test_committed_on_a_branch_off_main(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    write(repo, "a.py", "x = 2\n")
    write(repo, "new.py")
    commit_all(repo, "feature work")
    write(repo, "pkg/sub/c.py", "x = 3\n")
    commit_all(repo, "more feature work")
    assert names(repo, changed_files("main", repo)) == ["a.py", "new.py", "pkg/sub/c.py"]
    assert changed_files("HEAD", repo) == []
    assert names(repo, changed_files("HEAD~1", repo)) == ["pkg/sub/c.py"]


def test_commits_on_main_after_the_branch_point_do_not_count(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    write(repo, "a.py", "x = 2\n")
    commit_all(repo, "feature work")
    git(repo, "checkout", "-q", "main")
    write(repo, "b.py", "x = 2\n")
    write(repo, "only_on_main.py")
    commit_all(repo, "main moves on")
    git(repo, "checkout", "-q", "feature")
    # Relative to the merge base, not to main's tip: b.py and only_on_main.py are not ours.
    assert names(repo, changed_files("main", repo)) == ["a.py"]


def test_staged_unstaged_and_untracked(repo: Path) -> None:
    write(repo, "a.py", "x = 2\n")
    git(repo, "add", "a.py")  # staged
    write(repo, "b.py", "x = 2\n")  # unstaged
    write(repo, "pkg/untracked.py")  # untracked
    write(repo, "staged_new.py")
    git(repo, "add", "staged_new.py")
    assert names(repo, changed_files("main", repo)) == [
        "a.py",
        "b.py",
        "pkg/untracked.py",
        "staged_new.py",
    ]


def test_staged_then_changed_again_is_listed_once(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    write(repo, "a.py", "x = 2\n")
    commit_all(repo, "feature work")
    write(repo, "a.py", "x = 3\n")
    git(repo, "add", "a.py")
    write(repo, "a.py", "x = 4\n")
    assert names(repo, changed_files("main", repo)) == ["a.py"]


def test_ignored_untracked_files_are_excluded(repo: Path) -> None:
    write(repo, "ignored.py")
    write(repo, "pkg/run.log")
    write(repo, "locally_excluded.py")
    (repo / ".git" / "info").mkdir(exist_ok=True)
    (repo / ".git" / "info" / "exclude").write_text("locally_excluded.py\n", encoding="utf-8")
    write(repo, "kept.py")
    assert names(repo, changed_files("main", repo)) == ["kept.py"]


def test_deleted_files_are_excluded(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    git(repo, "rm", "-q", "b.py")
    write(repo, "a.py", "x = 2\n")
    commit_all(repo, "delete b, change a")
    (repo / "a.py").unlink()  # changed in a commit, then deleted in the working tree
    git(repo, "rm", "-q", "pkg/sub/c.py")  # a staged deletion
    write(repo, "temporary.py")
    git(repo, "add", "temporary.py")
    (repo / "temporary.py").unlink()  # added to the index, then deleted
    assert changed_files("main", repo) == []


def test_a_rename_counts_as_the_new_path(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    git(repo, "mv", "a.py", "renamed.py")
    commit_all(repo, "committed rename")
    git(repo, "mv", "b.py", "pkg/moved.py")  # a staged rename
    git(repo, "config", "diff.renames", "true")
    assert names(repo, changed_files("main", repo)) == ["pkg/moved.py", "renamed.py"]


def test_paths_with_spaces_and_unicode(repo: Path) -> None:
    odd = ["dir with space/naïve ü.py", "ünïcode/日本語.py", 'quote"and\\back.py']
    if sys.platform != "win32":
        odd.append("new\nline.py")
    git(repo, "config", "core.quotePath", "true")
    for name in odd[:2]:
        write(repo, name)
    commit_all(repo, "odd names")
    git(repo, "branch", "-q", "base", "HEAD~1")
    for name in odd[2:]:
        write(repo, name)
    assert sorted(names(repo, changed_files("base", repo))) == sorted(odd)


def test_from_a_subdirectory(repo: Path) -> None:
    git(repo, "config", "diff.relative", "true")  # must not make paths relative to the cwd
    write(repo, "a.py", "x = 2\n")
    write(repo, "pkg/sub/c.py", "x = 2\n")
    write(repo, "top_untracked.py")
    write(repo, "pkg/sub/untracked.py")
    expected = ["a.py", "pkg/sub/c.py", "pkg/sub/untracked.py", "top_untracked.py"]
    assert names(repo, changed_files("main", repo / "pkg" / "sub")) == expected
    assert changed_files("main", repo / "pkg") == [repo / name for name in expected]


def test_outside_a_repository(tmp_path: Path) -> None:
    folder = tmp_path.resolve() / "plain"
    folder.mkdir()
    with pytest.raises(ChangedFilesError) as raised:
        changed_files("main", folder)
    assert str(raised.value) == (
        f"--changed-since needs a git repository: {folder} is not inside one"
    )


def test_unknown_revision(repo: Path) -> None:
    for ref in ("xyz", "-x", "--output=/tmp/oops", "main:a.py", ""):
        with pytest.raises(ChangedFilesError) as raised:
            changed_files(ref, repo)
        assert str(raised.value) == f"--changed-since: unknown git revision `{ref}`"


def test_repository_without_commits(tmp_path: Path) -> None:
    empty = tmp_path.resolve() / "empty"
    empty.mkdir()
    git(empty, "init", "-q")
    write(empty, "a.py")
    with pytest.raises(ChangedFilesError) as raised:
        changed_files("main", empty)
    assert str(raised.value) == f"--changed-since: the git repository at {empty} has no commits yet"


def test_unrelated_histories(repo: Path) -> None:
    git(repo, "checkout", "-q", "--orphan", "other")
    commit_all(repo, "a root of its own")
    with pytest.raises(ChangedFilesError) as raised:
        changed_files("main", repo)
    assert str(raised.value) == "--changed-since: `main` and HEAD have no commit in common"


def test_git_not_installed(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nowhere = tmp_path / "empty-bin"
    nowhere.mkdir()
    monkeypatch.setenv("PATH", str(nowhere))
    with pytest.raises(ChangedFilesError) as raised:
        changed_files("main", repo)
    message = str(raised.value)
    assert message.startswith("--changed-since needs git, which could not be run")
    assert "\n" not in message
