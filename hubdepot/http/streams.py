"""Request bodies, read once as they arrive: bounded reads of small bodies, and streamed bodies fed
to a storage intake (storage/intake.py: hashed, counted, limited) without ever holding them whole."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.types import Message, Receive

from hubdepot import errors
from hubdepot.storage import CHUNK
from hubdepot.storage.intake import Blob, Intake


class BodyCutShort(errors.BadRequest, ClientDisconnect):
    """The client stopped sending before its body's end (fewer bytes than its Content-Length, a broken
    chunked encoding): a 400 on every surface. Still a ClientDisconnect for the readers that expect one."""

    default_message = "The request body ended before the length it announced"


def guarded(receive: Receive, started: Callable[[], bool]) -> Receive:
    """`receive` for an app: a disconnect before the request body's last part, while no answer has
    started, raises BodyCutShort (rendered as the surface's 400) instead of reaching the app as a
    ClientDisconnect nobody renders (a 500). Once an answer has started it is only a disconnect."""
    ended = False

    async def wrapped() -> Message:
        nonlocal ended
        message = await receive()
        if message["type"] == "http.request":
            ended = ended or not message.get("more_body", False)
        elif message["type"] == "http.disconnect" and not ended and not started():
            raise BodyCutShort()
        return message

    return wrapped


async def read_body(request: Request, limit: int) -> bytearray:
    """The request body, refusing (413) once it passes `limit` bytes instead of buffering it all.
    Gathered in one growing buffer: never the parts and their join at once."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise errors.TooLarge(f"Request body is larger than {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        if len(body) + len(chunk) > limit:
            raise errors.TooLarge(f"Request body is larger than {limit} bytes")
        body += chunk
    return body


async def receive(request: Request, intake: Intake, length: int) -> Blob:
    """Feed a body of exactly `length` bytes to `intake` in ~1 MiB batches and commit it. Anything
    short, long, cut off or failing aborts the intake."""
    pending: list[bytes] = []
    buffered = 0
    try:
        async for chunk in request.stream():
            pending.append(chunk)
            buffered += len(chunk)
            if buffered >= CHUNK:
                await run_in_threadpool(intake.write, b"".join(pending))
                pending, buffered = [], 0
        if pending:
            await run_in_threadpool(intake.write, b"".join(pending))
        if intake.size != length:
            raise errors.BadRequest(f"Bad Content-Length: {length}")
        return await run_in_threadpool(intake.commit)
    except ClientDisconnect:
        await run_in_threadpool(intake.abort)
        raise errors.BadRequest("Client disconnected") from None
    except asyncio.CancelledError:
        intake.abort()  # no awaiting once cancelled
        raise
    except Exception:
        await run_in_threadpool(intake.abort)
        raise
