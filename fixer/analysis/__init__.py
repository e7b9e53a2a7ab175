"""Read-only pass: find optimizers built while tracing; decide where each goes, or why not.

``prepare`` computes a file's facts once (:mod:`fixer.analysis.facts`); ``plan`` runs the rules
(:mod:`fixer.rules`, which hand their fixes to :mod:`fixer.moves`) over them with the
:mod:`fixer.analysis.planner` and returns a frozen :class:`Plan` (:mod:`fixer.analysis.plan`),
which :mod:`fixer.transform` applies without deciding anything.
"""

from __future__ import annotations

from fixer.analysis.facts import Binding, Construction, Facts, Loop, Owner, Traced, prepare
from fixer.analysis.plan import (
    BoundCall,
    Decision,
    FixGate,
    Hoisted,
    Insertion,
    MovedStatement,
    NewInit,
    Plan,
    Reference,
    SiteKey,
    default_gate,
)
from fixer.analysis.planner import analyse, plan

__all__ = [
    "Binding",
    "BoundCall",
    "Construction",
    "Decision",
    "Facts",
    "FixGate",
    "Hoisted",
    "Insertion",
    "Loop",
    "MovedStatement",
    "NewInit",
    "Owner",
    "Plan",
    "Reference",
    "SiteKey",
    "Traced",
    "analyse",
    "default_gate",
    "plan",
    "prepare",
]
