"""Other modules of the repository: resolving imports to files, summaries, cycles, the gate."""

from __future__ import annotations

from pathlib import Path

from fixer.names import DEFAULT_NAMES
from fixer.siblings import Repository, may_trace, module_name, resolve

BUILDS = b"import tensorflow as tf\n\n\ndef make(lr):\n    return tf.keras.optimizers.Adam(lr)\n"


def _tree(root: Path, files: dict[str, bytes]) -> None:
    (root / ".git").mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def test_imports_resolve_to_files_of_the_repository(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        {
            "proj/__init__.py": b"",
            "proj/optim.py": BUILDS,
            "proj/sub/__init__.py": b"",
            "proj/sub/train.py": b"",
            "scripts/run.py": b"",
        },
    )
    train = (tmp_path / "proj/sub/train.py").resolve()
    assert resolve(train, "..optim") == tmp_path / "proj/optim.py"
    assert resolve(train, ".") == tmp_path / "proj/sub/__init__.py"
    assert resolve(train, "proj.optim") == tmp_path / "proj/optim.py"  # from a folder above
    assert resolve(train, "proj.missing") is None
    assert resolve(train, "tensorflow") is None
    assert resolve((tmp_path / "scripts/run.py").resolve(), "proj.optim") is not None
    assert module_name(tmp_path / "proj/optim.py") == "proj.optim"
    assert module_name(tmp_path / "scripts/run.py") == "run"


def test_the_search_stops_at_the_repository_root(tmp_path: Path) -> None:
    _tree(tmp_path, {"outside.py": BUILDS})
    inner = tmp_path / "repo"
    _tree(inner, {"train.py": b""})
    assert resolve((inner / "train.py").resolve(), "outside") is None


def test_builders_across_modules_and_cycles(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        {
            "pkg/__init__.py": b"from .optim import build\n",
            "pkg/optim.py": b"from .factory import make\n\n\ndef build(c):\n    return make(c)\n",
            "pkg/factory.py": BUILDS,
            "pkg/a.py": b"from .b import g\n\n\ndef f():\n    return g()\n",
            "pkg/b.py": b"from .a import f\n\n\ndef g():\n    return f()\n",
        },
    )
    caller = tmp_path / "train.py"
    data = b"from pkg import build\nfrom pkg.a import f\nimport pkg.optim as o\n"
    found = Repository(DEFAULT_NAMES).helpers_for(caller, data)
    # ``make`` is a name of ``pkg.optim`` too; the cycle a <-> b builds nothing.
    assert sorted(found) == ["pkg.build", "pkg.optim.build", "pkg.optim.make"]
    helper = found["pkg.build"]
    assert (helper.module, helper.construction_module) == ("pkg.optim", "pkg.factory")
    assert helper.construction == "tf.keras.optimizers.Adam" and helper.returns


def test_only_files_that_may_trace_read_their_imports() -> None:
    assert may_trace(b"import tensorflow as tf\n@tf.function\ndef f(): pass\n", DEFAULT_NAMES)
    assert may_trace(b"from tensorflow import function as compiled\n", DEFAULT_NAMES)
    assert may_trace(b"class M:\n    def train_step(self, data): pass\n", DEFAULT_NAMES)
    assert not may_trace(b"import tensorflow as tf\n# a loss function\n", DEFAULT_NAMES)
