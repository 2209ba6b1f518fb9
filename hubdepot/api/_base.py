"""What every handler shares: the parsed request (Req), the endpoint wrapper, JSON responses."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import re
import secrets
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

from hubdepot import errors
from hubdepot.api._pagination import Page, link_header, page_of
from hubdepot.bounded import Bounded
from hubdepot.http import context, files
from hubdepot.http.media import Media, negotiate
from hubdepot.http.streams import read_body
from hubdepot.hub import Hub
from hubdepot.services import Actor, RepoAccess
from hubdepot.services import repos as repo_service

JSON_TYPE = "application/json; charset=utf-8"
Handler = Callable[[Request], Awaitable[Response]]  # what Starlette routes to
Table = list[tuple[tuple[str, ...], str, Handler]]  # (methods, path, handler)
_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


_NO_QUERY = QueryParams()


@dataclasses.dataclass
class Req:
    request: Request
    hub: Hub
    actor: Actor | None
    params: dict[str, Any]  # the path's parameters (str, or int for {…:int})
    body: bytes | bytearray
    media: Media

    @property
    def query(self) -> QueryParams:
        if not self.request.scope["query_string"]:
            return _NO_QUERY  # (parsing an empty query string costs ~2 us)
        return self.request.query_params

    @property
    def method(self) -> str:
        return self.request.method

    @property
    def api_version(self) -> str:
        return context.of(self.request.scope).api_version

    def json(self, large: str | None = None) -> dict[str, Any]:
        """The body as a JSON object; {} when empty. GitHub's 400s for anything else.

        `large` names a top-level string field that may be huge (contents' base64): when it is plain
        (printable ASCII, no escapes) its value is a memoryview of the body's bytes, not a str (orjson
        would copy the body and make the str: three times the body in memory at once)."""
        if not self.body or self.body.isspace():
            return {}
        data = _left_in_body(self.body, large) if large and len(self.body) > LARGE_STRING else None
        if data is None:
            try:
                data = orjson.loads(self.body)
            except orjson.JSONDecodeError:
                raise errors.BadRequest("Problems parsing JSON") from None
        if not isinstance(data, dict):
            raise errors.BadRequest("Body should be a JSON object")
        if b"\\u0000" in self.body:  # no GitHub field holds a NUL, and PostgreSQL text cannot
            raise errors.Unprocessable("Invalid request.\n\nStrings may not contain NUL characters.")
        return data

    def repo(self) -> RepoAccess:
        """The repository the path names ({owner}/{repo} or {repository_id}) as the caller sees it (404
        when they may not). Whether they may do more than read is the service's decision."""
        if "repository_id" in self.params:
            access = repo_service.find_by_id(self.hub, self.actor, self.params["repository_id"])
        else:
            access = repo_service.find(self.hub, self.actor, self.params["owner"], self.params["repo"])
        return self.answering_for(access)

    def repo_named(self) -> tuple[str, dict[str, Any]]:
        """How the path names its repository, for a service that looks it up itself with what it
        reads of it (services/repos.looking_up): ("id", {repo_id}) or ("name", {owner, name})."""
        if "repository_id" in self.params:
            return "id", {"repo_id": self.params["repository_id"]}
        return "name", {"owner": self.params["owner"], "name": self.params["repo"]}

    def answering_for(self, access: RepoAccess) -> RepoAccess:
        """The answer is about this repository (self_url gives its links as /repositories/{id}/...)."""
        context.reply(self.request.scope).repo_id = access.id
        return access

    def need_actor(self) -> Actor:
        if self.actor is None:
            raise errors.Unauthenticated()
        return self.actor

    def page(self) -> Page:
        return page_of(self.query)

    def self_url(self) -> str:
        """This request's URL on the public origin, with /repos/{o}/{r} as /repositories/{id}."""
        urls = self.hub.urls
        url = urls.public + self.request.url.path
        repo_id = context.reply(self.request.scope).repo_id
        if repo_id is not None and "repository_id" not in self.params:
            prefix = urls.repo(f"{self.params['owner']}/{self.params['repo']}")
            if url.lower().startswith(prefix.lower()):
                return urls.repo_by_id(repo_id) + url[len(prefix) :]
        return url


LARGE_STRING = 1024**2  # a string value at least this long may be left in the body (Req.json)


def _left_in_body(body: bytes | bytearray, key: str) -> dict[str, Any] | None:
    """The body parsed with the plain string value of top-level `key` left in it (a memoryview), or
    None when there is no such value: the caller parses the whole body. The value is swapped for an
    unguessable marker while the rest is parsed; only the top-level field can then hold the marker."""
    pattern = re.compile(b'"' + re.escape(key.encode()) + rb'"[ \t\r\n]*:[ \t\r\n]*"([\x20\x21\x23-\x5b\x5d-\x7e]*)"')
    found = next((m for m in pattern.finditer(body) if m.end(1) - m.start(1) >= LARGE_STRING), None)
    if found is None:
        return None
    (start, end), marker, view = found.span(1), secrets.token_hex(16), memoryview(body)
    try:
        data = orjson.loads(b"".join((view[:start], marker.encode(), view[end:])))
    except orjson.JSONDecodeError:
        return None
    if not isinstance(data, dict) or data.get(key) != marker:
        return None
    data[key] = view[start:end]
    return data


JSON_BODY_MAX = 1024**2  # 1 MiB; PUT contents takes more (a 100 MB file is ~134 MB of base64)


def endpoint(
    docs: str, inline: bool = False, max_body: int = JSON_BODY_MAX
) -> Callable[[Callable[[Req], Response]], Handler]:
    """Wrap a sync handler `fn(req) -> Response`: read the body (at most `max_body` bytes), run it
    in the thread pool.

    inline=True runs a GET/HEAD handler on the event loop instead: only for handlers whose work
    is one or two indexed queries (the thread hop costs more than the work)."""

    def wrap(fn: Callable[[Req], Response]) -> Handler:
        @functools.wraps(fn)
        async def handler(request: Request) -> Response:
            context.reply(request.scope).docs = docs
            body = await read_body(request, max_body) if request.method in _BODY_METHODS else b""
            ctx = context.of(request.scope)
            media = ctx.media or negotiate(request.headers.get("accept"))
            req = Req(
                request,
                request.app.state.hub,
                ctx.actor,
                dict(request.path_params),
                body,
                media,
            )
            if inline and request.method in ("GET", "HEAD"):
                return fn(req)
            return await run_in_threadpool(fn, req)

        return handler

    return wrap


def etag_of(data: bytes) -> str:
    return '"' + hashlib.sha256(data).hexdigest() + '"'


def not_modified(req: Req, etag: str) -> bool:
    return files.not_modified(req.request, etag)


def json_response(
    req: Req, body: object, status: int = 200, headers: Mapping[str, str] | None = None, etag: str | None = None
) -> Response:
    return _json(req, orjson.dumps(body), status, headers, etag)


# Representations made once per row version: a body that is a function of some rows' values alone
# (and of this origin) is kept, encoded, under those values; a read that fetched the same rows again
# skips building, encoding and hashing it. Rows changed by a write have other values: another key.
_represented: Bounded[tuple[bytes, str]] = Bounded(8 * 1024 * 1024, lambda kept: len(kept[0]) + 200)


def represented(
    req: Req,
    key: Hashable,
    make: Callable[[], object],
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    etag: str | None = None,
) -> Response:
    """json_response(req, make(), status, headers, etag), made once for `key`: every row and value
    `make` reads (rows compare by their values)."""
    full = (req.hub.urls.public, key)
    kept = _represented.get(full)
    if kept is None:
        data = orjson.dumps(make())
        kept = (data, etag or etag_of(data))
        _represented.put(full, kept)
    return _json(req, kept[0], status, headers, kept[1])


_JSON_TYPE = (b"content-type", JSON_TYPE.encode())


class _Encoded(Response):
    """An answer whose body and header lines are made already (Response would parse them again)."""

    def __init__(self, body: bytes, status: int, headers: list[tuple[bytes, bytes]]) -> None:
        self.status_code, self.body, self.raw_headers, self.background = status, body, headers, None


def _json(
    req: Req, data: bytes, status: int, headers: Mapping[str, str] | None = None, etag: str | None = None
) -> Response:
    lines = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()] if headers else []
    if status == 200 and req.method in ("GET", "HEAD"):
        context.reply(req.request.scope).cacheable = True  # the edge's read cache may keep it (http/cache.py)
        etag = etag or etag_of(data)
        lines.append((b"etag", etag.encode("latin-1")))
        if not_modified(req, etag):
            return _Encoded(b"", 304, lines)
    lines += ((b"content-length", str(len(data)).encode()), _JSON_TYPE)
    return _Encoded(data, status, lines)


def paged_response(req: Req, items: Sequence[object], total: int, page: Page) -> Response:
    link = link_header(req.self_url().split("?")[0], req.query, page, total)
    return json_response(req, items, headers={"link": link} if link else None)


def no_content() -> Response:
    return Response(status_code=204)
