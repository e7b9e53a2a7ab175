"""TFO100 unused-suppression: a suppression comment that suppresses no finding.

Documentation only. The comments are found by :mod:`fixer.suppressions` and reported by the
engine (``fixer/engine.py``), which knows which findings each comment suppressed; the fix
deletes the comment or its unused codes. Fixture: ``hoist_unused_suppressions_removed``.
"""

from __future__ import annotations

from fixer.findings import Applicability
from fixer.rules.base import Example, Rule

RULE = Rule(
    code="TFO100",
    name="unused-suppression",
    summary="a suppression comment that suppresses no finding",
    catches="""\
A `# fixer: ignore` comment (with or without a list of codes), or a `noqa` comment naming `TFO`
codes, that suppresses no finding, or the codes in it that suppress nothing. Reported only
with `--report-unused-ignores` (or `report-unused-ignores = true`). Bare `# noqa` comments and
codes of other tools are never reported: they may belong to another linter.""",
    why="""\
A suppression that no longer suppresses anything hides nothing today, and would silently hide a
real finding tomorrow, when the line changes.""",
    fix_title="Remove the unused suppression",
    fix_availability=Applicability.SAFE,
    safe="""\
The fix deletes the comment, or only the codes in it that suppress nothing, and keeps the rest
of the line. It is safe: comments do not change what the program does.""",
    unsafe="""\
Never unsafe. Nothing is reported, and so nothing is removed, for a bare `# noqa` comment, or
for the codes of a `noqa` comment that are not `TFO` codes.""",
    example=Example(
        before="""\
import tensorflow as tf

optimizer = tf.keras.optimizers.Adam(1e-3)  # fixer: ignore[TFO001]
""",
        after="""\
import tensorflow as tf

optimizer = tf.keras.optimizers.Adam(1e-3)
""",
    ),
)
