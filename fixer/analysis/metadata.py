"""The LibCST metadata the analysis reads (scopes and positions), without LibCST's batched
traversals.

``MetadataWrapper.resolve`` runs the batchable providers (``ScopeProvider`` and the
``ExpressionContextProvider`` it depends on) inside a batched traversal that visits every node
to call their visitor methods, yet each does its real work in ``visit_Module`` with a traversal
of its own; and every ``resolve`` makes such a traversal even when no batchable provider is
left (``PositionProvider``). On training code those traversals, and the gathering of their
visitor methods, cost about a third of the analysis and compute nothing.

:func:`scopes_of` runs LibCST's own visitors, ``ExpressionContextVisitor`` then
``ScopeVisitor``, exactly as those providers' ``visit_Module`` do, so it gives the very ``Scope``
objects ``ScopeProvider`` would; :func:`positions_of` computes ``PositionProvider`` as the
wrapper does. Only the driving differs. ``tests/test_engine.py`` checks, on every fixture, that
both equal what ``MetadataWrapper.resolve`` gives.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

import libcst as cst
from libcst.metadata import CodeRange, ExpressionContextProvider, PositionProvider, Scope
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


def scopes_of(module: cst.Module) -> Mapping[cst.CSTNode, Scope | None]:
    """The scope of each node of ``module``, as ``ScopeProvider`` gives it: its
    ``visit_Module`` (over the expression contexts its dependency's ``visit_Module`` finds)."""
    contexts = _Recorder()
    module.visit(
        ExpressionContextVisitor(cast(ExpressionContextProvider, contexts), ExpressionContext.LOAD)
    )
    scopes = _Recorder(contexts.found)
    visitor = ScopeVisitor(cast(ScopeProvider, scopes))
    module.visit(visitor)
    visitor.infer_accesses()
    return cast("Mapping[cst.CSTNode, Scope | None]", scopes.found)


def positions_of(wrapper: cst.MetadataWrapper) -> Mapping[cst.CSTNode, CodeRange]:
    """``PositionProvider``'s metadata, computed as ``MetadataWrapper`` computes a provider
    that is not batchable, less the empty batched traversal ``MetadataWrapper.resolve`` also
    makes (a whole pass over the module for no visitor)."""
    return cast(Mapping[cst.CSTNode, CodeRange], PositionProvider()._gen(wrapper))
