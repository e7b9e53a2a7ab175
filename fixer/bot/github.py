"""The GitHub calls the bot makes, and nothing more: REST for pull requests, reviews and
comments, GraphQL ``createCommitOnBranch`` for the autofix commit."""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fixer.bot.http import ApiError, Http

_CREATE_COMMIT = """\
mutation ($input: CreateCommitOnBranchInput!) {
  createCommitOnBranch(input: $input) { commit { oid url } }
}"""


class SetupError(Exception):
    """The environment does not say how to reach GitHub; one line."""


@dataclass(frozen=True)
class Settings:
    """Where the API is and who the bot is, from the Actions environment."""

    token: str
    api_url: str
    graphql_url: str
    repository: str  # owner/name of the base repository

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        token = environ.get("FIXER_GITHUB_TOKEN") or environ.get("GITHUB_TOKEN", "")
        api_url = environ.get("GITHUB_API_URL", "https://api.github.com").rstrip("/")
        graphql_url = environ.get("GITHUB_GRAPHQL_URL", "").rstrip("/") or f"{api_url}/graphql"
        return cls(token, api_url, graphql_url, environ.get("GITHUB_REPOSITORY", ""))

    def __repr__(self) -> str:
        return f"Settings(api_url={self.api_url!r}, repository={self.repository!r})"


def _quote(part: str | int) -> str:
    return urllib.parse.quote(str(part), safe="")


class GitHub:
    """One repository's pull requests, as the bot needs them."""

    def __init__(self, settings: Settings, http: Http | None = None) -> None:
        if not settings.token:
            raise SetupError("no token: set GITHUB_TOKEN")
        if settings.repository.count("/") != 1:
            raise SetupError("GITHUB_REPOSITORY is not owner/name")
        self.settings = settings
        self._http = http or Http(settings.token)
        owner, name = settings.repository.split("/")
        self._repo = f"{settings.api_url}/repos/{_quote(owner)}/{_quote(name)}"

    def _list(self, path: str) -> list[dict[str, Any]]:
        separator = "&" if "?" in path else "?"
        items = self._http.paginate(f"{self._repo}{path}{separator}per_page=100")
        return [item for item in items if isinstance(item, dict)]

    def _get(self, path: str) -> dict[str, Any]:
        data = self._http.request("GET", f"{self._repo}{path}").data
        if not isinstance(data, dict):
            raise ApiError("GET", f"{self._repo}{path}", 200, "expected an object")
        return data

    def open_pulls(self) -> list[dict[str, Any]]:
        return self._list("/pulls?state=open")

    def pull(self, number: int) -> dict[str, Any]:
        return self._get(f"/pulls/{number}")

    def pull_files(self, number: int) -> list[dict[str, Any]]:
        return self._list(f"/pulls/{number}/files")

    def review_comments(self, number: int) -> list[dict[str, Any]]:
        return self._list(f"/pulls/{number}/comments")

    def reviews(self, number: int) -> list[dict[str, Any]]:
        return self._list(f"/pulls/{number}/reviews")

    def create_review(
        self, number: int, commit_id: str, body: str, comments: Sequence[Mapping[str, Any]]
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {"commit_id": commit_id, "body": body, "event": "COMMENT"}
        if comments:
            payload["comments"] = list(comments)
        url = f"{self._repo}/pulls/{number}/reviews"
        data = self._http.request("POST", url, payload).data
        return data if isinstance(data, dict) else {}

    def update_review_comment(self, comment_id: int, body: str) -> None:
        url = f"{self._repo}/pulls/comments/{comment_id}"
        self._http.request("PATCH", url, {"body": body})

    def issue_comments(self, number: int) -> list[dict[str, Any]]:
        return self._list(f"/issues/{number}/comments")

    def create_issue_comment(self, number: int, body: str) -> None:
        self._http.request("POST", f"{self._repo}/issues/{number}/comments", {"body": body})

    def permission(self, username: str) -> str:
        """The user's base role on the repository: ``admin``, ``write``, ``read`` or ``none``.

        GitHub's ``permission`` field maps ``maintain`` to ``write`` and ``triage`` to ``read``,
        and a custom role to the base role it extends (``role_name`` holds the custom name).
        A user GitHub does not know (404) has none."""
        try:
            data = self._get(f"/collaborators/{_quote(username)}/permission")
        except ApiError as error:
            if error.status == 404:
                return "none"
            raise
        return str(data.get("permission") or "none")

    def commit_message(self, sha: str) -> str:
        data = self._get(f"/commits/{_quote(sha)}")
        commit = data.get("commit")
        return str(commit.get("message", "")) if isinstance(commit, dict) else ""

    def create_commit_on_branch(
        self,
        *,
        repository: str,
        branch: str,
        expected_head: str,
        headline: str,
        body: str,
        additions: Sequence[Mapping[str, str]],
    ) -> str:
        """Pushes one commit; GitHub refuses it when the branch no longer points at
        ``expected_head``. Returns the new commit's id."""
        variables = {
            "input": {
                "branch": {"repositoryNameWithOwner": repository, "branchName": branch},
                "expectedHeadOid": expected_head,
                "message": {"headline": headline, "body": body},
                "fileChanges": {"additions": list(additions)},
            }
        }
        url = self.settings.graphql_url
        answer = self._http.request("POST", url, {"query": _CREATE_COMMIT, "variables": variables})
        data = answer.data if isinstance(answer.data, dict) else {}
        errors = data.get("errors")
        if errors:
            first = errors[0] if isinstance(errors, list) and errors else errors
            message = first.get("message", first) if isinstance(first, dict) else first
            raise ApiError("POST", url, answer.status, f"createCommitOnBranch: {message}")
        try:
            return str(data["data"]["createCommitOnBranch"]["commit"]["oid"])
        except (KeyError, TypeError):
            raise ApiError("POST", url, answer.status, "createCommitOnBranch: no commit") from None
