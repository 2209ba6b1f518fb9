"""Request bodies, read once as they arrive: bounded reads of small bodies, and streamed bodies
copied into a storage writer (which hashes and counts) without ever holding them whole."""

from __future__ import annotations

import asyncio

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request

from hubdepot import errors
from hubdepot.storage import CHUNK, BlobWriter


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing (413) once it passes `limit` bytes instead of buffering it all."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise errors.TooLarge(f"Request body is larger than {limit} bytes")
    parts, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise errors.TooLarge(f"Request body is larger than {limit} bytes")
        parts.append(chunk)
    return b"".join(parts)


async def into_writer(request: Request, writer: BlobWriter, length: int) -> tuple[str, str, int]:
    """Copy a body of exactly `length` bytes into `writer` in ~1 MiB batches and commit it:
    (key, sha256 hex, size). Anything short, long, cut off or failing aborts the writer."""
    pending: list[bytes] = []
    buffered = received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > length:
                raise errors.BadRequest(f"Bad Content-Length: {length}")
            pending.append(chunk)
            buffered += len(chunk)
            if buffered >= CHUNK:
                await run_in_threadpool(writer.write, b"".join(pending))
                pending, buffered = [], 0
        if received != length:
            raise errors.BadRequest(f"Bad Content-Length: {length}")
        if pending:
            await run_in_threadpool(writer.write, b"".join(pending))
        key, digest = await run_in_threadpool(writer.commit)
    except ClientDisconnect:
        await run_in_threadpool(writer.abort)
        raise errors.BadRequest("Client disconnected") from None
    except asyncio.CancelledError:
        writer.abort()  # no awaiting once cancelled
        raise
    except Exception:
        await run_in_threadpool(writer.abort)
        raise
    return key, digest, received
