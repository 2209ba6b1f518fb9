"""Release assets: list, get (JSON, or the bytes with Accept: application/octet-stream, served by
http/files like every stored file), update, delete."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from hubdepot.api import uploads
from hubdepot.api._base import Req, Table, endpoint, json_response, no_content, paged_response
from hubdepot.api._fields import field
from hubdepot.http import files
from hubdepot.representations.releases import release_asset
from hubdepot.services import RepoAccess
from hubdepot.services import assets as asset_service
from hubdepot.services.releases import AssetView

DOCS = "https://docs.github.com/rest/releases/assets"
P = "/repos/{owner}/{repo}"


def _body(req: Req, access: RepoAccess, url_tag: str, view: AssetView) -> dict[str, Any]:
    return release_asset(req.hub.urls, access.full_name, url_tag, view.row, view.uploader)


@endpoint(f"{DOCS}#list-release-assets", inline=True)
def list_(req: Req) -> Response:
    access, page = req.repo(), req.page()
    url_tag, views, total = asset_service.list_assets(req.hub, access, req.params["release_id"], page.offset, page.size)
    return paged_response(req, [_body(req, access, url_tag, v) for v in views], total, page)


@endpoint(f"{DOCS}#get-a-release-asset")
def get(req: Req) -> Response:
    access = req.repo()
    url_tag, view = asset_service.get(req.hub, access, req.params["asset_id"])
    if req.media.octet:
        return files.serve(req.hub, req.request, asset_service.served(req.hub, view.row), redirect=False)
    return json_response(req, _body(req, access, url_tag, view))


@endpoint(f"{DOCS}#update-a-release-asset")
def update(req: Req) -> Response:
    access, data = req.repo(), req.json()
    changes = {}
    for name in ("name", "label"):
        value = field(data, name, str, nullable=name == "label", default=KeyError)
        if value is not KeyError:
            changes[name] = value
    field(data, "state", str)
    url_tag, view = asset_service.update(req.hub, req.actor, access, req.params["asset_id"], changes)
    return json_response(req, _body(req, access, url_tag, view))


@endpoint(f"{DOCS}#delete-a-release-asset")
def delete(req: Req) -> Response:
    asset_service.delete(req.hub, req.actor, req.repo(), req.params["asset_id"])
    return no_content()


ROUTES: Table = [
    (("GET",), P + "/releases/{release_id:int}/assets", list_),
    (("POST",), P + "/releases/{release_id:int}/assets", uploads.upload),  # githubkit posts here
    (("GET",), P + "/releases/assets/{asset_id:int}", get),
    (("PATCH",), P + "/releases/assets/{asset_id:int}", update),
    (("DELETE",), P + "/releases/assets/{asset_id:int}", delete),
]
