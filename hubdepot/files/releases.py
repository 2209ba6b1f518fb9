"""browser_download_url: /{owner}/{repo}/releases/download/{tag}/{name} and
/{owner}/{repo}/releases/latest/download/{name}. Public repositories need no token; private ones
accept the same Authorization header as the API."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from hubdepot.http import files
from hubdepot.http.auth import actor_of
from hubdepot.services import assets as asset_service


async def _download(request: Request, tag: str | None) -> Response:
    hub, p = request.app.state.hub, request.path_params
    stored = await run_in_threadpool(
        asset_service.browser_download, hub, actor_of(request), p["owner"], p["repo"], tag, p["name"]
    )
    return files.serve(hub, request, stored, redirect=True)


async def download(request: Request) -> Response:
    return await _download(request, request.path_params["tag"])


async def latest_download(request: Request) -> Response:
    return await _download(request, None)


ROUTES = [
    (("GET",), "/{owner}/{repo}/releases/latest/download/{name}", latest_download),
    (("GET",), "/{owner}/{repo}/releases/download/{tag:path}/{name}", download),
]
