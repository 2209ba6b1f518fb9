"""Test mode's ASGI middleware (wired by app.py only when `settings.ephemeral`): it records every
request in the journal, answers with the faults a test set, and serves /_hubdepot/ (docs/testing.md):

    GET|DELETE  /_hubdepot/requests          the journal (?since=ID: newer entries only)
    GET|POST|DELETE /_hubdepot/faults[/ID]   faults in force; POST adds one
    POST        /_hubdepot/reset             back to a new server: data, journal, faults, deliveries
    POST        /_hubdepot/seed              load a seed (YAML or JSON body)
    POST        /_hubdepot/webhooks          the built-in webhook receiver (what a hook without url gets)
    GET|DELETE  /_hubdepot/webhooks          the deliveries it received

Everything but the receiver is for the site administrator's token."""

from __future__ import annotations

import asyncio
import collections
import secrets
import shutil
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeAlias, TypedDict

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hubdepot import errors
from hubdepot.http import render
from hubdepot.http.auth import Login
from hubdepot.hub import Hub
from hubdepot.testing import faults as fault_rules
from hubdepot.testing.journal import Entry, Journal, headers_of

PREFIX = "/_hubdepot/"
RECEIVER = "/_hubdepot/webhooks"
JSON = [(b"content-type", b"application/json; charset=utf-8")]
BODY_MAX = 32 * 1024**2
DELIVERIES_KEPT = 1000  # the receiver's newest deliveries (oldest out first)
Answer: TypeAlias = tuple[int, object]  # a /_hubdepot/ handler's status and JSON body (None: no body)
Handler: TypeAlias = Callable[[Scope, Receive, str], Awaitable[Answer]]  # (scope, receive, path)


class Received(TypedDict):
    """A delivery the built-in receiver got."""

    headers: dict[str, str]
    body: str


class Gone(Exception):
    """The client went away before its body arrived."""


async def read_body(receive: Receive, limit: int = BODY_MAX) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise Gone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise errors.TooLarge()
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def respond(
    send: Send, status: int, body: object = None, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    data = b"" if body is None else body if isinstance(body, bytes) else orjson.dumps(body)
    head = (headers if headers is not None else JSON) + [(b"content-length", str(len(data)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": data})


def _error_body(status: int, message: str) -> dict[str, str]:
    return {"message": message, "documentation_url": render.GENERIC_DOCS, "status": str(status)}


class TestMode:
    __test__ = False  # (not a pytest test class)

    def __init__(self, app: ASGIApp, hub: Hub) -> None:
        self.app, self.hub = app, hub
        self.login = Login(hub)
        self.journal = Journal()
        self.faults = fault_rules.Faults()
        self.deliveries: collections.deque[Received] = collections.deque(maxlen=DELIVERIES_KEPT)
        from hubdepot.db import wipe

        self.kept = wipe.keep_first_admin(hub.db, "admin")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if scope["path"].startswith(PREFIX):
            try:
                return await self._namespace(scope, receive, send)
            except Gone:
                return None
        entry = self.journal.open(scope)
        wait, fault = self.faults.take(scope["method"], entry.path)
        if wait:
            await asyncio.sleep(wait)
        if fault is not None:
            return await self._fault(scope, receive, send, entry, fault)
        await self.app(scope, _recording(receive, entry), _recorder(send, entry))

    async def _fault(self, scope: Scope, receive: Receive, send: Send, entry: Entry, fault: fault_rules.Fault) -> None:
        try:
            entry.add_request(await read_body(receive))
        except (Gone, errors.TooLarge):
            pass
        actor = None
        try:
            actor = await self.login.actor(_authorization(scope))
        except errors.HubdepotError:
            pass
        rid = ":".join(secrets.token_hex(2).upper() for _ in range(5))
        client = (scope.get("client") or ("127.0.0.1", 0))[0]
        status, headers, body = fault_rules.answer(fault, rid, actor.id if actor else None, client)
        entry.fault = fault.id
        await _recorder(send, entry)({"type": "http.response.start", "status": status, "headers": headers})
        await _recorder(send, entry)({"type": "http.response.body", "body": body})

    # -- /_hubdepot/ ---------------------------------------------------------------------------
    async def _namespace(self, scope: Scope, receive: Receive, send: Send) -> None:
        method, path = scope["method"], scope["path"].rstrip("/")
        if path == RECEIVER and method == "POST":
            return await self._receive_delivery(scope, receive, send)
        status, message = await self._admin(scope)
        if status:
            return await respond(send, status, _error_body(status, message))
        handler = self._handlers().get((method, path.split("/")[2] if path.count("/") >= 2 else ""))
        if handler is None:
            return await respond(send, 404, _error_body(404, "Not Found"))
        try:
            status, body = await handler(scope, receive, path)
        except (fault_rules.FaultError, ValueError) as exc:
            status, body = 422, _error_body(422, str(exc))
        except errors.HubdepotError as exc:
            status, body = exc.status, _error_body(exc.status, exc.message)
        await respond(send, status, body)

    async def _admin(self, scope: Scope) -> tuple[int, str]:
        try:
            actor = await self.login.actor(_authorization(scope))
        except errors.HubdepotError:
            return 401, "Bad credentials"
        if actor is None:
            return 401, "Requires authentication"
        if not actor.account.site_admin:
            return 403, "Must be a site administrator"
        return 0, ""

    def _handlers(self) -> dict[tuple[str, str], Handler]:
        return {
            ("GET", "requests"): self._requests,
            ("DELETE", "requests"): self._clear_requests,
            ("GET", "faults"): self._list_faults,
            ("POST", "faults"): self._add_fault,
            ("DELETE", "faults"): self._clear_faults,
            ("POST", "reset"): self._reset,
            ("POST", "seed"): self._seed,
            ("GET", "webhooks"): self._list_deliveries,
            ("DELETE", "webhooks"): self._clear_deliveries,
        }

    async def _requests(self, scope: Scope, _receive: Receive, _path: str) -> Answer:
        query = dict(part.partition("=")[::2] for part in scope["query_string"].decode().split("&") if part)
        since = int(query.get("since") or 0)
        return 200, self.journal.views(since)

    async def _clear_requests(self, _scope: Scope, _receive: Receive, _path: str) -> Answer:
        self.journal.clear()
        return 204, None

    async def _list_faults(self, _scope: Scope, _receive: Receive, _path: str) -> Answer:
        return 200, self.faults.list()

    async def _add_fault(self, _scope: Scope, receive: Receive, _path: str) -> Answer:
        try:
            spec = orjson.loads(await read_body(receive))
        except orjson.JSONDecodeError:
            raise fault_rules.FaultError("Problems parsing JSON") from None
        return 201, self.faults.add(fault_rules.from_json(spec)).view()

    async def _clear_faults(self, _scope: Scope, _receive: Receive, path: str) -> Answer:
        last = path.rsplit("/", 1)[1]
        if last == "faults":
            self.faults.clear()
            return 204, None
        if not last.isdigit() or not self.faults.clear(int(last)):
            raise errors.NotFound()
        return 204, None

    async def _reset(self, _scope: Scope, _receive: Receive, _path: str) -> Answer:
        await run_in_threadpool(self._wipe)
        self.journal.clear()
        self.faults.clear()
        self.deliveries.clear()
        return 204, None

    def _wipe(self) -> None:
        from hubdepot.db import wipe

        wipe.wipe(self.hub.db, *self.kept)
        settings = self.hub.settings
        for directory in (settings.repos_dir, settings.blobs_dir):
            if directory.is_dir():
                for child in directory.iterdir():
                    shutil.rmtree(child) if child.is_dir() else child.unlink()

    async def _seed(self, scope: Scope, receive: Receive, _path: str) -> Answer:
        from hubdepot.testing import seed as seeding
        from hubdepot.testing.ephemeral import receiver_url

        body = await read_body(receive)
        kind = headers_of(scope["headers"]).get("content-type", "")
        try:
            doc = seeding.parse(body.decode("utf-8", "replace"), "seed.json" if "json" in kind else "seed")
            made = await run_in_threadpool(seeding.load, self.hub, doc, None, receiver_url(self.hub.settings))
        except seeding.SeedError as exc:
            return 422, _error_body(422, str(exc))
        return 201, {"made": made}

    async def _receive_delivery(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            body = await read_body(receive)
        except errors.TooLarge:  # (no sign-in needed here: GitHub's own cap on a payload is 25 MB)
            return await respond(send, 413, _error_body(413, "Payload Too Large"))
        headers = headers_of(scope["headers"])
        self.deliveries.append({"headers": headers, "body": body.decode("utf-8", "replace")})
        await respond(send, 200, {"ok": True})

    async def _list_deliveries(self, _scope: Scope, _receive: Receive, _path: str) -> Answer:
        return 200, [_delivery_view(d) for d in self.deliveries]

    async def _clear_deliveries(self, _scope: Scope, _receive: Receive, _path: str) -> Answer:
        self.deliveries.clear()
        return 204, None


def _delivery_view(delivery: Received) -> dict[str, Any]:
    from urllib.parse import parse_qs

    headers, body = delivery["headers"], delivery["body"]
    if headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        body = parse_qs(body).get("payload", ["null"])[0]
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        payload = None
    return {
        "event": headers.get("x-github-event"),
        "action": payload.get("action") if isinstance(payload, dict) else None,
        "guid": headers.get("x-github-delivery"),
        "headers": headers,
        "payload": payload,
    }


def _authorization(scope: Scope) -> str | None:
    headers: Iterable[tuple[bytes, bytes]] = scope["headers"]
    for name, value in headers:
        if name.lower() == b"authorization":
            return value.decode("latin-1")
    return None


def _recording(receive: Receive, entry: Entry) -> Receive:
    async def wrapped() -> Message:
        message = await receive()
        if message["type"] == "http.request":
            entry.add_request(message.get("body", b""))
        return message

    return wrapped


def _recorder(send: Send, entry: Entry) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            entry.status = message["status"]
            entry.response_headers = headers_of(message.get("headers", []))
        elif message["type"] == "http.response.body":
            entry.add_response(message.get("body", b""))
        await send(message)

    return wrapped
