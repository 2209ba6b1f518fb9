"""One delivery over HTTP: GitHub's headers and signatures, a timeout, no redirects followed, the
receiver's answer kept (its body truncated). Synchronous httpx, run in the delivery task's own
threads (one per hook being delivered): it costs a third of the CPU of httpx's async client, and
the process's CPU is shared with the requests it serves."""

from __future__ import annotations

import time

import httpx

from hubdepot.config import Settings
from hubdepot.events import targets
from hubdepot.events.delivery import Outcome, Target, request_of

BODY_KEEP = 64 * 1024  # bytes of a receiver's answer we keep


def client(settings: Settings, verify: bool) -> httpx.Client:
    """The client deliveries to hooks with (verify) or without (not verify) TLS checks go through."""
    limits = httpx.Limits(max_connections=settings.webhook_concurrency * 2, max_keepalive_connections=32)
    checked = (  # connects to the addresses it checked (events/targets.py)
        targets.transport(verify=verify, limits=limits, allow=settings.webhook_allow)
        if settings.webhook_forbid_private
        else None
    )
    return httpx.Client(
        follow_redirects=False,  # as GitHub's deliveries
        verify=verify,
        limits=limits,
        timeout=settings.webhook_timeout,
        trust_env=False,
        transport=checked,
    )


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
