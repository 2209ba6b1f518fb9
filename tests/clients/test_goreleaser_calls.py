"""goreleaser's release against hubdepot, as the HTTP calls it makes (goreleaser itself is a Go
program no registry here ships, so it is not run). The calls are read from its source, v2.17.1
internal/client/github.go (CreateRelease, createOrUpdateRelease, findRelease, findDraftRelease,
deleteExistingDraftRelease, Upload, deleteReleaseArtifact, PublishRelease, ReleaseURLTemplate),
sent the way go-github v89 sends them (NewRequest, NewUploadRequest, WithEnterpriseURLs), with a
config of `github_urls: {api: URL/api/v3/, upload: URL/api/uploads/, download: URL}`. Every JSON
answer is checked against GitHub's OpenAPI description (CheckedClient)."""

from __future__ import annotations

import httpx
import pytest

from tests.support.server import CheckedClient

TAG = "v1.0.0"
BODY = "## Changelog\n* 1a2b3c4 first\n"
ARCHIVE = ("demo_1.0.0_linux_amd64.tar.gz", b"\x1f\x8b archive bytes", "application/gzip")
CHECKSUMS = ("demo_1.0.0_checksums.txt", b"0123abcd  demo_1.0.0_linux_amd64.tar.gz\n", "text/plain; charset=utf-8")


@pytest.fixture
def go_github(server, user):
    """A client as go-github's: bearer token (oauth2), its Accept, User-Agent and API version."""
    headers = {
        "Authorization": f"Bearer {user.token}",
        "Accept": "application/vnd.github.v3+json",
        "User-Agent": "go-github/v89.0.0",
        "X-GitHub-Api-Version": "2022-11-28",
    }
    with CheckedClient(base_url=server.url, headers=headers) as client:
        yield client


def _repo_call(repo: str, path: str = "") -> str:
    return f"/api/v3/repos/{repo}{path}"


def _upload(client, repo: str, release_id: int, artifact: tuple[str, bytes, str]) -> httpx.Response:
    """Upload: POST to the upload URL with ?name=, the file's length and its extension's media type."""
    name, data, media_type = artifact
    return client.post(
        f"/api/uploads/repos/{repo}/releases/{release_id}/assets",
        params={"name": name},
        content=data,
        headers={"Content-Type": media_type},
    )


def _create_or_update(client, repo: str, tag: str) -> dict:
    """CreateRelease: checkRateLimit (hubdepot, like GHES, answers 404: goreleaser logs it and goes on),
    then findRelease by tag; a new release starts as a draft, an existing one is updated in place."""
    limit = client.get("/api/v3/rate_limit")
    assert limit.status_code == 404 and limit.json()["message"] == "Rate limiting is not enabled."
    found = client.get(_repo_call(repo, f"/releases/tags/{tag}"))
    if found.status_code == 404:
        body = {"tag_name": tag, "name": tag, "body": BODY, "draft": True, "prerelease": False}
        r = client.post(_repo_call(repo, "/releases"), json=body)
        assert r.status_code == 201, r.text
        return r.json()
    assert found.status_code == 200 and found.json()["immutable"] is False
    existing = found.json()
    body = {"tag_name": tag, "name": tag, "body": existing["body"] or BODY, "draft": existing["draft"]}
    r = client.patch(_repo_call(repo, f"/releases/{existing['id']}"), json=body | {"prerelease": False})
    assert r.status_code == 200, r.text
    return r.json()


def _publish(client, repo: str, release_id: int) -> dict:
    """PublishRelease: undraft, name from the name template (make_latest unset by default)."""
    r = client.patch(_repo_call(repo, f"/releases/{release_id}"), json={"draft": False, "name": TAG})
    assert r.status_code == 200, r.text
    return r.json()


def _replace_artifact(client, repo: str, release_id: int, artifact) -> None:
    """Upload with replace_existing_artifacts: a 422 means the name is taken; list the assets
    (per_page=100, page=1), delete the one of that name, upload again."""
    taken = _upload(client, repo, release_id, artifact)
    assert taken.status_code == 422 and taken.json()["errors"][0]["code"] == "already_exists", taken.text
    listed = client.get(_repo_call(repo, f"/releases/{release_id}/assets"), params={"per_page": 100, "page": 1})
    assert listed.status_code == 200
    asset = next(a for a in listed.json() if a["name"] == artifact[0])
    assert client.delete(_repo_call(repo, f"/releases/assets/{asset['id']}")).status_code == 204
    assert _upload(client, repo, release_id, artifact).status_code == 201


def test_goreleaser_release_then_release_again(server, repo, go_github):
    head = go_github.get(_repo_call(repo, "/git/ref/heads/main")).json()["object"]["sha"]
    tagged = go_github.post(_repo_call(repo, "/git/refs"), json={"ref": f"refs/tags/{TAG}", "sha": head})
    assert tagged.status_code == 201  # goreleaser runs on a tag already pushed
    release = _create_or_update(go_github, repo, TAG)
    assert release["draft"] is True
    for artifact in (ARCHIVE, CHECKSUMS):
        r = _upload(go_github, repo, release["id"], artifact)
        assert r.status_code == 201 and r.json()["content_type"] == artifact[2], r.text
    published = _publish(go_github, repo, release["id"])
    assert published["draft"] is False and published["tag_name"] == TAG
    assert {a["name"] for a in published["assets"]} == {ARCHIVE[0], CHECKSUMS[0]}
    # ReleaseURLTemplate: {download}/{owner}/{name}/releases/download/{tag}/{artifact}, for brew and scoop
    url = f"{server.url}/{repo}/releases/download/{TAG}/{ARCHIVE[0]}"
    assert httpx.get(url, follow_redirects=True).content == ARCHIVE[1]
    again = _create_or_update(go_github, repo, TAG)  # a second run on the same tag
    assert again["id"] == release["id"] and again["draft"] is False and again["body"] == BODY
    _replace_artifact(go_github, repo, release["id"], ARCHIVE)
    assert _publish(go_github, repo, release["id"])["tag_name"] == TAG


def _drafts_named(client, repo: str, name: str) -> list[dict]:
    """findDraftRelease: the releases, 50 a page, following the Link header's next page."""
    found, params, url = [], {"per_page": 50}, _repo_call(repo, "/releases")
    while url:
        r = client.get(url, params=params)
        assert r.status_code == 200
        found += [x for x in r.json() if x["draft"] and x["name"] == name]
        url, params = r.links.get("next", {}).get("url"), None
    return found


def test_goreleaser_draft_replacing_the_previous_draft(repo, go_github):
    """release: {draft: true, replace_existing_draft: true}: each run deletes the draft of the same
    name it made before (deleteExistingDraftRelease), makes a new one and leaves it a draft."""
    deleted = []
    for _run in range(2):
        for draft in _drafts_named(go_github, repo, TAG):
            assert go_github.delete(_repo_call(repo, f"/releases/{draft['id']}")).status_code == 204
            deleted.append(draft["id"])
        release = _create_or_update(go_github, repo, TAG)
        assert _upload(go_github, repo, release["id"], ARCHIVE).status_code == 201
    assert len(deleted) == 1
    (draft,) = _drafts_named(go_github, repo, TAG)
    assert draft["draft"] is True and [a["name"] for a in draft["assets"]] == [ARCHIVE[0]]
