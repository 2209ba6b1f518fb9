"""Cross-cutting behaviour for every /api request: request id, API version, authentication,
rate limits, and the headers GitHub puts on every response. A pure ASGI middleware."""

from __future__ import annotations

import base64
import binascii
import secrets
import threading
import time
from urllib.parse import unquote_to_bytes

from starlette.concurrency import run_in_threadpool

from hubdepot import errors
from hubdepot.api._errors import error_response_parts
from hubdepot.api._media import negotiate
from hubdepot.services import accounts

VERSIONS = ("2022-11-28", "2026-03-10")
_EXPOSE = ("ETag, Link, Location, Retry-After, X-GitHub-OTP, X-RateLimit-Limit, X-RateLimit-Remaining, "
           "X-RateLimit-Used, X-RateLimit-Resource, X-RateLimit-Reset, X-OAuth-Scopes, X-Accepted-OAuth-Scopes, "
           "X-Poll-Interval, X-GitHub-Media-Type, X-GitHub-SSO, X-GitHub-Request-Id, Deprecation, Sunset")
_STATIC = [
    (b"server", b"hubdepot"),
    (b"access-control-allow-origin", b"*"),
    (b"access-control-expose-headers", _EXPOSE.encode()),
    (b"x-frame-options", b"deny"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-xss-protection", b"0"),
    (b"referrer-policy", b"origin-when-cross-origin, strict-origin-when-cross-origin"),
    (b"content-security-policy", b"default-src 'none'"),
]
_CACHE_SECONDS = 5.0


class TokenCache:
    """token -> (Actor, expiry): keeps the database off the hot path; revocation lands within seconds."""

    def __init__(self):
        self._items: dict[str, tuple[object, float]] = {}
        self._lock = threading.Lock()

    def get(self, token: str):
        item = self._items.get(token)
        if item and item[1] > time.monotonic():
            return item[0]
        return None

    def put(self, token: str, actor) -> None:
        with self._lock:
            if len(self._items) > 10_000:
                self._items.clear()
            self._items[token] = (actor, time.monotonic() + _CACHE_SECONDS)


def request_id() -> str:
    return ":".join(secrets.token_hex(n).upper() for n in (2, 2, 3, 3, 4))


def bearer(header: str | None) -> str | None:
    """The token from `token X`, `Bearer X` or Basic (login:token); None when absent."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    scheme = scheme.lower()
    if scheme in ("token", "bearer"):
        return value.strip() or ""
    if scheme == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return ""
        return decoded.partition(":")[2]
    return ""


class ApiMiddleware:
    def __init__(self, app, hub, limiter):
        self.app = app
        self.hub = hub
        self.limiter = limiter
        self.tokens = TokenCache()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if not scope["path"].startswith("/api/"):
            try:
                _check_path(scope)
            except errors.HubdepotError as exc:
                return await self._fail(scope, send, exc, [])
            return await self.app(scope, receive, send)
        rid = request_id()
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        extra = [(b"x-github-request-id", rid.encode())]
        try:
            _check_path(scope)
            version = self._version(headers)
            actor = await self._actor(headers)
            scope["hubdepot.actor"] = actor
            scope["hubdepot.api_version"] = version
            extra += self._rate(scope, actor, headers)
        except errors.HubdepotError as exc:
            return await self._fail(scope, send, exc, extra)
        extra += self._fixed(scope, headers, actor, version)
        await self.app(scope, receive, self._sender(scope, send, extra))

    def _version(self, headers) -> str:
        version = headers.get("x-github-api-version", "").strip()
        if version and version not in VERSIONS:
            raise errors.BadRequest(
                f"Invalid API version provided: {version}. Supported versions: {', '.join(VERSIONS)}")
        return version or VERSIONS[0]

    async def _actor(self, headers):
        token = bearer(headers.get("authorization"))
        if token is None:
            return None
        if not token:
            raise errors.BadCredentials()
        actor = self.tokens.get(token)
        if actor is None:
            actor = await run_in_threadpool(accounts.authenticate, self.hub, token)
            self.tokens.put(token, actor)
        return actor

    def _rate(self, scope, actor, headers) -> list:
        settings = self.hub.settings
        if actor is not None:
            key, limit = f"token:{actor.token_id}", settings.rate_limit_authenticated
        else:
            key, limit = f"ip:{_client_ip(scope)}", settings.rate_limit_anonymous
        scope["hubdepot.rate_key"] = key
        window, allowed = self.limiter.hit(key, limit)
        rate = [
            (b"x-ratelimit-limit", str(window.limit).encode()),
            (b"x-ratelimit-remaining", str(window.remaining).encode()),
            (b"x-ratelimit-reset", str(window.reset).encode()),
            (b"x-ratelimit-used", str(window.used).encode()),
            (b"x-ratelimit-resource", b"core"),
        ]
        scope["hubdepot.rate_headers"] = rate
        if not allowed:
            who = f"user ID {actor.id}" if actor else _client_ip(scope)
            message = f"API rate limit exceeded for {who}."
            if actor is None:
                message += (" (But here's the good news: Authenticated requests get a higher rate limit."
                            " Check out the documentation for more details.)")
            raise errors.RateLimited(message, retry_after=max(0, window.reset - int(time.time())))
        return rate

    def _fixed(self, scope, headers, actor, version) -> list:
        media = scope["hubdepot.media"] = negotiate(headers.get("accept"))  # endpoints read it from here
        out = [
            (b"x-github-media-type", media.github_header.encode()),
            (b"x-github-api-version-selected", version.encode()),
            (b"x-accepted-oauth-scopes", b"repo" if "/releases" in scope["path"] else b""),
            (b"vary", b"Accept, Authorization, Cookie, X-GitHub-OTP, Accept-Encoding, Accept, X-Requested-With"),
        ]
        if actor is not None:
            out.append((b"x-oauth-scopes", ", ".join(actor.scopes).encode()))
            out.append((b"cache-control", b"private, max-age=60, s-maxage=60"))
        else:
            out.append((b"cache-control", b"public, max-age=60, s-maxage=60"))
        return out + _STATIC

    def _sender(self, scope, send, extra):
        head = scope["method"] == "HEAD"

        async def wrapped(message):
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in extra if k not in names]
                if message["status"] == 304 and "hubdepot.rate_key" in scope:
                    self.limiter.refund(scope["hubdepot.rate_key"])
            elif head and message["type"] == "http.response.body":
                message = {"type": "http.response.body", "body": b"", "more_body": message.get("more_body", False)}
            await send(message)

        return wrapped

    async def _fail(self, scope, send, exc, extra):
        status, body, more = error_response_parts(exc, None)
        headers = [(b"content-type", b"application/json; charset=utf-8"),
                   (b"content-length", str(len(body)).encode())]
        headers += [(k.encode(), v.encode()) for k, v in more.items()]
        headers += scope.get("hubdepot.rate_headers", []) + extra + _STATIC
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})


def _check_path(scope) -> None:
    """A path with a NUL, or whose %-escapes are not UTF-8, names nothing GitHub could have: 404."""
    if "\x00" in scope["path"]:
        raise errors.NotFound()
    raw = scope.get("raw_path")
    if raw and b"%" in raw:
        try:
            unquote_to_bytes(raw.split(b"?", 1)[0]).decode("utf-8")
        except UnicodeDecodeError:
            raise errors.NotFound() from None


def _client_ip(scope) -> str:
    client = scope.get("client")
    return client[0] if client else "unknown"
