"""TFO903 nested-too-deeply: a file nested deeper than fixer parses is not checked.

Documentation only: an error report, made by the runner (``fixer/runner.py``,
``fixer/workers.py``) or the engine (``fixer/engine.py``). Tested in ``tests/test_robustness.py``
(no golden fixture: the condition is a property of the whole file, or of the process).
"""

from __future__ import annotations

from fixer.findings import Applicability
from fixer.rules.base import Example, Rule

RULE = Rule(
    code="TFO903",
    name="nested-too-deeply",
    summary="the file nests deeper than fixer parses; it was not checked",
    catches="""\
A file whose syntax nests more than 1,000 levels deep (``- - - ... 1``, ``a if b else ...``
repeated, an implicit concatenation or an ``and`` chain of more than 1,000 operands), or that
Python's own parser gives up on (``MemoryError``, ``RecursionError``). fixer measures the depth
on Python's syntax tree before LibCST's native parser sees the file, which would otherwise crash
on it.""",
    why="""\
The file was not checked, so a finding in it may be missing. The run exits with status 2. Such
files are generated, not written; exclude them.""",
    fix_availability=Applicability.NONE,
    safe="""\
There is no fix: the file is left byte for byte as it was, and the other files of the run are
still processed.""",
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
