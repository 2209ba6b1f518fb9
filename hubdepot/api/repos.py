"""Repositories: create, get, update, delete, branches, tags (collaborators: api/collaborators.py)."""

from __future__ import annotations

from starlette.responses import Response

from hubdepot.api._base import Req, endpoint, json_response, no_content, paged_response, represented
from hubdepot.api._fields import field
from hubdepot.git import refs as git_refs
from hubdepot.representations.repos import branch_short, full_repository, tag
from hubdepot.services import RepoAccess
from hubdepot.services import repos as repo_service

DOCS = "https://docs.github.com/rest/repos/repos"


def _created(req: Req, access: RepoAccess) -> Response:
    body = full_repository(req.hub.urls, access.repo, access.owner, access.permission)
    return json_response(req, body, status=201, headers={"location": body["url"]})


def _create(req: Req, org: str | None) -> Response:
    actor = req.need_actor()
    data = req.json()
    access = repo_service.create(
        req.hub,
        actor,
        org,
        field(data, "name", str, required=True),
        description=field(data, "description", str, nullable=True),
        homepage=field(data, "homepage", str, nullable=True),
        private=field(data, "private", bool, default=False)
        or field(data, "visibility", str, default="") in ("private", "internal"),
        default_branch=field(data, "default_branch", str, default="main"),
        auto_init=field(data, "auto_init", bool, default=False),
    )
    return _created(req, access)


@endpoint(f"{DOCS}#create-a-repository-for-the-authenticated-user")
def create_for_user(req: Req) -> Response:
    return _create(req, None)


@endpoint(f"{DOCS}#create-an-organization-repository")
def create_for_org(req: Req) -> Response:
    return _create(req, req.params["org"])


@endpoint(f"{DOCS}#get-a-repository", inline=True)
def get(req: Req) -> Response:
    access = req.repo()
    permission = access.permission if req.actor else None
    key = ("repository", access.repo, access.owner, permission)
    return represented(req, key, lambda: full_repository(req.hub.urls, access.repo, access.owner, permission))


@endpoint(f"{DOCS}#update-a-repository")
def update(req: Req) -> Response:
    data = req.json()
    changes = {}
    for name, kind in (
        ("name", str),
        ("description", str),
        ("homepage", str),
        ("private", bool),
        ("default_branch", str),
    ):
        value = field(data, name, kind, nullable=name in ("description", "homepage"), default=KeyError)
        if value is not KeyError:
            changes[name] = value
    if field(data, "visibility", str, default=None) in ("private", "public"):
        changes["private"] = data["visibility"] == "private"
    access = repo_service.update(req.hub, req.actor, req.repo(), changes)
    return json_response(req, full_repository(req.hub.urls, access.repo, access.owner, access.permission))


@endpoint(f"{DOCS}#delete-a-repository")
def delete(req: Req) -> Response:
    repo_service.delete(req.hub, req.actor, req.repo())
    return no_content()


@endpoint("https://docs.github.com/rest/branches/branches#list-branches")
def branches(req: Req) -> Response:
    access, page = req.repo(), req.page()
    found = git_refs.branches(access.git_dir)
    items = [
        branch_short(req.hub.urls, access.full_name, b.name, b.sha)
        for b in found[page.offset : page.offset + page.size]
    ]
    return paged_response(req, items, len(found), page)


@endpoint("https://docs.github.com/rest/repos/repos#list-repository-tags")
def tags(req: Req) -> Response:
    access, page = req.repo(), req.page()
    found = git_refs.tags(access.git_dir)
    items = [
        tag(req.hub.urls, access.id, access.full_name, t.name, t.sha)
        for t in found[page.offset : page.offset + page.size]
    ]
    return paged_response(req, items, len(found), page)
