"""What a notebook costs against the same code as a script, in fixer's own process.

The notebooks are the test samples (``tests/notebook_samples.py`` and the runnable notebooks of
``tests/test_notebooks_kernel.py``), each copied ``--copies`` times, as Jupyter and as Colab write
them; the scripts are their code cells joined (what fixer analyses). Each set goes through
``fixer.runner.process`` (pre-filter, engine, and for notebooks reading the JSON, masking
IPython syntax and mapping findings back) a few times; the best CPU time of a round is reported.
A third set, notebooks without an optimizer name, shows the pre-filter ruling them out unparsed.

    python bench/notebooks.py               # needs the test extra (nbformat)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import notebook_samples as samples  # noqa: E402

from fixer.notebooks import join, load  # noqa: E402
from fixer.runner import process  # noqa: E402

RUNNABLE = [
    ("code", "import tensorflow as tf\nmodel = tf.keras.Sequential([tf.keras.layers.Dense(1)])"),
    ("code", samples.PARAMS),
    ("code", samples.STEP),
    ("code", "%%time\nfor _ in range(3):\n    train_step(x, y)"),
]
PLAIN = [("markdown", "# Plots"), ("code", "%matplotlib inline\nimport numpy as np\nnp.zeros(3)?")]


def _time(paths: list[Path], rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        for path in paths:
            outcome = process(path, explicit=False)
            assert outcome.result is not None
        best = min(best, time.process_time() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    notebooks = [samples.jupyter(), samples.colab(), samples.jupyter(RUNNABLE)]
    notebooks.append(samples.colab(RUNNABLE))
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        sets: dict[str, list[Path]] = {"notebook": [], "script": [], "plain notebook": []}
        for copy in range(args.copies):
            for index, data in enumerate(notebooks):
                notebook = base / f"nb{copy}_{index}.ipynb"
                notebook.write_bytes(data)
                script = base / f"nb{copy}_{index}.py"
                script.write_text(join(load(data)).text)
                sets["notebook"].append(notebook)
                sets["script"].append(script)
            plain = base / f"plain{copy}.ipynb"
            plain.write_bytes(samples.jupyter(PLAIN))
            sets["plain notebook"].append(plain)
        _time(sets["script"][:4], 1)  # import LibCST and warm the caches
        times = {name: _time(paths, args.rounds) for name, paths in sets.items()}
    for name, seconds in times.items():
        count = len(sets[name])
        per_file = 1000 * seconds / count
        print(f"{name:15} {count:4} files  {seconds:6.2f} s CPU  {per_file:6.2f} ms/file")
    print(f"notebook / script: {times['notebook'] / times['script']:.2f} x")


if __name__ == "__main__":
    main()
