"""Keeps, from GitHub's OpenAPI description, the operations the bot calls and the components
they reference. Usage: python trim_openapi.py api.github.com.json > api.github.com.bot.json"""

from __future__ import annotations

import json
import sys
from typing import Any

OPERATIONS = {
    "/repos/{owner}/{repo}/pulls": ["get"],
    "/repos/{owner}/{repo}/pulls/{pull_number}": ["get"],
    "/repos/{owner}/{repo}/pulls/{pull_number}/files": ["get"],
    "/repos/{owner}/{repo}/pulls/{pull_number}/comments": ["get"],
    "/repos/{owner}/{repo}/pulls/{pull_number}/reviews": ["get", "post"],
    "/repos/{owner}/{repo}/pulls/comments/{comment_id}": ["patch"],
    "/repos/{owner}/{repo}/issues/{issue_number}/comments": ["get", "post"],
    "/repos/{owner}/{repo}/collaborators/{username}/permission": ["get"],
    "/repos/{owner}/{repo}/commits/{ref}": ["get"],
}


def _refs(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            found.add(ref)
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)


def trim(spec: dict[str, Any]) -> dict[str, Any]:
    paths = {}
    for path, methods in OPERATIONS.items():
        item = spec["paths"][path]
        paths[path] = {m: item[m] for m in methods} | (
            {"parameters": item["parameters"]} if "parameters" in item else {}
        )
    components: dict[str, dict[str, Any]] = {}
    pending: set[str] = set()
    _refs(paths, pending)
    done: set[str] = set()
    while pending:
        ref = pending.pop()
        if ref in done:
            continue
        done.add(ref)
        _, _, section, name = ref.split("/", 3)
        node = spec["components"][section][name]
        components.setdefault(section, {})[name] = node
        _refs(node, pending)
    return {
        "openapi": spec["openapi"],
        "info": spec["info"],
        "servers": spec["servers"],
        "paths": paths,
        "components": {k: dict(sorted(v.items())) for k, v in sorted(components.items())},
    }


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as stream:
        document = json.load(stream)
    json.dump(trim(document), sys.stdout, indent=1, sort_keys=False)
    sys.stdout.write("\n")
