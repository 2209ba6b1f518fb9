"""The outermost ASGI middleware: what each request concerns and how it went.

- It names the repository a request's writes concern (db/generation.WRITE_SCOPE: the read cache then
  keeps other repositories' answers across them).
- It counts each answer for /metrics (hubdepot/metrics.py): by surface, route template, method and
  status, its duration, the body bytes in and out, git's smart HTTP services.
- With HUBDEPOT_LOG_FORMAT=json it writes one JSON line per request (request id, route template,
  status, duration, bytes, actor id) and each error with its traceback in one record.

It sits outside the edge (http/edge.py) and reads the request's context the edge set (surface,
request id, actor, read-cache key: http/context.py).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hubdepot import metrics
from hubdepot.db.generation import WRITE_SCOPE
from hubdepot.http import context
from hubdepot.http.cache import repository_of
from hubdepot.hub import Hub

# outside /api: git's smart HTTP and release asset downloads (a download is counted)
_WEB_REPOSITORY = re.compile(r"^/([^/]+)/([^/]+?)(?:\.git)?/(?:info/refs|git-upload-pack|git-receive-pack|releases/)")
_GIT_SERVICE = re.compile(r"/(info/refs|git-upload-pack|git-receive-pack)$")
requests_log = logging.getLogger("hubdepot.request")


def written_repository(path: str) -> str | None:
    """The repository ("owner/repo", lower case) every write of a request to `path` concerns, or None
    when they may concern anything. Every request asks (~1 µs of regex): a short path's answer is kept."""
    return _written_kept(path) if len(path) <= _KEPT_PATH else _written(path)


def _written(path: str) -> str | None:
    if path.startswith("/api/"):
        return repository_of(path)
    found = _WEB_REPOSITORY.match(path)
    return f"{found[1]}/{found[2]}".lower() if found else None


_KEPT_PATH = 512  # (at most 4,096 of them: a few MB however hostile the paths)
_written_kept = functools.lru_cache(maxsize=4096)(_written)


class _Seen:
    """What passed through for one request."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.status = 0
        self.bytes_in = self.bytes_out = 0

    def receiving(self, receive: Receive) -> Receive:
        async def wrapped() -> Message:
            message = await receive()
            self.bytes_in += len(message.get("body", b""))
            return message

        return wrapped

    def sending(self, send: Send) -> Send:
        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.status = message["status"]
            elif message["type"] == "http.response.body":
                self.bytes_out += len(message.get("body", b""))
            await send(message)

        return wrapped


class Observe:
    def __init__(self, app: ASGIApp, hub: Hub) -> None:
        self.app = app
        self.hub = hub
        self.json = hub.settings.log_format == "json"
        self.counting = hub.settings.metrics != "off"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        token = WRITE_SCOPE.set(written_repository(scope["path"]))
        seen = _Seen()
        if self.counting:
            metrics.TALLY.in_flight += 1
        try:
            await self.app(scope, seen.receiving(receive), seen.sending(send))
        except Exception:
            if not (self.json and seen.status):
                raise  # (the server logs it)
            # answered already (render's 500 page): logged here in one record, not again by the server
            requests_log.exception("error answering %s %s", scope["method"], _route(scope), extra=_fields(scope, seen))
        finally:
            WRITE_SCOPE.reset(token)
            if self.counting:
                metrics.TALLY.in_flight -= 1
                self._count(scope, seen)
            if self.json:
                requests_log.info("request", extra=_fields(scope, seen))

    def _count(self, scope: Scope, seen: _Seen) -> None:
        surface, status, tally = context.of(scope).surface, str(seen.status or 500), metrics.TALLY
        seconds = time.perf_counter() - seen.started
        tally.request((surface, _route(scope), scope["method"], status), seconds, seen.bytes_in, seen.bytes_out)
        if surface == "git" and (service := _GIT_SERVICE.search(scope["path"])):
            tally.git[service[1], status] = tally.git.get((service[1], status), 0) + 1


def flush_every_second(hub: Hub) -> asyncio.TimerHandle:
    """On the event loop, now and every FLUSH_SECONDS: this process's tally into the shared metrics.
    Returns the next call's handle (cancel it to stop)."""
    tally = metrics.TALLY
    tally.gauges["pool"] = getattr(hub.db.engine.pool, "checkedout", lambda: 0)()
    generation = hub.db.generation
    tally.gauges["coherent"] = 1 if generation is None or generation.coherent else 0
    tally.flush()
    handle = asyncio.get_running_loop().call_later(tally.FLUSH_SECONDS, _again, hub)
    _timers[:] = [handle]
    return handle


_timers: list[asyncio.TimerHandle] = []


def _again(hub: Hub) -> None:
    flush_every_second(hub)


def stop_flushing() -> None:
    for handle in _timers:
        handle.cancel()
    _timers.clear()


def _route(scope: Scope) -> str:
    """The route template that answered; the edge's own answers (read cache, kept files, refusals)
    have none."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str) and path:  # (the surface router's own path is "": no route matched)
        return path
    if context.reply(scope).kept:
        return "(kept)"
    return "(read cache)" if context.of(scope).cache_key is not None else "(no route)"


def _fields(scope: Scope, seen: _Seen) -> dict[str, object]:
    ctx = context.of(scope)
    return {
        "fields": {
            "request_id": ctx.request_id,
            "method": scope["method"],
            "route": _route(scope),
            "surface": ctx.surface,
            "status": seen.status,
            "duration_ms": round((time.perf_counter() - seen.started) * 1000, 3),
            "bytes_in": seen.bytes_in,
            "bytes_out": seen.bytes_out,
            "actor_id": ctx.actor.id if ctx.actor is not None else None,
        }
    }
