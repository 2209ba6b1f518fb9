"""The legacy Downloads API (GitHub 2011-2013): list, get, create (part 1), delete."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from hubdepot import errors
from hubdepot.api._base import Req, Table, endpoint, json_response, no_content, paged_response
from hubdepot.api._fields import field, shown
from hubdepot.representations.downloads import create_download, download
from hubdepot.services import downloads as service

DOCS = "https://developer.github.com/v3/repos/downloads"
PREFIX = "/repos/{owner}/{repo}/downloads"


def _id(req: Req) -> int:
    text = req.params["download_id"]
    if not text.isdigit() or len(text) > 18:  # ids fit a 64-bit column
        raise errors.NotFound()
    return int(text)


def _size(data: dict[str, Any]) -> int:
    """`size` is a number of bytes: 1024 or 1024.0, not "1024", true or 1.5."""
    value = field(data, "size", object, required=True)
    kind = "a number"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value == int(value):
            return int(value)
        kind = "an integer"
    raise errors.Unprocessable(f"Invalid request.\n\nFor 'properties/size', {shown(value)} is not {kind}.")


@endpoint(f"{DOCS}#list-downloads-for-a-repository")
def list_downloads(req: Req) -> Response:
    access, page = req.repo(), req.page()
    rows, total = service.list_for(req.hub, access, page.offset, page.size)
    return paged_response(req, [download(req.hub.urls, access.full_name, r) for r in rows], total, page)


@endpoint(f"{DOCS}#get-a-single-download")
def get_download(req: Req) -> Response:
    access = req.repo()
    return json_response(req, download(req.hub.urls, access.full_name, service.get(req.hub, access, _id(req))))


@endpoint(f"{DOCS}#create-a-new-download-part-1-create-the-resource")
def create(req: Req) -> Response:
    access = req.repo()
    data = req.json()
    row, ticket = service.create(
        req.hub,
        req.actor,
        access,
        name=field(data, "name", str, required=True),
        size=_size(data),
        description=field(data, "description", str, nullable=True),
        content_type=field(data, "content_type", str, nullable=True),
    )
    body = create_download(req.hub.urls, access.full_name, row, ticket)
    return json_response(req, body, status=201, headers={"location": body["url"]})


@endpoint(f"{DOCS}#delete-a-download")
def delete(req: Req) -> Response:
    access = req.repo()
    service.delete(req.hub, req.actor, access, _id(req))
    return no_content()


ROUTES: Table = [
    (("GET",), PREFIX, list_downloads),
    (("POST",), PREFIX, create),
    (("GET",), PREFIX + "/{download_id}", get_download),
    (("DELETE",), PREFIX + "/{download_id}", delete),
]
