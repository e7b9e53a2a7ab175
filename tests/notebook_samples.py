"""Notebooks as Jupyter and as Colab write them, for the notebook tests.

Jupyter (nbformat): indent 1, keys sorted, non-ASCII written as is, ``source`` as a list of lines
whose last has no newline, a final newline after the closing brace. Colab: indent 2, its own key
order (``nbformat`` first, ``cells`` last), ``metadata.colab``, ``metadata.id`` and ``outputId``
on cells, ``accelerator``, non-ASCII escaped as ``\\uXXXX``, no final newline.
"""

from __future__ import annotations

import json
from typing import Any

import nbformat

PNG = (  # a 1x1 image, as an output or an attachment holds one
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9"
    "awAAAABJRU5ErkJggg=="
)

SETUP = """\
%matplotlib inline
!pip install -q tensorflow-cpu==2.21.0
import numpy as np
import tensorflow as tf

tf.keras.utils.set_random_seed(0)  # graines fixées: même résultat à chaque exécution
x = np.random.rand(32, 3).astype("float32")
y = x @ np.array([[1.0], [2.0], [3.0]], dtype="float32")
model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(1)])
model.summary()"""

PARAMS = """\
#@title Hyper-parameters { display-mode: "form" }
learning_rate = 0.05  #@param {type:"number"}
epochs = 3  #@param {type:"slider", min:1, max:10}"""

HELP = "tf.function?"

STEP = """\
@tf.function
def train_step(inputs, labels):
    optimizer = tf.keras.optimizers.Adam(learning_rate=learning_rate)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean((model(inputs) - labels) ** 2)
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss"""

FIXED_STEP = """\
optimizer = tf.keras.optimizers.Adam(learning_rate=learning_rate)


@tf.function
def train_step(inputs, labels):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean((model(inputs) - labels) ** 2)
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss"""

BASH = """\
%%bash
echo "optimizer = tf.keras.optimizers.Adam()"  # not Python: never read"""

TRAIN = """\
%%time
for epoch in range(epochs):
    loss = train_step(x, y)
    print(f"époque {epoch}: {float(loss):.4f}")
files = !ls
%timeit -n1 -r1 train_step(x, y)
float(loss)"""

CLEAN_STEP = """\
optimizer = tf.keras.optimizers.Adam(learning_rate=learning_rate)

@tf.function
def train_step(inputs, labels):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean((model(inputs) - labels) ** 2)
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss"""

MARKDOWN = "# Entraîner un modèle 🚀\n\nLe pas d'entraînement est compilé par `tf.function`."

# The cells of the sample notebook; the step is cell 5 (1-based, markdown counted).
CELLS = [("markdown", MARKDOWN), ("code", SETUP), ("code", PARAMS), ("code", HELP)]
CELLS += [("code", STEP), ("code", BASH), ("code", TRAIN)]
STEP_CELL = 5


def _outputs(source: str, count: int) -> list[Any]:
    if source.startswith("%matplotlib"):
        return [
            nbformat.v4.new_output("stream", name="stdout", text="Model: «sequential»\n"),
            nbformat.v4.new_output(
                "display_data", data={"image/png": PNG, "text/plain": ["<Figure>"]}, metadata={}
            ),
        ]
    if source.startswith("%%time"):
        return [
            nbformat.v4.new_output("stream", name="stdout", text="époque 0: 1.2345\n"),
            nbformat.v4.new_output(
                "execute_result", data={"text/plain": ["0.4321"]}, execution_count=count
            ),
        ]
    return []


def jupyter(cells: list[tuple[str, str]] | None = None, *, language: str = "python") -> bytes:
    """A notebook as Jupyter (nbformat 4.5) writes it."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "display_name": "Python 3 (ipykernel)",
        "language": language,
        "name": "python3" if language == "python" else language,
    }
    notebook.metadata["language_info"] = {"name": language, "version": "3.11.7"}
    count = 0
    for index, (kind, source) in enumerate(cells or CELLS):
        if kind == "markdown":
            cell = nbformat.v4.new_markdown_cell(source)
            cell.attachments = {"logo.png": {"image/png": PNG}}
        else:
            count += 1
            cell = nbformat.v4.new_code_cell(source, execution_count=count)
            cell.outputs = _outputs(source, count)
        cell.id = f"cell-{index:02d}"
        notebook.cells.append(cell)
    nbformat.validate(notebook)
    return nbformat.writes(notebook).encode("utf-8") + b"\n"  # as Jupyter saves: a final newline


def colab(cells: list[tuple[str, str]] | None = None) -> bytes:
    """A notebook as Google Colab writes it."""
    out: list[dict[str, Any]] = []
    for index, (kind, source) in enumerate(cells or CELLS):
        lines = source.splitlines(keepends=True)
        cell: dict[str, Any] = {"cell_type": kind, "source": lines, "metadata": {"id": f"c{index}"}}
        if kind == "code":
            cell["metadata"]["colab"] = {"base_uri": "https://localhost:8080/", "height": 35}
            cell["metadata"]["outputId"] = f"0a1b2c3d-{index:04d}"
            cell["execution_count"] = index + 10
            cell["outputs"] = [
                {
                    "output_type": "execute_result",
                    "data": {"text/plain": ["'é'"]},
                    "metadata": {},
                    "execution_count": index + 10,
                }
            ]
        else:
            cell["attachments"] = {"logo.png": {"image/png": PNG}}
        out.append(cell)
    document = {
        "nbformat": 4,
        "nbformat_minor": 0,
        "metadata": {
            "colab": {"provenance": [], "name": "entraînement.ipynb", "gpuType": "T4"},
            "kernelspec": {"name": "python3", "display_name": "Python 3"},
            "language_info": {"name": "python"},
            "accelerator": "GPU",
        },
        "cells": out,
    }
    return json.dumps(document, indent=2).encode("ascii")
