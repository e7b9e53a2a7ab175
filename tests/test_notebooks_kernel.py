"""The TensorFlow tier for notebooks: small seeded training notebooks run through a real kernel.

Each notebook (magics, shell escapes and help included, as people write them) is executed cell by
cell by ``nbclient`` on an ``ipykernel`` kernel of this interpreter: unfixed it must stop with
TensorFlow's singleton-variable ``ValueError``; fixed by fixer it must run to the end and train
(the loss falls). Selected like ``tests/test_tensorflow.py`` (marker ``tensorflow``; skipped
without TensorFlow, an error in CI).
"""

from __future__ import annotations

import os
from importlib.util import find_spec

import pytest

if not all(find_spec(name) for name in ("tensorflow", "nbclient", "ipykernel")):
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        raise RuntimeError(
            "CI must run the notebook TensorFlow tier: install the 'tf' extra "
            "(pip install -e '.[test,tf]'), which brings nbclient and ipykernel"
        )
    pytest.skip(
        "the notebook tier needs TensorFlow, nbclient and ipykernel (the 'tf' extra)",
        allow_module_level=True,
    )

import json
import sys

import nbformat
import notebook_samples as samples
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from fixer.notebooks import check

pytestmark = pytest.mark.tensorflow

SINGLETON_ERROR = "tf.function only supports singleton tf.Variables created on the first call"
TIMEOUT_SECONDS = 300

SETUP = """\
%load_ext autoreload
!echo "setting up"
import os
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np
import tensorflow as tf

tf.keras.utils.set_random_seed(0)
x = np.random.rand(64, 3).astype("float32")
y = x @ np.array([[1.0], [-2.0], [0.5]], dtype="float32")"""

MODULE_SCOPE = [
    ("markdown", "# Régression linéaire"),
    ("code", SETUP),
    ("code", samples.PARAMS.replace("epochs = 3", "epochs = 20")),
    ("code", "model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(1)])"),
    ("code", "tf.function?"),
    ("code", samples.STEP),
    ("code", "%%capture printed\nprint('a cell whose output is captured')"),
    (
        "code",
        "losses = []\nfor epoch in range(epochs):\n    losses.append(float(train_step(x, y)))\n"
        "    if epoch == 0:\n        !echo first epoch done\nfiles = !ls",
    ),
    ("code", "%time assert losses[-1] < losses[0], losses\nlosses[-1]"),
]

FACTORY = [
    ("code", SETUP),
    (
        "code",
        "def make_step(model, learning_rate):\n"
        "    @tf.function\n"
        "    def step(inputs, labels):\n"
        "        optimizer = tf.keras.optimizers.SGD(learning_rate, momentum=0.9)\n"
        "        with tf.GradientTape() as tape:\n"
        "            loss = tf.reduce_mean((model(inputs) - labels) ** 2)\n"
        "        grads = tape.gradient(loss, model.trainable_variables)\n"
        "        optimizer.apply_gradients(zip(grads, model.trainable_variables))\n"
        "        return loss\n"
        "    return step",
    ),
    (
        "code",
        "model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(1)])\n"
        "step = make_step(model, 0.05)\n"
        "losses = [float(step(x, y)) for _ in range(20)]\n"
        "assert losses[-1] < losses[0], losses",
    ),
    ("code", "%time losses[-1]"),
]

CASES = {
    "module_scope_jupyter": samples.jupyter(MODULE_SCOPE),
    "closure_colab": samples.colab(FACTORY),
}


def run_notebook(data: bytes) -> str | None:
    """Execute every cell on a fresh kernel; the error a cell raised, or None."""
    notebook = nbformat.reads(data.decode(), as_version=4)
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    client = NotebookClient(
        notebook,
        timeout=TIMEOUT_SECONDS,
        kernel_name="python3",
        resources={"metadata": {"path": os.getcwd()}},
    )
    try:
        client.execute()
    except CellExecutionError as error:
        return str(error)
    return None


@pytest.fixture(scope="module", autouse=True)
def kernel_of_this_interpreter() -> None:
    """The ``python3`` kernel must be this interpreter (the one with TensorFlow)."""
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec("python3")
    program = spec.argv[0]
    if program not in ("python", "python3", "{python}") and os.path.realpath(
        program
    ) != os.path.realpath(sys.executable):
        pytest.fail(f"the python3 kernel runs {spec.argv[0]}, not {sys.executable}")


@pytest.mark.parametrize("name", CASES)
def test_unfixed_notebook_fails_and_fixed_one_trains(name: str) -> None:
    data = CASES[name]
    error = run_notebook(data)
    assert error is not None and "ValueError" in error and SINGLETON_ERROR in error, error
    result = check(data, f"{name}.ipynb")
    assert result.fixed != data
    assert [d.code for d in result.diagnostics] == ["TFO001"]
    assert run_notebook(result.fixed) is None
    # Only the cell that builds the step changed.
    before, after = json.loads(data)["cells"], json.loads(result.fixed)["cells"]
    changed = [i for i, (a, b) in enumerate(zip(before, after)) if a != b]
    assert len(changed) == 1 and "tf.function" in "".join(after[changed[0]]["source"])
