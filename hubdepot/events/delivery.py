"""What one delivery is: its target, what GitHub sends to it (headers, signatures, body) and the
outcome kept. No HTTP here (events/sender.py posts it): the queue and the payload code load this
without the HTTP client."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
from urllib.parse import quote_plus

from hubdepot import GHES_VERSION

HOOKSHOT = "GitHub-Hookshot/" + hashlib.sha1(b"hubdepot").hexdigest()[:7]  # GitHub sends a short hex version


@dataclasses.dataclass(frozen=True)
class Target:
    hook_id: int
    url: str
    content_type: str  # json | form
    secret: str | None
    insecure_ssl: bool
    kind: str  # repository | organization
    target_id: int
    host: str  # this server's host, as GHES names itself to receivers


@dataclasses.dataclass(frozen=True)
class Outcome:
    status_code: int  # 0 when no HTTP answer came
    status: str  # "OK", "Invalid HTTP Response: 500", "timed out", ...
    duration: float
    request_headers: dict[str, str]
    response_headers: dict[str, str] | None
    response_body: str | None
    retry: bool  # worth trying again later

    @property
    def ok(self) -> bool:
        return 200 <= self.status_code < 300


def request_of(target: Target, event: str, guid: str, payload: bytes) -> tuple[dict[str, str], bytes]:
    """The headers and body GitHub sends for this payload (the JSON document, or form `payload=`)."""
    body = payload if target.content_type == "json" else b"payload=" + quote_plus(payload).encode()
    headers = {
        "Accept": "*/*",
        "User-Agent": HOOKSHOT,
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": guid,
        "X-GitHub-Hook-ID": str(target.hook_id),
        "X-GitHub-Hook-Installation-Target-Type": target.kind,
        "X-GitHub-Hook-Installation-Target-ID": str(target.target_id),
        "X-GitHub-Enterprise-Version": GHES_VERSION,
        "X-GitHub-Enterprise-Host": target.host,
        "Content-Type": "application/json" if target.content_type == "json" else "application/x-www-form-urlencoded",
    }
    if target.secret:
        key = target.secret.encode()
        headers["X-Hub-Signature"] = "sha1=" + hmac.new(key, body, hashlib.sha1).hexdigest()
        headers["X-Hub-Signature-256"] = "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
    return headers, body
