"""Who is asking: one login for every surface.

Credentials come from `Authorization: token X`, `Bearer X`, or Basic with the token as the password
(any username, e.g. x-access-token) or as the username with an empty password or `x-oauth-basic`, as
GitHub accepts all three; on web pages, also from the signed session cookie the sign-in form sets
(services/sessions). Lookups are cached per process for a few seconds, so a revoked token stops
working within CACHE_SECONDS.
"""

from __future__ import annotations

import base64
import binascii
import threading
import time

from starlette.concurrency import run_in_threadpool
from starlette.requests import cookie_parser

from hubdepot import errors
from hubdepot.services import Actor, Hub, accounts, sessions

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
    """token -> Actor, with a short per-process cache that keeps the database off the hot path."""

    def __init__(self, hub: Hub):
        self.hub = hub
        self._items: dict[str, tuple[Actor, float]] = {}
        self._lock = threading.Lock()

    def _cached(self, token: str) -> Actor | None:
        item = self._items.get(token)
        if item and item[1] > time.monotonic():
            return item[0]
        return None

    def _remember(self, token: str, actor: Actor) -> None:
        with self._lock:
            if len(self._items) > _CACHE_MAX:
                self._items.clear()
            self._items[token] = (actor, time.monotonic() + CACHE_SECONDS)

    async def actor(self, authorization: str | None, cookie: str | None = None) -> Actor | None:
        """The caller an Authorization header names (else, when given, the session in a Cookie header);
        None when anonymous; BadCredentials when the header is wrong (a bad session is anonymous)."""
        token = credentials(authorization)
        if token is None:
            return await self._session(session_cookie(cookie)) if cookie else None
        if not token:
            raise errors.BadCredentials()
        actor = self._cached(token)
        if actor is None:
            actor = await run_in_threadpool(accounts.authenticate, self.hub, token)
            self._remember(token, actor)
        return actor

    async def _session(self, value: str | None) -> Actor | None:
        if not value:
            return None
        key = "session:" + value
        actor = self._cached(key)
        if actor is None:
            actor = await run_in_threadpool(sessions.session_actor, self.hub, value)
            if actor is not None:
                self._remember(key, actor)
        return actor


def session_cookie(header: str | None) -> str | None:
    """The session cookie's value in a Cookie header, if any: parsed as Starlette's request.cookies
    parses it for the pages, so the edge and the pages agree on who is signed in."""
    return cookie_parser(header or "").get(sessions.SESSION_COOKIE) or None


def actor_of(request) -> Actor | None:
    """The caller the edge found for this request (every surface)."""
    return request.scope.get("hubdepot.actor")
