"""The pull-request bot: thin layers over fixer's command line and its JSON output.

``fixer bot analyze`` runs in the unprivileged pull-request job and writes a results artifact;
``fixer bot publish`` reads that artifact as untrusted data and posts one review;
``fixer bot autofix`` pushes the safe fixes as one commit when a maintainer asks.

Modules: ``http`` (JSON over urllib), ``github`` (the REST and GraphQL calls), ``hunks`` (which
lines of a pull request's diff may carry a comment), ``markdown`` (suggestions, fences, markers),
``artifact`` (the results file, written and read back with caps), ``analyze``, ``publish``,
``autofix`` (the three commands) and ``cli`` (their options).
"""
