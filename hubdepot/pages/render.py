"""Rendering a page: the Jinja2 environment, content-hashed static URLs, security and cache headers,
gzip for browsers that accept it, and the CSRF token the page's forms carry."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import gzip
import hashlib
import time
import weakref
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import TypeAlias, overload

import anyio
import anyio.to_thread
import jinja2
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from hubdepot.bounded import Bounded
from hubdepot.http import context as request_context
from hubdepot.http.auth import actor_of
from hubdepot.hub import Hub
from hubdepot.pages import packing
from hubdepot.services import Actor, sessions
from hubdepot.urls import PATHS

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "content-security-policy": CSP,
    "x-frame-options": "deny",
    "x-content-type-options": "nosniff",
    "referrer-policy": "origin-when-cross-origin, strict-origin-when-cross-origin",
    "cache-control": "max-age=0, private, must-revalidate",
    "vary": "Cookie, Accept-Encoding",
}
GZIP_MIN = 1024
GZIP_FAST = 128 * 1024  # larger pages (long files) get gzip's fastest level
PAGE_CACHE_BYTES = 64 * 1024 * 1024
PAGE_THREADS = 4
ANONYMOUS_SECONDS = 5.0  # how old a page kept for anonymous visitors may be
STATIC_PREFIX = "/_static/"

Handler: TypeAlias = Callable[[Request, Hub, Actor | None], Response]
"""A page handler as written: blocking, given the request, the hub and the caller."""
Endpoint: TypeAlias = Callable[[Request], Awaitable[Response]]


@functools.lru_cache(maxsize=1)
def static_files() -> dict[str, tuple[str, bytes, bytes]]:
    """name -> (hashed name, bytes, gzipped bytes) for every file in pages/static, read once."""
    out = {}
    for entry in resources.files("hubdepot.pages").joinpath("static").iterdir():
        data = entry.read_bytes()
        stem, _, ext = entry.name.rpartition(".")
        hashed = f"{stem}.{hashlib.sha256(data).hexdigest()[:12]}.{ext}"
        out[entry.name] = (hashed, data, gzip.compress(data, 9, mtime=0))
    return out


def static_url(name: str) -> str:
    return STATIC_PREFIX + static_files()[name][0]


def human_size(n: float | None) -> str:
    n = n or 0
    for unit in ("Bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n} {unit}" if unit == "Bytes" else f"{n:.1f} {unit}".replace(".0 ", " ")
        n /= 1024
    return f"{n} TB"


def when(value: dt.datetime | int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, int):
        value = dt.datetime.fromtimestamp(value, dt.UTC)
    return value.strftime("%b %-d, %Y")


def iso(value: dt.datetime | int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, int):
        value = dt.datetime.fromtimestamp(value, dt.UTC)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.isoformat().replace("+00:00", "Z")


@functools.lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("hubdepot.pages", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.globals.update(static=static_url, links=PATHS)  # links: urls.Urls, as root-relative paths
    env.filters.update(size=human_size, when=when, iso=iso)
    return env


def csrf_anchor(request: Request, form: bool) -> tuple[str | None, bool]:
    """This browser's CSRF anchor: its session cookie, else its _csrf cookie, else (on a page with a
    form) a new one to set; (anchor, newly made)."""
    anchor = request.cookies.get(sessions.SESSION_COOKIE) or request.cookies.get(sessions.CSRF_COOKIE)
    if anchor or not form:
        return anchor, False
    return sessions.new_anchor(), True


def secure(request: Request) -> bool:
    """Cookies are Secure under TLS: served over https, or behind a proxy whose public URL is https."""
    return request.url.scheme == "https" or request.app.state.hub.urls.public.startswith("https://")


# pages kept for anonymous visitors: (plain, gzipped, until when, write generation) by URL
_pages: Bounded[tuple[bytes, bytes, float, int | None]] = Bounded(PAGE_CACHE_BYTES, lambda p: len(p[0]) + len(p[1]))


def _kept(key: tuple[str, str], generation: int | None) -> tuple[bytes, bytes] | None:
    """A page kept for anonymous visitors, if it is still young and no write has happened since."""
    found = _pages.get(key)
    if found is None:
        return None
    if found[2] < time.monotonic() or found[3] != generation:
        _pages.drop(key)
        return None
    return found[0], found[1]


def _render(request: Request, template: str, form: bool, context: dict[str, object]) -> tuple[bytes, str | None]:
    """(the page, a new CSRF anchor to set or None)."""
    hub = request.app.state.hub
    anchor, fresh = csrf_anchor(request, form)
    context.update(
        viewer=actor_of(request),
        csrf=sessions.csrf_token(hub, anchor) if anchor else "",
        session=bool(request.cookies.get(sessions.SESSION_COOKIE)),
        path=request.url.path,
    )
    return environment().get_template(template).render(**context).encode(), anchor if fresh else None


def _gzip_accepted(request: Request) -> bool:
    return "gzip" in request.headers.get("accept-encoding", "")


def _respond(request: Request, body: bytes, packed: bytes, out: dict[str, str]) -> bytes:
    if packed and _gzip_accepted(request):
        out["content-encoding"] = "gzip"
        return packed
    return body


def _cache_key(request: Request) -> tuple[str, str]:
    return request.url.path, request.url.query


def html(
    request: Request,
    template: str,
    status: int = 200,
    headers: dict[str, str] | None = None,
    form: bool = False,
    chunk: packing.Chunk | None = None,
    **context: object,
) -> Response:
    """The page `template` rendered for this caller, with the headers every page carries. `form`: the
    page has a form for anonymous callers too (sign-in), so it needs a CSRF token even without a session.
    `chunk`: a large part prepared once (packing), placed where the template writes {{ chunk }}.
    Pages of handlers marked `page(cache_seconds=N)` are kept for anonymous visitors (see `page`)."""
    out = dict(PAGE_HEADERS, **(headers or {}))
    if chunk is not None:
        context["chunk"] = Markup(packing.SENTINEL)
    body, anchor = _render(request, template, form, context)
    seconds = request_context.reply(request.scope).page_seconds
    kept = bool(seconds and status == 200 and not form and anchor is None and actor_of(request) is None)
    if chunk is not None:
        body, packed = packing.spliced(body, chunk)
    elif len(body) < GZIP_MIN or not (kept or _gzip_accepted(request)):
        packed = b""
    else:  # a page kept for many visitors is worth gzip's slower level; one visitor's is not
        packed = gzip.compress(body, 5 if kept and len(body) < GZIP_FAST else 1)
    if kept and seconds:
        generation = request_context.reply(request.scope).page_generation
        _pages.put(_cache_key(request), (body, packed, time.monotonic() + seconds, generation))
    body = _respond(request, body, packed, out)
    response = Response(body, status_code=status, headers=out, media_type="text/html; charset=utf-8")
    if anchor:
        response.set_cookie(
            sessions.CSRF_COOKIE, anchor, httponly=True, samesite="lax", secure=secure(request), path="/"
        )
    return response


@overload
def page(fn: Handler, *, cache_seconds: float = 0) -> Endpoint: ...


@overload
def page(fn: None = None, *, cache_seconds: float = 0) -> Callable[[Handler], Endpoint]: ...


def page(fn: Handler | None = None, *, cache_seconds: float = 0) -> Endpoint | Callable[[Handler], Endpoint]:
    """A page handler: `fn(request, hub, actor)` runs in the thread pool (services and git are blocking).
    With `cache_seconds`, anonymous visitors get the page as it was rendered for an anonymous visitor
    at most that long ago (the same URL; looked up before any service call): busy public pages are
    rendered and compressed once every few seconds, as a token lookup is cached (http/auth)."""
    if fn is None:
        return lambda f: page(f, cache_seconds=cache_seconds)

    async def endpoint(request: Request) -> Response:
        if cache_seconds and actor_of(request) is None:
            generation = request.app.state.hub.db.generation
            current = generation.current() if generation is not None else None
            found = _kept(_cache_key(request), current)
            if found is not None:
                out = dict(PAGE_HEADERS)
                return Response(_respond(request, *found, out), headers=out, media_type="text/html; charset=utf-8")
            request_context.reply(request.scope).page_seconds = cache_seconds
            request_context.reply(request.scope).page_generation = current
        hub = request.app.state.hub
        return await anyio.to_thread.run_sync(fn, request, hub, actor_of(request), limiter=_renderers())

    endpoint.__name__ = endpoint.__qualname__ = fn.__name__
    endpoint.__module__, endpoint.__doc__ = fn.__module__, fn.__doc__  # (routes are named after them)
    return endpoint


_limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = weakref.WeakKeyDictionary()


def _renderers() -> anyio.CapacityLimiter:
    """Pages rendered at once in a worker: rendering holds the GIL, so more threads only queue for it
    (16 signed-in browsers on the release page: 139 req/s with 40 threads, 216-238 with 2-4); a few
    to overlap the database and git waits. One limiter per event loop (tests run several)."""
    loop = asyncio.get_running_loop()
    found = _limiters.get(loop)
    if found is None:
        found = _limiters[loop] = anyio.CapacityLimiter(PAGE_THREADS)
    return found


def redirect(url: str, status: int = 302) -> Response:
    return Response(status_code=status, headers=dict(PAGE_HEADERS, location=url))


def page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return max(1, min(int(raw), 100_000)) if raw.isdigit() and len(raw) < 7 else 1
