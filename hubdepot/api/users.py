"""GET /, GET /meta, GET /user, GET /users/{login}, GET /user/repos."""

from __future__ import annotations

from hubdepot import GHES_VERSION
from hubdepot.api._base import Req, endpoint, json_response, paged_response
from hubdepot.representations.repos import repository
from hubdepot.representations.users import private_user, public_user
from hubdepot.services import accounts
from hubdepot.services import repos as repo_service

DOCS = "https://docs.github.com/rest/users/users"


@endpoint("https://docs.github.com/rest/meta/meta#github-api-root", inline=True)
def root(req: Req):
    api, web = req.hub.urls.api, req.hub.urls.public
    return json_response(
        req,
        {
            "current_user_url": f"{api}/user",
            "current_user_authorizations_html_url": f"{web}/settings/connections/applications{{/client_id}}",
            "authorizations_url": f"{api}/authorizations",
            "code_search_url": f"{api}/search/code?q={{query}}{{&page,per_page,sort,order}}",
            "commit_search_url": f"{api}/search/commits?q={{query}}{{&page,per_page,sort,order}}",
            "emails_url": f"{api}/user/emails",
            "emojis_url": f"{api}/emojis",
            "events_url": f"{api}/events",
            "feeds_url": f"{api}/feeds",
            "followers_url": f"{api}/user/followers",
            "following_url": f"{api}/user/following{{/target}}",
            "gists_url": f"{api}/gists{{/gist_id}}",
            "hub_url": f"{api}/hub",
            "issue_search_url": f"{api}/search/issues?q={{query}}{{&page,per_page,sort,order}}",
            "issues_url": f"{api}/issues",
            "keys_url": f"{api}/user/keys",
            "label_search_url": f"{api}/search/labels?q={{query}}&repository_id={{repository_id}}{{&page,per_page}}",
            "notifications_url": f"{api}/notifications",
            "organization_url": f"{api}/orgs/{{org}}",
            "organization_repositories_url": f"{api}/orgs/{{org}}/repos{{?type,page,per_page,sort}}",
            "organization_teams_url": f"{api}/orgs/{{org}}/teams",
            "public_gists_url": f"{api}/gists/public",
            "rate_limit_url": f"{api}/rate_limit",
            "repository_url": f"{api}/repos/{{owner}}/{{repo}}",
            "repository_search_url": f"{api}/search/repositories?q={{query}}{{&page,per_page,sort,order}}",
            "current_user_repositories_url": f"{api}/user/repos{{?type,page,per_page,sort}}",
            "starred_url": f"{api}/user/starred{{/owner}}{{/repo}}",
            "starred_gists_url": f"{api}/gists/starred",
            "topic_search_url": f"{api}/search/topics?q={{query}}{{&page,per_page}}",
            "user_url": f"{api}/users/{{user}}",
            "user_organizations_url": f"{api}/user/orgs",
            "user_repositories_url": f"{api}/users/{{user}}/repos{{?type,page,per_page,sort}}",
            "user_search_url": f"{api}/search/users?q={{query}}{{&page,per_page,sort,order}}",
        },
    )


@endpoint(
    "https://docs.github.com/enterprise-server@3.19/rest/meta/meta#get-github-enterprise-server-meta-information",
    inline=True,
)
def meta(req: Req):
    """GHES's meta: the installed version (also in every answer's X-GitHub-Enterprise-Version); the
    API takes tokens only, no passwords."""
    return json_response(req, {"verifiable_password_authentication": False, "installed_version": GHES_VERSION})


@endpoint(f"{DOCS}#get-the-authenticated-user", inline=True)
def me(req: Req):
    actor = req.need_actor()
    public, private = repo_service.count_for_owner(req.hub, actor.id)
    return json_response(req, private_user(req.hub.urls, actor.account, public, private))


@endpoint(f"{DOCS}#get-a-user", inline=True)
def user(req: Req):
    account = accounts.by_login(req.hub, req.params["login"])
    public, _ = repo_service.count_for_owner(req.hub, account.id)
    return json_response(req, public_user(req.hub.urls, account, public))


@endpoint("https://docs.github.com/rest/repos/repos#list-repositories-for-the-authenticated-user")
def my_repos(req: Req):
    actor = req.need_actor()
    page = req.page()
    found = repo_service.list_for_actor(req.hub, actor)
    items = [
        repository(req.hub.urls, a.repo, a.owner, a.permission) for a in found[page.offset : page.offset + page.size]
    ]
    return paged_response(req, items, len(found), page)
