"""Which files a run looks at: directories, exclusions, .gitignore, explicit paths, links."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fixer.files import Selection, SourceFile, discover, in_shard, is_generated
from fixer.runner import RunSettings, process


def _tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _found(root: Path, *paths: str, selection: Selection | None = None) -> list[str]:
    selection = selection or Selection(root=root)
    discovery = discover([str(root / p) for p in paths] or [str(root)], selection)
    assert not discovery.errors
    return [file.path.relative_to(root).as_posix() for file in discovery.files]


def test_python_files_in_sorted_order_without_the_usual_folders(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        {
            "b.py": "",
            "a.py": "",
            "notes.txt": "",
            "pkg/z.py": "",
            "pkg/sub/y.py": "",
            "pkg/a_first.py": "",
            "build/gen.py": "",
            ".venv/lib/site.py": "",
            "node_modules/x/y.py": "",
            "pkg/__pycache__/z.py": "",
            ".tox/py/t.py": "",
        },
    )
    assert _found(tmp_path) == ["a.py", "b.py", "pkg/a_first.py", "pkg/sub/y.py", "pkg/z.py"]


def test_exclude_replaces_the_defaults_and_extend_exclude_adds(tmp_path: Path) -> None:
    _tree(tmp_path, {"build/a.py": "", "gen/b.py": "", "c_pb2.py": "", "d.py": "", ".git/e.py": ""})
    replaced = Selection(exclude=("gen",), root=tmp_path)
    assert _found(tmp_path, selection=replaced) == ["build/a.py", "c_pb2.py", "d.py"]
    extended = Selection(extend_exclude=("*_pb2.py",), root=tmp_path)
    assert _found(tmp_path, selection=extended) == ["d.py", "gen/b.py"]


def test_anchored_patterns_are_relative_to_the_project_root(tmp_path: Path) -> None:
    _tree(tmp_path, {"src/gen/a.py": "", "other/src/gen/b.py": "", "src/c.py": ""})
    selection = Selection(extend_exclude=("/src/gen/",), root=tmp_path)
    assert _found(tmp_path, selection=selection) == ["other/src/gen/b.py", "src/c.py"]
    # Walking a subfolder keeps the anchor at the project root.
    found = discover([str(tmp_path / "src")], selection).files
    assert [f.path.name for f in found] == ["c.py"]


def test_nested_gitignore_files_and_info_exclude(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        {
            ".git/info/exclude": "secret.py\n",
            ".gitignore": "*.gen.py\nlogs/\n",
            "sub/.gitignore": "!keep.gen.py\nlocal.py\n",
            "a.py": "",
            "a.gen.py": "",
            "secret.py": "",
            "logs/l.py": "",
            "sub/keep.gen.py": "",
            "sub/other.gen.py": "",
            "sub/local.py": "",
            "sub/deeper/local.py": "",
            "sub/deeper/ok.py": "",
            "local.py": "",
        },
    )
    assert _found(tmp_path) == ["a.py", "local.py", "sub/deeper/ok.py", "sub/keep.gen.py"]


def test_gitignore_files_above_the_walked_folder_apply(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        {".git/HEAD": "", ".gitignore": "ignored.py\n", "sub/ignored.py": "", "sub/kept.py": ""},
    )
    assert [f.path.name for f in discover([str(tmp_path / "sub")]).files] == ["kept.py"]


def test_gitignore_applies_outside_a_repository_too(tmp_path: Path) -> None:
    _tree(tmp_path, {".gitignore": "skipped.py\n", "skipped.py": "", "kept.py": ""})
    assert _found(tmp_path) == ["kept.py"]


def test_a_worktree_git_file_points_to_info_exclude(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        {
            "real-git/info/exclude": "secret.py\n",
            "work/.git": "gitdir: ../real-git\n",
            "work/secret.py": "",
            "work/kept.py": "",
        },
    )
    assert [f.path.name for f in discover([str(tmp_path / "work")]).files] == ["kept.py"]


def test_paths_named_explicitly_are_always_processed(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        {
            ".git/HEAD": "",
            ".gitignore": "ignored.py\nignored_dir/\n",
            "build/excluded.py": "",
            "ignored.py": "",
            "script": "",
            "ignored_dir/inside.py": "",
            "build/more/deep.py": "",
        },
    )
    named = ["build/excluded.py", "ignored.py", "script"]
    discovery = discover([str(tmp_path / p) for p in named], Selection(root=tmp_path))
    assert [f.path.relative_to(tmp_path).as_posix() for f in discovery.files] == named
    assert all(f.explicit for f in discovery.files)
    # An excluded or ignored folder named on the command line is walked.
    assert _found(tmp_path, "ignored_dir", "build") == [
        "ignored_dir/inside.py",
        "build/excluded.py",
        "build/more/deep.py",
    ]


def test_a_file_named_twice_is_listed_once(tmp_path: Path) -> None:
    _tree(tmp_path, {"pkg/a.py": "", "pkg/b.py": ""})
    found = discover([str(tmp_path / "pkg"), str(tmp_path / "pkg/a.py"), str(tmp_path / "pkg")])
    assert [(f.path.name, f.explicit) for f in found.files] == [("a.py", True), ("b.py", False)]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links")
def test_symlink_loops_end_and_linked_folders_are_walked_once(tmp_path: Path) -> None:
    _tree(tmp_path, {"a/b/c.py": "", "a/d.py": ""})
    (tmp_path / "a" / "b" / "loop").symlink_to(tmp_path / "a", target_is_directory=True)
    (tmp_path / "a" / "self").symlink_to(".", target_is_directory=True)
    (tmp_path / "a" / "z_link_to_b").symlink_to("b", target_is_directory=True)
    (tmp_path / "a" / "dangling.py").symlink_to(tmp_path / "nowhere.py")
    assert _found(tmp_path) == ["a/b/c.py", "a/d.py"]


def test_missing_paths_are_errors_and_the_rest_is_found(tmp_path: Path) -> None:
    _tree(tmp_path, {"a.py": ""})
    discovery = discover([str(tmp_path / "missing.py"), str(tmp_path / "a.py")])
    assert [e.message for e in discovery.errors] == ["no such file or directory"]
    assert [f.path.name for f in discovery.files] == ["a.py"]


def test_the_order_does_not_depend_on_creation_order(tmp_path: Path) -> None:
    names = [f"d{i % 3}/f{(i * 7) % 10}.py" for i in range(30)]
    _tree(tmp_path / "one", dict.fromkeys(names, ""))
    _tree(tmp_path / "two", dict.fromkeys(reversed(names), ""))
    assert _found(tmp_path / "one") == _found(tmp_path / "two")
    assert _found(tmp_path / "one") == sorted(_found(tmp_path / "one"))


def test_generated_marker_in_the_first_ten_lines() -> None:
    assert is_generated(b"# @generated by protoc\nx = 1\n")
    assert is_generated(b'"""Tables.\r\n\r\n@generated\r\n"""\r\n')
    assert is_generated(b"\n" * 9 + b"# @generated\n")
    assert not is_generated(b"\n" * 10 + b"# @generated\n")
    assert not is_generated(b"x = '@gener' 'ated'\n")


def test_generated_files_are_skipped_unless_named_or_included(tmp_path: Path) -> None:
    source = b"# @generated\nimport tensorflow as tf\n"
    _tree(tmp_path, {})
    path = tmp_path / "gen.py"
    path.write_bytes(source)
    assert process(path, explicit=False).generated
    assert not process(path, explicit=True).generated
    assert not process(path, RunSettings(include_generated=True), explicit=False).generated


def test_shards_partition_the_files(tmp_path: Path) -> None:
    paths = [tmp_path / f"pkg{i % 7}" / f"mod{i}.py" for i in range(400)]
    for count in (1, 2, 3, 8):
        owners = [[k for k in range(1, count + 1) if in_shard(p, k, count)] for p in paths]
        assert all(len(found) == 1 for found in owners)  # complete and disjoint
        sizes = [sum(found == [k] for found in owners) for k in range(1, count + 1)]
        assert min(sizes) > 400 / count / 2  # and not lopsided
    # The split depends on the path alone, not on which other files there are.
    assert [in_shard(p, 1, 3) for p in paths[:50]] == [in_shard(p, 1, 3) for p in paths[:50]]


def test_source_file_defaults_to_found_in_a_directory() -> None:
    assert not SourceFile(Path("x.py")).explicit
