"""Release assets: list, get (JSON, or the bytes with Accept: application/octet-stream), update,
delete; and the bytes response shared with browser_download_url (web/releases.py)."""

from __future__ import annotations

import datetime as dt
import email.utils
import re

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.responses import FileResponse, RedirectResponse, Response, StreamingResponse

from hubdepot.api import uploads
from hubdepot.api._base import Req, endpoint, json_response, no_content, paged_response
from hubdepot.api._fields import field
from hubdepot.api.representations.releases import release_asset
from hubdepot.services import Hub
from hubdepot.services import assets as asset_service

DOCS = "https://docs.github.com/rest/releases/assets"
P = "/repos/{owner}/{repo}"
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _body(req: Req, access, url_tag: str, view) -> dict:
    return release_asset(req.hub.urls, access.full_name, url_tag, view.row, view.uploader)


@endpoint(f"{DOCS}#list-release-assets", inline=True)
def list_(req: Req):
    access, page = req.repo(), req.page()
    url_tag, views, total = asset_service.list_assets(req.hub, access, req.params["release_id"], page.offset, page.size)
    return paged_response(req, [_body(req, access, url_tag, v) for v in views], total, page)


@endpoint(f"{DOCS}#get-a-release-asset")
def get(req: Req):
    access = req.repo()
    url_tag, view = asset_service.get(req.hub, access, req.params["asset_id"])
    if req.media.octet:
        return bytes_response(req.hub, req.request, view.row, browser=False)
    return json_response(req, _body(req, access, url_tag, view))


@endpoint(f"{DOCS}#update-a-release-asset")
def update(req: Req):
    access, data = req.repo("push"), req.json()
    changes = {}
    for name in ("name", "label"):
        value = field(data, name, str, nullable=name == "label", default=KeyError)
        if value is not KeyError:
            changes[name] = value
    field(data, "state", str)
    url_tag, view = asset_service.update(req.hub, req.actor, access, req.params["asset_id"], changes)
    return json_response(req, _body(req, access, url_tag, view))


@endpoint(f"{DOCS}#delete-a-release-asset")
def delete(req: Req):
    asset_service.delete(req.hub, req.actor, req.repo("push"), req.params["asset_id"])
    return no_content()


# -- the bytes --------------------------------------------------------------------------------

def _completes(range_header: str | None, size: int) -> bool:
    """Whether a response ends a download: a whole-file request, or a range reaching the last byte."""
    if not range_header:
        return True
    match = _RANGE.match(range_header.strip())
    if not match:
        return False
    start, end = match.groups()
    return end == "" or not start or int(end) >= size - 1


def _counter(hub: Hub, request, asset) -> BackgroundTask | None:
    if request.method != "GET" or not _completes(request.headers.get("range"), asset.size):
        return None

    async def count() -> None:
        await run_in_threadpool(asset_service.count_download, hub, asset.id)

    return BackgroundTask(count)


def _headers(asset) -> dict:
    stamp = asset.updated_at if asset.updated_at.tzinfo else asset.updated_at.replace(tzinfo=dt.timezone.utc)
    return {"etag": f'"{asset.digest}"', "accept-ranges": "bytes",
            "last-modified": email.utils.format_datetime(stamp.astimezone(dt.timezone.utc), usegmt=True)}


def bytes_response(hub: Hub, request, asset, *, browser: bool) -> Response:
    """The asset's bytes: a file (Range, ETag) on local storage; on S3 a redirect to a presigned
    URL or the bytes proxied, per settings.s3_download ("auto": proxy under /api, redirect on
    browser_download_url, because PyGithub refuses redirects off /api)."""
    path = hub.storage.local_path(asset.blob_key)
    if path is not None:
        return FileResponse(path, media_type="application/octet-stream", headers=_headers(asset),
                            filename=asset.name, background=_counter(hub, request, asset))
    mode = hub.settings.s3_download
    if mode == "redirect" or (mode == "auto" and browser):
        url = hub.storage.presigned_get(asset.blob_key, filename=asset.name,
                                        content_type="application/octet-stream", expires=300)
        if url:
            return RedirectResponse(url, status_code=302, background=_counter(hub, request, asset),
                                    headers={"content-type": "text/html;charset=utf-8"})
    return _proxied(hub, request, asset)


def _byte_range(header: str | None, size: int):
    """(start, end) for one `bytes=a-b` range, "unsatisfiable", or None (send everything)."""
    match = _RANGE.match((header or "").strip())
    if not match or not any(match.groups()):
        return None
    first, last = match.groups()
    if not first:
        start, end = max(size - int(last), 0), size
    else:
        start, end = int(first), min(int(last) + 1 if last else size, size)
    return (start, end) if 0 <= start < end else "unsatisfiable"


def _proxied(hub: Hub, request, asset) -> Response:
    headers = _headers(asset) | {"content-disposition": f'attachment; filename="{asset.name}"'}
    start, end, status = 0, asset.size, 200
    wanted = _byte_range(request.headers.get("range"), asset.size)
    if wanted == "unsatisfiable":
        return Response(status_code=416, headers={"content-range": f"bytes */{asset.size}"})
    if wanted is not None:
        (start, end), status = wanted, 206
        headers["content-range"] = f"bytes {start}-{end - 1}/{asset.size}"
    headers["content-length"] = str(end - start)
    chunks = hub.storage.read(asset.blob_key, start, end) if request.method != "HEAD" else iter(())
    return StreamingResponse(chunks, status_code=status, headers=headers, media_type="application/octet-stream",
                             background=_counter(hub, request, asset))


ROUTES = [
    (("GET",), P + "/releases/{release_id:int}/assets", list_),
    (("POST",), P + "/releases/{release_id:int}/assets", uploads.upload),  # githubkit posts here
    (("GET",), P + "/releases/assets/{asset_id:int}", get),
    (("PATCH",), P + "/releases/assets/{asset_id:int}", update),
    (("DELETE",), P + "/releases/assets/{asset_id:int}", delete),
]
