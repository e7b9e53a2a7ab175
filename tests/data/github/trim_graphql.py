"""Keeps, from GitHub's GraphQL schema (the introspection result ``schema.json``; the package's
``schema.graphql`` repeats two fields and does not build), what the bot's one mutation needs: the
``createCommitOnBranch`` field with its input types as GitHub defines them, a payload and
``Commit`` reduced to the fields the bot selects, and a ``Query`` root with ``rateLimit`` only
(a schema needs one). Usage: python trim_graphql.py schema.json > github.bot.graphql"""

from __future__ import annotations

import json
import sys
from typing import Any

from graphql import (
    GraphQLField,
    GraphQLObjectType,
    GraphQLSchema,
    build_client_schema,
    print_schema,
)

PAYLOAD_FIELDS = ("clientMutationId", "commit")
COMMIT_FIELDS = ("oid", "url")


def _keep(
    kind: GraphQLObjectType, names: tuple[str, ...], **replaced: GraphQLField
) -> GraphQLObjectType:
    fields = {}
    for name in names:
        field = kind.fields[name]
        fields[name] = replaced.get(name) or GraphQLField(
            field.type, args=field.args, description=field.description
        )
    return GraphQLObjectType(kind.name, fields, description=kind.description)


def trim(introspection: dict[str, Any]) -> str:
    full = build_client_schema(introspection.get("data", introspection))
    types = full.type_map
    commit = _keep(types["Commit"], COMMIT_FIELDS)  # type: ignore[arg-type]
    payload_type = types["CreateCommitOnBranchPayload"]
    payload = _keep(
        payload_type,  # type: ignore[arg-type]
        PAYLOAD_FIELDS,
        commit=GraphQLField(commit, description=payload_type.fields["commit"].description),  # type: ignore[union-attr]
    )
    assert full.mutation_type is not None and full.query_type is not None
    create = full.mutation_type.fields["createCommitOnBranch"]
    mutation = GraphQLObjectType(
        "Mutation",
        {
            "createCommitOnBranch": GraphQLField(
                payload, args=create.args, description=create.description
            )
        },
    )
    rate = full.query_type.fields["rateLimit"]
    query = GraphQLObjectType("Query", {"rateLimit": rate})
    return print_schema(GraphQLSchema(query=query, mutation=mutation))


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as stream:
        sys.stdout.write(trim(json.load(stream)) + "\n")
