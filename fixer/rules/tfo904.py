"""TFO904 timeout: fixer ran past ``--timeout`` on this file, which was left untouched.

Documentation only: an error report, made by the runner (``fixer/runner.py``,
``fixer/workers.py``) or the engine (``fixer/engine.py``). Tested in ``tests/test_robustness.py``
(no golden fixture: the condition is a property of the whole file, or of the process).
"""

from __future__ import annotations

from fixer.findings import Applicability
from fixer.rules.base import Example, Rule

RULE = Rule(
    code="TFO904",
    name="timeout",
    summary="fixer took longer than --timeout on this file; it was stopped and left untouched",
    catches="""\
A file whose analysis ran longer than ``--timeout`` seconds (default 120; the time counts from
when its worker started on it). The worker process is stopped and replaced, and the run goes on
with the other files.""",
    why="""\
The file was not checked, so a finding in it may be missing. The run exits with status 2. A
file of ordinary size takes milliseconds; one that takes minutes is very large or very deeply
nested. Please report it if it is neither.""",
    fix_availability=Applicability.NONE,
    safe="""\
There is no fix: the file is left byte for byte as it was. Raise the limit (``--timeout 600``;
``0`` means none) for a run that may take the time.""",
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
