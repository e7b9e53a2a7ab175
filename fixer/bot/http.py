"""JSON over the standard library's HTTP client, for the GitHub API.

The token goes in an unredirected header (a redirect to another host never receives it), is
never part of an error message, and pages are followed only on the API's own origin.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

MAX_RESPONSE_BYTES = 32 * 1024 * 1024
API_VERSION = "2022-11-28"
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="next"')


class ApiError(Exception):
    """A failed call, as one line: method, path, status and GitHub's message."""

    def __init__(self, method: str, url: str, status: int, message: str) -> None:
        super().__init__(method, url, status, message)
        self.method = method
        self.path = urllib.parse.urlsplit(url).path
        self.status = status
        self.message = message

    def __str__(self) -> str:
        status = f"HTTP {self.status}" if self.status else "no response"
        return f"{self.method} {self.path}: {status}: {self.message}"


@dataclass(frozen=True)
class Response:
    status: int
    data: Any
    next_url: str | None


def _origin(url: str) -> tuple[str, str]:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme, parts.netloc


def _one_line(text: str, token: str, limit: int = 300) -> str:
    if token:
        text = text.replace(token, "***")
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


class Http:
    """A client that sends JSON with a bearer token and reads JSON back."""

    def __init__(self, token: str, timeout: float = 30.0) -> None:
        self._token = token
        self._timeout = timeout

    def __repr__(self) -> str:
        return "Http(token=***)"

    def request(self, method: str, url: str, body: Any = None) -> Response:
        """One call; an ``ApiError`` for any status of 400 or more, or no answer at all."""
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Accept", "application/vnd.github+json")
        request.add_header("X-GitHub-Api-Version", API_VERSION)
        request.add_header("User-Agent", "fixer-bot")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self._token:
            request.add_unredirected_header("Authorization", f"Bearer {self._token}")
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as answer:
                raw = answer.read(MAX_RESPONSE_BYTES + 1)
                status = answer.status
                link = answer.headers.get("Link", "")
        except urllib.error.HTTPError as error:
            raise ApiError(method, url, error.code, self._message(error)) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise ApiError(method, url, 0, _one_line(str(reason), self._token)) from None
        if len(raw) > MAX_RESPONSE_BYTES:
            raise ApiError(method, url, status, "response too large")
        try:
            payload = json.loads(raw) if raw.strip() else None
        except ValueError:
            raise ApiError(method, url, status, "response is not JSON") from None
        found = _NEXT.search(link)
        next_url = found.group(1) if found else None
        if next_url is not None and _origin(next_url) != _origin(url):
            raise ApiError(method, url, status, "next page is on another host")
        return Response(status, payload, next_url)

    def paginate(self, url: str) -> Iterator[Any]:
        """Every item of a listed resource, following ``Link: rel="next"``."""
        next_url: str | None = url
        while next_url is not None:
            page = self.request("GET", next_url)
            if not isinstance(page.data, list):
                raise ApiError("GET", next_url, page.status, "expected a list")
            yield from page.data
            next_url = page.next_url

    def _message(self, error: urllib.error.HTTPError) -> str:
        try:
            raw = error.read(65536)
            payload = json.loads(raw)
            message = str(payload.get("message", "")) if isinstance(payload, dict) else ""
            errors = payload.get("errors") if isinstance(payload, dict) else None
            if isinstance(errors, list) and errors:
                message += " (" + "; ".join(str(e) for e in errors[:3]) + ")"
        except (ValueError, OSError):
            message = ""
        return _one_line(message or str(error.reason), self._token)
