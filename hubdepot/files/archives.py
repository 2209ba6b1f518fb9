"""Archive downloads outside the API: codeload-style links (where /tarball and /zipball redirect)
and GitHub's web archive URLs (/o/r/archive/refs/heads/main.zip, /o/r/archive/refs/tags/v1.tar.gz).

The bytes stream from `git archive`; a client that goes away kills the subprocess.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from hubdepot.http import files
from hubdepot.http.auth import actor_of
from hubdepot.services import archives as service


def _response(request: Request, archive: service.Archive) -> Response:
    headers = {
        "etag": archive.etag,
        "content-disposition": f"attachment; filename={archive.filename}",
        "x-content-type-options": "nosniff",
        "access-control-allow-origin": "*",
        "cache-control": "private, max-age=300",
    }
    # (chunks() starts nothing until read: stream() answers 304 and HEAD without reading it)
    return files.stream(request, archive.chunks(), headers, archive.media_type)


async def codeload(request: Request) -> Response:
    p = request.path_params
    archive = await run_in_threadpool(
        service.codeload,
        request.app.state.hub,
        p["owner"],
        p["repo"],
        p["kind"],
        p["ref"],
        request.query_params.get("token"),
    )
    return _response(request, archive)


async def web_archive(request: Request) -> Response:
    p = request.path_params
    archive = await run_in_threadpool(
        service.web, request.app.state.hub, actor_of(request), p["owner"], p["repo"], p["rest"]
    )
    return _response(request, archive)


ROUTES = [
    (("GET",), "/_codeload/{owner}/{repo}/{kind}/{ref:path}", codeload),
    (("GET",), "/{owner}/{repo}/archive/{rest:path}", web_archive),
]
