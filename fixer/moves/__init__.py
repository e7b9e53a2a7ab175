"""The moves: one module per destination, and the safety checks they share.

- :mod:`~fixer.moves.hoist`: out of the function that builds it (TFO001, TFO004, TFO005): the
  shared checks, then the destination, then the gate;
- :mod:`~fixer.moves.scope`: module scope, or the enclosing factory function;
- :mod:`~fixer.moves.instance`: ``__init__``, kept on the instance, for a method;
- :mod:`~fixer.moves.before_loop`: before the outermost loop it may leave (TFO002, TFO003);
- :mod:`~fixer.moves.checks`: the checks the destinations share.

A move adds edits and a finding to the :class:`~fixer.analysis.planner.Planner`; it never
changes the tree. The rules (:mod:`fixer.rules`) call what this package exports.
"""

from __future__ import annotations

from fixer.moves.before_loop import LoopSite, choose_loop, plan_before_loop
from fixer.moves.checks import check_bindings
from fixer.moves.hoist import Site, plan_site

__all__ = ["LoopSite", "Site", "check_bindings", "choose_loop", "plan_before_loop", "plan_site"]
