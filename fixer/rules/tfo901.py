"""TFO901 internal-error: fixer failed on this file, which was left untouched.

Documentation only: an error report, made by ``fix_source`` (``fixer/engine.py``) when the
analysis or the transform raises, or when the fixed text would not parse. Tested in
``tests/test_engine.py`` and ``tests/test_rule_docs.py``.
"""

from __future__ import annotations

from fixer.findings import Applicability
from fixer.rules.base import Example, Rule

RULE = Rule(
    code="TFO901",
    name="internal-error",
    summary="fixer failed on this file; it was left untouched",
    catches="""\
An unexpected failure of fixer itself on one file: an exception while analysing or fixing it,
or a fixed text that would not parse. It is a bug in fixer, not in the file.""",
    why="""\
The file was not (fully) checked, so a finding in it may be missing. The run exits with status
2. Please report it, with the file (or a smaller one that fails the same way).""",
    fix_availability=Applicability.NONE,
    safe="""\
There is no fix: a file on which fixer fails is never written, and a fixed text that does not
parse is never returned.""",
    unsafe="""\
Always refused: the file is left byte for byte as it was, and the other files of the run are
still processed.""",
    example=Example(
        before="""\
import tensorflow as tf

model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
""",
        after="""\
import tensorflow as tf

model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
""",
    ),
)
