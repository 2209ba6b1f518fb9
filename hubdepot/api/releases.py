"""Releases: list, create, get (by id, by tag, latest), update, delete, generate notes, and the
repository's immutable-releases setting."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from hubdepot import errors
from hubdepot.api._base import Req, Table, endpoint, json_response, no_content, paged_response, represented
from hubdepot.api._fields import field
from hubdepot.representations.releases import immutable_releases, release, release_notes
from hubdepot.services import release_writes as writes
from hubdepot.services import releases as reads

DOCS = "https://docs.github.com/rest/releases/releases"
REPO_DOCS = "https://docs.github.com/rest/repos/repos"
P = "/repos/{owner}/{repo}"
_TEXT = (("tag_name", str), ("target_commitish", str), ("name", str), ("body", str))
_FLAGS = (("draft", bool), ("prerelease", bool))


def _make_latest(data: dict[str, Any]) -> dict[str, str]:
    value = field(data, "make_latest", str, default=None)
    if value is None:
        return {}
    if value not in writes.LATEST_MODES:
        raise errors.ValidationFailed.one("Release", "make_latest", "invalid")
    return {"make_latest": value}


def _spec(data: dict[str, Any], create: bool) -> dict[str, Any]:
    """The release fields present in the body, type-checked (GitHub's 422 'Invalid request.')."""
    spec: dict[str, Any] = {}
    for name, kind in _TEXT + _FLAGS:
        value = field(
            data,
            name,
            kind,
            required=create and name == "tag_name",
            nullable=name in ("name", "body"),
            default=KeyError,
        )
        if value is not KeyError:
            spec[name] = value
    if create:
        spec["generate_release_notes"] = field(data, "generate_release_notes", bool, default=False)
    return spec | _make_latest(data)


def _one(req: Req, view: reads.ReleaseView, status: int = 200) -> Response:
    key = ("release", view.row, view.author, tuple((a.row, a.uploader) for a in view.assets), view.full_name)
    location = {"location": req.hub.urls.release(view.full_name, view.row.id)} if status == 201 else None
    return represented(req, key, lambda: release(req.hub.urls, view), status, location)


@endpoint(f"{DOCS}#list-releases", inline=True)
def list_(req: Req) -> Response:
    access, page = req.repo(), req.page()
    views, total = reads.list_releases(req.hub, access, page.offset, page.size)
    return paged_response(req, [release(req.hub.urls, v) for v in views], total, page)


@endpoint(f"{DOCS}#create-a-release")
def create(req: Req) -> Response:
    access = req.repo()
    return _one(req, writes.create(req.hub, req.actor, access, _spec(req.json(), create=True)), 201)


@endpoint(f"{DOCS}#get-the-latest-release", inline=True)
def latest(req: Req) -> Response:
    access, view = reads.latest_in(req.hub, req.actor, *req.repo_named())  # (one statement for both)
    req.answering_for(access)
    return _one(req, view)


@endpoint(f"{DOCS}#get-a-release-by-tag-name", inline=True)
def by_tag(req: Req) -> Response:
    return _one(req, reads.by_tag(req.hub, req.repo(), req.params["tag"]))


@endpoint(f"{DOCS}#get-a-release", inline=True)
def get(req: Req) -> Response:
    return _one(req, reads.get(req.hub, req.repo(), req.params["release_id"]))


@endpoint(f"{DOCS}#update-a-release")
def update(req: Req) -> Response:
    access = req.repo()
    changes = _spec(req.json(), create=False)
    return _one(req, writes.update(req.hub, req.actor, access, req.params["release_id"], changes))


@endpoint(f"{DOCS}#delete-a-release")
def delete(req: Req) -> Response:
    writes.delete(req.hub, req.actor, req.repo(), req.params["release_id"])
    return no_content()


@endpoint(f"{DOCS}#generate-release-notes-content-for-a-release")
def generate_notes(req: Req) -> Response:
    access, data = req.repo(), req.json()
    field(data, "configuration_file_path", str)
    notes = writes.generate_notes(
        req.hub,
        req.actor,
        access,
        field(data, "tag_name", str, required=True),
        field(data, "target_commitish", str),
        field(data, "previous_tag_name", str),
    )
    return json_response(req, release_notes(**notes))


@endpoint(f"{REPO_DOCS}#check-if-immutable-releases-are-enabled-for-a-repository")
def immutable_get(req: Req) -> Response:
    if not writes.immutable_setting(req.hub, req.actor, req.repo()):
        raise errors.NotFound()
    return json_response(req, immutable_releases(True))


@endpoint(f"{REPO_DOCS}#enable-immutable-releases")
def immutable_enable(req: Req) -> Response:
    writes.set_immutable(req.hub, req.actor, req.repo(), True)
    return no_content()


@endpoint(f"{REPO_DOCS}#disable-immutable-releases")
def immutable_disable(req: Req) -> Response:
    writes.set_immutable(req.hub, req.actor, req.repo(), False)
    return no_content()


@endpoint("https://docs.github.com/rest/reactions/reactions#list-reactions-for-a-release")
def reactions(req: Req) -> Response:
    """Reactions are not stored yet: every visible release has none."""
    access, page = req.repo(), req.page()
    reads.get(req.hub, access, req.params["release_id"])
    return paged_response(req, [], 0, page)


ROUTES: Table = [
    (("GET",), P + "/releases", list_),
    (("POST",), P + "/releases", create),
    (("POST",), P + "/releases/generate-notes", generate_notes),
    (("GET",), P + "/releases/latest", latest),
    (("GET",), P + "/releases/tags/{tag:path}", by_tag),
    (("GET",), P + "/releases/{release_id:int}", get),
    (("PATCH",), P + "/releases/{release_id:int}", update),
    (("DELETE",), P + "/releases/{release_id:int}", delete),
    (("GET",), P + "/releases/{release_id:int}/reactions", reactions),
    (("GET",), P + "/immutable-releases", immutable_get),
    (("PUT",), P + "/immutable-releases", immutable_enable),
    (("DELETE",), P + "/immutable-releases", immutable_disable),
]
