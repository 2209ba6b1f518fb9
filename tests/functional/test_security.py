"""No private repository leaks: anonymous callers and non-collaborators get 404 on every route family
(API, assets, archives, raw download_url, browser_download_url, legacy downloads, GraphQL); drafts are
invisible without push access; signed URLs expire and bind to one repository and path."""

from __future__ import annotations

import base64

import httpx
import pytest

from tests.conftest import unique


@pytest.fixture
def private(user):
    """A private repository with a file, a published release with an asset, a draft, and a legacy download."""
    name = unique("secret")
    api = user.api
    assert api.post("/user/repos", json={"name": name, "auto_init": True, "private": True}).status_code == 201
    full = f"{user.login}/{name}"
    api.put(
        f"/repos/{full}/contents/docs/a.txt", json={"message": "a", "content": base64.b64encode(b"secret\n").decode()}
    ).raise_for_status()
    release = api.post(f"/repos/{full}/releases", json={"tag_name": "v1"}).json()
    asset = httpx.post(
        release["upload_url"].split("{")[0],
        params={"name": "s.bin"},
        content=b"s" * 64,
        headers={"Authorization": f"token {user.token}", "Content-Type": "application/octet-stream"},
    ).json()
    draft = api.post(f"/repos/{full}/releases", json={"tag_name": "v2", "draft": True}).json()
    download = api.post(f"/repos/{full}/downloads", json={"name": "d.txt", "size": 3}).json()
    file = api.get(f"/repos/{full}/contents/docs/a.txt").json()
    tarball = api.get(f"/repos/{full}/tarball/main", follow_redirects=False).headers["location"]
    return {
        "full": full,
        "release": release,
        "asset": asset,
        "draft": draft,
        "download": download,
        "file": file,
        "tarball": tarball,
        "repo_id": api.get(f"/repos/{full}").json()["id"],
    }


def _api_paths(p: dict) -> list[tuple[str, str]]:
    full, rid, aid = p["full"], p["release"]["id"], p["asset"]["id"]
    paths = [
        f"/repos/{full}",
        f"/repos/{full}/readme",
        f"/repos/{full}/contents/docs/a.txt",
        f"/repos/{full}/contents",
        f"/repos/{full}/branches",
        f"/repos/{full}/tags",
        f"/repos/{full}/releases",
        f"/repos/{full}/releases/{rid}",
        f"/repos/{full}/releases/tags/v1",
        f"/repos/{full}/releases/latest",
        f"/repos/{full}/releases/{rid}/assets",
        f"/repos/{full}/releases/assets/{aid}",
        f"/repos/{full}/downloads",
        f"/repos/{full}/downloads/{p['download']['id']}",
        f"/repos/{full}/tarball/main",
        f"/repos/{full}/zipball/main",
        f"/repositories/{p['repo_id']}",
        f"/repositories/{p['repo_id']}/releases",
    ]
    return [("GET", path) for path in paths] + [
        ("DELETE", f"/repos/{full}/releases/{rid}"),
        ("PATCH", f"/repos/{full}/releases/{rid}"),
    ]


def test_private_repository_is_404_everywhere(server, private, make_user, client_for):
    _, stranger_token = make_user()
    for token in (None, stranger_token):
        api = client_for(token)
        for method, path in _api_paths(private):
            r = api.request(
                method,
                path,
                json={} if method != "GET" else None,
                headers={"Accept": "application/octet-stream"} if "/assets/" in path else {},
            )
            assert r.status_code == 404, (token is None, method, path, r.status_code)
        raw = [
            private["file"]["download_url"].split("?")[0],
            private["asset"]["browser_download_url"],
            private["download"]["html_url"],
            private["tarball"].split("?")[0],
            f"{server.url}/{private['full']}/archive/refs/heads/main.tar.gz",
            f"{server.url}/{private['full']}/releases/latest/download/s.bin",
        ]
        headers = {"Authorization": f"token {token}"} if token else {}
        for url in raw:
            r = httpx.get(url, headers=headers)
            assert r.status_code == 404, (token is None, url, r.status_code)
        private_owner, private_name = private["full"].split("/")
        query = {"query": f'query {{ repository(owner: "{private_owner}", name: "{private_name}") {{ name }} }}'}
        gql = httpx.post(server.url + "/api/graphql", json=query, headers=headers)
        body = gql.json()
        assert (body.get("data") or {}).get("repository") is None, body
        assert any(e.get("type") == "NOT_FOUND" for e in body.get("errors", [])) or gql.status_code in (401, 404), body


def test_owner_sees_it_and_signed_urls_bind(server, private, user, make_user):
    signed_raw = private["file"]["download_url"]
    assert "token=" in signed_raw
    assert httpx.get(signed_raw).content == b"secret\n"  # the signed URL works without a header
    other_path = signed_raw.replace("docs/a.txt", "README.md")
    assert httpx.get(other_path).status_code == 404  # the token names one path
    archive = httpx.get(private["tarball"])
    assert archive.status_code == 200 and archive.headers["content-disposition"].startswith("attachment")
    name = unique("other")
    user.api.post("/user/repos", json={"name": name, "auto_init": True, "private": True}).raise_for_status()
    moved = private["tarball"].replace(private["full"].split("/")[1] + "/", name + "/", 1)
    assert httpx.get(moved).status_code == 404  # nor can it be reused for another repository
    tampered = signed_raw[:-3] + ("AAA" if not signed_raw.endswith("AAA") else "BBB")
    assert httpx.get(tampered).status_code == 404


def test_drafts_invisible_without_push(user, repo, make_user, client_for):
    draft = user.api.post(f"/repos/{repo}/releases", json={"tag_name": "v9", "draft": True}).json()
    upload = httpx.post(
        draft["upload_url"].split("{")[0],
        params={"name": "d.bin"},
        content=b"d",
        headers={"Authorization": f"token {user.token}", "Content-Type": "application/octet-stream"},
    )
    assert upload.status_code == 201
    _, token = make_user()
    for api in (client_for(token), client_for()):
        assert all(r["id"] != draft["id"] for r in api.get(f"/repos/{repo}/releases").json())
        assert api.get(f"/repos/{repo}/releases/{draft['id']}").status_code == 404
        assert api.get(f"/repos/{repo}/releases/{draft['id']}/assets").status_code == 404
        assert api.get(f"/repos/{repo}/releases/assets/{upload.json()['id']}").status_code == 404
    assert user.api.get(f"/repos/{repo}/releases/{draft['id']}").status_code == 200


def test_rendered_markdown_runs_no_script(user, repo):
    evil = b"# Title\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n[x](javascript:alert(3))\n"
    user.api.put(
        f"/repos/{repo}/contents/EVIL.md", json={"message": "evil", "content": base64.b64encode(evil).decode()}
    ).raise_for_status()
    html = user.api.get(f"/repos/{repo}/contents/EVIL.md", headers={"Accept": "application/vnd.github.html"}).text
    assert "<h1" in html and "Title" in html
    lowered = html.lower()
    assert "<script" not in lowered and "onerror" not in lowered and 'href="javascript' not in lowered
