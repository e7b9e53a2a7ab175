"""The language server (``fixer server``): diagnostics, code actions and rule documentation in
the editor, over the engine. Needs the ``lsp`` extra (pygls, lsprotocol); importing this package
alone imports neither, so the command line can say how to install them.

- :mod:`fixer.lsp.positions`: fixer's positions and the client's (line breaks, encodings);
- :mod:`fixer.lsp.checking`: one document checked under the configuration of its path;
- :mod:`fixer.lsp.ignore`: the suppression comment an action inserts;
- :mod:`fixer.lsp.translate`: findings and edits as protocol objects;
- :mod:`fixer.lsp.actions`: the code actions;
- :mod:`fixer.lsp.server`: the pygls server, its scheduling and its handlers.
"""

INSTALL = "pip install 'fixer[lsp]'"
