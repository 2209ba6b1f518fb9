"""Releases through HTTP on a real server: create, get, list, latest, update, delete, tags, drafts."""

from __future__ import annotations

import pytest

from tests.conftest import unique
from tests.support.releases import commit_file, expected_release, expected_user, tag_sha


@pytest.fixture
def author(server, user):
    me = user.api.get("/user").json()
    return expected_user(server.url, user.login, me["id"])


@pytest.fixture
def repo_id(user, repo):
    return user.api.get(f"/repos/{repo}").json()["id"]


def _head(hub, repo_id: int) -> str:
    return commit_file(hub, repo_id, "extra.txt", unique("x").encode(), "Add extra")


def test_create_published_release_whole_body_and_tag(server, user, repo, repo_id, author, hub):
    sha = tag_sha(hub, repo_id, "missing") or _head(hub, repo_id)
    r = user.api.post(f"/repos/{repo}/releases", json={"tag_name": "v1.0.0", "name": "One", "body": "Notes"})
    assert r.status_code == 201, r.text
    got = r.json()
    assert got == expected_release(server.url, repo, got, author, tag="v1.0.0", target="main", name="One", body="Notes")
    assert r.headers["location"] == got["url"]
    assert got["created_at"] == got["published_at"] == got["updated_at"]
    assert tag_sha(hub, repo_id, "v1.0.0") == sha
    tags = user.api.get(f"/repos/{repo}/tags").json()
    assert [(t["name"], t["commit"]["sha"]) for t in tags] == [("v1.0.0", sha)]
    for path in (
        f"/repos/{repo}/releases/{got['id']}",
        f"/repos/{repo}/releases/tags/v1.0.0",
        f"/repos/{repo}/releases/latest",
        f"/repositories/{repo_id}/releases/{got['id']}",
    ):
        again = user.api.get(path)
        assert again.status_code == 200 and again.json() == got, path
    etag = user.api.get(f"/repos/{repo}/releases/{got['id']}").headers["etag"]
    assert user.api.get(f"/repos/{repo}/releases/{got['id']}", headers={"if-none-match": etag}).status_code == 304


def test_existing_tag_is_used_and_target_echoed(server, user, repo, repo_id, author, hub):
    first = _head(hub, repo_id)
    user.api.post(f"/repos/{repo}/releases", json={"tag_name": "v1"}).raise_for_status()
    user.api.delete(f"/repos/{repo}/releases/{user.api.get(f'/repos/{repo}/releases/tags/v1').json()['id']}")
    _head(hub, repo_id)
    r = user.api.post(f"/repos/{repo}/releases", json={"tag_name": "v1", "target_commitish": "nope-ignored"})
    assert r.status_code == 201 and r.json()["target_commitish"] == "nope-ignored"
    assert tag_sha(hub, repo_id, "v1") == first  # the tag did not move


def test_target_commitish_branch_sha_and_invalid(user, repo, repo_id, hub):
    old = _head(hub, repo_id)
    _head(hub, repo_id)
    r = user.api.post(f"/repos/{repo}/releases", json={"tag_name": "at-old", "target_commitish": old})
    assert r.status_code == 201 and r.json()["target_commitish"] == old
    assert tag_sha(hub, repo_id, "at-old") == old
    for bad in ("no-such-branch", old[:7], "HEAD", "refs/tags/at-old", "0" * 40):
        r = user.api.post(f"/repos/{repo}/releases", json={"tag_name": unique("t"), "target_commitish": bad})
        assert r.status_code == 422, bad
        assert r.json()["errors"] == [{"resource": "Release", "code": "invalid", "field": "target_commitish"}]
        assert r.json()["documentation_url"] == "https://docs.github.com/rest/releases/releases#create-a-release"
    draft = user.api.post(f"/repos/{repo}/releases", json={"tag_name": "d1", "draft": True, "target_commitish": "nope"})
    assert draft.status_code == 422  # checked for drafts too, though they get no tag yet


def test_duplicate_tag_and_validation(user, repo):
    assert user.api.post(f"/repos/{repo}/releases", json={"tag_name": "v1"}).status_code == 201
    dup = user.api.post(f"/repos/{repo}/releases", json={"tag_name": "v1", "name": "again"})
    assert dup.status_code == 422
    assert dup.json() == {
        "message": "Validation Failed",
        "errors": [{"resource": "Release", "code": "already_exists", "field": "tag_name"}],
        "documentation_url": "https://docs.github.com/rest/releases/releases#create-a-release",
        "status": "422",
    }
    missing = user.api.post(f"/repos/{repo}/releases", json={"name": "x"})
    assert (
        missing.status_code == 422 and missing.json()["message"] == 'Invalid request.\n\n"tag_name" wasn\'t supplied.'
    )
    typed = user.api.post(f"/repos/{repo}/releases", json={"tag_name": "v2", "draft": "yes"})
    assert (
        typed.status_code == 422
        and typed.json()["message"] == "Invalid request.\n\nFor 'properties/draft', \"yes\" is not a boolean."
    )
    latest = user.api.post(f"/repos/{repo}/releases", json={"tag_name": "v2", "make_latest": True})
    assert latest.status_code == 422
    bad_mode = user.api.post(f"/repos/{repo}/releases", json={"tag_name": "v2", "make_latest": "maybe"})
    assert bad_mode.json()["errors"] == [{"resource": "Release", "code": "invalid", "field": "make_latest"}]
    bad_tag = user.api.post(f"/repos/{repo}/releases", json={"tag_name": "bad..tag"})
    assert bad_tag.status_code == 422 and bad_tag.json()["errors"] == [
        {"resource": "Release", "code": "custom", "field": "tag_name", "message": "tag_name is not a valid tag"},
        {"resource": "Release", "code": "custom", "message": "Published releases must have a valid tag"},
        {"resource": "Release", "code": "invalid", "field": "target_commitish"},
    ]
    assert user.api.post(f"/repos/{repo}/releases", content=b"{").status_code == 400


def test_draft_lifecycle(server, user, repo, repo_id, author, hub, make_user, client_for):
    r = user.api.post(f"/repos/{repo}/releases", json={"tag_name": "v2.0", "draft": True, "body": "wip"})
    assert r.status_code == 201
    draft = r.json()
    assert draft == expected_release(server.url, repo, draft, author, tag="v2.0", target="main", body="wip", draft=True)
    assert tag_sha(hub, repo_id, "v2.0") is None  # no tag until published
    assert user.api.get(f"/repos/{repo}/releases/tags/v2.0").status_code == 404  # never by tag
    assert user.api.get(f"/repos/{repo}/releases/latest").status_code == 404
    assert [x["id"] for x in user.api.get(f"/repos/{repo}/releases").json()] == [draft["id"]]
    _, token = make_user()
    for client in (client_for(token), client_for()):
        assert client.get(f"/repos/{repo}/releases").json() == []
        assert client.get(f"/repos/{repo}/releases/{draft['id']}").status_code == 404
    published = user.api.patch(f"/repos/{repo}/releases/{draft['id']}", json={"draft": False})
    assert published.status_code == 200
    body = published.json()
    assert body == expected_release(server.url, repo, body, author, tag="v2.0", target="main", body="wip")
    assert body["published_at"] is not None and tag_sha(hub, repo_id, "v2.0") is not None
    assert client_for().get(f"/repos/{repo}/releases/tags/v2.0").json() == body
    assert user.api.get(f"/repos/{repo}/releases/latest").json()["id"] == draft["id"]


def test_drafts_share_a_tag_until_published(user, repo):
    first = user.api.post(f"/repos/{repo}/releases", json={"tag_name": "v3", "draft": True}).json()
    second = user.api.post(f"/repos/{repo}/releases", json={"tag_name": "v3", "draft": True}).json()
    assert user.api.patch(f"/repos/{repo}/releases/{first['id']}", json={"draft": False}).status_code == 200
    clash = user.api.patch(f"/repos/{repo}/releases/{second['id']}", json={"draft": False})
    assert clash.status_code == 422
    assert clash.json()["errors"] == [{"resource": "Release", "code": "already_exists", "field": "tag_name"}]
    published_dup = user.api.post(f"/repos/{repo}/releases", json={"tag_name": "v3", "draft": True})
    assert published_dup.status_code == 201  # drafts may name a used tag; publishing them may not


def test_update_and_tag_rename(server, user, repo, repo_id, author, hub):
    rel = user.api.post(f"/repos/{repo}/releases", json={"tag_name": "v1", "name": "a"}).json()
    old_sha = tag_sha(hub, repo_id, "v1")
    new_head = _head(hub, repo_id)
    r = user.api.patch(
        f"/repos/{repo}/releases/{rel['id']}", json={"name": "b", "body": "new", "prerelease": True, "tag_name": "v1.1"}
    )
    assert r.status_code == 200
    got = r.json()
    assert got == expected_release(
        server.url, repo, got, author, tag="v1.1", target="main", name="b", body="new", prerelease=True
    )
    assert tag_sha(hub, repo_id, "v1") == old_sha and tag_sha(hub, repo_id, "v1.1") == new_head
    empty = user.api.patch(f"/repos/{repo}/releases/{rel['id']}", json={"target_commitish": ""})
    assert empty.status_code == 422
    unpublished = user.api.patch(f"/repos/{repo}/releases/{rel['id']}", json={"draft": True}).json()
    assert unpublished["draft"] is True and unpublished["published_at"] is None
    assert user.api.patch(f"/repos/{repo}/releases/999999", json={"name": "x"}).status_code == 404


def test_latest_pointer_and_make_latest(user, repo):
    def make(tag, **kw):
        r = user.api.post(f"/repos/{repo}/releases", json={"tag_name": tag, **kw})
        assert r.status_code == 201, r.text
        return r.json()["id"]

    def latest():
        r = user.api.get(f"/repos/{repo}/releases/latest")
        return r.json()["tag_name"] if r.status_code == 200 else r.status_code

    assert latest() == 404
    v1 = make("v1")
    assert latest() == "v1"
    make("v2", make_latest="false")
    assert latest() == "v1"
    make("v3-rc", prerelease=True)
    assert latest() == "v1"
    make("v4", draft=True)
    assert latest() == "v1"
    v5 = make("v5")
    assert latest() == "v5"
    user.api.patch(f"/repos/{repo}/releases/{v1}", json={"make_latest": "true"})
    assert latest() == "v1"
    make("v6", make_latest="legacy")
    assert latest() == "v6"  # legacy: the newest (not excluded) release
    assert (
        user.api.delete(
            f"/repos/{repo}/releases/{user.api.get(f'/repos/{repo}/releases/latest').json()['id']}"
        ).status_code
        == 204
    )
    assert latest() == "v5"
    user.api.patch(f"/repos/{repo}/releases/{v5}", json={"prerelease": True})
    assert latest() == "v1"


def test_delete_keeps_tag(user, repo, repo_id, hub):
    rel = user.api.post(f"/repos/{repo}/releases", json={"tag_name": "gone"}).json()
    assert user.api.delete(f"/repos/{repo}/releases/{rel['id']}").status_code == 204
    assert user.api.get(f"/repos/{repo}/releases/{rel['id']}").status_code == 404
    assert user.api.delete(f"/repos/{repo}/releases/{rel['id']}").status_code == 404
    assert tag_sha(hub, repo_id, "gone") is not None


def test_tags_with_slashes(user, repo, client_for):
    rel = user.api.post(f"/repos/{repo}/releases", json={"tag_name": "release/1.0"}).json()
    assert rel["html_url"].endswith("/releases/tag/release/1.0")
    assert rel["tarball_url"].endswith("/tarball/release/1.0")
    for path in ("release/1.0", "release%2F1.0"):
        r = client_for().get(f"/repos/{repo}/releases/tags/{path}")
        assert r.status_code == 200 and r.json()["id"] == rel["id"], path
    assert client_for().head(f"/repos/{repo}/releases/tags/release/1.0").status_code == 200
    assert client_for().head(f"/repos/{repo}/releases/tags/release/2.0").status_code == 404


def test_list_pagination_and_order(server, user, repo, repo_id):
    ids = [user.api.post(f"/repos/{repo}/releases", json={"tag_name": f"p{i}"}).json()["id"] for i in range(5)]
    draft = user.api.post(f"/repos/{repo}/releases", json={"tag_name": "pd", "draft": True}).json()["id"]
    first = user.api.get(f"/repos/{repo}/releases", params={"per_page": 2})
    assert [r["id"] for r in first.json()] == [draft, ids[4]]
    base = f"{server.api}/repositories/{repo_id}/releases"
    assert first.headers["link"] == (f'<{base}?per_page=2&page=2>; rel="next", <{base}?per_page=2&page=3>; rel="last"')
    seen = []
    url = f"/repos/{repo}/releases?per_page=2"
    while url:
        r = user.api.get(url)
        seen += [x["id"] for x in r.json()]
        url = r.links.get("next", {}).get("url")
    assert seen == [draft, *reversed(ids)]
    assert user.api.get(f"/repos/{repo}/releases", params={"page": 9}).json() == []


def test_permissions(user, repo, make_user, client_for):
    rel = user.api.post(f"/repos/{repo}/releases", json={"tag_name": "v1"}).json()
    _, token = make_user()
    stranger, anon = client_for(token), client_for()
    assert stranger.post(f"/repos/{repo}/releases", json={"tag_name": "v9"}).status_code == 404
    assert stranger.patch(f"/repos/{repo}/releases/{rel['id']}", json={"name": "x"}).status_code == 404
    assert stranger.delete(f"/repos/{repo}/releases/{rel['id']}").status_code == 404
    assert anon.post(f"/repos/{repo}/releases", json={"tag_name": "v9"}).status_code == 401
    assert anon.get(f"/repos/{repo}/releases/{rel['id']}").status_code == 200
    name = repo.split("/")[1]
    user.api.patch(f"/repos/{repo}", json={"private": True})
    assert stranger.get(f"/repos/{repo}/releases").status_code == 404
    assert anon.get(f"/repos/{user.login}/{name}/releases/latest").status_code == 404
    assert user.api.get(f"/repos/{repo}/releases/latest").status_code == 200


def test_generate_notes(server, user, repo, repo_id, hub):
    user.api.post(f"/repos/{repo}/releases", json={"tag_name": "v1"}).raise_for_status()
    a = commit_file(hub, repo_id, "a.txt", b"a", "Add a\n\nlong text")
    b = commit_file(hub, repo_id, "b.txt", b"b", "Add b")
    r = user.api.post(f"/repos/{repo}/releases/generate-notes", json={"tag_name": "v2"})
    assert r.status_code == 200
    html = f"{server.url}/{repo}"
    assert r.json() == {
        "name": "v2",
        "body": (
            "## What's Changed\n"
            f"* Add b by Test Author in {html}/commit/{b}\n"
            f"* Add a by Test Author in {html}/commit/{a}\n"
            f"\n\n**Full Changelog**: {html}/compare/v1...v2"
        ),
    }
    created = user.api.post(
        f"/repos/{repo}/releases", json={"tag_name": "v2", "body": "Intro", "generate_release_notes": True}
    ).json()
    assert created["name"] == "v2" and created["body"].startswith("Intro\n\n## What's Changed\n* Add b")
    first = user.api.post(
        f"/repos/{repo}/releases/generate-notes", json={"tag_name": "v1", "previous_tag_name": "nope"}
    )
    assert first.status_code == 422
    missing = user.api.post(f"/repos/{repo}/releases/generate-notes", json={})
    assert missing.status_code == 422 and "tag_name" in missing.json()["message"]


def test_immutable_releases(user, repo, make_user, client_for):
    setting = f"/repos/{repo}/immutable-releases"
    assert user.api.get(setting).status_code == 404
    _, token = make_user()
    assert client_for(token).put(setting).status_code == 403
    assert user.api.put(setting).status_code == 204
    assert user.api.get(setting).json() == {"enabled": True, "enforced_by_owner": False}
    draft = user.api.post(f"/repos/{repo}/releases", json={"tag_name": "v1", "draft": True}).json()
    assert draft["immutable"] is False
    rel = user.api.patch(f"/repos/{repo}/releases/{draft['id']}", json={"draft": False}).json()
    assert rel["immutable"] is True
    ok = user.api.patch(f"/repos/{repo}/releases/{rel['id']}", json={"name": "new", "body": "b", "tag_name": "v1"})
    assert ok.status_code == 200 and ok.json()["name"] == "new"
    for change in ({"tag_name": "v2"}, {"prerelease": True}, {"draft": True}, {"make_latest": "false"}):
        r = user.api.patch(f"/repos/{repo}/releases/{rel['id']}", json=change)
        assert r.status_code == 422, change
        assert r.json()["errors"][0]["code"] == "custom"
    assert user.api.delete(setting).status_code == 204
    assert user.api.get(setting).status_code == 404
    mutable = user.api.post(f"/repos/{repo}/releases", json={"tag_name": "v3"}).json()
    assert mutable["immutable"] is False
    assert user.api.get(f"/repos/{repo}/releases/{rel['id']}").json()["immutable"] is True


def test_reactions_list_is_empty(user, repo):
    rel = user.api.post(f"/repos/{repo}/releases", json={"tag_name": "v1"}).json()
    r = user.api.get(f"/repos/{repo}/releases/{rel['id']}/reactions")
    assert r.status_code == 200 and r.json() == []
    assert user.api.get(f"/repos/{repo}/releases/999999/reactions").status_code == 404


def test_empty_repository(user):
    name = unique("empty")
    user.api.post("/user/repos", json={"name": name}).raise_for_status()
    r = user.api.post(f"/repos/{user.login}/{name}/releases", json={"tag_name": "v1"})
    assert r.status_code == 422
    assert r.json()["errors"] == [{"resource": "Release", "code": "invalid", "field": "target_commitish"}]
    assert user.api.get(f"/repos/{user.login}/{name}/releases").json() == []


def test_concurrent_creates_of_one_tag(server, user, repo, repo_id, hub):
    import concurrent.futures

    import httpx

    def create(i):
        with httpx.Client(base_url=server.api, headers={"authorization": f"token {user.token}"}, timeout=60) as c:
            return c.post(f"/repos/{repo}/releases", json={"tag_name": "race", "name": f"n{i}"}).status_code

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        codes = sorted(pool.map(create, range(8)))
    assert codes == [201] + [422] * 7
    assert [r["tag_name"] for r in user.api.get(f"/repos/{repo}/releases").json()] == ["race"]
    assert tag_sha(hub, repo_id, "race") is not None


@pytest.mark.parametrize(
    "spec",
    [
        {"tag_name": "v" * 100_000},
        {"tag_name": "a..b"},
        {"tag_name": "ok-tag", "target_commitish": "t" * 100_000},
        {"tag_name": "v" * 100_000, "draft": True},
        {"tag_name": "a..b", "draft": True},
        {"tag_name": "ok-draft", "draft": True, "target_commitish": "t" * 100_000},
        {"tag_name": "x/" + "y" * 300},
    ],
)
def test_bad_tag_and_target_names_are_422(user, repo, spec):
    before = user.api.get(f"/repos/{repo}/releases").json()
    r = user.api.post(f"/repos/{repo}/releases", json=spec)
    assert r.status_code == 422, r.text[:300]
    assert r.json()["message"] == "Validation Failed" and r.json()["errors"]
    assert user.api.get(f"/repos/{repo}/releases").json() == before
    assert [t["name"] for t in user.api.get(f"/repos/{repo}/tags").json()] == []


def test_bad_names_on_update_are_422(user, repo):
    made = user.api.post(f"/repos/{repo}/releases", json={"tag_name": "v1", "draft": True}).json()
    for change in (
        {"tag_name": "v" * 100_000},
        {"tag_name": "a..b", "draft": False},
        {"target_commitish": "t" * 100_000},
    ):
        r = user.api.patch(f"/repos/{repo}/releases/{made['id']}", json=change)
        assert r.status_code == 422, (change.keys(), r.text[:300])
    assert user.api.get(f"/repos/{repo}/releases/{made['id']}").json()["tag_name"] == "v1"


def test_post_is_accepted_where_patch_is(user, repo):
    """GitHub's v3 rule, which python-semantic-release relies on to update a release."""
    made = user.api.post(f"/repos/{repo}/releases", json={"tag_name": "v2", "name": "two"}).json()
    r = user.api.post(f"/repos/{repo}/releases/{made['id']}", json={"body": "edited by POST"})
    assert r.status_code == 200 and r.json()["body"] == "edited by POST"
    assert user.api.get(f"/repos/{repo}/releases/{made['id']}").json()["body"] == "edited by POST"
    renamed = user.api.post(f"/repos/{repo}", json={"description": "via POST"})
    assert renamed.status_code == 200 and renamed.json()["description"] == "via POST"


def test_latest_by_name_and_by_id_one_statement(user, repo, repo_id, make_user, client_for):
    """releases/latest reads the repository and its latest release in one statement: the same
    answers by {owner}/{repo} (any case) and by /repositories/{id}; 404 for a repository with no
    latest release, one the caller cannot see, and one that does not exist."""
    owner, name = repo.split("/")
    by_id = f"/repositories/{repo_id}/releases/latest"
    assert user.api.get(f"/repos/{repo}/releases/latest").status_code == 404  # none yet
    assert user.api.get(by_id).status_code == 404
    user.api.post(f"/repos/{repo}/releases", json={"tag_name": "v1", "prerelease": True}).raise_for_status()
    assert user.api.get(by_id).status_code == 404  # a prerelease is never the latest
    made = user.api.post(f"/repos/{repo}/releases", json={"tag_name": "v2"}).json()
    for path in (f"/repos/{repo}/releases/latest", f"/repos/{owner.upper()}/{name.upper()}/releases/latest", by_id):
        r = user.api.get(path)
        assert r.status_code == 200 and r.json() == made, path
    assert user.api.get(f"/repos/{owner}/{name}-missing/releases/latest").status_code == 404
    assert user.api.get("/repositories/999999999/releases/latest").status_code == 404
    user.api.patch(f"/repos/{repo}", json={"private": True})
    _, token = make_user()
    for client in (client_for(token), client_for()):
        assert client.get(f"/repos/{repo}/releases/latest").status_code == 404
        assert client.get(by_id).status_code == 404
    assert user.api.get(by_id).json() == user.api.get(f"/repos/{repo}/releases/latest").json()
