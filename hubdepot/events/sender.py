"""One delivery over HTTP: GitHub's headers and signatures, a timeout, no redirects followed, the
receiver's answer kept (its body truncated). Synchronous httpx, run in the delivery task's own
threads (one per hook being delivered): it costs a third of the CPU of httpx's async client, and
the process's CPU is shared with the requests it serves."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import time
from urllib.parse import quote_plus

import httpx

from hubdepot import GHES_VERSION
from hubdepot.events import targets

HOOKSHOT = "GitHub-Hookshot/" + hashlib.sha1(b"hubdepot").hexdigest()[:7]  # GitHub sends a short hex version
BODY_KEEP = 64 * 1024  # bytes of a receiver's answer we keep


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


def _failed(status: str, headers: dict[str, str], started: float, retry: bool = True) -> Outcome:
    return Outcome(0, status, round(time.monotonic() - started, 3), headers, None, None, retry)


def send(
    client: httpx.Client,
    target: Target,
    event: str,
    guid: str,
    payload: bytes,
    *,
    timeout: float,
    max_bytes: int,
) -> Outcome:
    """Post one delivery with `client` (whose transport refuses internal targets when they are
    forbidden: events/targets.py)."""
    started = time.monotonic()
    headers, body = request_of(target, event, guid, payload)
    if len(body) > max_bytes:
        return _failed(
            f"Payload too large: {len(body)} bytes is over {max_bytes}; not delivered", headers, started, retry=False
        )
    try:
        return _post(client, target.url, headers, body, started, started + timeout)
    except targets.Refused as exc:
        status = f"Not delivered: the URL's host is a private or loopback address ({exc})"
        return _failed(status, headers, started, retry=False)
    except httpx.TimeoutException:
        return _failed("timed out", headers, started)
    except httpx.ConnectError:
        return _failed("failed to connect to host", headers, started)
    except (httpx.HTTPError, OSError, ValueError) as exc:
        return _failed(f"failed: {type(exc).__name__}", headers, started)


def _post(
    client: httpx.Client, url: str, headers: dict[str, str], body: bytes, started: float, deadline: float
) -> Outcome:
    with client.stream("POST", url, headers=headers, content=body) as response:
        kept = bytearray()
        for chunk in response.iter_raw():
            kept += chunk[: BODY_KEEP - len(kept)]
            if len(kept) >= BODY_KEEP:
                break
            if time.monotonic() > deadline:
                raise httpx.ReadTimeout("the answer took too long")
    code = response.status_code
    status = "OK" if 200 <= code < 300 else f"Invalid HTTP Response: {code}"
    return Outcome(
        code,
        status,
        round(time.monotonic() - started, 3),
        headers,
        dict(response.headers),
        bytes(kept).decode("utf-8", "replace"),
        not 200 <= code < 300,
    )
