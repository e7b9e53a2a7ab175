"""A LibCST codemod that changes nothing: LibCST's own runner parses every file and visits it."""

from __future__ import annotations

import libcst as cst
from libcst.codemod import VisitorBasedCodemodCommand


class NoopCommand(VisitorBasedCodemodCommand):
    """Parse, visit and print back each file unchanged."""

    DESCRIPTION = "Does nothing (a baseline for timing LibCST's codemod runner)."

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        return updated_node
