"""TFO905 worker-crashed: the process checking this file died; it was left untouched.

Documentation only: an error report, made by the runner (``fixer/runner.py``,
``fixer/workers.py``) or the engine (``fixer/engine.py``). Tested in ``tests/test_robustness.py``
(no golden fixture: the condition is a property of the whole file, or of the process).
"""

from __future__ import annotations

from fixer.findings import Applicability
from fixer.rules.base import Example, Rule

RULE = Rule(
    code="TFO905",
    name="worker-crashed",
    summary="the process checking this file died; the file was left untouched",
    catches="""\
The worker process that was checking this file died (a segmentation fault in a native
parser, or the system's out-of-memory killer). The process is replaced, the other files it was
given are checked again one at a time, and the run goes on.""",
    why="""\
The file was not checked, so a finding in it may be missing. The run exits with status 2. It is
a bug in fixer or in a library it uses: please report it, with the file.""",
    fix_availability=Applicability.NONE,
    safe="""\
There is no fix: nothing is written for a file whose worker died.""",
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
