"""A stateful fake of the GitHub API on 127.0.0.1, over real git repositories.

It serves the REST and GraphQL calls the bot makes and enforces the rules GitHub documents for
them: a review comment's ``line`` must be in a hunk of the pull request's diff, a ``start_line``
must precede ``line`` and lie in the same hunk (422 otherwise); lists are paginated with
``Link`` headers; a token that may only read gets 403 on every write. Every REST request is
validated against GitHub's published OpenAPI description (``tests/data/github``); a request that
does not conform is answered 400 and recorded in ``violations``.

The permission check (``GET /repos/{owner}/{repo}/collaborators/{username}/permission``) answers
as GitHub does: ``permission`` is the base role (``maintain`` reads as ``write``, ``triage`` as
``read``, a custom role as the base role it extends), ``role_name`` the role itself, and a login
the fake does not know gets 404. Its answers are validated against the description too.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from graphql import GraphQLSchema, OperationDefinitionNode, build_schema, parse, validate
from graphql.execution.values import get_variable_values
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

DATA = Path(__file__).resolve().parent.parent / "data" / "github"
SPEC = DATA / "api.github.com.bot.json"
GRAPHQL = DATA / "github.bot.graphql"
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@", re.MULTILINE)
_openapi: OpenAPI | None = None


def openapi() -> OpenAPI:
    global _openapi
    if _openapi is None:
        _openapi = OpenAPI.from_dict(json.loads(SPEC.read_text(encoding="utf-8")))
    return _openapi


_graphql_schema: GraphQLSchema | None = None


def graphql_schema() -> GraphQLSchema:
    global _graphql_schema
    if _graphql_schema is None:
        _graphql_schema = build_schema(GRAPHQL.read_text(encoding="utf-8"))
    return _graphql_schema


def graphql_errors(query: str, variables: Any) -> list[str]:
    """What GitHub's GraphQL schema says about a document and its variables."""
    try:
        document = parse(query)
    except Exception as error:  # a syntax error, as graphql-core reports it
        return [str(error)]
    errors = [e.message for e in validate(graphql_schema(), document)]
    if errors:
        return errors
    (operation,) = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    coerced = get_variable_values(
        graphql_schema(), operation.variable_definitions or (), variables or {}
    )
    return [e.message for e in coerced] if isinstance(coerced, list) else []


def git(cwd: Path, *args: str, data: bytes | None = None, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, input=data, capture_output=True, check=False, env=env
    )
    if done.returncode != 0:
        raise RuntimeError(f"git {args}: {done.stderr.decode()}")
    return done.stdout.decode()


@dataclass
class Token:
    login: str
    writes: set[str]  # repositories this token may write to
    user_type: str = "Bot"


@dataclass
class Pull:
    number: int
    head_repo: str  # owner/name
    head_ref: str
    base_ref: str = "main"
    maintainer_can_modify: bool = False
    state: str = "open"
    author: str = "contributor"


@dataclass
class FakeGitHub:
    repos: dict[str, Path]  # owner/name -> a git repository (non-bare)
    base: str  # the repository the bot works on
    tokens: dict[str, Token] = field(default_factory=dict)
    pulls: dict[int, Pull] = field(default_factory=dict)
    permissions: dict[str, str] = field(default_factory=dict)  # login -> role name
    custom_roles: dict[str, str] = field(default_factory=dict)  # role name -> its base role
    review_comments: list[dict[str, Any]] = field(default_factory=list)
    reviews: list[dict[str, Any]] = field(default_factory=list)
    issue_comments: list[dict[str, Any]] = field(default_factory=list)
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    max_per_page: int = 100
    url: str = ""
    _next_id: int = 1000
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # ---------------------------------------------------------------- git state
    def head_sha(self, pull: Pull) -> str:
        return git(self.repos[pull.head_repo], "rev-parse", f"refs/heads/{pull.head_ref}").strip()

    def sync_pull_ref(self, pull: Pull) -> None:
        """``refs/pull/N/head`` in the base repository follows the head branch, as on GitHub."""
        base = self.repos[self.base]
        source = self.repos[pull.head_repo]
        git(
            base,
            "fetch",
            "-q",
            "--no-tags",
            str(source),
            f"+refs/heads/{pull.head_ref}:refs/pull/{pull.number}/head",
        )

    def _merge_base(self, pull: Pull) -> str:
        base = self.repos[self.base]
        return git(
            base, "merge-base", f"refs/heads/{pull.base_ref}", f"refs/pull/{pull.number}/head"
        ).strip()

    def pull_files(self, pull: Pull) -> list[dict[str, Any]]:
        base = self.repos[self.base]
        self.sync_pull_ref(pull)
        head = f"refs/pull/{pull.number}/head"
        start = self._merge_base(pull)
        names = git(base, "diff", "--name-status", "--no-renames", "-z", start, head).split("\0")
        files = []
        for status, name in zip(names[0::2], names[1::2]):
            diff = git(base, "diff", "-U3", "--no-renames", start, head, "--", name)
            at = diff.find("\n@@")
            patch = diff[at + 1 :].rstrip("\n") if at != -1 else ""
            kind = {"A": "added", "D": "removed", "M": "modified"}.get(status, "modified")
            files.append({"filename": name, "status": kind, "patch": patch})
        return files

    def hunks(self, pull: Pull, path: str) -> list[range] | None:
        """The right-side line ranges of each hunk of ``path``, from hunk headers alone."""
        for f in self.pull_files(pull):
            if f["filename"] == path:
                return [
                    range(int(m.group(1)), int(m.group(1)) + int(m.group(2) or 1))
                    for m in _HUNK.finditer(f["patch"])
                ]
        return None

    # ---------------------------------------------------------------- objects
    def _id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _user(self, login: str, kind: str = "User") -> dict[str, Any]:
        return {"login": login, "id": abs(hash(login)) % 100000, "type": kind}

    def pull_json(self, pull: Pull) -> dict[str, Any]:
        self.sync_pull_ref(pull)
        owner = pull.head_repo.split("/")[0]
        return {
            "number": pull.number,
            "state": pull.state,
            "title": f"pull {pull.number}",
            "user": self._user(pull.author),
            "maintainer_can_modify": pull.maintainer_can_modify,
            "head": {
                "ref": pull.head_ref,
                "sha": self.head_sha(pull),
                "label": f"{owner}:{pull.head_ref}",
                "repo": {"full_name": pull.head_repo, "fork": pull.head_repo != self.base},
            },
            "base": {
                "ref": pull.base_ref,
                "sha": git(self.repos[self.base], "rev-parse", pull.base_ref).strip(),
                "repo": {"full_name": self.base},
            },
        }

    # ---------------------------------------------------------------- requests
    def handle(
        self, method: str, target: str, token: str | None, body: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        with self._lock:
            parts = urllib.parse.urlsplit(target)
            query = dict(urllib.parse.parse_qsl(parts.query))
            payload = json.loads(body) if body else None
            self.requests.append((method, parts.path, payload))
            user = self.tokens.get(token or "")
            if user is None:
                return 401, {"message": "Bad credentials"}, {}
            if parts.path == "/graphql" and method == "POST":
                return self._graphql(user, payload)
            try:
                openapi().validate_request(
                    MockRequest(
                        "https://api.github.com",
                        method.lower(),
                        parts.path,
                        args=query,
                        data=body.decode() if body else None,
                        content_type="application/json",
                    )
                )
            except Exception as error:  # the description's verdict, whatever its kind
                self.violations.append(f"{method} {parts.path}: {error}")
                return 400, {"message": f"does not conform to the OpenAPI description: {error}"}, {}
            return self._rest(method, parts.path, query, payload, user)

    def _page(self, items: list[Any], path: str, query: dict[str, str]) -> tuple[int, Any, dict]:
        per_page = min(int(query.get("per_page", 30)), self.max_per_page)
        page = int(query.get("page", 1))
        chunk = items[(page - 1) * per_page : page * per_page]
        headers = {}
        if page * per_page < len(items):
            nxt = dict(query, page=str(page + 1))
            headers["Link"] = f'<{self.url}{path}?{urllib.parse.urlencode(nxt)}>; rel="next"'
        return 200, chunk, headers

    def _rest(
        self, method: str, path: str, query: dict[str, str], payload: Any, user: Token
    ) -> tuple[int, Any, dict[str, str]]:
        prefix = f"/repos/{self.base}"
        if not path.startswith(prefix + "/"):
            return 404, {"message": "Not Found"}, {}
        rest = path[len(prefix) :]
        if method != "GET" and self.base not in user.writes:
            return 403, {"message": "Resource not accessible by integration"}, {}
        if method == "GET" and rest == "/pulls":
            state = query.get("state", "open")
            found = [self.pull_json(p) for p in self.pulls.values() if p.state == state]
            return self._page(found, path, query)
        match = re.fullmatch(r"/pulls/(\d+)(/.*)?", rest)
        if match and int(match.group(1)) in self.pulls:
            return self._pull(
                method, path, int(match.group(1)), match.group(2) or "", query, payload, user
            )
        match = re.fullmatch(r"/pulls/comments/(\d+)", rest)
        if match and method == "PATCH":
            for comment in self.review_comments:
                if comment["id"] == int(match.group(1)):
                    if comment["user"]["login"] != user.login:
                        return 403, {"message": "Must be the comment's author"}, {}
                    comment["body"] = payload["body"]
                    return 200, comment, {}
            return 404, {"message": "Not Found"}, {}
        match = re.fullmatch(r"/issues/(\d+)/comments", rest)
        if match:
            number = int(match.group(1))
            if method == "GET":
                found = [c for c in self.issue_comments if c["issue"] == number]
                return self._page(found, path, query)
            comment = {
                "id": self._id(),
                "issue": number,
                "body": payload["body"],
                "user": self._user(user.login, user.user_type),
            }
            self.issue_comments.append(comment)
            return 201, comment, {}
        match = re.fullmatch(r"/collaborators/([^/]+)/permission", rest)
        if match:
            return self._permission(method, path, urllib.parse.unquote(match.group(1)))
        match = re.fullmatch(r"/commits/([^/]+)", rest)
        if match:
            sha = urllib.parse.unquote(match.group(1))
            try:
                message = git(self.repos[self.base], "log", "-1", "--format=%B", sha)
            except RuntimeError:
                return 422, {"message": f"No commit found for SHA: {sha}"}, {}
            return 200, {"sha": sha, "commit": {"message": message.rstrip("\n")}}, {}
        return 404, {"message": "Not Found"}, {}

    def _collaborator(self, login: str, role: str) -> dict[str, Any]:
        """A ``collaborator`` object, with every field GitHub's schema requires."""
        url = f"https://api.github.invalid/users/{login}"
        return {
            **self._user(login),
            "node_id": f"U_{login}",
            "avatar_url": f"https://avatars.invalid/{login}",
            "gravatar_id": "",
            "url": url,
            "html_url": f"https://github.invalid/{login}",
            "followers_url": f"{url}/followers",
            "following_url": f"{url}/following{{/other_user}}",
            "gists_url": f"{url}/gists{{/gist_id}}",
            "starred_url": f"{url}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{url}/subscriptions",
            "organizations_url": f"{url}/orgs",
            "repos_url": f"{url}/repos",
            "events_url": f"{url}/events{{/privacy}}",
            "received_events_url": f"{url}/received_events",
            "site_admin": False,
            "role_name": role,
        }

    def _permission(self, method: str, path: str, login: str) -> tuple[int, Any, dict[str, str]]:
        role = self.permissions.get(login)
        if role is None:
            status, data = 404, {"message": "Not Found", "documentation_url": "https://docs"}
        else:
            base = self.custom_roles.get(role, role)
            base = {"maintain": "write", "triage": "read"}.get(base, base)
            user = self._collaborator(login, role)
            status, data = 200, {"permission": base, "role_name": role, "user": user}
        try:
            openapi().validate_response(
                MockRequest("https://api.github.com", method.lower(), path),
                MockResponse(json.dumps(data).encode(), status, content_type="application/json"),
            )
        except Exception as error:  # the description's verdict on the fake's own answer
            self.violations.append(f"answer to {method} {path}: {error}")
        return status, data, {}

    def _pull(
        self,
        method: str,
        path: str,
        number: int,
        tail: str,
        query: dict[str, str],
        payload: Any,
        user: Token,
    ) -> tuple[int, Any, dict[str, str]]:
        pull = self.pulls[number]
        if method == "GET" and tail == "":
            return 200, self.pull_json(pull), {}
        if method == "GET" and tail == "/files":
            return self._page(self.pull_files(pull), path, query)
        if method == "GET" and tail == "/comments":
            found = [c for c in self.review_comments if c["pull"] == number]
            return self._page(found, path, query)
        if method == "GET" and tail == "/reviews":
            found = [r for r in self.reviews if r["pull"] == number]
            return self._page(found, path, query)
        if method == "POST" and tail == "/reviews":
            return self._review(pull, payload, user)
        return 404, {"message": "Not Found"}, {}

    def _review(self, pull: Pull, payload: Any, user: Token) -> tuple[int, Any, dict[str, str]]:
        if payload.get("event") in ("COMMENT", "REQUEST_CHANGES") and not payload.get("body"):
            return 422, {"message": "Unprocessable Entity", "errors": ["body is required"]}, {}
        commit = payload.get("commit_id")
        if commit:
            try:
                git(self.repos[self.base], "cat-file", "-e", f"{commit}^{{commit}}")
            except RuntimeError:
                return 422, {"message": "Unprocessable Entity", "errors": ["commit_id"]}, {}
        comments = payload.get("comments", [])
        for comment in comments:
            hunks = self.hunks(pull, comment["path"])
            if hunks is None:
                return (
                    422,
                    {"message": "Unprocessable Entity", "errors": ["Path could not be resolved"]},
                    {},
                )
            line = comment.get("line")
            if line is None or comment.get("side", "RIGHT") != "RIGHT":
                return 422, {"message": "Unprocessable Entity", "errors": ["line"]}, {}
            hunk = next((h for h in hunks if line in h), None)
            if hunk is None:
                return (
                    422,
                    {"message": "Unprocessable Entity", "errors": ["Line could not be resolved"]},
                    {},
                )
            start = comment.get("start_line")
            if start is not None:
                if start >= line:
                    return (
                        422,
                        {
                            "message": "Unprocessable Entity",
                            "errors": ["start_line must precede the end line."],
                        },
                        {},
                    )
                if start not in hunk:
                    return (
                        422,
                        {
                            "message": "Unprocessable Entity",
                            "errors": [
                                "pull_request_review_thread.start_line must be part of the "
                                "same hunk as the line."
                            ],
                        },
                        {},
                    )
        review = {
            "id": self._id(),
            "pull": pull.number,
            "body": payload.get("body", ""),
            "state": "COMMENTED",
            "commit_id": commit or self.head_sha(pull),
            "user": self._user(user.login, user.user_type),
        }
        self.reviews.append(review)
        for comment in comments:
            self.review_comments.append(
                {
                    "id": self._id(),
                    "pull": pull.number,
                    "pull_request_review_id": review["id"],
                    "path": comment["path"],
                    "line": comment["line"],
                    "start_line": comment.get("start_line"),
                    "side": "RIGHT",
                    "body": comment["body"],
                    "commit_id": review["commit_id"],
                    "user": self._user(user.login, user.user_type),
                }
            )
        return 200, review, {}

    def _graphql(self, user: Token, payload: Any) -> tuple[int, Any, dict[str, str]]:
        def error(message: str, kind: str = "UNPROCESSABLE") -> tuple[int, Any, dict[str, str]]:
            return 200, {"data": None, "errors": [{"type": kind, "message": message}]}, {}

        query = payload.get("query", "")
        problems = graphql_errors(query, payload.get("variables"))
        if problems:
            self.violations.append(f"graphql: {problems}")
            return error("; ".join(problems))
        data = payload["variables"]["input"]
        changes = data.get("fileChanges") or {}
        paths = [c["path"] for c in changes.get("additions", []) + changes.get("deletions", [])]
        if len(paths) != len(set(paths)):  # documented on FileChanges
            return error("paths must be unique across additions and deletions")
        for addition in changes.get("additions", []):
            try:  # "RFC 4648 compliant base64, i.e. correct padding is required"
                base64.b64decode(addition["contents"], validate=True)
            except ValueError:
                return error(f"invalid base64 for {addition['path']}")
        repository = data["branch"]["repositoryNameWithOwner"]
        branch = data["branch"]["branchName"]
        pull = next(
            (p for p in self.pulls.values() if p.head_repo == repository and p.head_ref == branch),
            None,
        )
        allowed = repository in user.writes or (
            pull is not None and pull.maintainer_can_modify and self.base in user.writes
        )
        if not allowed:
            return error("Resource not accessible by integration", "FORBIDDEN")
        path = self.repos.get(repository)
        if path is None:
            return error("Could not resolve to a Repository", "NOT_FOUND")
        current = git(path, "rev-parse", f"refs/heads/{branch}").strip()
        if current != data["expectedHeadOid"]:
            return error(
                f'Expected branch to point to "{data["expectedHeadOid"]}" but it did '
                "not. Pull and try again.",
                "STALE_DATA",
            )
        index = path / ".git" / "fake-index"
        env = {
            "GIT_INDEX_FILE": str(index),
            "PATH": "/usr/bin:/bin",
            "GIT_AUTHOR_NAME": "github-actions[bot]",
            "GIT_AUTHOR_EMAIL": "bot@example.invalid",
            "GIT_COMMITTER_NAME": "GitHub",
            "GIT_COMMITTER_EMAIL": "noreply@example.invalid",
        }
        git(path, "read-tree", current, env=env)
        for addition in data["fileChanges"].get("additions", []):
            blob = git(
                path,
                "hash-object",
                "-w",
                "--stdin",
                data=base64.b64decode(addition["contents"], validate=True),
            ).strip()
            git(
                path,
                "update-index",
                "--add",
                "--cacheinfo",
                f"100644,{blob},{addition['path']}",
                env=env,
            )
        tree = git(path, "write-tree", env=env).strip()
        message = data["message"]["headline"] + "\n\n" + data["message"].get("body", "")
        oid = git(path, "commit-tree", tree, "-p", current, data=message.encode(), env=env).strip()
        git(path, "update-ref", f"refs/heads/{branch}", oid, current)
        index.unlink()
        if pull is not None:
            self.sync_pull_ref(pull)
        return (
            200,
            {
                "data": {
                    "createCommitOnBranch": {
                        "commit": {
                            "oid": oid,
                            "url": f"https://github.invalid/{repository}/commit/{oid}",
                        }
                    }
                }
            },
            {},
        )


class _Handler(BaseHTTPRequestHandler):
    fake: FakeGitHub

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        auth = self.headers.get("Authorization", "")
        token = auth[len("Bearer ") :] if auth.startswith("Bearer ") else None
        status, data, headers = self.fake.handle(self.command, self.path, token, body)
        raw = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(raw)

    do_GET = do_POST = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        pass


class Server:
    """The fake, listening on 127.0.0.1 in a thread."""

    def __init__(self, fake: FakeGitHub) -> None:
        handler = type("Handler", (_Handler,), {"fake": fake})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        fake.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.fake = fake
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
