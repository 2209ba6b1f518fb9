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
from hubdepot.services import contents as service

_HEADERS = {
    "x-content-type-options": "nosniff",
    "access-control-allow-origin": "*",
    "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    "cache-control": "max-age=300",
}


def _lookup(hub, request: Request):
    p = request.path_params
    actor = actor_of(request)
    return service.raw_file(hub, actor, p["owner"], p["repo"], p["rest"], request.query_params.get("token"))


async def raw(request: Request) -> Response:
    access, found, media = await run_in_threadpool(_lookup, request.app.state.hub, request)
    headers = dict(_HEADERS, etag=f'"{found.node.sha}"')
    data = found.data if found.node.kind == "file" else (found.node.target or "").encode()
    headers["content-length"] = str(found.node.size if data is None else len(data))
    body = data if data is not None else service.blob_stream(access, found)
    return files.stream(request, body, headers, media)


ROUTES = [(("GET",), "/raw/{owner}/{repo}/{rest:path}", raw)]
