"""POST {upload_url}: the one async handler. The raw body streams to blob storage while it is
hashed, counted and limited; the asset row is inserted only after the bytes are stored, so a
failed or cut-off upload leaves nothing visible."""

from __future__ import annotations

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from hubdepot import errors
from hubdepot.api._base import JSON_TYPE, Req, Table
from hubdepot.http import context, streams
from hubdepot.http.media import negotiate
from hubdepot.representations.releases import release_asset
from hubdepot.services import assets as asset_service


def _declared_length(request: Request) -> int:
    text = request.headers.get("content-length")
    if text is None or not text.strip().isdigit():
        raise errors.BadRequest(f"Bad Content-Length: {text or ''}")
    return int(text)


def _fields(request: Request) -> dict[str, str | None]:
    name = request.query_params.get("name")
    if not name:
        raise errors.BadRequest("Bad Request: name is required")
    label = request.query_params.get("label")
    content_type = request.headers.get("content-type") or "application/octet-stream"
    return {"name": name, "label": label, "content_type": content_type}


async def upload(request: Request) -> Response:
    """parse -> open the upload (the ticket) -> receive the bytes -> finish -> render."""
    context.reply(request.scope).docs = None  # the upload host answers errors with the generic docs URL
    hub = request.app.state.hub
    ctx = context.of(request.scope)
    req = Req(request, hub, ctx.actor, dict(request.path_params), b"", negotiate(request.headers.get("accept")))
    fields, length = _fields(request), _declared_length(request)
    access = await run_in_threadpool(req.repo)
    ticket = await run_in_threadpool(
        asset_service.open_upload, hub, req.actor, access, req.params["release_id"], fields, length
    )
    blob = await streams.receive(request, asset_service.intake(hub, ticket), length)
    url_tag, view = await run_in_threadpool(asset_service.finish_upload, hub, ticket, blob)
    body = release_asset(hub.urls, access.full_name, url_tag, view.row, view.uploader)
    return Response(orjson.dumps(body), status_code=201, media_type=JSON_TYPE, headers={"cache-control": "no-cache"})


ROUTES: Table = [
    (("POST",), "/repos/{owner}/{repo}/releases/{release_id:int}/assets", upload),
]
