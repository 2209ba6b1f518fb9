"""A legacy download's html_url, {public}/downloads/{owner}/{repo}/{name}: the file itself.

Local storage: sent from disk (Range, HEAD). S3: a 302 to a short-lived presigned GET, or the bytes
proxied when s3_download=proxy. Memory: streamed. Only uploaded downloads are served; each GET
that starts at byte 0 counts one download.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, MalformedRangeHeader, RangeNotSatisfiable, Response, StreamingResponse

from hubdepot import errors
from hubdepot.services import downloads as service
from hubdepot.http.auth import actor_of

PRESIGNED_SECONDS = 300


def _find(hub, request: Request):
    p = request.path_params
    return service.for_serving(hub, actor_of(request), p["owner"], p["repo"], p["name"])


def _disposition(name: str) -> str:
    ascii_name = name.encode("ascii", "replace").decode().replace('"', "").replace("\\", "") or "download"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def _counts(request: Request) -> bool:
    if request.method != "GET":
        return False
    wanted = request.headers.get("range", "").replace(" ", "")
    return not wanted or wanted.startswith(("bytes=0-", "bytes=0,"))


async def serve(request: Request) -> Response:
    hub = request.app.state.hub
    access, row = await run_in_threadpool(_find, hub, request)
    mime = service.mime_type(row.name, row.content_type)
    headers = {"etag": f'"{row.digest}"', "content-disposition": _disposition(row.name),
               "cache-control": "private, max-age=60" if access.repo.private else "public, max-age=60"}
    if _counts(request):
        await run_in_threadpool(service.count, hub, row.id)
    path = hub.storage.local_path(row.blob_key)
    if path is not None:
        if not path.is_file():
            raise errors.NotFound()
        return FileResponse(path, headers=headers, media_type=mime)
    if hub.settings.s3_download != "proxy":
        url = hub.storage.presigned_get(row.blob_key, filename=row.name, content_type=mime, expires=PRESIGNED_SECONDS)
        if url:
            return Response(status_code=302, headers={"location": url, "cache-control": "no-cache"},
                            media_type="text/html;charset=utf-8")
    return _stream(hub, request, row, mime, headers)


def _stream(hub, request: Request, row, mime: str, headers: dict) -> Response:
    size, start, end, status = row.size, 0, row.size, 200
    wanted = request.headers.get("range")
    if wanted and size:
        try:
            ranges = FileResponse._parse_range_header(wanted, size)
        except MalformedRangeHeader:
            ranges = []
        except RangeNotSatisfiable:
            return Response(status_code=416, headers={"content-range": f"bytes */{size}"})
        if len(ranges) == 1:
            (start, end), status = ranges[0], 206
            headers["content-range"] = f"bytes {start}-{end - 1}/{size}"
    headers |= {"content-length": str(end - start), "accept-ranges": "bytes"}
    body = hub.storage.read(row.blob_key, start, end) if request.method != "HEAD" else iter(())
    return StreamingResponse(body, status_code=status, headers=headers, media_type=mime)


ROUTES = [(("GET",), "/downloads/{owner}/{repo}/{name}", serve)]
