"""A legacy download's html_url, {public}/downloads/{owner}/{repo}/{name}: the file itself, served by
http/files (local: sent from disk with Range; S3: a presigned redirect or the bytes proxied). Only
uploaded downloads are served."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from hubdepot.http import files
from hubdepot.http.auth import actor_of
from hubdepot.services import downloads as service


async def serve(request: Request) -> Response:
    hub, p = request.app.state.hub, request.path_params
    stored = await run_in_threadpool(service.served, hub, actor_of(request), p["owner"], p["repo"], p["name"])
    return files.serve(hub, request, stored, redirect=True)


ROUTES = [(("GET",), "/downloads/{owner}/{repo}/{name}", serve)]
