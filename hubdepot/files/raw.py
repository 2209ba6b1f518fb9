"""Raw file bytes (contents' download_url): /raw/{owner}/{repo}/{ref}/{path}.

Public repositories answer anyone. Private ones need the short-lived signed token that
download_url carries (bound to repository, ref and path), or a token in the Authorization header.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from hubdepot.http import files
from hubdepot.http.auth import actor_of
from hubdepot.hub import Hub
from hubdepot.services import contents as content_service
from hubdepot.services import raw as raw_service

_HEADERS = {
    "x-content-type-options": "nosniff",
    "access-control-allow-origin": "*",
    "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    "cache-control": "max-age=300",
}


def _lookup(hub: Hub, request: Request) -> raw_service.RawFile:
    p = request.path_params
    token = request.query_params.get("token")
    return raw_service.lookup(hub, actor_of(request), p["owner"], p["repo"], p["rest"], token)


async def raw(request: Request) -> Response:
    hub, p = request.app.state.hub, request.path_params
    found = raw_service.kept(hub, p["owner"], p["repo"], p["rest"])  # no thread hop when kept
    if found is None:
        found = await run_in_threadpool(_lookup, hub, request)
    node = found.found.node
    headers = dict(_HEADERS, etag=found.etag)
    data = found.found.data if node.kind == "file" else (node.target or "").encode()
    headers["content-length"] = str(node.size if data is None else len(data))
    body = data if data is not None else content_service.blob_stream(found.access, found.found)
    return files.stream(request, body, headers, found.media)


ROUTES = [(("GET",), "/raw/{owner}/{repo}/{rest:path}", raw)]
