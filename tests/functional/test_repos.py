"""Accounts, tokens, repositories and the cross-cutting behaviour, through HTTP on a real server."""

from __future__ import annotations

import base64

from tests.conftest import unique


def test_root_and_user(admin, user):
    root = admin.get("/")
    assert root.status_code == 200
    assert root.headers["x-oauth-scopes"].split(", ")[:2] == ["repo", "read:org"]
    me = user.api.get("/user")
    assert me.status_code == 200 and me.json()["login"] == user.login
    assert me.json()["type"] == "User" and me.json()["user_view_type"] == "private"
    other = admin.get(f"/users/{user.login.upper()}")
    assert other.status_code == 200 and other.json()["login"] == user.login


def test_auth_forms(server, client_for, user):
    basic = base64.b64encode(f"{user.login}:{user.token}".encode()).decode()
    for header in (f"token {user.token}", f"Bearer {user.token}", f"Basic {basic}", f"TOKEN {user.token}"):
        r = client_for().get("/user", headers={"Authorization": header})
        assert r.status_code == 200, header
        assert r.json()["login"] == user.login
    bad = client_for("ghp_" + "x" * 36).get("/user")
    assert bad.status_code == 401
    assert bad.json() == {
        "message": "Bad credentials",
        "documentation_url": "https://docs.github.com/rest",
        "status": "401",
    }
    anon = client_for().get("/user")
    assert anon.status_code == 401 and anon.json()["message"] == "Requires authentication"


def test_create_get_update_delete(user, client_for):
    name = unique("r")
    created = user.api.post("/user/repos", json={"name": name, "description": "d", "auto_init": True, "extra": 1})
    assert created.status_code == 201
    body = created.json()
    assert body["full_name"] == f"{user.login}/{name}" and body["default_branch"] == "main"
    assert body["permissions"]["push"] is True and body["permissions"]["admin"] is True
    assert created.headers["location"] == body["url"]
    got = user.api.get(f"/repos/{user.login.upper()}/{name.upper()}")
    assert got.status_code == 200 and got.json()["id"] == body["id"]
    by_id = user.api.get(f"/repositories/{body['id']}")
    assert by_id.status_code == 200 and by_id.json()["full_name"] == body["full_name"]
    branches = user.api.get(f"/repos/{user.login}/{name}/branches").json()
    assert [b["name"] for b in branches] == ["main"]
    patched = user.api.patch(f"/repos/{user.login}/{name}", json={"description": "new", "private": True})
    assert patched.status_code == 200 and patched.json()["description"] == "new" and patched.json()["private"] is True
    assert client_for().get(f"/repos/{user.login}/{name}").status_code == 404  # private: no existence leak
    bad_branch = user.api.patch(f"/repos/{user.login}/{name}", json={"default_branch": "nope"})
    assert bad_branch.status_code == 422
    assert user.api.delete(f"/repos/{user.login}/{name}").status_code == 204
    assert user.api.get(f"/repos/{user.login}/{name}").status_code == 404


def test_validation_errors(user):
    dup = unique("r")
    assert user.api.post("/user/repos", json={"name": dup}).status_code == 201
    again = user.api.post("/user/repos", json={"name": dup.upper()})
    assert again.status_code == 422
    assert again.json()["errors"] == [
        {"resource": "Repository", "code": "custom", "field": "name", "message": "name already exists on this account"}
    ]
    missing = user.api.post("/user/repos", json={})
    assert missing.status_code == 422 and missing.json()["message"] == 'Invalid request.\n\n"name" wasn\'t supplied.'
    typed = user.api.post("/user/repos", json={"name": 5})
    assert typed.status_code == 422 and "is not a string" in typed.json()["message"]
    broken = user.api.post("/user/repos", content=b"{nope", headers={"content-type": "application/json"})
    assert broken.status_code == 400 and broken.json()["message"] == "Problems parsing JSON"
    array = user.api.post("/user/repos", content=b"[1]")
    assert array.status_code == 400 and array.json()["message"] == "Body should be a JSON object"
    for bad in ("..", "a/b", "x" * 101, "bad name", "name.git"):
        assert user.api.post("/user/repos", json={"name": bad}).status_code == 422, bad


def test_permissions(user, make_user, client_for, repo):
    login, token = make_user()
    stranger = client_for(token)
    body = stranger.get(f"/repos/{repo}").json()
    assert body["permissions"] == {"admin": False, "maintain": False, "push": False, "triage": False, "pull": True}
    assert "permissions" not in client_for().get(f"/repos/{repo}").json()
    assert stranger.delete(f"/repos/{repo}").status_code == 403
    assert stranger.get(f"/repos/{repo}/collaborators/{login}").status_code == 404
    assert stranger.get(f"/repos/{repo}/collaborators/{user.login}").status_code == 204
    assert client_for().delete(f"/repos/{repo}").status_code == 401


def test_org_repos(hub, user, make_user, client_for):
    from hubdepot.services import accounts

    org = unique("org")
    accounts.create_account(hub, org, "Organization")
    _outsider_login, outsider_token = make_user()
    denied = client_for(outsider_token).post(f"/orgs/{org}/repos", json={"name": "x"})
    assert denied.status_code == 403
    accounts.add_member(hub, org, user.login)
    made = user.api.post(f"/orgs/{org}/repos", json={"name": "tools", "private": True})
    assert made.status_code == 201 and made.json()["owner"]["type"] == "Organization"
    assert made.json()["organization"]["login"] == org
    assert client_for(outsider_token).get(f"/repos/{org}/tools").status_code == 404


def test_headers_etag_head_versions(user, repo, client_for):
    first = user.api.get(f"/repos/{repo}")
    etag = first.headers["etag"]
    for name in ("x-github-request-id", "x-github-media-type", "x-github-api-version-selected"):
        assert name in first.headers, name
    meta = client_for(None).get("/meta")  # GHES's: the version clients read, also in every answer's header
    assert meta.status_code == 200 and meta.json()["installed_version"] == first.headers["x-github-enterprise-version"]
    assert meta.json()["verifiable_password_authentication"] is False
    assert not [name for name in first.headers if name.startswith("x-ratelimit")]  # off, as on GHES
    assert first.headers["x-github-media-type"] == "github.v3; format=json"
    again = user.api.get(f"/repos/{repo}", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.headers["etag"] == etag
    weak = user.api.get(f"/repos/{repo}", headers={"If-None-Match": "W/" + etag})
    assert weak.status_code == 304
    head = user.api.head(f"/repos/{repo}")
    assert head.status_code == 200 and head.content == b"" and head.headers["etag"] == etag
    for version in ("2022-11-28", "2026-03-10"):
        assert user.api.get(f"/repos/{repo}", headers={"X-GitHub-Api-Version": version}).status_code == 200
    old = user.api.get(f"/repos/{repo}", headers={"X-GitHub-Api-Version": "2021-01-01"})
    assert old.status_code == 400
    for accept in (
        "",
        "*/*",
        "application/vnd.github.merge-info-preview+json, application/vnd.github.nebula-preview",
        "text/html",
        "application/xml",
    ):
        assert user.api.get(f"/repos/{repo}", headers={"Accept": accept}).status_code == 200, accept


def test_unknown_routes_are_github_404(user, repo):
    for path in ("/nope", f"/repos/{repo}/nothing/here", "/repos/a"):
        r = user.api.get(path)
        assert r.status_code == 404 and r.json()["message"] == "Not Found"
    wrong_method = user.api.put(f"/repos/{repo}/tags")
    assert wrong_method.status_code == 404


def test_pagination_link_header(user, hub):
    import pygit2

    from hubdepot.git import repos as git_repos

    name = unique("p")
    body = user.api.post("/user/repos", json={"name": name, "auto_init": True}).json()
    path = git_repos.git_dir(hub.settings.repos_dir, body["id"])
    repo = pygit2.Repository(str(path))
    head = repo.head.target
    for i in range(7):
        repo.references.create(f"refs/tags/v{i}", head)
    full = f"{user.login}/{name}"
    page1 = user.api.get(f"/repos/{full}/tags", params={"per_page": 3})
    assert [t["name"] for t in page1.json()] == ["v6", "v5", "v4"]
    link = page1.headers["link"]
    base = f"{user.api.base_url.scheme}://{user.api.base_url.host}:{user.api.base_url.port}/api/v3/repositories/{body['id']}/tags"
    assert link == f'<{base}?per_page=3&page=2>; rel="next", <{base}?per_page=3&page=3>; rel="last"'
    page3 = user.api.get(f"/repositories/{body['id']}/tags", params={"per_page": 3, "page": 3})
    assert [t["name"] for t in page3.json()] == ["v0"]
    assert page3.headers["link"] == f'<{base}?per_page=3&page=2>; rel="prev", <{base}?per_page=3&page=1>; rel="first"'
    past = user.api.get(f"/repos/{full}/tags", params={"page": 9})
    assert past.status_code == 200 and past.json() == []
    big = user.api.get(f"/repos/{full}/tags", params={"per_page": 1000})
    assert len(big.json()) == 7 and "link" not in big.headers


def test_rate_limit_exhaustion(tmp_path):
    from tests.support import server as server_support

    srv = server_support.start(
        tmp_path / "rl", env={"HUBDEPOT_RATE_LIMIT_ANONYMOUS": "3", "HUBDEPOT_RATE_LIMIT_AUTHENTICATED": "4"}
    )
    try:
        import httpx

        with httpx.Client(base_url=srv.api) as c:
            seen = [c.get("/users/admin") for _ in range(4)]
            assert [r.status_code for r in seen] == [200, 200, 200, 403]
            assert seen[2].headers["x-ratelimit-remaining"] == "0"
            assert seen[3].json()["message"].startswith("API rate limit exceeded for 127.0.0.1.")
            assert seen[3].headers["x-ratelimit-remaining"] == "0" and "retry-after" in seen[3].headers
            auth = {"Authorization": f"token {srv.token}"}
            status = c.get("/rate_limit", headers=auth).json()
            assert status["resources"]["core"]["limit"] == 4 and status["rate"]["used"] == 1
            codes = [c.get("/user", headers=auth).status_code for _ in range(4)]
            assert codes == [200, 200, 200, 403]
            assert seen[0].headers["x-ratelimit-resource"] == "core"
    finally:
        srv.stop()


def test_rate_limits_off_by_default_as_on_ghes(user, server):
    import httpx

    for _ in range(70):  # anonymous callers are not cut off at 60 an hour
        assert httpx.get(f"{server.api}/users/{user.login}").status_code == 200
    r = user.api.get("/rate_limit")
    assert r.status_code == 404 and r.json()["message"] == "Rate limiting is not enabled."


def test_bad_input_never_500(user, repo, hub):
    import sqlalchemy as sa

    from hubdepot.db.tables import tokens

    for path in (
        "/repos/admin/%FF%FE",
        "/repos/admin/a%00b",
        "/users/%FF",
        "/repositories/99999999999999999999999",
        "/repositories/0",
        f"/users/{'a' * 5000}",
        f"/repos/{repo}/tags?per_page=-5&page=99999999999999999999",
        f"/repos/{repo}/branches?page=-1",
    ):
        r = user.api.get(path)
        assert r.status_code in (200, 404), (path, r.status_code)
        if r.status_code == 200:
            assert r.json() == [] or isinstance(r.json(), list)
    assert user.api.get(f"/repos/{repo}/tags?per_page=abc").status_code == 422
    bad_utf8 = user.api.post("/user/repos", content=b'{"name":"\xff\xfe"}')
    assert bad_utf8.status_code == 400
    with hub.db.read() as conn:
        stored = conn.execute(sa.select(tokens.c.digest, tokens.c.hint)).all()
    assert all(user.token not in (d, h) and len(d) == 64 for d, h in stored)  # tokens are stored hashed


def test_homepage_must_be_a_url(user, repo):
    for bad in ("not a url", "\u00d5\u000e", "javascript", "//no-scheme.example"):
        r = user.api.patch(f"/repos/{repo}", json={"homepage": bad})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "homepage", bad
    ok = user.api.patch(f"/repos/{repo}", json={"homepage": "https://example.com/x"})
    assert ok.status_code == 200 and ok.json()["homepage"] == "https://example.com/x"
    assert user.api.patch(f"/repos/{repo}", json={"homepage": ""}).status_code == 200


def test_user_repos_lists_owned_collaborated_and_org(hub, user, make_user, client_for):
    from hubdepot.services import SYSTEM, accounts
    from hubdepot.services import repos as repo_service

    mine = unique("mine")
    user.api.post("/user/repos", json={"name": mine}).raise_for_status()
    other_login, other_token = make_user()
    other = client_for(other_token)
    shared, public = unique("shared"), unique("public")
    other.post("/user/repos", json={"name": shared, "private": True}).raise_for_status()
    other.post("/user/repos", json={"name": public}).raise_for_status()
    repo_service.add_collaborator(hub, repo_service.find(hub, SYSTEM, other_login, shared), user.login, "pull")
    org = unique("org")
    accounts.create_account(hub, org, "Organization")
    accounts.add_member(hub, org, user.login)
    user.api.post(f"/orgs/{org}/repos", json={"name": "team"}).raise_for_status()
    listed = {r["full_name"]: r["permissions"] for r in user.api.get("/user/repos", params={"per_page": 100}).json()}
    assert set(listed) == {f"{user.login}/{mine}", f"{other_login}/{shared}", f"{org}/team"}
    assert listed[f"{other_login}/{shared}"]["push"] is False and listed[f"{org}/team"]["push"] is True
    assert user.api.get(f"/repos/{other_login}/{shared}/collaborators/{user.login}").status_code == 204
    assert other.get(f"/repos/{org}/team/collaborators/{other_login}").status_code == 404
