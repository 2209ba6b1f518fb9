"""The request edge: one pure ASGI middleware in front of every surface.

For each request it names the surface (API, S3 POST endpoint, git, raw, web: hubdepot/surfaces.py's
map, which create_app hands it as `surface_for`), gives it a request id,
refuses paths no route could hold, finds the caller (http/auth), and on the API also checks the
version header, counts the rate limit (when on) and adds the headers GitHub puts on every answer.
Errors raised here or by a route are rendered by http/render for the request's surface (Starlette's
error middleware is not used: create_app mounts the routes straight behind hubdepot's middleware).
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import os
import random
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeAlias, TypeVar
from urllib.parse import unquote_to_bytes

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hubdepot import GHES_VERSION, errors
from hubdepot.db.counters import Counters
from hubdepot.db.generation import WRITE_SCOPE
from hubdepot.http import context, files, render, streams
from hubdepot.http.auth import Login
from hubdepot.http.cache import Answer, ReadCache
from hubdepot.http.context import Context, Rate, ReadKey
from hubdepot.http.media import negotiate
from hubdepot.hub import Hub
from hubdepot.services import Actor
from hubdepot.services.ratelimit import RateLimiter
from hubdepot.urls import API, UPLOADS

T = TypeVar("T")

VERSIONS = ("2022-11-28", "2026-03-10")
_UPLOAD_HOST = f"{API}{UPLOADS}/"
_EXPOSE = (
    "ETag, Link, Location, Retry-After, X-GitHub-OTP, X-RateLimit-Limit, X-RateLimit-Remaining, "
    "X-RateLimit-Used, X-RateLimit-Resource, X-RateLimit-Reset, X-OAuth-Scopes, X-Accepted-OAuth-Scopes, "
    "X-Poll-Interval, X-GitHub-Media-Type, X-GitHub-SSO, X-GitHub-Request-Id, Deprecation, Sunset"
)
Headers: TypeAlias = list[tuple[bytes, bytes]]

_STATIC: Headers = [
    (b"server", b"hubdepot"),
    (b"x-github-enterprise-version", GHES_VERSION.encode()),
    (b"access-control-allow-origin", b"*"),
    (b"access-control-expose-headers", _EXPOSE.encode()),
    (b"x-frame-options", b"deny"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-xss-protection", b"0"),
    (b"referrer-policy", b"origin-when-cross-origin, strict-origin-when-cross-origin"),
    (b"content-security-policy", b"default-src 'none'"),
]


def request_id() -> str:
    """GitHub's shape: XXXX:XXXX:XXXXXX:XXXXXX:XXXXXXXX (hex, upper case). An identifier, not a secret:
    80 random bits drawn once per process (anew in each forked worker), then a counter."""
    return f"{_ids.prefix}{next(_ids.count) & 0xFFFFFFFF:08X}"


class _Ids:
    def __init__(self) -> None:
        self.start()

    def start(self) -> None:
        h = f"{random.getrandbits(80):020X}"
        self.prefix = f"{h[:4]}:{h[4:8]}:{h[8:14]}:{h[14:20]}:"
        self.count = itertools.count(random.getrandbits(32))


_ids = _Ids()
os.register_at_fork(after_in_child=_ids.start)


# The server (granian) hands each answer to its I/O thread, waking that thread when it sleeps: a
# wake-up across cores, dear on a virtual machine. Under load, an answer leaves after the event loop's
# other ready requests have run, so their answers reach the I/O thread together and wake it once, not
# once each. A/B under wrk -c64, one worker, medians of 4: cache-off reads +18-24% (first machine),
# +33% (contents; a later machine with cheap system calls); cache-warm answers (_send_cached) +11-12%
# on the later machine, raw files unchanged; quick answers a route made (/meta with the cache off)
# +39% there. The first machine had quick answers leave at once (the extra pass cost /meta 20% there);
# the later one, where CI and bench/ run, gains everywhere. bench/inprocess turns it off (one request
# at a time has no answers to leave with).
TOGETHER = True

_RATE_NAMES = (  # the rate limit's headers, in the order Edge._rate gives their values
    b"x-ratelimit-limit",
    b"x-ratelimit-remaining",
    b"x-ratelimit-reset",
    b"x-ratelimit-used",
    b"x-ratelimit-resource",
)
_WANTED = frozenset((b"authorization", b"accept", b"x-github-api-version", b"if-none-match", b"cookie"))


def _request_headers(scope: Scope) -> dict[str, str]:
    """The request headers the edge reads (names are lower case in ASGI)."""
    return {k.decode(): v.decode("latin-1") for k, v in scope["headers"] if k in _WANTED}


class _Answer:
    """Whether the answer to one request has started (its sender sets it)."""

    started = False


Early: TypeAlias = Callable[[Hub, Scope], Answer | None]
"""A surface's answer from what it keeps, sent before routing (files/raw.early), or None: route it."""


class Edge:
    def __init__(
        self,
        app: ASGIApp,
        hub: Hub,
        surface_for: Callable[[str, str], str],
        dispatch: ASGIApp,
        early: Mapping[str, Early] | None = None,
    ) -> None:
        self.app = app  # the application's router: the lifespan
        self.hub = hub
        self.surface_for = surface_for  # (path, method) -> surface
        self.dispatch = dispatch  # an HTTP request to its surface's route
        self.early = dict(early or {})  # surface -> its early answers
        self.login = Login(hub)
        shared = None if hub.db.is_sqlite else Counters(hub.db)  # (PostgreSQL: limits hold across hosts)
        self.limiter = RateLimiter(hub.settings.rate_limit_window, counters=shared)
        self.limited = hub.settings.rate_limited
        generation, settings = hub.db.generation, hub.settings
        usable = settings.read_cache and not settings.rate_limited
        self.cache = ReadCache(generation) if generation is not None and usable else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        ctx = Context(self.surface_for(scope["path"], scope["method"]), request_id())
        context.put(scope, ctx)  # errors before the caller is known render for the surface
        extra = [(b"x-github-request-id", ctx.request_id.encode())]
        headers = _request_headers(scope)
        try:
            _check_path(scope)
            early = self.early.get(ctx.surface)
            kept = early(self.hub, scope) if early is not None else None
            if kept is not None:
                context.reply(scope).kept = True
                return await _send_cached(scope, send, kept, headers, extra)
            ctx = await self._context(scope, ctx, headers)
            context.complete(scope, ctx)
            if ctx.rate is not None:
                extra += ctx.rate.headers
                self._check_rate(scope, ctx)
            if ctx.surface == render.API:
                if ctx.cache_key is not None and self.cache is not None:
                    entry = self.cache.get(ctx.cache_key[0], WRITE_SCOPE.get())
                    if entry is not None:
                        return await _send_cached(scope, send, entry, headers, extra)
                extra += _api_headers(scope, ctx)
        except errors.HubdepotError as exc:
            return await self._fail(scope, receive, send, exc, extra)
        await self._route(scope, receive, send, extra)

    async def _route(self, scope: Scope, receive: Receive, send: Send, extra: Headers) -> None:
        """The request to its route; what the route raises before its answer starts is rendered here."""
        answer = _Answer()
        receive = streams.guarded(receive, lambda: answer.started)  # a cut-short body is a 400, not a 500
        sender = self._sender(scope, send, extra, answer)
        try:
            await self.dispatch(scope, receive, sender)
        except Exception as exc:
            if answer.started:
                raise
            await _render_error(scope, receive, sender, exc)
            if not isinstance(exc, errors.HubdepotError | HTTPException):
                raise  # a 500 page was sent; the error itself is logged (http/observe, the server)

    async def _context(self, scope: Scope, ctx: Context, headers: dict[str, str]) -> Context:
        """Who is asking, and on the API: the version, the media type, the rate counted, the cache key."""
        api = ctx.surface == render.API
        version = _version(headers) if api else ctx.api_version
        cookie = headers.get("cookie") if ctx.surface in (render.WEB, render.RAW) else None  # sign-in sessions
        actor = await self._actor(ctx.surface, headers.get("authorization"), cookie)
        if not api:
            return Context(ctx.surface, ctx.request_id, actor)
        cache_key: tuple[ReadKey, int] | None = None
        if self.cache is not None and scope["method"] in ("GET", "HEAD"):
            key: ReadKey = (
                scope["path"],
                scope["query_string"],
                headers.get("accept", ""),
                version,
                actor.token_id if actor else 0,
            )
            cache_key = (key, self.cache.generation.current())
        media = negotiate(headers.get("accept"))
        rate = await self._rate(scope, actor) if self.limited else None
        return Context(ctx.surface, ctx.request_id, actor, version, media, rate, cache_key)

    async def _actor(self, surface: str, authorization: str | None, cookie: str | None = None) -> Actor | None:
        """The caller. A wrong token is a 401 on the API and for git; web pages treat it as no token
        (they answer 404 for whatever an anonymous caller cannot see)."""
        try:
            return await self.login.actor(authorization, cookie)
        except errors.BadCredentials:
            if surface in (render.API, render.GIT):
                raise
            return None

    async def _off_loop(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(*args)` in the thread pool when the limiter counts in the database (a query), else here."""
        if self.limiter.counters is None:
            return fn(*args)
        return await run_in_threadpool(fn, *args)

    async def _rate(self, scope: Scope, actor: Actor | None) -> Rate | None:
        """This request counted against its limit (None while limits are off, as on GitHub Enterprise
        Server by default)."""
        settings = self.hub.settings
        limit = settings.rate_limit_authenticated if actor is not None else settings.rate_limit_anonymous
        if not limit:
            return None
        key = f"token:{actor.token_id}" if actor is not None else f"ip:{_client_ip(scope)}"
        window, allowed = await self._off_loop(self.limiter.hit, key, limit)
        values = (window.limit, window.remaining, window.reset, window.used, "core")
        headers = [(name, str(value).encode()) for name, value in zip(_RATE_NAMES, values, strict=True)]
        return Rate(key, headers, window, allowed)

    @staticmethod
    def _check_rate(scope: Scope, ctx: Context) -> None:
        assert ctx.rate is not None, "only called when counted"
        window = ctx.rate.window
        if ctx.rate.allowed:
            return
        who = f"user ID {ctx.actor.id}" if ctx.actor else _client_ip(scope)
        message = f"API rate limit exceeded for {who}."
        if ctx.actor is None:
            message += (
                " (But here's the good news: Authenticated requests get a higher rate limit."
                " Check out the documentation for more details.)"
            )
        raise errors.RateLimited(message, retry_after=max(0, window.reset - int(time.time())))

    def _sender(self, scope: Scope, send: Send, extra: Headers, answer: _Answer) -> Send:
        head = scope["method"] == "HEAD"
        cache, ctx = self.cache, context.of(scope)
        keep = (
            self._keeper(scope, cache, *ctx.cache_key) if cache and scope["method"] == "GET" and ctx.cache_key else None
        )

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer.started = True
                message["headers"] = _merged(message.get("headers") or [], extra)
                if message["status"] == 304 and ctx.rate is not None:
                    await self._off_loop(self.limiter.refund, ctx.rate.key)
            if keep is not None:
                keep(message)
            if head and message["type"] == "http.response.body":
                message = {"type": "http.response.body", "body": b"", "more_body": message.get("more_body", False)}
            if message["type"] == "http.response.start" and TOGETHER:
                await asyncio.sleep(0)  # (see TOGETHER)
            await send(message)

        return wrapped

    def _keeper(self, scope: Scope, cache: ReadCache, key: ReadKey, generation: int) -> Callable[[Message], None]:
        """Collects a cacheable 200 as it is sent, and stores it once its body is complete."""
        kept: Headers | None = None
        body: list[bytes] = []

        def keep(message: Message) -> None:
            nonlocal kept
            if message["type"] == "http.response.start":
                if message["status"] == 200 and context.reply(scope).cacheable:
                    kept = [(k, v) for k, v in message["headers"] if k != b"x-github-request-id"]
            elif kept is not None and message["type"] == "http.response.body":
                body.append(message.get("body", b""))
                if not message.get("more_body", False):
                    cache.put(key, generation, kept, b"".join(body))

        return keep

    async def _fail(self, scope: Scope, receive: Receive, send: Send, exc: Exception, extra: Headers) -> None:
        """An error the edge raised itself, before routing (on the API with GitHub's own headers)."""
        more = _STATIC if context.of(scope).surface == render.API else []
        await _render_error(scope, receive, self._sender(scope, send, extra + more, _Answer()), exc)


async def _send_cached(scope: Scope, send: Send, entry: Answer, headers: dict[str, str], extra: Headers) -> None:
    """A kept answer (the read cache's, a surface's early one), with this request's id; 304 when the
    client holds it already. It leaves with the loop's next pass of answers (see TOGETHER)."""
    if TOGETHER:
        await asyncio.sleep(0)
    if files.etag_matches(headers.get("if-none-match"), entry.etag):
        kept = [(k, v) for k, v in entry.headers if k not in (b"content-length", b"content-type")]
        await send({"type": "http.response.start", "status": 304, "headers": kept + extra})
        await send({"type": "http.response.body", "body": b""})
        return
    await send({"type": "http.response.start", "status": 200, "headers": entry.headers + extra})
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else entry.body})


async def _render_error(scope: Scope, receive: Receive, send: Send, exc: Exception) -> None:
    """An error, rendered as the request's surface answers errors (http/render), with the
    documentation URL the route named if one ran; Starlette's own 404 and 405 are GitHub's 404."""
    if isinstance(exc, HTTPException):
        exc = errors.NotFound() if exc.status_code in (404, 405) else errors.BadRequest(exc.detail)
    reply = context.reply(scope)
    status, body, headers = render.render(context.of(scope).surface, exc, reply.docs, error_request_id(scope))
    await Response(body, status_code=status, headers=headers)(scope, receive, send)


def error_request_id(scope: Scope) -> str | None:
    """The upload host puts the request id in its error bodies, as GitHub's does."""
    return context.of(scope).request_id if scope["path"].startswith(_UPLOAD_HOST) else None


def _version(headers: dict[str, str]) -> str:
    version = headers.get("x-github-api-version", "").strip()
    if version and version not in VERSIONS:
        raise errors.BadRequest(f"Invalid API version provided: {version}. Supported versions: {', '.join(VERSIONS)}")
    return version or VERSIONS[0]


def _api_headers(scope: Scope, ctx: Context) -> Headers:
    assert ctx.media is not None, "negotiated on the API"
    scopes = tuple(ctx.actor.scopes) if ctx.actor is not None else None
    return _api_lines(ctx.media.github_header, ctx.api_version, "/releases" in scope["path"], scopes)


@functools.lru_cache(maxsize=1024)
def _api_lines(media: str, version: str, releases: bool, scopes: tuple[str, ...] | None) -> Headers:
    """GitHub's headers on every API answer (made once for each combination: callers must not change them)."""
    out = [
        (b"x-github-media-type", media.encode()),
        (b"x-github-api-version-selected", version.encode()),
        (b"x-accepted-oauth-scopes", b"repo" if releases else b""),
        (b"vary", b"Accept, Authorization, Cookie, X-GitHub-OTP, Accept-Encoding, Accept, X-Requested-With"),
    ]
    if scopes is not None:
        out.append((b"x-oauth-scopes", ", ".join(scopes).encode()))
        out.append((b"cache-control", b"private, max-age=60, s-maxage=60"))
    else:
        out.append((b"cache-control", b"public, max-age=60, s-maxage=60"))
    return out + _STATIC


def _merged(headers: Headers, extra: Headers) -> Headers:
    """A route's header lines with the edge's `extra` after them; the route's own win."""
    names = {k.lower() for k, _ in headers}
    if names.isdisjoint(_EDGE_NAMES):
        return [*headers, *extra]
    return [*headers, *((k, v) for k, v in extra if k not in names)]


_EDGE_NAMES = frozenset(
    [k for k, _ in _STATIC] + [k for k, _ in _api_lines("", "", True, ())] + [b"x-github-request-id", *_RATE_NAMES]
)  # (every name the edge adds)


def _check_path(scope: Scope) -> None:
    """A path with a NUL, or whose %-escapes are not UTF-8, names nothing GitHub could have: 404."""
    if "\x00" in scope["path"]:
        raise errors.NotFound()
    raw = scope.get("raw_path")
    if raw and b"%" in raw:
        try:
            unquote_to_bytes(raw.split(b"?", 1)[0]).decode("utf-8")
        except UnicodeDecodeError:
            raise errors.NotFound() from None


def _client_ip(scope: Scope) -> str:
    client = scope.get("client")
    return client[0] if client else "unknown"
