"""GET /, GET /meta, GET /user, GET /users/{login}, GET /user/repos."""

from __future__ import annotations

from starlette.responses import Response

from hubdepot import GHES_VERSION
from hubdepot.api._base import Req, endpoint, json_response, paged_response
from hubdepot.representations.repos import repository
from hubdepot.representations.users import private_user, public_user
from hubdepot.services import accounts
from hubdepot.services import repos as repo_service

DOCS = "https://docs.github.com/rest/users/users"


@endpoint("https://docs.github.com/rest/meta/meta#github-api-root", inline=True)
def root(req: Req) -> Response:
    return json_response(req, req.hub.urls.api_index())


@endpoint(
    "https://docs.github.com/enterprise-server@3.19/rest/meta/meta#get-github-enterprise-server-meta-information",
    inline=True,
)
def meta(req: Req) -> Response:
    """GHES's meta: the installed version (also in every answer's X-GitHub-Enterprise-Version); the
    API takes tokens only, no passwords."""
    return json_response(req, {"verifiable_password_authentication": False, "installed_version": GHES_VERSION})


@endpoint(f"{DOCS}#get-the-authenticated-user", inline=True)
def me(req: Req) -> Response:
    actor = req.need_actor()
    public, private = repo_service.count_for_owner(req.hub, actor.id)
    return json_response(req, private_user(req.hub.urls, actor.account, public, private))


@endpoint(f"{DOCS}#get-a-user", inline=True)
def user(req: Req) -> Response:
    account = accounts.by_login(req.hub, req.params["login"])
    public, _ = repo_service.count_for_owner(req.hub, account.id)
    return json_response(req, public_user(req.hub.urls, account, public))


@endpoint("https://docs.github.com/rest/repos/repos#list-repositories-for-the-authenticated-user")
def my_repos(req: Req) -> Response:
    actor = req.need_actor()
    page = req.page()
    found = repo_service.list_for_actor(req.hub, actor)
    items = [
        repository(req.hub.urls, a.repo, a.owner, a.permission) for a in found[page.offset : page.offset + page.size]
    ]
    return paged_response(req, items, len(found), page)
