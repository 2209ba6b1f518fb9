"""A mirror source is hostile: `hubdepot mirror` against a server that answers crafted JSON and
records every request. Nothing it says reaches git as an option or a local path, the token goes only
to the host the user named, and its names, authors, dates and URLs go through the API's rules."""

from __future__ import annotations

import json

import pytest

from hubdepot.git import repos as git_repos
from tests.conftest import unique
from tests.support.hostile import Hostile, asset, release
from tests.support.mirror import run_mirror

TOKEN = "ghp_mirrortokenmirrortokenmirrortoken00"


@pytest.fixture
def hostile():
    source = Hostile()
    yield source
    source.close()


@pytest.fixture
def elsewhere():
    """A second host the source names; it must never hear from the mirror."""
    other = Hostile()
    yield other
    other.close()


def _errors(result) -> list[dict]:
    return json.loads(result.stdout)["errors"]


def _git_requests(source: Hostile, full: str) -> list:
    return [s for s in source.seen if s.path.startswith(f"/{full}.git/")]


def test_a_clone_url_that_looks_like_an_option_runs_nothing(server, hostile, tmp_path):
    owner, marker = unique("evil"), tmp_path / "pwned"
    hostile.repository(owner, "tool", clone_url=f"--upload-pack=touch {marker} #")
    hostile.releases(owner, "tool", [])
    result = run_mirror(server, f"{hostile.url}/{owner}/tool", "--json", token=TOKEN, check=False)
    assert not marker.exists()
    # git asked the host the user named, at the path the user named
    assert _git_requests(hostile, f"{owner}/tool"), hostile.paths()
    assert result.returncode == 1 and "git fetch" in _errors(result)[0]["error"]


def test_a_clone_url_naming_a_local_path_copies_nothing(server, hostile, admin, hub):
    secret = unique("secret")
    made = admin.post("/user/repos", json={"name": secret, "auto_init": True, "private": True}).json()
    local = git_repos.git_dir(hub.settings.repos_dir, made["id"])
    owner = unique("evil")
    hostile.repository(owner, "tool", clone_url=str(local))
    hostile.releases(owner, "tool", [])
    run_mirror(server, f"{hostile.url}/{owner}/tool", "--json", token=TOKEN, check=False)
    assert _git_requests(hostile, f"{owner}/tool")
    branches = admin.get(f"/repos/{owner}/tool/branches")
    assert branches.status_code == 200 and branches.json() == []


def test_the_token_goes_only_to_the_named_host(server, hostile, elsewhere):
    owner = unique("evil")
    hostile.repository(owner, "tool", clone_url=f"{elsewhere.url}/{owner}/tool.git")
    far = asset(11, "far.bin", f"{elsewhere.url}/steal", 3)
    hostile.releases(owner, "tool", [release(1, "v1", assets=[far])])
    result = run_mirror(server, f"{hostile.url}/{owner}/tool", "--json", token=TOKEN, check=False)
    assert elsewhere.seen == []
    assert all(s.authorization for s in hostile.seen if s.path.startswith("/api/v3/"))
    assert _git_requests(hostile, f"{owner}/tool") and result.returncode == 1
    result = run_mirror(server, f"{hostile.url}/{owner}/tool", "--json", "--releases-only", token=TOKEN)
    assert elsewhere.seen == []
    assert "far.bin" in result.stderr and "left out" in result.stderr
    # a Link header naming another host stops the run before anything is asked there
    hostile.releases(owner, "tool", [release(1, "v1")], Link=f'<{elsewhere.url}/page2>; rel="next"')
    result = run_mirror(server, f"{hostile.url}/{owner}/tool", "--json", "--releases-only", token=TOKEN, check=False)
    assert elsewhere.seen == []
    assert result.returncode == 1 and "next page elsewhere" in _errors(result)[0]["error"]


def test_bot_authors_are_kept_as_bots(server, hostile, admin):
    owner = unique("evil")
    hostile.repository(owner, "tool")
    bot = {"login": "github-actions[bot]", "id": 41898282, "type": "Bot"}
    hostile.releases(owner, "tool", [release(1, "v1", author=bot)])
    run_mirror(server, f"{hostile.url}/{owner}/tool", "--json", "--releases-only", token=TOKEN)
    (copied,) = admin.get(f"/repos/{owner}/tool/releases").json()
    assert (copied["author"]["login"], copied["author"]["type"]) == ("github-actions[bot]", "Bot")
    user = admin.get("/users/github-actions[bot]")
    assert user.status_code == 200 and user.json()["type"] == "Bot"


def test_asset_names_follow_the_apis_renaming(server, hostile, admin):
    owner = unique("evil")
    hostile.repository(owner, "tool")
    base = f"{hostile.url}/api/v3/repos/{owner}/tool/releases/assets"
    for n in (21, 22):
        hostile.answer(f"/api/v3/repos/{owner}/tool/releases/assets/{n}", b"abc")
    items = [asset(21, "../../x.bin", f"{base}/21", 3), asset(22, "..", f"{base}/22", 3)]
    hostile.releases(owner, "tool", [release(1, "v1", assets=items)])
    result = run_mirror(server, f"{hostile.url}/{owner}/tool", "--json", "--releases-only", token=TOKEN)
    (copied,) = admin.get(f"/repos/{owner}/tool/releases").json()
    assert [a["name"] for a in copied["assets"]] == ["x.bin"]
    assert "'..'" in result.stderr and "left out" in result.stderr
    got = admin.get(copied["assets"][0]["browser_download_url"], follow_redirects=True)
    assert got.content == b"abc" and "x.bin" in got.headers["content-disposition"]
    assert "/" not in got.headers["content-disposition"].split("filename", 1)[1]


def test_releases_that_break_the_apis_rules_are_left_out(server, hostile, admin):
    owner = unique("evil")
    hostile.repository(owner, "tool", homepage="javascript:alert(1)", default_branch="-bad..branch")
    bare = {"id": 4, "tag_name": "v4", "created_at": "2024-01-04T00:00:00Z"}  # every optional field missing
    items = [release(1, "bad..tag"), release(2, "v2", created_at="yesterday"), release(3, "v3"), bare]
    hostile.releases(owner, "tool", items)
    result = run_mirror(server, f"{hostile.url}/{owner}/tool", "--json", "--releases-only", token=TOKEN)
    assert sorted(r["tag_name"] for r in admin.get(f"/repos/{owner}/tool/releases").json()) == ["v3", "v4"]
    assert "'bad..tag' left out" in result.stderr and "yesterday" in result.stderr
    repo = admin.get(f"/repos/{owner}/tool").json()
    assert (repo["homepage"], repo["default_branch"]) == (None, "main")


def test_a_first_run_that_fails_leaves_nothing_public(server, hostile, client_for, admin):
    owner = unique("evil")
    hostile.repository(owner, "tool")
    hostile.answer(f"/api/v3/repos/{owner}/tool/releases?per_page=100", {"message": "Forbidden"}, 403)
    result = run_mirror(server, f"{hostile.url}/{owner}/tool", "--json", "--releases-only", token=TOKEN, check=False)
    assert result.returncode == 1
    assert client_for(None).get(f"/repos/{owner}/tool").status_code == 404
    assert admin.get(f"/repos/{owner}/tool").json()["private"] is True
    hostile.releases(owner, "tool", [release(1, "v1")])
    run_mirror(server, f"{hostile.url}/{owner}/tool", "--json", "--releases-only", token=TOKEN)
    assert client_for(None).get(f"/repos/{owner}/tool").json()["private"] is False
