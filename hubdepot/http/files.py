"""Serving stored bytes, the same way for every surface: release assets (API and
browser_download_url), legacy downloads, raw files and archives.

One place decides: If-None-Match/ETag (304), Range (one range: 206, unsatisfiable: 416; several:
the whole file), Content-Disposition (RFC 6266, UTF-8 names), HEAD without a body, local files
sent by the server (granian's pathsend) versus S3 (a 302 to a presigned URL, or the bytes proxied),
and the moment a download counts: once the answer that ends it has been sent (a whole file, or a
range reaching the last byte), or when the client is redirected to the blob host.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from collections.abc import AsyncIterator, Iterable, Mapping
from pathlib import Path
from urllib.parse import quote

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from hubdepot import errors
from hubdepot.hub import Hub
from hubdepot.storage import Stored

PRESIGNED_SECONDS = 300
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def disposition(name: str, kind: str = "attachment") -> str:
    """RFC 6266: the quoted name, and for names that are not plain ASCII an ASCII fallback plus the
    UTF-8 name (filename*)."""
    fallback = name.encode("ascii", "replace").decode().replace('"', "").replace("\\", "") or "download"
    if fallback == name and name.isprintable():
        return f'{kind}; filename="{name}"'
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def etag_matches(header: str | None, etag: str | None) -> bool:
    """Whether an If-None-Match header names `etag` (weak or strong) or is "*"."""
    if not header or not etag:
        return False
    tags = {t.strip().removeprefix("W/") for t in header.split(",")}
    return etag.removeprefix("W/") in tags or "*" in tags


def not_modified(request: Request, etag: str) -> bool:
    scope = request.scope
    if scope["method"] not in ("GET", "HEAD"):
        return False
    # (the scope's header lines read directly: Starlette's Headers would be built for this one name)
    found = [v for k, v in scope["headers"] if k == b"if-none-match"]
    return etag_matches(", ".join(v.decode("latin-1") for v in found) if found else None, etag)


def byte_range(header: str | None, size: int) -> tuple[int, int] | str | None:
    """(start, end) for one `bytes=a-b` range, "unsatisfiable", or None: send everything, as RFC 9110
    has it for a unit we do not know (items=0-1) and allows for anything else we do not serve (several
    ranges, b < a, no numbers)."""
    match = _RANGE.match((header or "").replace(" ", ""))
    if not match or not any(match.groups()):
        return None
    first, last = match.groups()
    if not first:
        start, end = max(size - int(last), 0), size
    elif last and int(last) < int(first):
        return None
    else:
        start, end = int(first), min(int(last) + 1 if last else size, size)
    return (start, end) if 0 <= start < end else "unsatisfiable"


class _File(FileResponse):
    """A local file answered with the range byte_range() chose, so local and proxied blobs answer
    alike (Starlette's own parsing answers 400 to a unit it does not know and multipart to several)."""

    def __init__(
        self,
        path: Path,
        *,
        wanted: tuple[int, int] | None,
        media_type: str,
        headers: Mapping[str, str],
        background: BackgroundTask | None,
    ) -> None:
        super().__init__(path, headers=headers, media_type=media_type, background=background)
        self.wanted = wanted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(k, v) for k, v in scope["headers"] if k != b"range"]
        if self.wanted is not None:
            headers.append((b"range", f"bytes={self.wanted[0]}-{self.wanted[1] - 1}".encode()))
        await super().__call__(dict(scope, headers=headers), receive, send)


def _completes(request: Request, size: int) -> bool:
    """Whether this answer ends a download: a GET of the whole file or of a range reaching its end."""
    if request.method != "GET":
        return False
    wanted = byte_range(request.headers.get("range"), size)
    return wanted is None or (isinstance(wanted, tuple) and wanted[1] >= size)


def _counter(request: Request, stored: Stored, redirected: bool = False) -> BackgroundTask | None:
    counter = stored.count
    if counter is None or not ((redirected and request.method == "GET") or _completes(request, stored.size)):
        return None

    async def count() -> None:
        await run_in_threadpool(counter)

    return BackgroundTask(count)


def _headers(stored: Stored) -> dict[str, str]:
    headers = {
        "etag": f'"{stored.digest}"',
        "accept-ranges": "bytes",
        "content-disposition": disposition(stored.filename),
    }
    if stored.modified is not None:
        stamp = stored.modified if stored.modified.tzinfo else stored.modified.replace(tzinfo=dt.UTC)
        headers["last-modified"] = email.utils.format_datetime(stamp.astimezone(dt.UTC), usegmt=True)
    if stored.cache_control:
        headers["cache-control"] = stored.cache_control
    return headers


def serve(hub: Hub, request: Request, stored: Stored, *, redirect: bool) -> Response:
    """The bytes of `stored`. `redirect`: on S3, may the client be sent to a presigned URL (browser
    routes) rather than proxied (the API: PyGithub refuses redirects off /api)? s3_download
    "proxy"/"redirect" overrides it."""
    headers = _headers(stored)
    if not_modified(request, headers["etag"]):
        return Response(status_code=304, headers=headers)
    path = hub.storage.local_path(stored.key)
    if path is not None:
        if not path.is_file():
            raise errors.NotFound()
        wanted = byte_range(request.headers.get("range"), stored.size)
        if wanted == "unsatisfiable":
            return Response(status_code=416, headers={"content-range": f"bytes */{stored.size}"})
        return _File(
            path,
            wanted=wanted if isinstance(wanted, tuple) else None,
            media_type=stored.media_type,
            headers=headers,
            background=_counter(request, stored),
        )
    mode = hub.settings.s3_download
    if mode == "redirect" or (mode == "auto" and redirect):
        url = hub.storage.presigned_get(
            stored.key, filename=stored.filename, content_type=stored.media_type, expires=PRESIGNED_SECONDS
        )
        if url:
            return Response(
                status_code=302,
                background=_counter(request, stored, redirected=True),
                headers={"location": url, "cache-control": "no-cache"},
                media_type="text/html;charset=utf-8",
            )
    return _proxied(hub, request, stored, headers)


def _proxied(hub: Hub, request: Request, stored: Stored, headers: dict[str, str]) -> Response:
    start, end, status = 0, stored.size, 200
    wanted = byte_range(request.headers.get("range"), stored.size)
    if wanted == "unsatisfiable":
        return Response(status_code=416, headers={"content-range": f"bytes */{stored.size}"})
    if isinstance(wanted, tuple):
        (start, end), status = wanted, 206
        headers["content-range"] = f"bytes {start}-{end - 1}/{stored.size}"
    headers["content-length"] = str(end - start)
    chunks = hub.storage.read(stored.key, start, end) if request.method != "HEAD" else iter(())
    return StreamingResponse(
        chunks, status_code=status, headers=headers, media_type=stored.media_type, background=_counter(request, stored)
    )


def stream(
    request: Request,
    chunks: AsyncIterator[bytes] | Iterable[bytes] | bytes | None,
    headers: dict[str, str],
    media_type: str,
) -> Response:
    """Bytes that are not a stored blob (a git blob, an archive): 304 on a matching ETag, no body
    for HEAD, else the bytes (streamed when they are not in hand)."""
    if "etag" in headers and not_modified(request, headers["etag"]):
        return Response(status_code=304, headers=headers)
    if request.method == "HEAD" or chunks is None:
        return Response(status_code=200, headers=headers, media_type=media_type)
    if isinstance(chunks, bytes):
        return Response(chunks, headers=headers, media_type=media_type)
    return StreamingResponse(chunks, headers=headers, media_type=media_type)
