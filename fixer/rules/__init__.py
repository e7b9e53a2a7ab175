"""The rules: one module a code, each holding its documentation (``RULE``) and its detection.

``RULES`` lists them in the order of their codes, the order every listing shows.

Importing this package does not import LibCST: a rule module reaches LibCST, the analysis and
the moves through :func:`fixer.lazy.lazy`, so the command line reads the documentation and the
selectors without paying for the parser.
"""

from __future__ import annotations

from fixer.rules import tfo001, tfo002, tfo003, tfo004, tfo005, tfo100, tfo900, tfo901
from fixer.rules.base import Rule

OPTIMIZER_IN_TRACED_FUNCTION = tfo001.RULE
OPTIMIZER_PER_ITERATION_TRACED = tfo002.RULE
OPTIMIZER_REBUILT_EVERY_STEP = tfo003.RULE
OPTIMIZER_BUILT_BY_TRACED_HELPER = tfo004.RULE
OPTIMIZER_BUILT_PER_CALL = tfo005.RULE
UNUSED_SUPPRESSION = tfo100.RULE
SYNTAX_ERROR = tfo900.RULE
INTERNAL_ERROR = tfo901.RULE

RULES: tuple[Rule, ...] = (
    OPTIMIZER_IN_TRACED_FUNCTION,
    OPTIMIZER_PER_ITERATION_TRACED,
    OPTIMIZER_REBUILT_EVERY_STEP,
    OPTIMIZER_BUILT_BY_TRACED_HELPER,
    OPTIMIZER_BUILT_PER_CALL,
    UNUSED_SUPPRESSION,
    SYNTAX_ERROR,
    INTERNAL_ERROR,
)

RULES_BY_CODE: dict[str, Rule] = {rule.code: rule for rule in RULES}

# The kinds that make TensorFlow fail (``error`` in CI annotations); the others are silent.
CRASH_CODES = frozenset(rule.code for rule in RULES if rule.crashes)
