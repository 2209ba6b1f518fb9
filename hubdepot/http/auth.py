"""Who is asking: one login for every surface.

Credentials come from `Authorization: token X`, `Bearer X`, or Basic with the token as the password
(any username, e.g. x-access-token) or as the username with an empty password or `x-oauth-basic`, as
GitHub accepts all three; on web pages, also from the signed session cookie the sign-in form sets
(services/sessions). Lookups are kept per process, each with the data dir's write generation read
before it (db/generation.py), and used only while the generation still holds that value: every write
transaction in any process moves it, so signing out, a password change, a revoked token or a removed
account is seen by the very next request on every process (on other hosts, once PostgreSQL has
delivered the write's notification: db/coherence.py). Writes that name a repository (db/generation's
WRITE_SCOPE) change no account, token or session and leave lookups kept. Reading the generation is a
memory load, so a valid token stays off the database while nothing is written. CACHE_SECONDS bounds
what only time changes (a token's expires_at, a session cookie's age).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import threading
import time
from collections.abc import Callable
from typing import NamedTuple

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request, cookie_parser

from hubdepot import errors
from hubdepot.http import context
from hubdepot.hub import Hub
from hubdepot.services import Actor, accounts, sessions

CACHE_SECONDS = 5.0
_OAUTH_BASIC = "x-oauth-basic"  # GitHub's documented password for a token sent as the username
_CACHE_MAX = 10_000


def credentials(header: str | None) -> str | None:
    """The token an Authorization header carries: None when there is no header, "" when it is unusable."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    scheme = scheme.lower()
    if scheme in ("token", "bearer"):
        return value.strip()
    if scheme == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return ""
        username, _, password = decoded.partition(":")
        return username if password in ("", _OAUTH_BASIC) else password
    return ""


class Login:
    """token -> Actor, kept per process until the next write anywhere (the database stays off the hot path)."""

    def __init__(self, hub: Hub):
        self.hub = hub
        self._items: dict[tuple[str, str], tuple[Actor, int, float]] = {}  # (kind, credential)
        self._lock = threading.Lock()
        self._pending: dict[tuple[str, str], _Pending] = {}  # lookups under way, by key

    def _cached(self, key: tuple[str, str], generation: int | None) -> Actor | None:
        item = self._items.get(key)
        if item and item[2] > time.monotonic() and self._unchanged(item[1], generation):
            return item[0]
        return None

    def _unchanged(self, seen: int, generation: int | None) -> bool:
        """No write since `seen` could change a lookup: none at all, or only writes to repositories."""
        counter = self.hub.db.generation
        return seen == generation or (counter is not None and counter.valid_for_accounts(seen))

    def _remember(self, key: tuple[str, str], actor: Actor, generation: int | None) -> None:
        if generation is None:  # no generation to check against: nothing is kept
            return
        with self._lock:
            if len(self._items) > _CACHE_MAX:
                self._items.clear()
            self._items[key] = (actor, generation, time.monotonic() + CACHE_SECONDS)

    async def _look_up(self, key: tuple[str, str], find: Callable[[Hub, str], Actor | None]) -> Actor | None:
        """`find(hub, value)` in the thread pool, unless an answer read since the last write is kept. The
        generation is read before the lookup: a write that ends during it leaves the entry unusable.
        Requests that miss together share one lookup begun at the same generation (the many
        connections of one client, each time its entry expires, had each sent one to the pool)."""
        counter = self.hub.db.generation
        generation = counter.current() if counter is not None else None
        actor = self._cached(key, generation)
        if actor is not None:
            return actor
        if generation is None:  # (nothing says whether a write ended while another's lookup ran)
            return await self._find(key, find, generation)
        loop = asyncio.get_running_loop()
        pending = self._pending.get(key)
        if pending is None or pending.generation != generation or pending.loop is not loop:
            task = loop.create_task(self._find(key, find, generation))
            pending = self._pending[key] = _Pending(generation, loop, task)
        return await asyncio.shield(pending.task)  # (a caller that goes away leaves the others theirs)

    async def _find(
        self, key: tuple[str, str], find: Callable[[Hub, str], Actor | None], generation: int | None
    ) -> Actor | None:
        try:
            actor = await run_in_threadpool(find, self.hub, key[1])
            if actor is not None:
                self._remember(key, actor, generation)
            return actor
        finally:
            if (pending := self._pending.get(key)) is not None and pending.task is asyncio.current_task():
                del self._pending[key]

    async def actor(self, authorization: str | None, cookie: str | None = None) -> Actor | None:
        """The caller an Authorization header names (else, when given, the session in a Cookie header);
        None when anonymous; BadCredentials when the header is wrong (a bad session is anonymous)."""
        token = credentials(authorization)
        if token is None:
            return await self._session(session_cookie(cookie)) if cookie else None
        if not token:
            raise errors.BadCredentials()
        return await self._look_up(("token", token), accounts.authenticate)

    async def _session(self, value: str | None) -> Actor | None:
        if not value:
            return None
        return await self._look_up(("session", value), sessions.session_actor)


class _Pending(NamedTuple):
    """A lookup under way, shared by the requests that missed while it ran."""

    generation: int | None
    loop: asyncio.AbstractEventLoop
    task: asyncio.Task[Actor | None]


def session_cookie(header: str | None) -> str | None:
    """The session cookie's value in a Cookie header, if any: parsed as Starlette's request.cookies
    parses it for the pages, so the edge and the pages agree on who is signed in."""
    return cookie_parser(header or "").get(sessions.SESSION_COOKIE) or None


def actor_of(request: Request) -> Actor | None:
    """The caller the edge found for this request (every surface)."""
    return context.of(request.scope).actor
