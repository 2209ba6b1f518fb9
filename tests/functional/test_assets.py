"""Release assets through HTTP on a real server: uploads (streamed, hashed, limited, renamed,
race-safe), the JSON and binary views, edits, deletes and browser_download_url."""

from __future__ import annotations

import concurrent.futures
import hashlib
import http.client
import os
import socket
from urllib.parse import urlsplit

import httpx
import pytest

from tests.support.releases import expected_asset, expected_user, settled_count, upload, upload_url


@pytest.fixture
def me(server, user):
    return expected_user(server.url, user.login, user.api.get("/user").json()["id"])


@pytest.fixture
def release(user, repo):
    r = user.api.post(f"/repos/{repo}/releases", json={"tag_name": "v1.0", "name": "one"})
    assert r.status_code == 201
    return r.json()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.mark.storage_matrix
def test_upload_whole_body_and_download(server, user, repo, release, me, client_for):
    data = os.urandom(300_000)
    r = upload(user.api, release, "app.zip", data, "application/zip", label="The app")
    assert r.status_code == 201, r.text
    got = r.json()
    want = expected_asset(
        server.url,
        repo,
        got,
        me,
        url_tag="v1.0",
        name="app.zip",
        size=len(data),
        digest=_sha(data),
        content_type="application/zip",
        label="The app",
    )
    assert got == want and r.headers["cache-control"] == "no-cache"
    assert user.api.get(got["url"]).json() == want
    assert user.api.get(f"/repos/{repo}/releases/{release['id']}").json()["assets"] == [want]
    binary = client_for().get(got["url"], headers={"accept": "application/octet-stream"})
    assert binary.status_code == 200 and binary.content == data
    assert binary.headers["content-length"] == str(len(data)) and binary.headers["accept-ranges"] == "bytes"
    assert binary.headers["etag"] == f'"{_sha(data)}"'
    assert binary.headers["content-disposition"] == 'attachment; filename="app.zip"'
    part = client_for().get(got["url"], headers={"accept": "application/octet-stream", "range": "bytes=10-19"})
    assert part.status_code == 206 and part.content == data[10:20]
    assert part.headers["content-range"] == f"bytes 10-19/{len(data)}"
    tail = client_for().get(got["url"], headers={"accept": "application/octet-stream", "range": "bytes=-5"})
    assert tail.status_code == 206 and tail.content == data[-5:]
    assert settled_count(user.api, got["url"]) == 2  # the whole file, and the range ending it


@pytest.mark.storage_matrix
def test_browser_download_urls(server, backend, user, repo, release, client_for):
    data = b"hello browser\n" * 100
    asset = upload(user.api, release, "hello.txt", data, "text/plain").json()
    assert asset["browser_download_url"] == f"{server.url}/{repo}/releases/download/v1.0/hello.txt"
    direct = httpx.get(asset["browser_download_url"])
    if backend.endswith("-s3"):  # s3_download=auto: browsers go to a presigned URL
        assert direct.status_code == 302 and not direct.headers["location"].startswith(server.url)
    else:
        assert direct.status_code == 200 and direct.headers["content-disposition"] == 'attachment; filename="hello.txt"'
    anon = httpx.Client(follow_redirects=True, timeout=30)
    for url in (asset["browser_download_url"], f"{server.url}/{repo}/releases/latest/download/hello.txt"):
        r = anon.get(url)
        assert r.status_code == 200 and r.content == data, url
    assert anon.get(f"{server.url}/{repo}/releases/download/v1.0/nope.txt").status_code == 404
    assert anon.get(f"{server.url}/{repo}/releases/download/v9/hello.txt").status_code == 404
    user.api.patch(f"/repos/{repo}", json={"private": True})
    assert anon.get(asset["browser_download_url"]).status_code == 404
    authed = anon.get(asset["browser_download_url"], headers={"authorization": f"token {user.token}"})
    assert authed.status_code == 200 and authed.content == data
    assert client_for().get(asset["url"]).status_code == 404
    anon.close()


@pytest.mark.storage_matrix
def test_drafts_assets_are_private(server, user, repo, make_user, client_for):
    draft = user.api.post(f"/repos/{repo}/releases", json={"tag_name": "v2", "draft": True}).json()
    asset = upload(user.api, draft, "d.bin", b"draft bytes").json()
    untagged = draft["html_url"].rsplit("/", 1)[1]
    assert asset["browser_download_url"] == f"{server.url}/{repo}/releases/download/{untagged}/d.bin"
    _, token = make_user()
    for client in (client_for(token), client_for()):
        assert client.get(asset["url"]).status_code == 404
        assert client.get(f"/repos/{repo}/releases/{draft['id']}/assets").status_code == 404
    anon = httpx.get(asset["browser_download_url"], follow_redirects=True)
    assert anon.status_code == 404
    owner = httpx.get(
        asset["browser_download_url"], headers={"authorization": f"token {user.token}"}, follow_redirects=True
    )  # (S3: to a presigned URL)
    assert owner.status_code == 200 and owner.content == b"draft bytes"
    published = user.api.patch(f"/repos/{repo}/releases/{draft['id']}", json={"draft": False}).json()
    assert published["assets"][0]["browser_download_url"] == f"{server.url}/{repo}/releases/download/v2/d.bin"
    assert httpx.get(published["assets"][0]["browser_download_url"], follow_redirects=True).content == b"draft bytes"


@pytest.mark.parametrize(
    "given,stored",
    [
        ("My App 1.0.0 Setup.exe", "My.App.1.0.0.Setup.exe"),
        ("tobwen-1.1.0-1~buster_amd64.deb", "tobwen-1.1.0-1.buster_amd64.deb"),
        ("app.prod-v1.3.0-(15-5)-6064eac-release.apk", "app.prod-v1.3.0-.15-5.-6064eac-release.apk"),
        ("a{}~.txt", "a.txt"),
        ("a5_ð_æ_©_ŋ.txt", "a5_d_ae_._ng.txt"),
        ("..hidden..", "hidden"),
        ("v1+build.tar.gz", "v1+build.tar.gz"),
        ("a5_ !#$%&'(),-.0123456789;=@XYZ[]^_`abc{}~.txt", "a5_.-.0123456789.XYZ._.abc.txt"),
    ],
)
def test_names_are_renamed_like_github(user, release, given, stored):
    r = upload(user.api, release, given, b"x")
    assert r.status_code == 201 and r.json()["name"] == stored


def test_upload_errors(user, repo, release, make_user, client_for):
    assert upload(user.api, release, "a b.txt", b"1").status_code == 201
    dup = upload(user.api, release, "a.b.txt", b"2")
    assert dup.status_code == 422
    assert dup.json() == {
        "message": "Validation Failed",  # the upload host's errors carry request_id, as GitHub's
        "errors": [{"resource": "ReleaseAsset", "code": "already_exists", "field": "name"}],
        "documentation_url": "https://docs.github.com/rest",
        "status": "422",
        "request_id": dup.headers["x-github-request-id"],
    }
    base = upload_url(release)
    no_name = user.api.post(base, content=b"x")
    assert no_name.status_code == 400
    odd = user.api.post(base + "?label=&name=odd.txt&", content=b"x", headers={"content-type": "text/plain"})
    assert odd.status_code == 201 and odd.json()["label"] == "" and odd.json()["content_type"] == "text/plain"
    assert upload(user.api, release, "empty.txt", b"").status_code == 422
    assert (
        user.api.post(
            upload_url({"upload_url": release["upload_url"].replace(f"/{release['id']}/", "/999999/")}, name="x"),
            content=b"x",
        ).status_code
        == 404
    )
    _, token = make_user()
    assert upload(client_for(token), release, "s.txt", b"x").status_code == 404
    assert upload(client_for(), release, "s.txt", b"x").status_code == 401
    assert [a["name"] for a in user.api.get(f"/repos/{repo}/releases/{release['id']}/assets").json()] == [
        "a.b.txt",
        "odd.txt",
    ]


def _raw_upload(release, token: str, head_length: int, body: bytes, close_early: bool = False):
    """An upload over a raw socket, so the Content-Length can lie (a dead or oversized upload)."""
    url = urlsplit(upload_url(release, name="cut.bin"))
    sock = socket.create_connection((url.hostname, url.port), timeout=10)
    sock.sendall(
        (
            f"POST {url.path}?{url.query} HTTP/1.1\r\nHost: {url.netloc}\r\nAuthorization: token {token}\r\n"
            f"User-Agent: test\r\nContent-Type: application/octet-stream\r\n"
            f"Content-Length: {head_length}\r\n\r\n"
        ).encode()
        + body
    )
    if close_early:
        sock.close()
        return None
    reply = sock.recv(65536).decode(errors="replace")
    sock.close()
    return reply


@pytest.mark.storage_matrix
def test_limits_and_cut_off_uploads_leave_nothing(user, repo, release):
    reply = _raw_upload(release, user.token, 50 * 1024**3, b"")
    assert reply.startswith("HTTP/1.1 422") and '"field":"size"' in reply
    _raw_upload(release, user.token, 5_000_000, os.urandom(200_000), close_early=True)
    assert user.api.get(f"/repos/{repo}/releases/{release['id']}/assets").json() == []
    data = os.urandom(5000)
    r = upload(user.api, release, "cut.bin", data)  # the name is free: the dead upload left no starter asset
    assert r.status_code == 201 and r.json()["size"] == 5000 and r.json()["digest"] == f"sha256:{_sha(data)}"


@pytest.mark.storage_matrix
def test_concurrent_uploads_of_one_name(user, repo, release, server):
    def send(i):
        with httpx.Client(timeout=60) as c:
            return c.post(
                upload_url(release, name="same.bin"),
                content=os.urandom(50_000) + bytes([i]),
                headers={"authorization": f"token {user.token}", "content-type": "application/octet-stream"},
            )

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        codes = sorted(r.status_code for r in pool.map(send, range(8)))
    assert codes == [201] + [422] * 7
    assets = user.api.get(f"/repos/{repo}/releases/{release['id']}/assets").json()
    assert [a["name"] for a in assets] == ["same.bin"]
    blob = user.api.get(assets[0]["url"], headers={"accept": "application/octet-stream"}).content
    assert f"sha256:{_sha(blob)}" == assets[0]["digest"] and len(blob) == assets[0]["size"]


@pytest.mark.storage_matrix
def test_edit_and_delete(server, user, repo, release, me):
    first = upload(user.api, release, "one.txt", b"1").json()
    upload(user.api, release, "two.txt", b"2")
    r = user.api.patch(first["url"], json={"name": "renamed file.txt", "label": "Label"})
    assert r.status_code == 200
    got = r.json()
    assert got == expected_asset(
        server.url,
        repo,
        got,
        me,
        url_tag="v1.0",
        name="renamed.file.txt",
        size=1,
        digest=_sha(b"1"),
        content_type="application/octet-stream",
        label="Label",
    )
    assert user.api.patch(first["url"], json={"label": None}).json()["label"] is None
    clash = user.api.patch(first["url"], json={"name": "two.txt"})
    assert clash.status_code == 422 and clash.json()["errors"] == [
        {"resource": "ReleaseAsset", "code": "already_exists", "field": "name"}
    ]
    assert user.api.patch(first["url"], json={"name": 5}).status_code == 422
    assert user.api.delete(first["url"]).status_code == 204
    assert user.api.get(first["url"]).status_code == 404
    assert user.api.delete(first["url"]).status_code == 404
    assert upload(user.api, release, "one.txt", b"1").status_code == 201  # the same bytes again: fine
    deleted = user.api.delete(f"/repos/{repo}/releases/{release['id']}")
    assert deleted.status_code == 204


def test_list_assets_paginated(server, user, repo, release):
    for i in range(5):
        upload(user.api, release, f"f{i}.txt", str(i).encode())
    page = user.api.get(f"/repos/{repo}/releases/{release['id']}/assets", params={"per_page": 2, "page": 2})
    assert [a["name"] for a in page.json()] == ["f2.txt", "f3.txt"]
    assert 'rel="next"' in page.headers["link"] and "/repositories/" in page.headers["link"]
    assert user.api.get(f"/repos/{repo}/releases/{release['id']}/assets", params={"page": 5}).json() == []
    latest, one = (user.api.get(f"/repos/{repo}/releases/{which}").json() for which in ("latest", release["id"]))
    assert latest == one and [a["name"] for a in latest["assets"]] == [f"f{i}.txt" for i in range(5)]
    assert latest["assets"][0]["uploader"]["login"] == user.login == latest["author"]["login"]


def test_githubkit_style_upload_under_api_v3(user, repo, release):
    r = user.api.post(
        f"/repos/{repo}/releases/{release['id']}/assets",
        params={"name": "kit.bin"},
        content=b"kit",
        headers={"content-type": "application/octet-stream"},
    )
    assert r.status_code == 201 and r.json()["name"] == "kit.bin"


def test_asset_limit_per_release(user, repo, release, hub):
    import datetime as dt

    from hubdepot.db.tables import release_assets

    stamp = dt.datetime.now(dt.UTC)
    rows = [
        dict(
            release_id=release["id"],
            name=f"filler-{i}",
            label=None,
            content_type="x/y",
            state="uploaded",
            size=1,
            digest=_sha(b"x"),
            blob_key="sha256/none",
            download_count=0,
            uploader_id=None,
            created_at=stamp,
            updated_at=stamp,
        )
        for i in range(999)
    ]
    with hub.db.write() as conn:
        conn.execute(release_assets.insert(), rows)
    assert upload(user.api, release, "last.bin", b"x").status_code == 201
    over = upload(user.api, release, "over.bin", b"x")
    assert over.status_code == 422 and over.json()["errors"][0]["field"] == "release"


def test_immutable_release_refuses_asset_changes(user, repo):
    user.api.put(f"/repos/{repo}/immutable-releases").raise_for_status()
    draft = user.api.post(f"/repos/{repo}/releases", json={"tag_name": "v1", "draft": True}).json()
    asset = upload(user.api, draft, "ok.bin", b"fine while a draft").json()
    rel = user.api.patch(f"/repos/{repo}/releases/{draft['id']}", json={"draft": False}).json()
    assert rel["immutable"] is True
    for r in (
        upload(user.api, rel, "late.bin", b"x"),
        user.api.patch(asset["url"], json={"label": "x"}),
        user.api.delete(asset["url"]),
    ):
        assert r.status_code == 422 and r.json()["errors"][0]["code"] == "custom"
    assert user.api.get(asset["url"], headers={"accept": "application/octet-stream"}).content == b"fine while a draft"


def test_plain_http_client_upload_of_several_megabytes(user, release):
    """A body larger than the server's write batches, sent by the standard library's client."""
    url = urlsplit(upload_url(release, name="stream.bin"))
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    data = os.urandom(3 * 1024 * 1024 + 17)
    conn.request(
        "POST",
        f"{url.path}?{url.query}",
        body=data,
        headers={
            "Authorization": f"token {user.token}",
            "Content-Type": "application/octet-stream",
            "Content-Length": str(len(data)),
        },
    )
    reply = conn.getresponse()
    assert reply.status == 201
    assert f'"digest":"sha256:{_sha(data)}"' in reply.read().decode()
    conn.close()
