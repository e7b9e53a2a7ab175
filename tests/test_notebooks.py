"""Jupyter notebooks: the code cells checked as one module, the notebook's bytes kept.

Notebooks are built as Jupyter and as Colab write them (``tests/notebook_samples.py``); the CLI
runs in a subprocess, as a user runs it.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import nbformat
import notebook_samples as samples
import pytest

from fixer.findings import Applicability, Diagnostic, Fix, TextEdit
from fixer.notebooks import _Mapper, _mask, _unmask, check, join, load
from fixer.runner import process

SCHEMA = Path(__file__).parent / "data" / "sarif" / "sarif-2.1.0-rtm.5.json"
WRITERS = {"jupyter": samples.jupyter, "colab": samples.colab}


def fixer(*args: str, cwd: Path, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "NO_COLOR": "1", "CI": "1"}
    return subprocess.run(
        [sys.executable, "-m", "fixer", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        env=env,
        check=False,
        timeout=120,
    )


def differing_region(before: bytes, after: bytes) -> tuple[int, int]:
    """The span of ``before`` outside which ``after`` has the same bytes."""
    prefix = 0
    while prefix < min(len(before), len(after)) and before[prefix] == after[prefix]:
        prefix += 1
    suffix = 0
    while (
        suffix < min(len(before), len(after)) - prefix
        and before[len(before) - 1 - suffix] == after[len(after) - 1 - suffix]
    ):
        suffix += 1
    return prefix, len(before) - suffix


def without_sources(document: dict[str, Any], keep: int) -> dict[str, Any]:
    cells = [dict(cell) for cell in document["cells"]]
    cells[keep - 1].pop("source")
    return {**document, "cells": cells}


# --------------------------------------------------------------------------- reading


@pytest.mark.parametrize("style", WRITERS)
def test_code_cells_are_one_module_with_ipython_masked(style: str) -> None:
    notebook = load(WRITERS[style]())
    module = join(notebook)
    ast.parse(module.text)  # every IPython form became something Python parses
    # Markdown and the %%bash cell are left out; every other code cell is in, in order.
    assert [part.cell.number for part in module.parts] == [2, 3, 4, 5, 7]
    assert "echo" not in module.text
    assert "learning_rate = 0.05  #@param" in module.text  # Colab forms are comments
    assert notebook.cells[0].id == ("cell-00" if style == "jupyter" else None)


@pytest.mark.parametrize(
    "line",
    [
        "%matplotlib inline",
        "!pip install -q tensorflow",
        "files = !ls -la",
        "a, b = %sx echo 1 2",
        "tf.function?",
        "tf.function??",
        "?tf.function",
        "%time x = 1",
        "%timeit -n1 [i for i in range(3)]",
        "/print 1",
        "%load_ext autoreload \\\n    more of the same magic",
    ],
)
def test_each_ipython_form_is_masked_and_comes_back(line: str) -> None:
    source = f"import tensorflow as tf\n{line}\nx = 1\n    # indented comment?\n"
    masked = _mask(source, iter(range(100)))
    assert masked is not None
    ast.parse(masked.text)
    assert line not in masked.text
    assert _unmask(masked.text, masked) == source


def test_masking_knows_strings_brackets_comments_and_blocks() -> None:
    source = (
        'doc = """\n%not a magic\n!not shell either?\n"""\n'
        "values = [\n    1,\n]  # a comment ending in ?\n"
        "if True:\n    !echo indented\n    %time y = 2\n"
        "x = 'a?'\n"
    )
    masked = _mask(source, iter(range(100)))
    assert masked is not None
    assert "%not a magic\n!not shell either?\n" in masked.text
    assert "]  # a comment ending in ?\n" in masked.text
    assert len(masked.originals) == 2  # the two indented lines only
    ast.parse(masked.text)
    assert _unmask(masked.text, masked) == source


def test_cells_in_other_languages_are_left_out_and_python_cell_magics_kept() -> None:
    for magic in ("%%bash", "%%writefile train.py", "%%html", "%%javascript", "%%sh"):
        assert _mask(f"{magic}\nopt = Adam()\n", iter(range(9))) is None
    for magic in ("%%time", "%%capture out", "%%timeit -n1"):
        masked = _mask(f"{magic}\nx = 1\n", iter(range(9)))
        assert masked is not None and masked.text.endswith("x = 1\n")


def test_an_edit_that_moves_an_ipython_line_is_refused() -> None:
    masked = _mask("def f():\n    %time g()\n", iter(range(9)))
    assert masked is not None
    moved = masked.text.replace("    __fixer", "__fixer")
    assert _unmask(moved, masked) is None
    assert _unmask(masked.text + masked.text, masked) is None


# --------------------------------------------------------------------------- bytes


@pytest.mark.parametrize("style", WRITERS)
def test_unchanged_notebook_is_not_rewritten(style: str, tmp_path: Path) -> None:
    cells = [(k, samples.CLEAN_STEP if s == samples.STEP else s) for k, s in samples.CELLS]
    data = WRITERS[style](cells)
    found = check(data, "nb.ipynb")
    assert found.diagnostics == () and found.fixed is data
    path = tmp_path / "nb.ipynb"
    path.write_bytes(data)
    before = path.stat()
    proc = fixer("--write", "nb.ipynb", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert path.read_bytes() == data
    assert path.stat().st_mtime_ns == before.st_mtime_ns and path.stat().st_ino == before.st_ino


@pytest.mark.parametrize("style", WRITERS)
def test_fixed_notebook_differs_only_inside_the_edited_source(style: str) -> None:
    data = WRITERS[style]()
    found = check(data, "nb.ipynb")
    assert found.fixed != data
    before, after = json.loads(data), json.loads(found.fixed)
    # Everything but the step cell's source is equal as data ...
    assert without_sources(before, samples.STEP_CELL) == without_sources(after, samples.STEP_CELL)
    assert "".join(after["cells"][samples.STEP_CELL - 1]["source"]) == samples.FIXED_STEP
    # ... and as bytes: the bytes that differ lie inside that cell's source value.
    where = load(data).cells[samples.STEP_CELL - 1].where
    assert where is not None
    start, end = differing_region(data, found.fixed)
    text_start = len(data.decode()[: where.value.start].encode())
    text_end = len(data.decode()[: where.value.end].encode())
    assert text_start <= start and end <= text_end
    # The other code cells, their outputs, execution counts and metadata are untouched bytes.
    for cell in load(found.fixed).cells:
        if cell.number != samples.STEP_CELL:
            assert cell.source == samples.CELLS[cell.number - 1][1]


def test_a_fixed_jupyter_notebook_is_what_jupyter_itself_would_write() -> None:
    data = samples.jupyter()
    fixed = check(data, "nb.ipynb").fixed
    notebook = nbformat.reads(fixed.decode(), as_version=4)
    nbformat.validate(notebook)
    assert nbformat.writes(notebook).encode() + b"\n" == fixed


def test_a_fixed_colab_notebook_keeps_colabs_layout() -> None:
    data = samples.colab()
    fixed = check(data, "nb.ipynb").fixed
    document = json.loads(fixed)
    nbformat.validate(nbformat.from_dict(document))
    # Colab's own serialisation of the fixed content is byte for byte what fixer wrote.
    assert json.dumps(document, indent=2).encode("ascii") == fixed
    assert list(document) == ["nbformat", "nbformat_minor", "metadata", "cells"]
    assert not fixed.endswith(b"\n") and b"\\u00e9" in fixed


@pytest.mark.parametrize("form", ["list", "string"])
def test_source_as_one_string_or_a_list_stays_so(form: str) -> None:
    document = json.loads(samples.jupyter())
    for cell in document["cells"]:
        if form == "string":
            cell["source"] = "".join(cell["source"])
    data = json.dumps(document, indent=1, ensure_ascii=False).encode() + b"\n"
    fixed = json.loads(check(data, "nb.ipynb").fixed)
    source = fixed["cells"][samples.STEP_CELL - 1]["source"]
    assert isinstance(source, str if form == "string" else list)
    assert "".join(source) == samples.FIXED_STEP


def test_a_cell_ending_in_a_newline_keeps_it() -> None:
    cells = [("code", samples.SETUP + "\n"), ("code", samples.PARAMS)]
    cells += [("code", samples.STEP + "\n")]
    fixed = json.loads(check(samples.jupyter(cells), "nb.ipynb").fixed)
    assert "".join(fixed["cells"][2]["source"]) == samples.FIXED_STEP + "\n"


# --------------------------------------------------------------------------- findings


def test_findings_name_the_cell_and_lines_within_it() -> None:
    cells = [("code", "import tensorflow as tf\n@tf.function\ndef step(x, opt):\n    return x")]
    loop = "for e in range(3):\n    o = tf.keras.optimizers.SGD()\n    step(1, o)"
    cells += [("markdown", "text"), ("code", loop)]
    found = check(samples.jupyter(cells), "nb.ipynb")
    (finding,) = found.diagnostics
    assert finding.render().startswith("nb.ipynb:cell 3:2:9: TFO002 [fixable]")
    assert "the loop on line 1 " in finding.message  # the cell's own line, not the module's
    assert finding.cell is not None and finding.cell.id == "cell-02"


def test_a_line_in_another_cell_is_named_with_its_cell() -> None:
    cells = [
        ("code", "import tensorflow as tf\n\ndef make():\n    return tf.keras.optimizers.Adam()"),
        ("code", "@tf.function\ndef step(x):\n    opt = make()\n    return x"),
    ]
    found = check(samples.jupyter(cells), "nb.ipynb")
    messages = {d.cell.number if d.cell else 0: d.message for d in found.diagnostics}
    assert "(line 3 of cell 2)" in messages[1]
    assert "(line 4 of cell 1)" in messages[2]
    # The move lands in the cell of the traced function.
    fixed = json.loads(found.fixed)
    assert "".join(fixed["cells"][0]["source"]) == cells[0][1]
    assert "opt = make()\n\n\n@tf.function" in "".join(fixed["cells"][1]["source"])


def test_a_fix_that_would_cross_cells_is_reported_not_made() -> None:
    data = samples.jupyter()
    notebook = load(data)
    module = join(notebook)
    mapper = _Mapper(notebook, module)
    first, step = module.parts[0], module.parts[3]
    # A fix that would move a line of the step's cell into the first cell.
    edits = (
        TextEdit(first.first, 1, first.first, 1, "optimizer = Adam()\n"),
        TextEdit(step.first + 2, 1, step.first + 3, 1, ""),
    )
    diagnostic = Diagnostic(
        "nb.ipynb", step.first + 2, 17, "TFO001", "optimizer built in a step",
        Applicability.SAFE, fix=Fix(1, Applicability.SAFE, edits, True),
    )  # fmt: skip
    mapped = mapper.diagnostic(diagnostic)
    assert mapped.fix is None and mapped.applicability is Applicability.NONE
    assert "not fixed in this notebook: the fix would edit cells 2 and 5 together" in (
        mapped.message
    )
    assert mapper.fixed_notebook(data) is data  # nothing is written


def test_suppression_comments_work_in_cells() -> None:
    step = samples.STEP.replace("learning_rate)\n", "learning_rate)  # noqa: TFO001\n")
    cells = [(k, step if s == samples.STEP else s) for k, s in samples.CELLS]
    data = samples.jupyter(cells)
    found = check(data, "nb.ipynb")
    assert found.diagnostics == () and found.fixed is data
    assert [d.cell.number for d in found.suppressed if d.cell] == [samples.STEP_CELL]


def test_a_syntax_error_names_its_cell() -> None:
    broken = "def f(:\n    tf.keras.optimizers.Adam()"
    cells = [("code", "import tensorflow as tf"), ("code", broken)]
    data = samples.jupyter(cells)
    found = check(data, "nb.ipynb")
    (error,) = found.diagnostics
    assert error.is_error and error.render().startswith("nb.ipynb:cell 2:1:7: TFO900")
    assert found.fixed is data


def test_the_prefilter_rules_out_a_notebook_without_an_optimizer(tmp_path: Path) -> None:
    cells = [("code", "%matplotlib inline\nimport numpy as np\nnp.zeros(3)?")]
    path = tmp_path / "plain.ipynb"
    path.write_bytes(samples.jupyter(cells))
    outcome = process(path, shown="plain.ipynb", explicit=False)
    assert outcome.result is not None and not outcome.result.parsed
    outcome = process(tmp_path / "x.ipynb", shown="x.ipynb", data=samples.jupyter())
    assert outcome.result is not None and outcome.result.parsed and outcome.result.changed


# --------------------------------------------------------------------------- broken notebooks


BROKEN = {
    "invalid.ipynb": (b'{"cells": [\n  {"cell_type": "code",}\n', "invalid JSON"),
    "list.ipynb": (b"[1, 2]\n", "not a notebook: the JSON is not an object"),
    "plain.ipynb": (b'{"a": 1}\n', "not a notebook: no `nbformat: 4` and `cells` list"),
    "v3.ipynb": (
        b'{"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": []}\n',
        "nbformat 3 notebook: fixer reads nbformat 4",
    ),
}


def test_broken_notebooks_are_one_line_errors_and_others_still_run(tmp_path: Path) -> None:
    for name, (data, _) in BROKEN.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "r.ipynb").write_bytes(
        samples.jupyter([("code", "library(keras)\nopt <- optimizer_adam()")], language="R")
    )
    (tmp_path / "train.ipynb").write_bytes(samples.jupyter())
    proc = fixer("--write", ".", cwd=tmp_path)
    assert proc.returncode == 2
    errors = [e for e in proc.stderr.decode().splitlines() if e.startswith("fixer: error:")]
    assert len(errors) == len(BROKEN)
    for name, (data, message) in BROKEN.items():
        (line,) = [e for e in errors if f" {name}:" in e]
        assert line.startswith(f"fixer: error: {name}:") and message in line
        assert (tmp_path / name).read_bytes() == data
    assert "invalid.ipynb:2:24: TFO900 not a notebook: invalid JSON" in proc.stderr.decode()
    # The R notebook is skipped (documented), the good one fixed.
    assert b"opt <- optimizer_adam()" in (tmp_path / "r.ipynb").read_bytes()
    assert samples.FIXED_STEP.splitlines()[0].encode() in (tmp_path / "train.ipynb").read_bytes()


def test_a_notebook_with_another_kernel_is_skipped_without_an_error(tmp_path: Path) -> None:
    (tmp_path / "r.ipynb").write_bytes(samples.jupyter(language="R"))
    proc = fixer("r.ipynb", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b""


# --------------------------------------------------------------------------- command line


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "nb").mkdir()
    (tmp_path / "nb" / "train.ipynb").write_bytes(samples.jupyter())
    (tmp_path / "nb" / "colab.ipynb").write_bytes(samples.colab())
    script = f"import tensorflow as tf\n\nlearning_rate = 0.05\n\n\n{samples.STEP}\n"
    (tmp_path / "nb" / "script.py").write_text(script)
    return tmp_path


def test_text_output_names_the_cell(project: Path) -> None:
    proc = fixer("nb", cwd=project)
    assert proc.returncode == 1
    assert proc.stdout.decode().splitlines() == [
        f"nb/colab.ipynb:cell {samples.STEP_CELL}:3:17: TFO001 [fixable] optimizer "
        "`tf.keras.optimizers.Adam` is built inside tf.function `train_step` and fails on its "
        "first call; fix: build it once at module scope",
        "nb/script.py:8:17: TFO001 [fixable] optimizer `tf.keras.optimizers.Adam` is built inside "
        "tf.function `train_step` and fails on its first call; fix: build it once at module scope"
        "; note: this module now builds it at import time",
        f"nb/train.ipynb:cell {samples.STEP_CELL}:3:17: TFO001 [fixable] optimizer "
        "`tf.keras.optimizers.Adam` is built inside tf.function `train_step` and fails on its "
        "first call; fix: build it once at module scope",
    ]
    assert proc.stderr.decode().startswith("checked 3 files, 3 findings (3 fixable)")


def test_diff_is_per_cell(project: Path) -> None:
    proc = fixer("--diff", "nb/train.ipynb", cwd=project)
    assert proc.returncode == 1
    assert proc.stdout.decode() == (
        f"--- a/nb/train.ipynb:cell {samples.STEP_CELL}\n"
        f"+++ b/nb/train.ipynb:cell {samples.STEP_CELL}\n"
        "@@ -1,6 +1,8 @@\n"
        "+optimizer = tf.keras.optimizers.Adam(learning_rate=learning_rate)\n"
        "+\n"
        "+\n"
        " @tf.function\n"
        " def train_step(inputs, labels):\n"
        "-    optimizer = tf.keras.optimizers.Adam(learning_rate=learning_rate)\n"
        "     with tf.GradientTape() as tape:\n"
        "         loss = tf.reduce_mean((model(inputs) - labels) ** 2)\n"
        "     grads = tape.gradient(loss, model.trainable_variables)\n"
    )
    assert (project / "nb" / "train.ipynb").read_bytes() == samples.jupyter()


def test_check_lists_and_write_fixes_notebooks(project: Path) -> None:
    proc = fixer("--check", "nb", cwd=project)
    assert proc.stdout.decode().splitlines() == [
        "nb/colab.ipynb",
        "nb/script.py",
        "nb/train.ipynb",
    ]
    proc = fixer("--write", "nb", cwd=project)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.decode().startswith("checked 3 files, fixed 3 findings in 3 files")
    assert (project / "nb" / "train.ipynb").read_bytes() == check(
        samples.jupyter(), "nb.ipynb"
    ).fixed
    assert fixer("nb", cwd=project).returncode == 0  # idempotent


def test_json_output_carries_the_cell(project: Path) -> None:
    proc = fixer("--format", "json", "nb/train.ipynb", "nb/script.py", cwd=project)
    document = json.loads(proc.stdout)
    notebook, script = document["findings"]
    assert (notebook["cell"], notebook["cell_id"], notebook["line"]) == (5, "cell-04", 3)
    assert "cell" not in script
    assert all(edit["cell"] == 5 for edit in notebook["fix"]["edits"])
    assert notebook["fix"]["edits"][0] == {
        "start": {"line": 1, "column": 1},
        "end": {"line": 1, "column": 1},
        "content": "optimizer = tf.keras.optimizers.Adam(learning_rate=learning_rate)\n\n\n",
        "cell": 5,
    }
    lines = fixer("--format", "json-lines", "nb/train.ipynb", cwd=project).stdout.splitlines()
    assert json.loads(lines[0])["findings"][0]["cell"] == 5


def test_sarif_points_into_the_notebook_text(project: Path) -> None:
    proc = fixer("--format", "sarif", "nb/train.ipynb", cwd=project)
    log = json.loads(proc.stdout)
    jsonschema.validate(log, json.loads(SCHEMA.read_text()))
    (result,) = log["runs"][0]["results"]
    location = result["locations"][0]
    region = location["physicalLocation"]["region"]
    assert location["properties"] == {
        "cell": 5,
        "cellLine": 3,
        "cellColumn": 17,
        "cellEndLine": 3,
        "cellEndColumn": 70,
        "cellId": "cell-04",
    }
    text = (project / "nb" / "train.ipynb").read_text().splitlines()
    line = text[region["startLine"] - 1]
    flagged = line[region["startColumn"] - 1 : region["endColumn"] - 1]
    assert flagged == "tf.keras.optimizers.Adam(learning_rate=learning_rate)"
    assert "fixes" not in result


def test_sarif_region_counts_json_escapes() -> None:
    source = 'import tensorflow as tf\n"é\\t"\n@tf.function\ndef s():\n'
    cells = [("code", source + '    o = "ü"; p = tf.keras.optimizers.SGD()')]
    data = samples.colab(cells)  # non-ASCII escaped: columns in the file differ from the cell's
    (finding,) = check(data, "nb.ipynb").diagnostics
    assert finding.cell is not None and (finding.line, finding.column) == (5, 18)
    line = data.decode().splitlines()[finding.cell.file_line - 1]
    assert line[finding.cell.file_column - 1 :].startswith("tf.keras.optimizers.SGD()")
    assert line[: finding.cell.file_column - 1].endswith('\\"\\u00fc\\"; p = ')


def test_github_and_gitlab_carry_the_cell(project: Path) -> None:
    proc = fixer("--format", "github", "nb/train.ipynb", cwd=project)
    (annotation,) = proc.stdout.decode().splitlines()
    text = (project / "nb" / "train.ipynb").read_text().splitlines()
    number = next(i for i, line in enumerate(text, 1) if "optimizer = tf.keras" in line)
    assert annotation.startswith(f"::error file=nb/train.ipynb,line={number},col=")
    assert "::cell 5, line 3, column 17: [fixable] optimizer" in annotation
    proc = fixer("--format", "gitlab", "nb/train.ipynb", cwd=project)
    (issue,) = json.loads(proc.stdout)
    assert issue["location"]["lines"] == {"begin": number, "end": number}
    assert issue["description"].startswith("TFO001 cell 5, line 3: optimizer")


def test_stdin_filename_takes_notebook_json(project: Path) -> None:
    data = samples.colab()
    proc = fixer("--write", "--stdin-filename", "nb/x.ipynb", cwd=project, stdin=data)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout == check(data, "x.ipynb").fixed
    proc = fixer("--stdin-filename", "nb/x.ipynb", cwd=project, stdin=data)
    assert proc.stdout.decode().startswith("nb/x.ipynb:cell 5:3:17: TFO001")


def test_notebooks_can_be_turned_off(project: Path) -> None:
    proc = fixer("--no-notebooks", "--check", "nb", "nb/train.ipynb", cwd=project)
    assert proc.stdout.decode().splitlines() == ["nb/script.py"]
    (project / "fixer.toml").write_text("notebooks = false\n")
    assert fixer("--check", "nb", cwd=project).stdout.decode().splitlines() == ["nb/script.py"]
    proc = fixer("--notebooks", "--check", "nb", cwd=project)
    assert len(proc.stdout.decode().splitlines()) == 3
    data = samples.jupyter()
    proc = fixer("--write", "--stdin-filename", "nb/x.ipynb", cwd=project, stdin=data)
    assert proc.returncode == 0 and proc.stdout == data


def test_precommit_hooks_take_notebooks() -> None:
    hooks = (Path(__file__).parent.parent / ".pre-commit-hooks.yaml").read_text()
    assert hooks.count("types_or: [python, jupyter]") == 2
