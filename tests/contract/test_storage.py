"""The BlobStorage contract, run against every backend: memory, local disk, S3 (moto's server on loopback)."""

from __future__ import annotations

import hashlib
import os
import time
import uuid

import httpx
import pytest

from hubdepot import errors
from hubdepot.storage import CHUNK, DirectUploads, key_for
from hubdepot.storage.local import LocalStorage
from hubdepot.storage.memory import MemoryStorage
from tests.support import s3

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def bucket():
    return s3.new_bucket("contract")


def make_s3(bucket: str, **kw):
    from hubdepot.config import Settings
    from hubdepot.storage.s3 import S3Storage

    env = s3.settings_env(bucket, prefix=f"p-{uuid.uuid4().hex[:8]}")
    return S3Storage.from_settings(Settings.load(env=env), part_size=5 * MIB, **kw)


@pytest.fixture(params=["memory", "local", "s3"])
def storage(request, tmp_path, bucket):
    if request.param == "memory":
        return MemoryStorage()
    if request.param == "local":
        return LocalStorage(tmp_path / "blobs")
    return make_s3(bucket)


def put(storage, data: bytes, piece: int = 65536) -> tuple[str, str]:
    writer = storage.writer()
    for offset in range(0, len(data), piece):
        writer.write(data[offset : offset + piece])
    assert writer.size == len(data)
    return writer.commit()


def test_commit_is_content_addressed(storage):
    data = b"hello, blob\n"
    key, digest = put(storage, data)
    assert digest == hashlib.sha256(data).hexdigest()
    assert key == key_for(digest) == f"sha256/{digest[:2]}/{digest[2:4]}/{digest}"
    assert storage.exists(key) and storage.size(key) == len(data)
    assert b"".join(storage.read(key)) == data
    assert list(storage.keys()) == [key]


def test_ranges(storage):
    data = bytes(range(256)) * 4
    key, _ = put(storage, data)
    assert b"".join(storage.read(key, 10)) == data[10:]
    assert b"".join(storage.read(key, 10, 20)) == data[10:20]
    assert b"".join(storage.read(key, 0, 1)) == data[:1]
    assert b"".join(storage.read(key, 1000, 5000)) == data[1000:]
    assert b"".join(storage.read(key, 7, 7)) == b""
    assert b"".join(storage.read(key, len(data))) == b""


def test_empty_blob(storage):
    key, digest = put(storage, b"")
    assert digest == hashlib.sha256(b"").hexdigest()
    assert storage.size(key) == 0 and b"".join(storage.read(key)) == b""


def test_same_bytes_twice_is_one_blob_and_refreshes_its_time(storage):
    key, _ = put(storage, b"twice")
    first = storage.modified(key)
    assert first is not None and abs(first - time.time()) < 120
    time.sleep(1.1)  # S3 keeps whole seconds
    again, _ = put(storage, b"twice")
    assert again == key and list(storage.keys()) == [key]
    assert storage.modified(key) > first


def test_missing_and_delete(storage):
    missing = key_for("0" * 64)
    assert not storage.exists(missing) and storage.size(missing) is None and storage.modified(missing) is None
    storage.delete(missing)  # deleting nothing is fine
    key, _ = put(storage, b"gone soon")
    other, _ = put(storage, b"stays")
    storage.delete(key)
    assert not storage.exists(key) and storage.size(key) is None
    assert list(storage.keys()) == [other]


def test_abort_leaves_nothing(storage):
    writer = storage.writer()
    writer.write(b"x" * 1000)
    writer.abort()
    assert list(storage.keys()) == []


def test_big_blob_streams_in_chunks(storage):
    data = os.urandom(11 * MIB + 123)  # three parts of a multipart upload on S3
    key, digest = put(storage, data, piece=1_000_003)
    assert digest == hashlib.sha256(data).hexdigest()
    assert storage.size(key) == len(data)
    chunks = list(storage.read(key))
    assert all(len(c) <= CHUNK for c in chunks) and b"".join(chunks) == data
    assert b"".join(storage.read(key, 5 * MIB - 3, 5 * MIB + 3)) == data[5 * MIB - 3 : 5 * MIB + 3]
    assert list(storage.keys()) == [key]


def test_local_path_and_presigned_get(storage):
    key, _ = put(storage, b"direct bytes")
    path = storage.local_path(key)
    url = storage.presigned_get(key, filename="r\u00e9sum\u00e9 1.txt", content_type="text/plain", expires=60)
    if isinstance(storage, LocalStorage):
        assert path.read_bytes() == b"direct bytes" and url is None
    elif isinstance(storage, MemoryStorage):
        assert path is None and url is None
    else:
        assert path is None
        got = httpx.get(url)
        assert got.status_code == 200 and got.content == b"direct bytes"
        assert got.headers["content-type"] == "text/plain"
        assert got.headers["content-disposition"] == (
            "attachment; filename=\"r?sum? 1.txt\"; filename*=UTF-8''r%C3%A9sum%C3%A9%201.txt"
        )


# -- S3 only -------------------------------------------------------------------


def test_s3_abort_cleans_the_multipart_upload(bucket):
    storage = make_s3(bucket)
    writer = storage.writer()
    writer.write(os.urandom(6 * MIB))  # one part sent
    writer.abort()
    listed = storage.client.list_multipart_uploads(Bucket=bucket, Prefix=storage.prefix)
    assert listed.get("Uploads", []) == []
    objects = storage.client.list_objects_v2(Bucket=bucket, Prefix=storage.prefix)
    assert objects.get("KeyCount") == 0


def test_s3_no_temporary_objects_after_commit(bucket):
    storage = make_s3(bucket)
    key, _ = put(storage, os.urandom(6 * MIB))
    objects = storage.client.list_objects_v2(Bucket=bucket, Prefix=storage.prefix)
    assert [o["Key"] for o in objects["Contents"]] == [storage.object_key(key)]


def test_s3_errors_are_translated():
    from hubdepot.config import Settings
    from hubdepot.storage.s3 import S3Storage

    storage = S3Storage.from_settings(Settings.load(env=s3.settings_env("no-such-bucket-here")))
    writer = storage.writer()
    writer.write(b"data")
    with pytest.raises(errors.Unavailable):
        writer.commit()
    with pytest.raises(errors.HubdepotError):
        b"".join(storage.read(key_for("1" * 64)))


def test_s3_direct_uploads(bucket):
    storage = make_s3(bucket)
    assert isinstance(storage, DirectUploads)
    assert not isinstance(MemoryStorage(), DirectUploads)
    name = "downloads/o/r/file.bin"
    conditions = [["content-length-range", 5, 5], {"Content-Type": "application/octet-stream"}]
    url, fields = storage.presigned_post(
        name, fields={"Content-Type": "application/octet-stream"}, conditions=conditions, expires=60
    )
    assert fields["key"] == storage.object_key(name)
    assert {"policy", "x-amz-signature", "x-amz-credential", "x-amz-algorithm", "x-amz-date"} <= set(fields)
    assert storage.claim(name, 5) is None  # nothing posted yet
    posted = httpx.post(url, data=fields, files={"file": ("file.bin", b"12345")})
    assert posted.status_code == 204, posted.text
    assert storage.claim(name, 6) is None  # not the declared size: left alone
    key, digest = storage.claim(name, 5)
    assert digest == hashlib.sha256(b"12345").hexdigest() and b"".join(storage.read(key)) == b"12345"
    assert storage.claim(name, 5) is None  # moved: the posted object is gone
    storage.discard(name)


def test_s3_sweep_removes_what_dead_writers_left(bucket):
    storage = make_s3(bucket)
    dead = storage.writer()
    dead.write(os.urandom(6 * MIB))  # a multipart upload begun by a process that then died
    key, _ = put(storage, b"kept")
    # (moto dates every multipart upload 2010-11-10, so "younger than" is only checkable on real S3)
    assert storage.sweep(0) == 1
    assert storage.client.list_multipart_uploads(Bucket=bucket, Prefix=storage.prefix).get("Uploads", []) == []
    assert list(storage.keys()) == [key]
