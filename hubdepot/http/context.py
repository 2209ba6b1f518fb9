"""One request's context, typed: what the edge learnt of it (set once, frozen) and what the route
tells the edge back on its way out. Both live in the ASGI scope's "state" (Starlette's
`request.state`), under one key each; nothing else of hubdepot's is kept in the scope."""

from __future__ import annotations

import dataclasses
from typing import NamedTuple, TypeAlias

from starlette.types import Scope

from hubdepot.http.media import Media
from hubdepot.services import Actor
from hubdepot.services.ratelimit import Window

_CONTEXT, _REPLY = "hubdepot_context", "hubdepot_reply"

ReadKey: TypeAlias = tuple[str, bytes, str, str, int]
"""A cacheable API GET's read-cache key: path, query string, Accept, API version, token id (0: none)."""


@dataclasses.dataclass(frozen=True)
class Rate:
    """The rate limit counted for this request (only when limits are on)."""

    key: str  # token:ID or ip:ADDRESS
    headers: list[tuple[bytes, bytes]]
    window: Window
    allowed: bool  # within the limit


class Context(NamedTuple):
    """Set by the edge (http/edge.py) before any route runs (immutable; a tuple: made twice a request)."""

    surface: str  # http/render: API, S3, GIT, RAW, WEB
    request_id: str
    actor: Actor | None = None
    api_version: str = "2022-11-28"
    media: Media | None = None  # negotiated on the API only
    rate: Rate | None = None
    cache_key: tuple[ReadKey, int] | None = None  # (read-cache key, generation) for a cacheable API GET


@dataclasses.dataclass
class Reply:
    """What a route tells the edge and the error renderer about its answer."""

    docs: str | None = None  # the documentation_url errors carry (api/_base.endpoint)
    repo_id: int | None = None  # the repository the answer is about
    cacheable: bool = False  # the read cache may keep this 200 (api/_base.json_response)
    kept: bool = False  # answered by the edge from what its surface keeps (http/edge.Early)
    not_modified: bool = False
    page_seconds: float | None = None  # pages: how long an anonymous page may be kept
    page_generation: int | None = None


def put(scope: Scope, context: Context) -> None:
    state = scope.setdefault("state", {})
    state[_CONTEXT], state[_REPLY] = context, Reply()


def complete(scope: Scope, context: Context) -> None:
    """The request's context, once the edge knows all of it (put() came first: its Reply stays)."""
    scope["state"][_CONTEXT] = context


def of(scope: Scope) -> Context:
    """The request's context; a request the edge never saw (a test calling a route) is an API one."""
    found: Context | None = scope.get("state", {}).get(_CONTEXT)
    return found if found is not None else Context(surface="api", request_id="")


def reply(scope: Scope) -> Reply:
    state = scope.setdefault("state", {})
    found: Reply | None = state.get(_REPLY)
    if found is None:
        found = state[_REPLY] = Reply()
    return found
