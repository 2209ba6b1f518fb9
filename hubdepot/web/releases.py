"""browser_download_url: /{owner}/{repo}/releases/download/{tag}/{name} and
/{owner}/{repo}/releases/latest/download/{name}. Public repositories need no token; private ones
accept the same Authorization header as the API."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from hubdepot import errors
from hubdepot.api.assets import bytes_response
from hubdepot.services import Hub
from hubdepot.services import releases as reads
from hubdepot.services import repos as repo_service
from hubdepot.http.auth import actor_of


def _download(hub: Hub, request: Request, tag: str | None) -> Response:
    params = request.path_params
    access = repo_service.find(hub, actor_of(request), params["owner"], params["repo"])
    view = reads.latest(hub, access) if tag is None else reads.by_url_tag(hub, access, tag)
    asset = next((a.row for a in view.assets if a.row.name == params["name"]), None)
    if asset is None:
        raise errors.NotFound()
    return bytes_response(hub, request, asset, browser=True)


async def download(request: Request) -> Response:
    return await run_in_threadpool(_download, request.app.state.hub, request, request.path_params["tag"])


async def latest_download(request: Request) -> Response:
    return await run_in_threadpool(_download, request.app.state.hub, request, None)


ROUTES = [
    (("GET",), "/{owner}/{repo}/releases/latest/download/{name}", latest_download),
    (("GET",), "/{owner}/{repo}/releases/download/{tag:path}/{name}", download),
]
