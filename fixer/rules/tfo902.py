"""TFO902 file-too-large: a file over ``--max-file-size`` that may hold a finding is not parsed.

Documentation only: an error report, made by the runner (``fixer/runner.py``,
``fixer/workers.py``) or the engine (``fixer/engine.py``). Tested in ``tests/test_robustness.py``
(no golden fixture: the condition is a property of the whole file, or of the process).
"""

from __future__ import annotations

from fixer.findings import Applicability
from fixer.rules.base import Example, Rule

RULE = Rule(
    code="TFO902",
    name="file-too-large",
    summary="the file is larger than --max-file-size and may hold a finding; it was not parsed",
    catches="""\
A file larger than ``--max-file-size`` (default 1 MiB) whose bytes name an optimizer. Such a
file is not parsed: LibCST's analysis costs about a minute and 1.2 GB of memory per megabyte,
enough to stop a CI runner. It is read a megabyte at a time, so memory stays bounded whatever
its size. A large file that names no optimizer is skipped as usual, without an error.""",
    why="""\
The file was not checked, so a finding in it may be missing. The run exits with status 2 so
that CI does not pass silently.""",
    fix_availability=Applicability.NONE,
    safe="""\
There is no fix: the file is left byte for byte as it was. Raise the limit for a run that may
take the time and memory (``--max-file-size 20000000``; ``0`` means no limit), or exclude the
file.""",
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
