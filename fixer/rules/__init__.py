"""The rules: one module a code, each holding its documentation (``RULE``) and its detection.

``RULES`` lists them in the order of their codes, the order every listing shows. ``DETECTORS``
lists the detections in the order the planner runs them. A rule that finds something in the
code has a ``detect(planner)`` function: it reports each finding and hands what should move to
:mod:`fixer.moves`. TFO002 and TFO003 share one detection (``loops.py``); TFO100 is found by the
engine from the suppression comments (:mod:`fixer.suppressions`); TFO900 to TFO905 are error
reports. To add a rule: a module ``tfoNNN.py`` with ``RULE`` and ``detect``, its place in
``RULES`` and ``DETECTORS``, and fixtures under ``fixtures/`` that its docstring names. A rule
that looks at optimizers built somewhere other than a loop, a traced function, or a function
called from either must also widen :mod:`fixer.prefilter_sites`, which rules out files without
such places.

Importing this package does not import LibCST: a rule module reaches LibCST, the analysis and
the moves through :func:`fixer.lazy.lazy`, so the command line reads the documentation and the
selectors without paying for the parser.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from fixer.rules import (
    loops,
    tfo001,
    tfo002,
    tfo003,
    tfo004,
    tfo005,
    tfo100,
    tfo900,
    tfo901,
    tfo902,
    tfo903,
    tfo904,
    tfo905,
)
from fixer.rules.base import Rule

if TYPE_CHECKING:
    from fixer.analysis.planner import Planner

OPTIMIZER_IN_TRACED_FUNCTION = tfo001.RULE
OPTIMIZER_PER_ITERATION_TRACED = tfo002.RULE
OPTIMIZER_REBUILT_EVERY_STEP = tfo003.RULE
OPTIMIZER_BUILT_BY_TRACED_HELPER = tfo004.RULE
OPTIMIZER_BUILT_PER_CALL = tfo005.RULE
UNUSED_SUPPRESSION = tfo100.RULE
SYNTAX_ERROR = tfo900.RULE
INTERNAL_ERROR = tfo901.RULE
FILE_TOO_LARGE = tfo902.RULE
NESTED_TOO_DEEPLY = tfo903.RULE
TIMEOUT = tfo904.RULE
WORKER_CRASHED = tfo905.RULE

RULES: tuple[Rule, ...] = (
    OPTIMIZER_IN_TRACED_FUNCTION,
    OPTIMIZER_PER_ITERATION_TRACED,
    OPTIMIZER_REBUILT_EVERY_STEP,
    OPTIMIZER_BUILT_BY_TRACED_HELPER,
    OPTIMIZER_BUILT_PER_CALL,
    UNUSED_SUPPRESSION,
    SYNTAX_ERROR,
    INTERNAL_ERROR,
    FILE_TOO_LARGE,
    NESTED_TOO_DEEPLY,
    TIMEOUT,
    WORKER_CRASHED,
)

# The reports that a file was not checked (TFO900 and up): errors in every format.
NOT_CHECKED_CODES = frozenset(
    rule.code
    for rule in (
        SYNTAX_ERROR,
        INTERNAL_ERROR,
        FILE_TOO_LARGE,
        NESTED_TOO_DEEPLY,
        TIMEOUT,
        WORKER_CRASHED,
    )
)

RULES_BY_CODE: dict[str, Rule] = {rule.code: rule for rule in RULES}

# The kinds that make TensorFlow fail (``error`` in CI annotations); the others are silent.
CRASH_CODES = frozenset(rule.code for rule in RULES if rule.crashes)

# The order matters: a later detection sees the names the earlier fixes took (a second
# optimizer moved to module scope becomes ``<function>_optimizer``), and TFO005 skips a call
# already reported (by TFO004, at the construction inside a helper).
DETECTORS: tuple[Callable[[Planner], None], ...] = (
    tfo001.detect,
    tfo004.detect,
    loops.detect,
    tfo005.detect,
)
