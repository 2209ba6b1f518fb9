"""The legacy Downloads API through HTTP on a real server: part 1, part 2 (wherever s3_url points:
the embedded endpoint, or the bucket on S3), the html_url, delete. Run on every storage backend."""

from __future__ import annotations

import base64
import hashlib
import json

import httpx
import pytest

from hubdepot.storage import key_for
from tests.conftest import unique
from tests.support.releases import settled_count

pytestmark = pytest.mark.storage_matrix


def create(api, repo: str, name: str, data: bytes = b"", **extra):
    r = api.post(f"/repos/{repo}/downloads", json={"name": name, "size": len(data), **extra})
    assert r.status_code == 201, r.text
    return r.json()


def upload(body: dict, data: bytes, **fields) -> httpx.Response:
    """Part 2 as a browser form would send it: the returned fields, then the file last."""
    form = {**body["fields"], **fields}
    return httpx.post(body["s3_url"], data=form, files={"file": (body["name"], data, body["mime_type"])}, timeout=60)


def fetch(url: str, **kw) -> httpx.Response:
    return httpx.get(url, follow_redirects=True, timeout=60, **kw)


def expected(
    server, repo: str, body: dict, name: str, size: int, content_type: str, description=None, count: int = 0
) -> dict:
    return {
        "url": f"{server.api}/repos/{repo}/downloads/{body['id']}",
        "html_url": f"{server.url}/downloads/{repo}/{name}",
        "id": body["id"],
        "name": name,
        "description": description,
        "size": size,
        "download_count": count,
        "content_type": content_type,
        "created_at": body["created_at"],
    }


def test_create_list_get(server, backend, user, repo):
    r = user.api.post(
        f"/repos/{repo}/downloads",
        json={"name": "new_file.jpg", "size": 114034, "description": "Latest release", "content_type": "text/plain"},
    )
    assert r.status_code == 201, r.text
    body = r.json()
    plain = expected(server, repo, body, "new_file.jpg", 114034, "text/plain", "Latest release")
    assert {k: body[k] for k in plain} == plain
    assert r.headers["location"] == plain["url"]
    assert body["created_at"].endswith("Z") and body["redirect"] is False and body["mime_type"] == "image/jpeg"
    policy = json.loads(base64.b64decode(body["policy"]))
    assert ["content-length-range", 114034, 114034] in policy["conditions"]
    assert {"Content-Type": "image/jpeg"} in policy["conditions"]
    assert (
        body["path"].endswith(f"downloads/{repo}/new_file.jpg")
        and body["prefix"] == body["path"][: -len("new_file.jpg")]
    )
    assert body["expirationdate"].endswith("Z") and policy["expiration"].startswith(body["expirationdate"][:-1])
    if backend.endswith("-s3"):
        assert body["s3_url"].endswith("/" + body["bucket"]) and body["acl"] == "bucket-owner-full-control"
        assert (
            body["fields"]["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
            and body["signature"] == body["fields"]["x-amz-signature"]
        )
        assert body["fields"]["x-amz-credential"].startswith(body["accesskeyid"] + "/")
    else:
        assert body["s3_url"] == server.url + "/" and body["bucket"] == "hubdepot" and body["acl"] == "public-read"
        assert body["path"] == f"downloads/{repo}/new_file.jpg" and body["accesskeyid"].startswith("HD")
        assert list(body["fields"]) == [
            "key",
            "acl",
            "success_action_status",
            "Filename",
            "AWSAccessKeyId",
            "Policy",
            "Signature",
            "Content-Type",
        ]
    listed = user.api.get(f"/repos/{repo}/downloads")
    assert listed.status_code == 200 and listed.json() == [plain] and "link" not in listed.headers
    got = user.api.get(f"/repos/{repo}/downloads/{body['id']}")
    assert got.status_code == 200 and got.json() == plain
    repo_id = user.api.get(f"/repos/{repo}").json()["id"]
    assert user.api.get(f"/repositories/{repo_id}/downloads/{body['id']}").json() == plain
    assert user.api.get(f"/repos/{repo}/downloads/999999").status_code == 404
    assert user.api.get(f"/repos/{repo}/downloads/nope").status_code == 404


def test_default_content_type_and_null_description(server, user, repo):
    py = create(user.api, repo, "Hook.py", b"x", description="")
    assert py["content_type"] == ".py" and py["description"] == "" and py["mime_type"] == "text/x-python"
    bare = create(user.api, repo, "LICENSE", b"x")
    assert bare["content_type"] == "application/octet-stream" and bare["description"] is None
    typed = create(user.api, repo, "data", b"xy", content_type="application/x-custom")
    assert typed["content_type"] == "application/x-custom" and typed["mime_type"] == "application/x-custom"


def test_validation(user, repo):
    def post(payload):
        return user.api.post(f"/repos/{repo}/downloads", json=payload)

    missing = post({"size": 1})
    assert missing.status_code == 422 and missing.json()["message"] == 'Invalid request.\n\n"name" wasn\'t supplied.'
    assert post({"name": "a"}).json()["message"] == 'Invalid request.\n\n"size" wasn\'t supplied.'
    typed = post({"name": "a", "size": "big"})
    assert (
        typed.status_code == 422
        and typed.json()["message"] == "Invalid request.\n\nFor 'properties/size', \"big\" is not a number."
    )
    assert (
        post({"name": "a", "size": 1.5}).json()["message"]
        == "Invalid request.\n\nFor 'properties/size', 1.5 is not an integer."
    )
    assert (
        post({"name": "a", "size": None}).json()["message"]
        == "Invalid request.\n\nFor 'properties/size', null is not a number."
    )
    assert (
        post({"name": 5, "size": 1}).json()["message"]
        == "Invalid request.\n\nFor 'properties/name', 5 is not a string."
    )
    assert post({"name": "a", "size": 1, "description": 3}).status_code == 422
    for bad_name in ("", "a/b", "..", "x" * 256):
        r = post({"name": bad_name, "size": 1})
        assert r.status_code == 422 and r.json()["errors"] == [
            {"resource": "Download", "code": "invalid", "field": "name"}
        ]
    negative = post({"name": "a", "size": -1})
    assert negative.json()["errors"] == [{"resource": "Download", "code": "invalid", "field": "size"}]
    assert post({"name": "dup.txt", "size": 1.0}).status_code == 201
    dup = post({"name": "dup.txt", "size": 1})
    assert dup.status_code == 422 and dup.json()["message"] == "Validation Failed"
    assert dup.json()["errors"] == [{"resource": "Download", "code": "already_exists", "field": "name"}]
    broken = user.api.post(f"/repos/{repo}/downloads", content=b"{nope")
    assert broken.status_code == 400 and broken.json()["message"] == "Problems parsing JSON"


def test_permissions(user, repo, make_user, client_for):
    body = create(user.api, repo, "perm.txt", b"x")
    _, token = make_user()
    stranger, anonymous = client_for(token), client_for()
    assert stranger.get(f"/repos/{repo}/downloads").status_code == 200
    assert anonymous.get(f"/repos/{repo}/downloads/{body['id']}").status_code == 200
    assert stranger.post(f"/repos/{repo}/downloads", json={"name": "s", "size": 1}).status_code == 404
    refused = anonymous.post(f"/repos/{repo}/downloads", json={"name": "s", "size": 1})
    assert refused.status_code == 401 and refused.json()["message"] == "Requires authentication"
    assert stranger.delete(f"/repos/{repo}/downloads/{body['id']}").status_code == 404
    name = unique("priv")
    assert user.api.post("/user/repos", json={"name": name, "private": True}).status_code == 201
    assert anonymous.get(f"/repos/{user.login}/{name}/downloads").status_code == 404
    assert stranger.get(f"/repos/{user.login}/{name}/downloads").status_code == 404


def test_upload_serve_count_delete(server, server_hub, backend, user, repo):
    data = b"the bytes of a legacy download\n" * 100
    body = create(user.api, repo, "tool-1.0.tar.gz", data, description="first")
    assert fetch(body["html_url"]).status_code == 404  # part 2 not done: not served
    pending = user.api.get(f"/repos/{repo}/downloads").json()
    assert pending == [expected(server, repo, body, "tool-1.0.tar.gz", len(data), ".gz", "first")]
    sent = upload(body, data)
    assert sent.status_code == 201, sent.text
    got = fetch(body["html_url"])
    assert got.status_code == 200 and got.content == data
    assert got.headers["content-type"] == "application/gzip"
    assert got.headers["content-disposition"].startswith('attachment; filename="tool-1.0.tar.gz"')
    if not backend.endswith("-s3"):
        assert got.headers["etag"] == f'"{hashlib.sha256(data).hexdigest()}"'
        part = fetch(body["html_url"], headers={"Range": "bytes=4-8"})
        assert part.status_code == 206 and part.content == data[4:9]
        head = httpx.head(body["html_url"])
        assert head.status_code == 200 and head.headers["content-length"] == str(len(data))
        assert httpx.get(body["html_url"]).content == data
    else:
        first = httpx.get(body["html_url"])
        assert first.status_code == 302 and first.headers["location"].startswith(body["s3_url"].rsplit("/", 1)[0])
    assert settled_count(user.api, f"/repos/{repo}/downloads/{body['id']}") == 2
    key = key_for(hashlib.sha256(data).hexdigest())
    assert server_hub.storage.exists(key)
    assert user.api.delete(f"/repos/{repo}/downloads/{body['id']}").status_code == 204
    assert user.api.get(f"/repos/{repo}/downloads/{body['id']}").status_code == 404
    assert fetch(body["html_url"]).status_code == 404
    assert not server_hub.storage.exists(key)  # the bytes go with it


def test_shared_bytes_survive_one_delete(server_hub, user, repo):
    data = b"same bytes " + unique().encode()
    one, two = create(user.api, repo, "one.bin", data), create(user.api, repo, "two.bin", data)
    assert upload(one, data).status_code == 201 and upload(two, data).status_code == 201
    assert fetch(one["html_url"]).content == data and fetch(two["html_url"]).content == data
    assert user.api.delete(one["url"]).status_code == 204
    assert fetch(two["html_url"]).content == data
    assert user.api.delete(two["url"]).status_code == 204
    assert not server_hub.storage.exists(key_for(hashlib.sha256(data).hexdigest()))


def test_pagination(server, user, repo):
    ids = [create(user.api, repo, f"f{i}.txt", b"x")["id"] for i in range(3)]
    repo_id = user.api.get(f"/repos/{repo}").json()["id"]
    first = user.api.get(f"/repos/{repo}/downloads", params={"per_page": 2})
    assert [d["id"] for d in first.json()] == ids[::-1][:2]
    base = f"{server.api}/repositories/{repo_id}/downloads"
    assert first.headers["link"] == (f'<{base}?per_page=2&page=2>; rel="next", <{base}?per_page=2&page=2>; rel="last"')
    second = user.api.get(f"/repos/{repo}/downloads", params={"per_page": 2, "page": 2})
    assert [d["id"] for d in second.json()] == [ids[0]]
    assert user.api.get(f"/repos/{repo}/downloads", params={"per_page": 2, "page": 3}).json() == []


def test_private_download_needs_a_token(user, make_user):
    name = unique("priv")
    assert user.api.post("/user/repos", json={"name": name, "private": True}).status_code == 201
    data = b"secret"
    body = create(user.api, f"{user.login}/{name}", "s.bin", data)
    assert upload(body, data).status_code == 201
    assert fetch(body["html_url"]).status_code == 404
    _, stranger = make_user()
    assert fetch(body["html_url"], headers={"Authorization": f"token {stranger}"}).status_code == 404
    mine = httpx.get(body["html_url"], headers={"Authorization": f"token {user.token}"})
    assert mine.status_code in (200, 302)
    final = mine if mine.status_code == 200 else fetch(mine.headers["location"])
    assert final.content == data


def test_names_with_spaces_and_unicode(server, user, repo):
    name = "my file \u00e9t\u00e9 (1).txt"
    data = b"unicode name"
    body = create(user.api, repo, name, data)
    assert body["html_url"] == f"{server.url}/downloads/{repo}/my%20file%20%C3%A9t%C3%A9%20%281%29.txt"
    assert body["name"] == name and body["path"].endswith(f"/{name}")
    assert upload(body, data).status_code == 201
    got = fetch(body["html_url"])
    assert got.status_code == 200 and got.content == data
    assert got.headers["content-disposition"].endswith("filename*=UTF-8''my%20file%20%C3%A9t%C3%A9%20%281%29.txt")
