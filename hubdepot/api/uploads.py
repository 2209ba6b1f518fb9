"""POST {upload_url}: the one async handler. The raw body streams to blob storage while it is
hashed, counted and limited; the asset row is inserted only after the bytes are stored, so a
failed or cut-off upload leaves nothing visible."""

from __future__ import annotations

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from hubdepot import errors
from hubdepot.api._base import JSON_TYPE, Req
from hubdepot.http import context, streams
from hubdepot.http.media import negotiate
from hubdepot.representations.releases import release_asset
from hubdepot.services import assets as asset_service


def _size_error() -> errors.ValidationFailed:
    return errors.ValidationFailed.one("ReleaseAsset", "size", "custom", "size is not included in the list")


def _declared_length(request: Request, limit: int) -> int:
    text = request.headers.get("content-length")
    if text is None or not text.strip().isdigit():
        raise errors.BadRequest(f"Bad Content-Length: {text or ''}")
    length = int(text)
    if length == 0 or length > limit:
        raise _size_error()
    return length


def _query(request: Request) -> tuple[str, str | None]:
    name = request.query_params.get("name")
    if not name:
        raise errors.BadRequest("Bad Request: name is required")
    label = request.query_params.get("label")
    if label and "\x00" in label:  # the name is renamed safe; a label is kept as given
        raise errors.ValidationFailed.one("ReleaseAsset", "label", "invalid")
    return name, label


async def upload(request: Request) -> Response:
    context.reply(request.scope).docs = None  # the upload host answers errors with the generic docs URL
    hub = request.app.state.hub
    req = Req(
        request,
        hub,
        context.of(request.scope).actor,
        dict(request.path_params),
        b"",
        negotiate(request.headers.get("accept")),
    )
    name, label = _query(request)
    length = _declared_length(request, hub.settings.upload_max_bytes)
    access = await run_in_threadpool(req.repo)
    release_id = req.params["release_id"]
    name = await run_in_threadpool(asset_service.prepare_upload, hub, req.actor, access, release_id, name)
    assert req.actor is not None, "prepare_upload() lets no anonymous caller upload"
    writer = await run_in_threadpool(hub.storage.writer)
    blob = await streams.into_writer(request, writer, length)
    content_type = request.headers.get("content-type") or "application/octet-stream"
    url_tag, view = await run_in_threadpool(
        asset_service.record_upload, hub, req.actor, access, release_id, name, label, content_type, blob
    )
    body = release_asset(hub.urls, access.full_name, url_tag, view.row, view.uploader)
    return Response(orjson.dumps(body), status_code=201, media_type=JSON_TYPE, headers={"cache-control": "no-cache"})


ROUTES = [
    (("POST",), "/repos/{owner}/{repo}/releases/{release_id:int}/assets", upload),
]
