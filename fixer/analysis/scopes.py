"""LibCST's scopes for a module, computed in two passes instead of four.

``ScopeProvider`` and the ``ExpressionContextProvider`` it depends on are *batchable*
providers: ``MetadataWrapper`` runs them inside a batched traversal that visits every node of
the module to call their visitor methods, yet each does its real work in ``visit_Module`` with a
traversal of its own. On training code the batched traversals (and the gathering of their
visitor methods) cost about a third of the analysis and compute nothing.

:class:`Scopes` is an ordinary (not batchable) provider that runs the same two LibCST visitors,
``ExpressionContextVisitor`` then ``ScopeVisitor``, exactly as those providers' ``visit_Module``
do, so its metadata is the very ``Scope`` objects ``ScopeProvider`` would give. The visitors
are LibCST's own; only the driving differs. ``tests/test_engine.py`` checks that both give the
same scopes, assignments and accesses.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Optional, cast

import libcst as cst
from libcst.metadata import BaseMetadataProvider, ExpressionContextProvider, Scope
from libcst.metadata.expression_context_provider import (
    ExpressionContext,
    ExpressionContextVisitor,
)
from libcst.metadata.scope_provider import ScopeProvider, ScopeVisitor


class _Recorder:
    """Stands for the provider in LibCST's visitors, which only call ``set_metadata`` and (the
    scope visitor) ``get_metadata`` of the expression contexts."""

    def __init__(self, contexts: Mapping[cst.CSTNode, object] | None = None) -> None:
        self.found: dict[cst.CSTNode, object] = {}
        self.contexts = contexts or {}

    def set_metadata(self, node: cst.CSTNode, value: object) -> None:
        self.found[node] = value

    def get_metadata(self, key: type, node: cst.CSTNode, default: object = None) -> object:
        assert key is ExpressionContextProvider, key
        return self.contexts.get(node, default)


class Scopes(BaseMetadataProvider[Optional[Scope]]):
    """The scope of each node, as ``ScopeProvider`` gives it."""

    def _gen_impl(self, module: cst.Module) -> None:
        # ExpressionContextProvider.visit_Module, then ScopeProvider.visit_Module reading it.
        contexts = _Recorder()
        module.visit(
            ExpressionContextVisitor(
                cast(ExpressionContextProvider, contexts), ExpressionContext.LOAD
            )
        )
        scopes = _Recorder(contexts.found)
        visitor = ScopeVisitor(cast(ScopeProvider, scopes))
        module.visit(visitor)
        visitor.infer_accesses()
        for node, scope in scopes.found.items():
            self.set_metadata(node, cast(Optional[Scope], scope))
