"""The request journal: each request's method, path, status and both bodies (the first MiB of each),
kept in memory, newest last, the last 10,000 requests."""

from __future__ import annotations

import collections
import dataclasses
import itertools
import threading
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qs

import orjson
from starlette.types import Scope

BODY_MAX = 1024**2
KEPT = 10_000
API_PREFIXES = ("/api/v3", "/api/uploads")
_ids = itertools.count(1)


def api_path(path: str) -> str:
    """The path as GitHub's docs write it: under /api/v3 (or the upload host's /api/uploads)."""
    for prefix in API_PREFIXES:
        if path == prefix or path.startswith(prefix + "/"):
            return path[len(prefix) :] or "/"
    return path


@dataclasses.dataclass
class Entry:
    method: str
    path: str  # under /api/v3 or /api/uploads; else the full path (/api/graphql, web pages)
    full_path: str
    query: str
    request_headers: dict[str, str]
    status: int = 0
    response_headers: dict[str, str] = dataclasses.field(default_factory=dict)
    fault: int | None = None  # the fault that answered, if one did
    started: float = dataclasses.field(default_factory=time.time)
    id: int = dataclasses.field(default_factory=lambda: next(_ids))
    request_body: bytearray = dataclasses.field(default_factory=bytearray)
    response_body: bytearray = dataclasses.field(default_factory=bytearray)
    request_size: int = 0
    response_size: int = 0

    def add_request(self, data: bytes) -> None:
        self.request_size += len(data)
        if len(self.request_body) < BODY_MAX:
            self.request_body += data[: BODY_MAX - len(self.request_body)]

    def add_response(self, data: bytes) -> None:
        self.response_size += len(data)
        if len(self.response_body) < BODY_MAX:
            self.response_body += data[: BODY_MAX - len(self.response_body)]

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "method": self.method,
            "path": self.path,
            "full_path": self.full_path,
            "query": self.query,
            "params": {k: v[-1] for k, v in parse_qs(self.query).items()},
            "status": self.status,
            "fault": self.fault,
            "started_at": self.started,
            "request_headers": self.request_headers,
            "response_headers": self.response_headers,
            "request_body": decoded(bytes(self.request_body), self.request_headers.get("content-type", "")),
            "request_size": self.request_size,
            "response_body": decoded(bytes(self.response_body), self.response_headers.get("content-type", "")),
            "response_size": self.response_size,
        }


def decoded(body: bytes, content_type: str) -> Any:
    """JSON as its value, text as text, other bytes as null (their size is in the entry)."""
    if not body:
        return None
    if "json" in content_type or body[:1] in (b"{", b"["):
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            pass
    try:
        return body.decode()
    except UnicodeDecodeError:
        return None


def headers_of(raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    """Header pairs as a dict with lower-case names; Authorization is kept only as its scheme."""
    out: dict[str, str] = {}
    for name, value in raw:
        key, text = name.decode("latin-1").lower(), value.decode("latin-1")
        if key == "authorization":
            text = text.split(" ", 1)[0] + " [redacted]"
        out[key] = f"{out[key]}, {text}" if key in out else text
    return out


class Journal:
    def __init__(self) -> None:
        self._entries: collections.deque[Entry] = collections.deque(maxlen=KEPT)
        self._lock = threading.Lock()

    def open(self, scope: Scope) -> Entry:
        path = scope["path"]
        entry = Entry(
            scope["method"], api_path(path), path, scope["query_string"].decode("latin-1"), headers_of(scope["headers"])
        )
        with self._lock:
            self._entries.append(entry)
        return entry

    def views(self, since: int = 0) -> list[dict[str, Any]]:
        with self._lock:
            entries = [e for e in self._entries if e.id > since]
        return [e.view() for e in entries]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
