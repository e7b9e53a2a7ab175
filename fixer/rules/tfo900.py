"""TFO900 syntax-error: the file could not be parsed, so nothing in it was checked or changed.

Documentation only: an error report, made by ``fix_source`` (``fixer/engine.py``) before any
analysis. Tested in ``tests/test_engine.py`` and ``tests/test_cli.py`` (no golden fixture: a
fixture's input must parse).
"""

from __future__ import annotations

from fixer.findings import Applicability
from fixer.rules.base import Example, Rule

RULE = Rule(
    code="TFO900",
    name="syntax-error",
    summary="the file could not be parsed; nothing in it was checked or changed",
    catches="""\
A file that is not valid Python, that cannot be decoded in its declared encoding (a coding
cookie, or UTF-8), that contains a null byte, or whose line endings LibCST cannot give back
byte for byte (CR-only). The position is CPython's own, where it has one.

A file found in a directory that the pre-filter rules out (no call that may build an optimizer)
is not parsed at all, so its syntax error is not reported; a file named on the command line
always is.""",
    why="""\
fixer cannot analyse what it cannot parse: any optimizer built while tracing in that file goes
unreported. The run exits with status 2 so that CI does not pass silently.""",
    fix_availability=Applicability.NONE,
    safe="""\
There is no fix: fixer never edits a file it cannot parse. Correct the syntax (or the
encoding) and run fixer again.""",
    unsafe="""\
Always refused: the file is left byte for byte as it was, and the other files of the run are
still processed.""",
    example=Example(
        before="""\
import tensorflow as tf


@tf.function
def train_step(x, y)
    optimizer = tf.keras.optimizers.Adam(1e-3)
    return optimizer
""",
        after="""\
import tensorflow as tf


@tf.function
def train_step(x, y)
    optimizer = tf.keras.optimizers.Adam(1e-3)
    return optimizer
""",
    ),
)
