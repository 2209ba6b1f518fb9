"""Faults a test asks for: fail a route (`status`, `times`), delay it, or answer as GitHub's primary
or secondary rate limit does (its status, headers and body). Routes are written as in GitHub's docs:
`POST /repos/{owner}/{repo}/releases` (method optional, `*` any method), matched against the path
under /api/v3 (or /api/uploads)."""

from __future__ import annotations

import dataclasses
import http
import itertools
import re
import threading
import time
from typing import Any

import orjson

from hubdepot.http import render

RATE_DOCS = "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api"
PRIMARY_LIMIT = 5000
SECONDARY_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
    "If you reach out to GitHub Support for help, please include the request ID {rid}."
)
KINDS = ("fail", "delay", "primary", "secondary")
_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "*"}
_ids = itertools.count(1)


class FaultError(ValueError):
    """A fault the caller described wrongly (one line)."""


def route_pattern(route: str) -> tuple[str, re.Pattern[str]]:
    """ "POST /repos/{owner}/{repo}/releases" -> ("POST", its path as a regex); `*` in a path is any text."""
    method, _, path = route.strip().rpartition(" ")
    method = (method.strip() or "*").upper()
    if method not in _METHODS or not path.startswith("/"):
        raise FaultError(f"route: {route!r} is not METHOD /path (e.g. 'POST /repos/{{owner}}/{{repo}}/releases')")
    parts = re.split(r"(\{[^/{}]+\}|\*)", path.rstrip("/") or "/")
    regex = "".join("[^/]+" if p.startswith("{") else ".*" if p == "*" else re.escape(p) for p in parts if p)
    return method, re.compile(regex + "/?")


@dataclasses.dataclass
class Fault:
    route: str
    kind: str
    status: int
    times: int | None  # answers left; None: until cleared
    seconds: float = 0.0  # delay; for rate limits, the wait they announce
    body: Any = None  # fail: the JSON (or text) body; None: GitHub's shape for the status
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    id: int = dataclasses.field(default_factory=lambda: next(_ids))
    hits: int = 0

    def __post_init__(self) -> None:
        self.method, self.pattern = route_pattern(self.route)

    def matches(self, method: str, path: str) -> bool:
        return self.method in ("*", method) and self.pattern.fullmatch(path) is not None

    def view(self) -> dict[str, Any]:
        fields = ("id", "route", "kind", "status", "times", "seconds", "body", "headers", "hits")
        return {name: getattr(self, name) for name in fields}


def from_json(spec: Any) -> Fault:
    """A fault from its JSON description (POST /_hubdepot/faults, the pytest plugin)."""
    if not isinstance(spec, dict):
        raise FaultError("a fault is a JSON object")
    kind = spec.get("kind", "fail")
    if kind not in KINDS:
        raise FaultError(f"kind: one of {', '.join(KINDS)}")
    status = spec.get("status", {"fail": 500, "delay": 0}.get(kind, 403))
    times = spec.get("times", None if kind == "delay" else 1)
    seconds = spec.get("seconds", 60 if kind in ("primary", "secondary") else 0)
    if not isinstance(status, int) or not ((status == 0 and kind == "delay") or 400 <= status <= 599):
        raise FaultError("status: an error status, 400 to 599")
    if times is not None and (not isinstance(times, int) or times < 1):
        raise FaultError("times: a positive number (or null: until cleared)")
    if not isinstance(seconds, int | float) or not 0 <= seconds <= 3600:
        raise FaultError("seconds: 0 to 3600")
    headers = spec.get("headers") or {}
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        raise FaultError("headers: an object of strings")
    route = spec.get("route", "* /*")
    if not isinstance(route, str):
        raise FaultError("route: a string")
    return Fault(route, kind, status, times, float(seconds), spec.get("body"), headers)


class Faults:
    """The faults in force, first added first matched; one answer spends one of a fault's `times`."""

    def __init__(self) -> None:
        self._items: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._items.append(fault)
        return fault

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.view() for f in self._items]

    def clear(self, fault_id: int | None = None) -> bool:
        with self._lock:
            before = len(self._items)
            self._items = [f for f in self._items if fault_id is not None and f.id != fault_id]
            return len(self._items) < before

    def take(self, method: str, path: str) -> tuple[float, Fault | None]:
        """(seconds to wait first, the fault that answers instead of the server or None)."""
        wait, answer = 0.0, None
        with self._lock:
            for fault in list(self._items):
                if not fault.matches(method, path) or (answer is not None and fault.kind != "delay"):
                    continue
                if fault.kind == "delay":
                    wait += fault.seconds
                else:
                    answer = fault
                fault.hits += 1
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times == 0:
                        self._items.remove(fault)
        return wait, answer


def answer(
    fault: Fault, request_id: str, user_id: int | None, client_ip: str
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """(status, headers, body) of the fault's response, as GitHub sends it."""
    if fault.kind == "primary":
        status, headers, body = _primary(fault, user_id, client_ip)
    elif fault.kind == "secondary":
        status, headers, body = _secondary(fault, request_id)
    else:
        status, headers, body = _failure(fault)
    headers = {**headers, **{k.lower(): v for k, v in fault.headers.items()}}
    headers.setdefault("content-type", "application/json; charset=utf-8")
    headers.update({"x-github-request-id": request_id, "x-github-media-type": "github.v3; format=json"})
    return status, [(k.encode(), v.encode()) for k, v in headers.items()], body


def _rate_headers(remaining: int, reset: int) -> dict[str, str]:
    return {
        "x-ratelimit-limit": str(PRIMARY_LIMIT),
        "x-ratelimit-remaining": str(remaining),
        "x-ratelimit-reset": str(reset),
        "x-ratelimit-used": str(PRIMARY_LIMIT - remaining),
        "x-ratelimit-resource": "core",
    }


def _primary(fault: Fault, user_id: int | None, client_ip: str) -> tuple[int, dict[str, str], bytes]:
    """The primary limit spent: remaining 0, the reset `seconds` from now."""
    who = f"user ID {user_id}" if user_id is not None else client_ip
    message = f"API rate limit exceeded for {who}."
    if user_id is None:
        message += (
            " (But here's the good news: Authenticated requests get a higher rate limit."
            " Check out the documentation for more details.)"
        )
    body = {"message": message, "documentation_url": RATE_DOCS, "status": str(fault.status)}
    reset = int(time.time() + fault.seconds)
    return fault.status, _rate_headers(0, reset), orjson.dumps(body)


def _secondary(fault: Fault, request_id: str) -> tuple[int, dict[str, str], bytes]:
    """A secondary limit: primary budget left, `retry-after` seconds to wait."""
    body = {
        "message": SECONDARY_MESSAGE.format(rid=request_id),
        "documentation_url": f"{RATE_DOCS}#about-secondary-rate-limits",
        "status": str(fault.status),
    }
    headers = {**_rate_headers(PRIMARY_LIMIT - 1, int(time.time()) + 3600), "retry-after": str(int(fault.seconds))}
    return fault.status, headers, orjson.dumps(body)


def _failure(fault: Fault) -> tuple[int, dict[str, str], bytes]:
    if isinstance(fault.body, str):
        return fault.status, {"content-type": "text/plain; charset=utf-8"}, fault.body.encode()
    if fault.body is not None:
        return fault.status, {}, orjson.dumps(fault.body)
    phrase = http.HTTPStatus(fault.status).phrase if fault.status in http.HTTPStatus._value2member_map_ else "Error"
    body = {"message": phrase, "documentation_url": render.GENERIC_DOCS, "status": str(fault.status)}
    return fault.status, {}, orjson.dumps(body)
