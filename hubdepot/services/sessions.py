"""Web sign-in: argon2id passwords, signed session cookies, CSRF tokens, and sign-in throttling.

A session cookie is the account id, a fingerprint of its password hash and a nonce, signed with
the server's secret key (itsdangerous) and valid for SESSION_SECONDS: changing the password ends
every session, signing out revokes that one (its nonce's digest is kept until it would expire).
CSRF tokens are an HMAC of a per-browser anchor (the session cookie when signed in, else a
random `_csrf` cookie), so a form is only accepted from the browser it was served to.

Throttling: after LOGIN_FAILURES failed attempts for one login, or IP_FAILURES from one address,
within THROTTLE_SECONDS, sign-in is refused until the window passes. Counted per process on SQLite,
in the database on PostgreSQL (db/counters.py: every host of a cluster counts the same attempts).
"""

from __future__ import annotations

import collections
import datetime as dt
import functools
import hashlib
import hmac
import secrets
import threading
import time
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2 import exceptions as argon2_errors
from itsdangerous import BadSignature, URLSafeTimedSerializer

from hubdepot import errors
from hubdepot.db.counters import Counters
from hubdepot.db.tables import accounts, revoked_sessions
from hubdepot.hub import Hub
from hubdepot.services import Actor, Row, now
from hubdepot.services.accounts import by_id, by_login

SESSION_COOKIE = "user_session"
CSRF_COOKIE = "_csrf"
SESSION_SECONDS = 14 * 24 * 3600
MIN_PASSWORD = 8
MAX_PASSWORD = 1024
LOGIN_FAILURES = 10
IP_FAILURES = 50
THROTTLE_SECONDS = 15 * 60
WEB_SCOPES = ("repo",)
INCORRECT = "Incorrect username or password."

# OWASP's argon2id settings (19 MiB, 2 passes): a hash takes tens of milliseconds, and at most
# HASHING_AT_ONCE run together, so a burst of sign-ins cannot take all the memory or threads.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
HASHING_AT_ONCE = 4
_hashing = threading.BoundedSemaphore(HASHING_AT_ONCE)


@functools.cache
def _dummy() -> str:
    """Verified against when the login is unknown (same timing); made once, at the first sign-in."""
    return _hasher.hash(secrets.token_hex(16))


# -- passwords ----------------------------------------------------------------------------------
def check_password(password: str) -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise errors.ValidationFailed.one(
            "User", "password", "invalid", f"password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters"
        )


def set_password(hub: Hub, login: str, password: str) -> None:
    check_password(password)
    user = by_login(hub, login)
    if user.type != "User":
        raise errors.ValidationFailed.one("User", "login", "invalid", "only users have passwords")
    with _hashing:
        hashed = _hasher.hash(password)
    with hub.db.write() as conn:
        conn.execute(accounts.update().where(accounts.c.id == user.id).values(password_hash=hashed, updated_at=now()))


def _verify(stored: str | None, password: str) -> bool:
    try:
        with _hashing:
            return _hasher.verify(stored or _dummy(), password) and stored is not None
    except (argon2_errors.VerificationError, argon2_errors.InvalidHashError):
        return False


# -- throttling ---------------------------------------------------------------------------------
class _Failures:
    """Recent failed sign-ins per key ("login:x", "ip:y"), kept for THROTTLE_SECONDS."""

    def __init__(self) -> None:
        self._seen: dict[str, collections.deque[float]] = {}
        self._lock = threading.Lock()

    def count(self, key: str) -> int:
        with self._lock:
            times = self._seen.get(key)
            horizon = time.monotonic() - THROTTLE_SECONDS
            while times and times[0] < horizon:
                times.popleft()
            return len(times) if times else 0

    def add(self, key: str) -> None:
        with self._lock:
            if len(self._seen) > 100_000:
                self._seen.clear()
            self._seen.setdefault(key, collections.deque(maxlen=1000)).append(time.monotonic())

    def forget(self, key: str) -> None:
        with self._lock:
            self._seen.pop(key, None)


_failures = _Failures()


class _SharedFailures:
    """_Failures counted in the database (fixed windows of THROTTLE_SECONDS)."""

    def __init__(self, hub: Hub) -> None:
        self.counters = Counters(hub.db)

    def count(self, key: str) -> int:
        return self.counters.count(f"sign-in:{key}", int(time.time()))

    def add(self, key: str) -> None:
        self.counters.hit(f"sign-in:{key}", int(time.time()), THROTTLE_SECONDS)

    def forget(self, key: str) -> None:
        self.counters.forget(f"sign-in:{key}")


def sign_in(hub: Hub, login: str, password: str, ip: str) -> Row:
    """The account `login` names when `password` is its password; Unauthenticated otherwise, and
    RateLimited after too many failures for that login or from that address."""
    keys = (f"login:{login.lower()}", f"ip:{ip}")
    failures = _failures if hub.db.is_sqlite else _SharedFailures(hub)
    if failures.count(keys[0]) >= LOGIN_FAILURES or failures.count(keys[1]) >= IP_FAILURES:
        raise errors.RateLimited(
            "Too many sign-in attempts. Please wait a few minutes and try again.", retry_after=THROTTLE_SECONDS
        )
    try:
        user = by_login(hub, login) if login and len(login) <= 39 else None
    except errors.NotFound:
        user = None
    stored = user.password_hash if user is not None and user.type == "User" else None
    if not _verify(stored, password[:MAX_PASSWORD]):
        for key in keys:
            failures.add(key)
        raise errors.Unauthenticated(INCORRECT)
    failures.forget(keys[0])
    assert user is not None, "a password matched, so the account exists"
    return user


# -- session cookies ----------------------------------------------------------------------------
def _serializer(hub: Hub) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(hub.signer.secret, salt="hubdepot.session")


def _fingerprint(password_hash: str | None) -> str:
    return hashlib.sha256((password_hash or "").encode()).hexdigest()[:16]


def session_value(hub: Hub, account: Row) -> str:
    """A new session: the account, its password's fingerprint, and a nonce that signing out revokes."""
    return _serializer(hub).dumps(
        {"id": account.id, "p": _fingerprint(account.password_hash), "n": secrets.token_urlsafe(16)}
    )


def _session_data(hub: Hub, value: str) -> dict[str, Any] | None:
    try:
        data = _serializer(hub).loads(value, max_age=SESSION_SECONDS)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("id"), int) or not isinstance(data.get("n"), str):
        return None
    return data


def _nonce_digest(data: dict[str, Any]) -> str:
    return hashlib.sha256(data["n"].encode()).hexdigest()


def session_actor(hub: Hub, value: str) -> Actor | None:
    """The signed-in account a session cookie names, or None when it is forged, expired, signed out,
    or older than the account's password."""
    data = _session_data(hub, value)
    if data is None:
        return None
    with hub.db.read() as conn:
        account = by_id(conn, data["id"])
        revoked = conn.execute(
            sa.select(revoked_sessions.c.digest).where(revoked_sessions.c.digest == _nonce_digest(data))
        ).first()
    if account is None or account.password_hash is None or data.get("p") != _fingerprint(account.password_hash):
        return None
    return None if revoked is not None else Actor(account=account, scopes=WEB_SCOPES, token_id=0)


def sign_out(hub: Hub, value: str | None) -> None:
    """Revoke a session for good (every process refuses it from its next request: http/auth);
    revocations past their cookie's lifetime are dropped on the way."""
    data = _session_data(hub, value) if value else None
    if data is None:
        return
    stamp = now()
    with hub.db.write() as conn:
        conn.execute(revoked_sessions.delete().where(revoked_sessions.c.expires_at < stamp))
        exists = conn.execute(
            sa.select(revoked_sessions.c.digest).where(revoked_sessions.c.digest == _nonce_digest(data))
        ).first()
        if exists is None:
            conn.execute(
                revoked_sessions.insert().values(
                    digest=_nonce_digest(data), expires_at=stamp + dt.timedelta(seconds=SESSION_SECONDS)
                )
            )


# -- CSRF ---------------------------------------------------------------------------------------
def new_anchor() -> str:
    return secrets.token_urlsafe(24)


def csrf_token(hub: Hub, anchor: str) -> str:
    return hmac.new(hub.signer.secret, f"csrf\n{anchor}".encode(), hashlib.sha256).hexdigest()


def check_csrf(hub: Hub, anchor: str | None, token: str | None) -> None:
    """A form is accepted only with the token made for this browser's anchor: 403 otherwise."""
    if not anchor or not token or not hmac.compare_digest(csrf_token(hub, anchor), token):
        raise errors.Forbidden("Your browser did something unexpected. Please reload the page and try again.")
