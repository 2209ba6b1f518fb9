"""GET /, GET /user, GET /users/{login}, GET /user/repos."""

from __future__ import annotations

from hubdepot.api._base import Req, endpoint, json_response, paged_response
from hubdepot.api.representations.repos import repository
from hubdepot.api.representations.users import private_user, public_user
from hubdepot.services import accounts
from hubdepot.services import repos as repo_service

DOCS = "https://docs.github.com/rest/users/users"


@endpoint("https://docs.github.com/rest/meta/meta#github-api-root")
def root(req: Req):
    api = req.hub.urls.api
    return json_response(req, {
        "current_user_url": f"{api}/user",
        "repository_url": f"{api}/repos/{{owner}}/{{repo}}",
        "user_url": f"{api}/users/{{user}}",
        "organization_repositories_url": f"{api}/orgs/{{org}}/repos{{?type,page,per_page,sort}}",
        "user_repositories_url": f"{api}/users/{{user}}/repos{{?type,page,per_page,sort}}",
        "current_user_repositories_url": f"{api}/user/repos{{?type,page,per_page,sort}}",
        "rate_limit_url": f"{api}/rate_limit",
    })


@endpoint(f"{DOCS}#get-the-authenticated-user")
def me(req: Req):
    actor = req.need_actor()
    public, private = repo_service.count_for_owner(req.hub, actor.id)
    return json_response(req, private_user(req.hub.urls, actor.account, public, private))


@endpoint(f"{DOCS}#get-a-user")
def user(req: Req):
    account = accounts.by_login(req.hub, req.params["login"])
    public, _ = repo_service.count_for_owner(req.hub, account.id)
    return json_response(req, public_user(req.hub.urls, account, public))


@endpoint("https://docs.github.com/rest/repos/repos#list-repositories-for-the-authenticated-user")
def my_repos(req: Req):
    actor = req.need_actor()
    page = req.page()
    found = repo_service.list_for_actor(req.hub, actor)
    items = [repository(req.hub.urls, a.repo, a.owner, a.permission) for a in found[page.offset: page.offset + page.size]]
    return paged_response(req, items, len(found), page)
