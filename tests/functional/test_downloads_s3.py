"""Downloads on S3 storage: the presigned POST straight to the bucket, claimed when first fetched;
and s3_download=proxy, where part 2 goes through the embedded endpoint and the bytes through hubdepot."""

from __future__ import annotations

import hashlib
import os

import httpx
import pytest

from hubdepot.config import Settings
from hubdepot.storage import key_for, open_storage
from tests.conftest import unique
from tests.functional.test_downloads import create, fetch, upload
from tests.support import s3
from tests.support import server as server_support
from tests.support.releases import settled_count
from tests.support.server import CheckedClient


def bucket_keys(storage) -> list[str]:
    listed = storage.client.list_objects_v2(Bucket=storage.bucket, Prefix=storage.object_key(""))
    return [item["Key"] for item in listed.get("Contents", [])]


@pytest.mark.storage_matrix
def test_presigned_post_is_claimed_on_read(backend, server, server_hub, user, repo):
    if not backend.endswith("-s3"):
        pytest.skip("S3 storage only")
    storage = server_hub.storage
    data = os.urandom(3000)
    body = create(user.api, repo, "claimed.bin", data)
    pending = storage.object_key(f"downloads/{repo}/claimed.bin")
    assert body["path"] == pending and body["s3_url"] == f"{s3.endpoint()}/{storage.bucket}"
    assert upload(body, data).status_code == 201
    assert pending in bucket_keys(storage)
    listed = user.api.get(f"/repos/{repo}/downloads/{body['id']}").json()
    assert listed["size"] == len(data) and listed["download_count"] == 0
    first = httpx.get(body["html_url"])  # claims the object: content key, digest, state uploaded
    assert first.status_code == 302 and "X-Amz-Signature=" in first.headers["location"]
    assert fetch(first.headers["location"]).content == data
    key = key_for(hashlib.sha256(data).hexdigest())
    assert pending not in bucket_keys(storage) and storage.object_key(key) in bucket_keys(storage)
    assert user.api.delete(body["url"]).status_code == 204
    assert storage.object_key(key) not in bucket_keys(storage)


@pytest.mark.storage_matrix
def test_wrong_size_is_never_served_and_delete_discards_it(backend, server, server_hub, user, repo):
    if not backend.endswith("-s3"):
        pytest.skip("S3 storage only")
    storage = server_hub.storage
    body = create(user.api, repo, "short.bin", b"0123456789")
    httpx.post(body["s3_url"], data=body["fields"], files={"file": ("short.bin", b"012")})
    pending = storage.object_key(f"downloads/{repo}/short.bin")
    assert pending in bucket_keys(storage)  # moto does not enforce content-length-range; hubdepot does
    assert fetch(body["html_url"]).status_code == 404
    assert user.api.delete(body["url"]).status_code == 204
    assert pending not in bucket_keys(storage)


@pytest.fixture(scope="module")
def proxy_server(tmp_path_factory):
    env = s3.settings_env(s3.new_bucket("proxy")) | {"HUBDEPOT_S3_DOWNLOAD": "proxy"}
    srv = server_support.start(tmp_path_factory.mktemp("server-s3-proxy"), env=env)
    yield srv
    srv.stop()


def test_proxy_mode_uses_the_embedded_endpoint(proxy_server):
    storage = open_storage(Settings.load(env=proxy_server.env))
    api = CheckedClient(base_url=proxy_server.api, headers={"Authorization": f"token {proxy_server.token}"})
    repo = "admin/" + unique("proxy")
    assert api.post("/user/repos", json={"name": repo.split("/")[1], "auto_init": True}).status_code == 201
    data = os.urandom(9 * 1024 * 1024 + 7)  # a multipart upload to S3 (8 MiB parts) behind the endpoint
    body = create(api, repo, "big.bin", data)
    assert body["s3_url"] == proxy_server.url + "/" and body["accesskeyid"].startswith("HD")
    sent = upload(body, data)
    assert sent.status_code == 201, sent.text
    key = key_for(hashlib.sha256(data).hexdigest())
    assert storage.size(key) == len(data)
    got = httpx.get(body["html_url"])
    assert got.status_code == 200 and got.content == data  # proxied: no redirect to the bucket
    part = httpx.get(body["html_url"], headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == data[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(data)}"
    assert httpx.get(body["html_url"], headers={"Range": f"bytes={len(data) + 5}-"}).status_code == 416
    assert settled_count(api, body["url"]) == 1  # a range that does not reach the end does not count
    assert api.delete(body["url"]).status_code == 204 and not storage.exists(key)
    api.close()
