"""Smart HTTP handlers. Errors (401 with the Basic challenge, "Repository not found.", 403
"Permission to o/r denied to login.") are raised as domain errors and rendered as text by
http/render.py for the GIT surface, which git shows to its user as "remote: ..."."""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Awaitable, Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from hubdepot import errors
from hubdepot.git import transport
from hubdepot.http.auth import actor_of
from hubdepot.services import RepoAccess, pushes

CHUNK = 64 * 1024
NO_CACHE = {
    "cache-control": "no-cache, max-age=0, must-revalidate",
    "expires": "Fri, 01 Jan 1980 00:00:00 GMT",
    "pragma": "no-cache",
}
_DUMB = (
    "Please upgrade your git client.\nGitHub.com no longer supports git over dumb-http: "
    "https://github.com/blog/809-git-dumb-http-transport-to-be-turned-off-in-90-days"
)


class GitResponse(StreamingResponse):
    """Streams git's output. Unlike StreamingResponse it never reads `receive` itself (that would
    steal the request body from git's stdin); a client that leaves fails the next send or read."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.stream_response(send)
        except OSError:
            pass


def _protocol(request: Request) -> str | None:
    value = request.headers.get("git-protocol")
    return value if value and value.isprintable() and len(value) < 256 else None


async def _authorize(request: Request, service: str) -> RepoAccess:
    p = request.path_params
    return await run_in_threadpool(
        pushes.authorize, request.app.state.hub, actor_of(request), p["owner"], p["repo"], service
    )


def _pkt(line: str) -> bytes:
    data = line.encode()
    return f"{len(data) + 4:04x}".encode() + data


async def info_refs(request: Request) -> Response:
    service = request.query_params.get("service")
    if service not in pushes.SERVICES:
        raise errors.Forbidden(_DUMB)
    access = await _authorize(request, service)
    protocol = _protocol(request)
    chunks = pushes.advertise(request.app.state.hub, access, service, protocol)
    if "version=2" not in (protocol or "") or service != pushes.UPLOAD:
        chunks = transport.prefixed(_pkt(f"# service={service}\n") + b"0000", chunks)
    return GitResponse(chunks, media_type=f"application/x-{service}-advertisement", headers=NO_CACHE)


async def _body(request: Request) -> AsyncIterator[bytes]:
    """The request body as git sent it before compression (gzip is git's only Content-Encoding)."""
    encoding = request.headers.get("content-encoding", "").strip().lower()
    inflate = zlib.decompressobj(16 + zlib.MAX_WBITS) if encoding in ("gzip", "x-gzip") else None
    try:
        async for chunk in request.stream():
            if inflate is None:
                if chunk:
                    yield chunk
                continue
            data = inflate.decompress(chunk, CHUNK)
            while data:
                yield data
                data = inflate.decompress(inflate.unconsumed_tail, CHUNK) if inflate.unconsumed_tail else b""
    except ClientDisconnect:
        return


def _rpc(service: str) -> Callable[[Request], Awaitable[Response]]:
    async def handler(request: Request) -> Response:
        access = await _authorize(request, service)
        if request.headers.get("content-type", "").split(";")[0].strip() != f"application/x-{service}-request":
            raise errors.BadRequest("Unsupported Media Type")
        chunks = pushes.serve(
            request.app.state.hub, actor_of(request), access, service, _body(request), _protocol(request)
        )
        return GitResponse(chunks, media_type=f"application/x-{service}-result", headers=NO_CACHE)

    handler.__name__ = service.replace("-", "_")
    return handler


ROUTES = [
    (("GET",), "/{owner}/{repo}/info/refs", info_refs),
    (("POST",), "/{owner}/{repo}/git-upload-pack", _rpc(pushes.UPLOAD)),
    (("POST",), "/{owner}/{repo}/git-receive-pack", _rpc(pushes.RECEIVE)),
]
