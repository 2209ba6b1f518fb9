"""No malformed request makes the server answer 500: cut-short bodies (fewer bytes than Content-Length,
a broken chunked encoding) on every surface, sign-in included; a mistyped JSON field nested past any
encoder's depth; an S3 POST with a boundary longer than its parser takes, or with a field its policy
does not name (S3's 403 AccessDenied); branch and ref names too long for git; and a Range unit the
server does not know (RFC 9110: ignored, the whole body with 200) on every download surface."""

from __future__ import annotations

import base64
import json
import socket
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import httpx
import pytest

from hubdepot.services import s3policy
from tests.functional.test_downloads import create, fetch
from tests.support.releases import upload

LONG = "b" * 2000


def _exchange(server, request: bytes) -> tuple[int, bytes]:
    """Send `request` as raw bytes, close our writing side, read the answer: (status, body)."""
    parts = urlsplit(server.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(request)
        sock.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 "), data[:200]
    return int(head.split(b" ", 2)[1]), body


def _request(method: str, path: str, headers: dict[str, str], body: bytes) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def _bodied_routes(server, user, repo) -> list[tuple[str, str, dict[str, str], str]]:
    """(method, path, headers, surface) of a route of each surface that reads a request body."""
    token = {"Authorization": f"token {user.token}"}
    release = user.api.post(f"/repos/{repo}/releases", json={"tag_name": "v-cut"}).json()
    uploads = urlsplit(release["upload_url"].split("{")[0]).path + "?name=cut.bin"
    return [
        ("POST", "/session", {"Content-Type": "application/x-www-form-urlencoded"}, "web"),
        ("POST", "/logout", {"Content-Type": "application/x-www-form-urlencoded"}, "web"),
        ("POST", "/api/v3/user/repos", {**token, "Content-Type": "application/json"}, "api"),
        ("PUT", f"/api/v3/repos/{repo}/contents/cut.txt", {**token, "Content-Type": "application/json"}, "api"),
        ("POST", uploads, {**token, "Content-Type": "application/octet-stream"}, "api"),
        ("POST", "/", {"Content-Type": "multipart/form-data; boundary=xyz"}, "s3"),
    ]


def _assert_shape(surface: str, body: bytes) -> None:
    if surface == "api":
        assert json.loads(body)["status"] == "400", body
    elif surface == "s3":
        assert ET.fromstring(body).findtext("Code") == "IncompleteBody", body
    else:
        assert b"<html" in body, body[:200]


def test_cut_short_bodies_answer_400(server, user, repo):
    """Each body is well-formed as far as it goes; then it stops short of its Content-Length, or its
    chunked encoding breaks (a bad size line, no last chunk, a chunk longer than its size)."""
    for method, path, headers, surface in _bodied_routes(server, user, repo):
        start = b'--xyz\r\nContent-Disposition: form-data; name="key"\r\n\r\nk' if surface == "s3" else b"login=abcd"
        short = _request(method, path, {**headers, "Content-Length": "100"}, start)
        status, body = _exchange(server, short)
        assert status == 400, (path, status, body[:300])
        _assert_shape(surface, body)
        size = f"{len(start):x}\r\n".encode()
        for broken in (b"zz\r\n" + start, size + start + b"\r\n", b"3\r\n" + start + b"\r\n0\r\n\r\n"):
            chunked = _request(method, path, {**headers, "Transfer-Encoding": "chunked"}, broken)
            status, body = _exchange(server, chunked)
            assert status == 400, (path, broken, status, body[:300])
            _assert_shape(surface, body)
    assert httpx.get(server.api + "/meta").status_code == 200  # and the server keeps answering


def test_deeply_nested_mistyped_field_is_422(user, repo):
    deep = "[" * 300 + "]" * 300
    for path, body, name in (
        ("/user/repos", f'{{"name": {deep}}}', "name"),
        (f"/repos/{repo}/downloads", f'{{"name": "d.bin", "size": {deep}}}', "size"),
        (f"/repos/{repo}/releases", f'{{"tag_name": {{"a": {deep}}}}}', "tag_name"),
    ):
        r = user.api.post(path, content=body, headers={"Content-Type": "application/json"})
        assert r.status_code == 422, (path, r.status_code, r.text[:200])
        assert r.json()["message"].startswith(f"Invalid request.\n\nFor 'properties/{name}', "), r.text[:200]
    assert user.api.get(f"/repos/{repo}").status_code == 200


def _s3_error(r: httpx.Response) -> tuple[int, str, str]:
    assert r.headers["content-type"] == "application/xml", r.text
    root = ET.fromstring(r.content)
    return r.status_code, root.findtext("Code") or "", root.findtext("Message") or ""


def test_s3_post_with_a_boundary_too_long_is_400(server):
    boundary = "x" * 300
    body = f'--{boundary}\r\nContent-Disposition: form-data; name="key"\r\n\r\nk\r\n--{boundary}--\r\n'
    r = httpx.post(
        server.url + "/", content=body, headers={"content-type": f"multipart/form-data; boundary={boundary}"}
    )
    assert _s3_error(r)[:2] == (400, "MalformedPOSTRequest")


def test_s3_post_refuses_fields_its_policy_does_not_name(server, hub, user, repo):
    """A policy without success_action_redirect: S3 refuses the form (and redirects nowhere), as it
    does for any field the policy leaves out, or a condition that fails."""
    data = b"redirected"
    ticket = create(user.api, repo, "r.bin", data)
    document = json.loads(base64.b64decode(ticket["policy"]))
    kept = [c for c in document["conditions"] if "$success_action_redirect" not in c]
    policy = base64.b64encode(json.dumps({**document, "conditions": kept}).encode()).decode()
    creds = s3policy.credentials(hub.signer.secret)
    fields = {**ticket["fields"], "Policy": policy, "Signature": s3policy.sign_v2(creds.secret, policy)}
    file = {"file": ("r.bin", data, ticket["mime_type"])}
    extra = httpx.post(ticket["s3_url"], data={**fields, "success_action_redirect": "https://evil.test/"}, files=file)
    assert "location" not in extra.headers
    assert _s3_error(extra) == (
        403,
        "AccessDenied",
        "Invalid according to Policy: Extra input fields: success_action_redirect",
    )
    failed = httpx.post(ticket["s3_url"], data={**fields, "acl": "public-read-write"}, files=file)
    assert _s3_error(failed) == (
        403,
        "AccessDenied",
        'Invalid according to Policy: Policy Condition failed: ["eq", "$acl", "public-read"]',
    )
    assert fetch(ticket["html_url"]).status_code == 404  # nothing stored
    assert httpx.post(ticket["s3_url"], data=fields, files=file).status_code == 201


def test_branch_and_ref_names_git_cannot_hold(user, repo):
    api = user.api
    content = base64.b64encode(b"hi\n").decode()
    readme = api.get(f"/repos/{repo}/contents/README.md").json()
    put = api.put(f"/repos/{repo}/contents/a.txt", json={"message": "m", "content": content, "branch": LONG})
    assert put.status_code == 422, put.text[:300]
    removed = api.request(
        "DELETE",
        f"/repos/{repo}/contents/README.md",
        json={"message": "m", "sha": readme["sha"], "branch": LONG},
    )
    assert removed.status_code == 422, removed.text[:300]
    for read in (f"/repos/{repo}/contents/README.md?ref={LONG}", f"/repos/{repo}/readme?ref={LONG}"):
        r = api.get(read)
        assert r.status_code == 404 and r.json()["message"] == f"No commit found for the ref {LONG}", r.text[:200]
    sha = api.get(f"/repos/{repo}/git/ref/heads/main").json()["object"]["sha"]
    assert api.get(f"/repos/{repo}/git/ref/heads/{LONG}").status_code == 404
    for method, body in (("DELETE", None), ("PATCH", {"sha": sha})):
        r = api.request(method, f"/repos/{repo}/git/refs/heads/{LONG}", json=body)
        assert r.status_code == 422 and r.json()["message"] == "Reference does not exist", (method, r.text[:200])
    made = api.post(f"/repos/{repo}/git/refs", json={"ref": f"refs/heads/{LONG}", "sha": sha})
    assert made.status_code == 422, made.text[:200]
    assert api.get(f"/repos/{repo}/contents/README.md").json()["sha"] == readme["sha"]  # nothing moved


@pytest.fixture
def downloads(server, user, repo) -> list[tuple[str, dict, bytes]]:
    """(url, headers, whole body) of every download surface: an asset (API and browser), a legacy
    download, a raw file, an archive, contents in the raw media type."""
    data = b"0123456789"
    release = user.api.post(f"/repos/{repo}/releases", json={"tag_name": "v-range"}).json()
    asset = upload(user.api, release, "a.bin", data).json()
    ticket = create(user.api, repo, "d.bin", data)
    stored = httpx.post(ticket["s3_url"], data=ticket["fields"], files={"file": ("d.bin", data, ticket["mime_type"])})
    assert stored.status_code == 201
    readme = user.api.get(f"/repos/{repo}/contents/README.md").json()
    raw = base64.b64decode(readme["content"])
    archive = httpx.get(f"{server.url}/{repo}/archive/refs/heads/main.tar.gz").content
    token = {"Authorization": f"token {user.token}"}
    return [
        (asset["url"], {**token, "Accept": "application/octet-stream"}, data),
        (asset["browser_download_url"], {}, data),
        (ticket["html_url"], {}, data),
        (readme["download_url"], {}, raw),
        (f"{server.api}/repos/{repo}/contents/README.md", {**token, "Accept": "application/vnd.github.raw"}, raw),
        (f"{server.url}/{repo}/archive/refs/heads/main.tar.gz", {}, archive),
    ]


def test_unknown_range_units_are_ignored(downloads):
    for url, headers, whole in downloads:
        for value in ("items=0-1", "bytes=5-3", "bytes=abc", "bytes", "=0-1"):
            r = httpx.get(url, headers={**headers, "Range": value}, follow_redirects=True)
            assert (r.status_code, r.content) == (200, whole), (url, value, r.status_code, r.text[:100])
            assert "content-range" not in r.headers
    url, headers, whole = downloads[0]
    part = httpx.get(url, headers={**headers, "Range": "bytes=2-4"})
    assert (part.status_code, part.content, part.headers["content-range"]) == (206, whole[2:5], "bytes 2-4/10")
    assert httpx.get(url, headers={**headers, "Range": "bytes=99-"}).status_code == 416
