"""``--write``: what fixer writes, and what it refuses to write (the README's write policy)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fixer.files import WriteRefused, write_fixed

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
FIXABLE = (FIXTURES / "hoist_adam_in_train_step" / "input.py").read_bytes()
FIXED = (FIXTURES / "hoist_adam_in_train_step" / "expected.py").read_bytes()
POSIX = pytest.mark.skipif(sys.platform == "win32", reason="POSIX links, owners and modes")
ROOT = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="giving a file away needs root"
)


def fixer(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fixer", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={k: v for k, v in os.environ.items() if k != "CI"},
    )


def errors(proc: subprocess.CompletedProcess[str]) -> list[str]:
    assert "Traceback" not in proc.stderr
    return [line for line in proc.stderr.splitlines() if line.startswith("fixer: error:")]


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".fixer-"))


@POSIX
def test_mode_is_kept_and_the_replacement_is_atomic(tmp_path: Path) -> None:
    path = tmp_path / "train.py"
    path.write_bytes(FIXABLE)
    path.chmod(0o754)
    before = path.stat()
    proc = fixer("--write", "train.py", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert path.read_bytes() == FIXED
    assert path.stat().st_mode & 0o7777 == 0o754
    assert path.stat().st_ino != before.st_ino  # one link, our own file: a new inode, renamed
    assert leftovers(tmp_path) == []


@POSIX
def test_hard_links_keep_sharing_the_fixed_file(tmp_path: Path) -> None:
    path = tmp_path / "train.py"
    path.write_bytes(FIXABLE)
    other = tmp_path / "copy.txt"
    os.link(path, other)
    inode = path.stat().st_ino
    proc = fixer("--write", "train.py", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert path.stat().st_ino == inode == other.stat().st_ino
    assert other.read_bytes() == FIXED
    assert path.stat().st_nlink == 2
    assert leftovers(tmp_path) == []


@POSIX
@ROOT
def test_another_users_file_keeps_its_owner_group_and_inode(tmp_path: Path) -> None:
    path = tmp_path / "train.py"
    path.write_bytes(FIXABLE)
    os.chown(path, 12345, 23456)
    inode = path.stat().st_ino
    proc = fixer("--write", "train.py", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    info = path.stat()
    assert (info.st_uid, info.st_gid, info.st_ino) == (12345, 23456, inode)
    assert path.read_bytes() == FIXED


@POSIX
def test_a_failed_in_place_write_puts_the_original_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fixer.files

    path = tmp_path / "train.py"
    path.write_bytes(FIXABLE)
    os.link(path, tmp_path / "other.py")  # two links: written in place
    calls = []

    def failing(descriptor: int, data: object) -> int:
        calls.append(data)
        if len(calls) == 1:  # the first write: the fix, cut short as by a full disk
            os.ftruncate(descriptor, 10)
            raise OSError(28, "No space left on device")
        return real_write(descriptor, data)  # type: ignore[arg-type]

    real_write = os.write
    monkeypatch.setattr(fixer.files.os, "write", failing)
    with pytest.raises(OSError, match="No space"):
        write_fixed(path, FIXABLE, FIXED)
    monkeypatch.undo()
    assert path.read_bytes() == FIXABLE
    assert leftovers(tmp_path) == []


def test_symlink_inside_the_repository_is_written_through(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "src").mkdir()
    target = tmp_path / "src" / "train.py"
    target.write_bytes(FIXABLE)
    link = tmp_path / "link.py"
    link.symlink_to(Path("src") / "train.py")
    proc = fixer("--write", "link.py", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert link.is_symlink()
    assert target.read_bytes() == FIXED


def test_symlink_leaving_the_repository_and_the_paths_given_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    target = outside / "train.py"
    target.write_bytes(FIXABLE)
    repository = tmp_path / "repo"
    (repository / ".git").mkdir(parents=True)
    (repository / "link.py").symlink_to(target)
    (repository / "own.py").write_bytes(FIXABLE)
    proc = fixer("--write", "link.py", "own.py", cwd=repository)
    assert proc.returncode == 2
    assert errors(proc) == [
        f"fixer: error: link.py: symbolic link to {target}, outside the repository and the "
        "paths given; not written"
    ]
    assert (repository / "link.py").is_symlink()
    assert target.read_bytes() == FIXABLE
    assert (repository / "own.py").read_bytes() == FIXED  # the other file is still fixed
    assert "fixed 1 finding in 1 file" in proc.stderr
    # The target's folder given on the command line: then it is one of the paths given.
    proc = fixer("--write", "link.py", str(outside), cwd=repository)
    assert target.read_bytes() == FIXED, proc.stderr


@POSIX
def test_read_only_file_is_reported_not_replaced(tmp_path: Path) -> None:
    path = tmp_path / "train.py"
    path.write_bytes(FIXABLE)
    path.chmod(0o444)
    (tmp_path / "other.py").write_bytes(FIXABLE)
    proc = fixer("--write", "train.py", "other.py", cwd=tmp_path)
    assert proc.returncode == 2
    assert errors(proc) == ["fixer: error: train.py: read-only file; not written"]
    assert path.read_bytes() == FIXABLE
    assert path.stat().st_mode & 0o777 == 0o444
    assert (tmp_path / "other.py").read_bytes() == FIXED
    # The summary does not count what was not written.
    assert "fixed 1 finding in 1 file, 1 finding left to fix by hand" in proc.stderr


def test_a_file_changed_since_it_was_read_is_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "train.py"
    path.write_bytes(FIXABLE)
    edited = FIXABLE + b"\n# edited meanwhile\n"
    path.write_bytes(edited)
    with pytest.raises(WriteRefused, match="changed on disk since fixer read it"):
        write_fixed(path, FIXABLE, FIXED)
    assert path.read_bytes() == edited


def test_a_file_changed_during_the_run_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole command: the file changes between the worker's read and the write."""
    from typer.testing import CliRunner

    import fixer.cli
    import fixer.files

    path = tmp_path / "train.py"
    path.write_bytes(FIXABLE)
    real = fixer.files.write_fixed

    def edit_then_write(target: Path, *args: object) -> Path:
        target.write_bytes(FIXABLE + b"# edited in an editor\n")
        return real(target, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(fixer.cli, "write_fixed", edit_then_write)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(fixer.cli.app, ["--write", "train.py"])
    assert result.exit_code == 2
    assert (
        "fixer: error: train.py: changed on disk since fixer read it; not written (run fixer "
        "again)" in result.output
    )
    assert path.read_bytes().endswith(b"# edited in an editor\n")


def test_a_name_of_250_bytes_is_written(tmp_path: Path) -> None:
    name = "t" * 247 + ".py"
    assert len(name.encode()) == 250
    (tmp_path / name).write_bytes(FIXABLE)
    proc = fixer("--write", name, cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert errors(proc) == []
    assert (tmp_path / name).read_bytes() == FIXED
    assert "fixed 1 finding in 1 file" in proc.stderr
    assert leftovers(tmp_path) == []
