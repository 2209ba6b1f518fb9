"""The bad-input catalogue: every route family gets malformed JSON, wrong types, huge strings, invalid
UTF-8 and control characters, traversal, header injection, silly pagination and oversized bodies.
Each gets a GitHub-shaped 4xx, the server stays up, nothing is written, and nothing logs a traceback."""

from __future__ import annotations

import base64

import httpx
import pygit2
import pytest

from tests.conftest import unique

HUGE = "x" * 300_000


@pytest.fixture
def seeded(user, repo):
    release = user.api.post(f"/repos/{repo}/releases", json={"tag_name": "v1"}).json()
    upload = release["upload_url"].split("{")[0]
    asset = httpx.post(
        upload,
        params={"name": "a.bin"},
        content=b"a",
        headers={"Authorization": f"token {user.token}", "Content-Type": "application/octet-stream"},
    ).json()
    download = user.api.post(f"/repos/{repo}/downloads", json={"name": "d.bin", "size": 1}).json()
    return {"repo": repo, "release": release, "upload": upload, "asset": asset, "download": download}


def _cases(s: dict) -> list[tuple[str, str, dict]]:
    r, rid, aid = s["repo"], s["release"]["id"], s["asset"]["id"]
    json_routes = [
        ("POST", f"/repos/{r}/releases"),
        ("PATCH", f"/repos/{r}/releases/{rid}"),
        ("PATCH", f"/repos/{r}/releases/assets/{aid}"),
        ("PUT", f"/repos/{r}/contents/x.txt"),
        ("DELETE", f"/repos/{r}/contents/README.md"),
        ("POST", f"/repos/{r}/downloads"),
        ("POST", f"/repos/{r}/releases/generate-notes"),
        ("PATCH", f"/repos/{r}"),
        ("POST", "/user/repos"),
    ]
    cases = []
    for method, path in json_routes:
        cases += [
            (method, path, {"content": b"{not json"}),
            (method, path, {"content": b"[1, 2]"}),
            (method, path, {"content": b'{"name": "\xff\xfe"}'}),
            (method, path, {"content": b"\x00\x01"}),
            (
                method,
                path,
                {
                    "json": {
                        "name": "a\x00b",
                        "tag_name": "t\x00",
                        "message": "m\x00",
                        "label": "l\x00",
                        "description": "d\x00",
                        "size": 1,
                    }
                },
            ),
            (
                method,
                path,
                {
                    "json": {
                        "tag_name": 5,
                        "name": [],
                        "message": {},
                        "content": 1,
                        "sha": 3,
                        "size": "big",
                        "draft": "yes",
                        "label": 7,
                        "description": 8,
                    }
                },
            ),
            (
                method,
                path,
                {
                    "json": {
                        "tag_name": HUGE,
                        "name": HUGE,
                        "message": "m",
                        "content": HUGE + "!",
                        "size": 1,
                        "label": HUGE,
                    }
                },
            ),
            (method, path, {"content": b'{"pad": "' + b"p" * (2 * 1024**2) + b'"}'}),
        ]
    # dot segments are %-encoded: clients normalise literal ones away before sending
    for bad in (
        "%2E%2E",
        "%2E%2E/%2E%2E/etc/passwd",
        ".git/config",
        "a//b",
        "%00",
        "a%00b",
        "%FF%FE",
        "%0D%0Aset-cookie:x",
        "/etc/passwd",
        "a/%2E/b",
        "x/%2E%2E/%2E%2E/README.md",
        HUGE[:5000],
    ):
        cases += [
            ("GET", f"/repos/{r}/contents/{bad}", {}),
            (
                "PUT",
                f"/repos/{r}/contents/{bad}",
                {"json": {"message": "m", "content": base64.b64encode(b"x").decode()}},
            ),
            ("GET", f"/repos/{r}/readme/{bad}", {}),
            ("GET", f"/repos/{r}/releases/tags/{bad}", {}),
            ("GET", f"/repos/{r}/tarball/{bad}", {}),
            ("GET", f"/repos/{r}/contents/README.md?ref={bad}", {}),
        ]
    for query in ("per_page=-1", "per_page=99999999999999999999", "page=-5", "page=1e9", "page=abc", "per_page=%00"):
        cases += [
            ("GET", f"/repos/{r}/releases?{query}", {}),
            ("GET", f"/repos/{r}/releases/{rid}/assets?{query}", {}),
            ("GET", f"/repos/{r}/downloads?{query}", {}),
            ("GET", f"/repos/{r}/tags?{query}", {}),
        ]
    for ident in ("0", "-1", "99999999999999999999", "abc"):
        cases += [
            ("GET", f"/repos/{r}/releases/{ident}", {}),
            ("GET", f"/repos/{r}/releases/assets/{ident}", {}),
            ("GET", f"/repos/{r}/downloads/{ident}", {}),
            ("DELETE", f"/repos/{r}/downloads/{ident}", {}),
        ]
    cases += [
        (
            "GET",
            f"/repos/{r}/releases/assets/{aid}",
            {"headers": {"Accept": "application/octet-stream", "Range": "bytes=99-1"}},
        ),
        (
            "GET",
            f"/repos/{r}/releases/assets/{aid}",
            {"headers": {"Accept": "application/octet-stream", "Range": "bytes=abc"}},
        ),
    ]
    return cases


def _state(hub, s: dict, api) -> tuple:
    repo = api.get(f"/repos/{s['repo']}").json()
    git = pygit2.Repository(str(hub.settings.repos_dir / f"{repo['id']}.git"))
    refs = sorted((name, str(git.references[name].target)) for name in git.references)
    releases = [(x["id"], x["tag_name"], x["name"], x["body"]) for x in api.get(f"/repos/{s['repo']}/releases").json()]
    assets = [
        (a["id"], a["name"], a["label"], a["size"])
        for a in api.get(f"/repos/{s['repo']}/releases/{s['release']['id']}/assets").json()
    ]
    downloads = [(d["id"], d["name"]) for d in api.get(f"/repos/{s['repo']}/downloads").json()]
    return refs, releases, assets, downloads, repo["description"], repo["name"]


def test_bad_input_catalogue(server, hub, user, seeded, client_for):
    api = client_for(user.token, check_schema=False)
    before = _state(hub, seeded, api)
    tried = 0
    for method, path, kwargs in _cases(seeded):
        r = api.request(method, path, **kwargs)
        tried += 1
        assert 400 <= r.status_code < 500 or r.status_code in (200, 206, 302, 416), (method, path[:120], r.status_code)
        assert r.status_code < 500, (method, path[:120], r.status_code, r.text[:300])
        if r.status_code >= 400 and "json" in r.headers.get("content-type", ""):
            body = r.json()
            assert body["message"] and body["status"] == str(r.status_code), body
    assert _state(hub, seeded, api) == before  # nothing was written
    assert "Traceback" not in server.log.read_text()
    print(f"bad inputs tried: {tried}")
    assert tried > 150


def test_header_injection_through_asset_names(user, seeded):
    auth = {"Authorization": f"token {user.token}", "Content-Type": "application/octet-stream"}
    for name in ("a\r\nSet-Cookie: evil=1.txt", 'q"uote;.txt', "ünï cödé.txt", "x\x00y.txt", "a\tb\x7f.txt"):
        r = httpx.post(seeded["upload"], params={"name": name}, content=b"z", headers=auth)
        assert r.status_code in (201, 422), (name, r.status_code)
        if r.status_code != 201:
            continue
        asset = r.json()
        assert all(ch not in asset["name"] for ch in '\r\n\x00"; \t\x7f'), asset["name"]
        got = httpx.get(
            asset["url"],
            headers={"Authorization": f"token {user.token}", "Accept": "application/octet-stream"},
            follow_redirects=True,
        )
        disposition = got.headers["content-disposition"]
        assert (
            "\r" not in disposition
            and "\n" not in disposition
            and "set-cookie" not in {k.lower() for k in got.headers if k.lower() == "set-cookie"}
        )
    for bad_label in ("x\r\ny", "a\x00b"):
        label = httpx.post(
            seeded["upload"], params={"name": unique("l") + ".txt", "label": bad_label}, content=b"z", headers=auth
        )
        assert label.status_code in (201, 400, 422), (bad_label, label.status_code)


def test_graphql_bad_input(server, user):
    auth = {"Authorization": f"token {user.token}"}
    bodies = [
        b"{nope",
        b"[]",
        b'{"query": 5}',
        b'{"query": "{ nothing }"}',
        b'{"query": "query {"}',
        b'{"query": "query($o: String!) { repository(owner: $o, name: \\"x\\") { name } }", '
        b'"variables": {"o": "a\\u0000"}}',
        b'{"query": "{ repository(owner: \\"' + b"o" * 5000 + b'\\", name: \\"x\\") { name } }"}',
    ]
    for body in bodies:
        r = httpx.post(server.url + "/api/graphql", content=body, headers={**auth, "Content-Type": "application/json"})
        assert r.status_code < 500, (body[:80], r.status_code, r.text[:200])
    assert "Traceback" not in server.log.read_text()
