"""S3 (or any S3-compatible service) through boto3: the only module that imports it.

Keys are content-addressed like every backend (sha256/ab/cd/<hex>), below the prefix of
`s3://bucket/prefix`. A writer cannot know the key before the last byte, so it streams a
multipart upload to a temporary object under `<prefix>/tmp/`, then copies it server-side to
its content key and deletes the temporary one (blobs smaller than one part go up in a single
PUT straight to their key). Memory stays at one part per writer; the sha256 is computed on the
way; a failed or abandoned upload is aborted. Every commit writes the final object again, so an
object's LastModified always tells when it was last committed (gc's grace period relies on it).

Besides the BlobStorage protocol this backend offers DirectUploads (presigned POSTs clients send
straight to the bucket, used by the legacy Downloads API).
"""

from __future__ import annotations

import contextlib
import hashlib
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from hubdepot import errors
from hubdepot.storage import CHUNK, key_for

if TYPE_CHECKING:
    from hubdepot.config import Settings

PART = 8 * 1024 * 1024
_MISSING = {"404", "NoSuchKey", "NotFound", "NoSuchUpload"}


def _code(exc: Exception) -> str:
    if not isinstance(exc, ClientError):
        return ""
    code: str = exc.response.get("Error", {}).get("Code", "")
    return code


@contextlib.contextmanager
def _translated(what: str) -> Iterator[None]:
    """boto3's errors become hubdepot's: a missing object is NotFound, anything else Unavailable."""
    try:
        yield
    except ClientError as exc:
        if _code(exc) in _MISSING:
            raise errors.NotFound(f"blob not found: {what}") from exc
        raise errors.Unavailable(f"Storage unavailable ({_code(exc) or 'error'})") from exc
    except BotoCoreError as exc:
        raise errors.Unavailable("Storage unavailable") from exc


def content_disposition(filename: str) -> str:
    """attachment with an ASCII fallback name and the exact UTF-8 one (RFC 6266 / 5987)."""
    ascii_name = filename.encode("ascii", "replace").decode().replace('"', "").replace("\\", "") or "download"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


class S3Writer:
    def __init__(self, store: S3Storage) -> None:
        self._store = store
        self._hash = hashlib.sha256()
        self._buffer = bytearray()
        self._upload_id: str | None = None
        self._parts: list[dict[str, str | int]] = []  # {"ETag", "PartNumber"} of each part sent
        self._temp = store.object_key(f"tmp/{uuid.uuid4().hex}")
        self.size = 0

    def write(self, data: bytes | memoryview) -> None:
        self._hash.update(data)
        self.size += len(data)
        self._buffer += data
        while len(self._buffer) >= self._store.part_size:
            self._send_part(self._store.part_size)

    def _send_part(self, length: int) -> None:
        client, bucket = self._store.client, self._store.bucket
        try:
            with _translated(self._temp):
                if self._upload_id is None:
                    self._upload_id = client.create_multipart_upload(Bucket=bucket, Key=self._temp)["UploadId"]
                number = len(self._parts) + 1
                body = bytes(self._buffer[:length])
                del self._buffer[:length]
                sent = client.upload_part(
                    Bucket=bucket, Key=self._temp, UploadId=self._upload_id, PartNumber=number, Body=body
                )
                self._parts.append({"ETag": sent["ETag"], "PartNumber": number})
        except errors.HubdepotError:
            self.abort()
            raise

    def commit(self) -> tuple[str, str]:
        digest = self._hash.hexdigest()
        key = key_for(digest)
        target = self._store.object_key(key)
        client, bucket = self._store.client, self._store.bucket
        try:
            if self._upload_id is None:
                with _translated(target):
                    client.put_object(Bucket=bucket, Key=target, Body=bytes(self._buffer))
            else:
                if self._buffer:
                    self._send_part(len(self._buffer))
                with _translated(self._temp):
                    client.complete_multipart_upload(
                        Bucket=bucket, Key=self._temp, UploadId=self._upload_id, MultipartUpload={"Parts": self._parts}
                    )
                    self._upload_id = None
                    self._store.copy(self._temp, target)
                    client.delete_object(Bucket=bucket, Key=self._temp)
        except errors.HubdepotError:
            self.abort()
            raise
        self._buffer = bytearray()
        return key, digest

    def abort(self) -> None:
        self._buffer = bytearray()
        upload_id, self._upload_id = self._upload_id, None
        with contextlib.suppress(ClientError, BotoCoreError):
            if upload_id is not None:
                self._store.client.abort_multipart_upload(Bucket=self._store.bucket, Key=self._temp, UploadId=upload_id)
            self._store.client.delete_object(Bucket=self._store.bucket, Key=self._temp)


class S3Storage:
    def __init__(self, client: Any, bucket: str, prefix: str = "", *, part_size: int = PART) -> None:
        self.client = client  # a boto3 S3 client (boto3 has no type stubs: its calls are untyped)
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.part_size = part_size
        self._transfer = TransferConfig(
            multipart_threshold=max(part_size, 5 * 1024 * 1024),
            multipart_chunksize=max(part_size, 5 * 1024 * 1024),
            use_threads=False,
        )

    @classmethod
    def from_settings(cls, settings: Settings, *, part_size: int = PART) -> S3Storage:
        bucket, _, prefix = settings.storage.removeprefix("s3://").partition("/")
        if not bucket:
            raise errors.BadRequest(f"no bucket in storage URL {settings.storage!r}")
        config = Config(
            signature_version="s3v4",
            retries={"max_attempts": 4, "mode": "standard"},
            s3={"addressing_style": "path" if settings.s3_endpoint_url else "auto"},
        )
        client = boto3.session.Session().client(
            "s3",
            endpoint_url=settings.s3_endpoint_url or None,
            region_name=settings.s3_region or None,
            aws_access_key_id=settings.s3_access_key_id or None,
            aws_secret_access_key=settings.s3_secret_access_key or None,
            config=config,
        )
        return cls(client, bucket, prefix, part_size=part_size)

    def object_key(self, name: str) -> str:
        """The bucket key of `name` (a blob key or another object name) below our prefix."""
        return f"{self.prefix}/{name}" if self.prefix else name

    def _blob(self, key: str) -> str:
        if not key.startswith("sha256/") or ".." in key:
            raise ValueError(f"bad blob key {key!r}")
        return self.object_key(key)

    def copy(self, source: str, target: str) -> None:
        """Server-side copy (multipart copy for big objects)."""
        self.client.copy({"Bucket": self.bucket, "Key": source}, self.bucket, target, Config=self._transfer)

    # -- BlobStorage -------------------------------------------------------
    def writer(self, partial: str | None = None, fresh: bool = False) -> S3Writer:
        return S3Writer(self)  # (no partial blobs here: a crashed writer's bytes start over)

    def drop_partials(self, prefix: str) -> int:
        return 0

    def read(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        if end is not None and end <= start:
            return
        extra: dict[str, str] = {}
        if start or end is not None:
            extra["Range"] = f"bytes={start}-{'' if end is None else end - 1}"
        try:
            with _translated(key):
                body = self.client.get_object(Bucket=self.bucket, Key=self._blob(key), **extra)["Body"]
        except errors.Unavailable as exc:
            if isinstance(exc.__cause__, Exception) and _code(exc.__cause__) == "InvalidRange":
                return  # start at or past the end: no bytes, as the other backends
            raise
        try:
            with _translated(key):
                yield from body.iter_chunks(CHUNK)
        finally:
            body.close()

    def _head(self, object_key: str) -> dict[str, Any] | None:
        try:
            with _translated(object_key):
                head: dict[str, Any] = self.client.head_object(Bucket=self.bucket, Key=object_key)
                return head
        except errors.NotFound:
            return None

    def exists(self, key: str) -> bool:
        return self._head(self._blob(key)) is not None

    def size(self, key: str) -> int | None:
        head = self._head(self._blob(key))
        return None if head is None else head["ContentLength"]

    def modified(self, key: str) -> float | None:
        head = self._head(self._blob(key))
        return None if head is None else head["LastModified"].timestamp()

    def delete(self, key: str) -> None:
        with _translated(key):
            self.client.delete_object(Bucket=self.bucket, Key=self._blob(key))

    def keys(self) -> Iterator[str]:
        start = self.object_key("sha256/")
        skip = len(self.object_key(""))
        with _translated(start):
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=start):
                for item in page.get("Contents", []):
                    yield item["Key"][skip:]

    def local_path(self, key: str) -> Path | None:
        return None

    def sweep(self, older_than: float) -> int:
        """Abort multipart uploads and delete temporary objects of writers that died, older than `older_than` s."""
        cutoff, prefix, removed = time.time() - older_than, self.object_key("tmp/"), 0
        with _translated(prefix):
            for page in self.client.get_paginator("list_multipart_uploads").paginate(Bucket=self.bucket, Prefix=prefix):
                for upload in page.get("Uploads", []):
                    if upload["Initiated"].timestamp() <= cutoff:
                        self.client.abort_multipart_upload(
                            Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                        )
                        removed += 1
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    if item["LastModified"].timestamp() <= cutoff:
                        self.client.delete_object(Bucket=self.bucket, Key=item["Key"])
                        removed += 1
        return removed

    def presigned_get(self, key: str, *, filename: str, content_type: str, expires: int) -> str | None:
        params = {
            "Bucket": self.bucket,
            "Key": self._blob(key),
            "ResponseContentType": content_type,
            "ResponseContentDisposition": content_disposition(filename),
        }
        with _translated(key):
            url: str = self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=expires)
            return url

    # -- DirectUploads -----------------------------------------------------
    def presigned_post(
        self, name: str, *, fields: dict[str, str], conditions: Sequence[object], expires: int
    ) -> tuple[str, dict[str, str]]:
        """(url, form fields) of a SigV4 POST policy for the object `name` below our prefix."""
        with _translated(name):
            post = self.client.generate_presigned_post(
                self.bucket, self.object_key(name), Fields=dict(fields), Conditions=list(conditions), ExpiresIn=expires
            )
        return post["url"], post["fields"]

    def claim(self, name: str, size: int) -> tuple[str, str] | None:
        """Move the object `name`, if it is there with `size` bytes, to its content key: (key, sha256)."""
        source = self.object_key(name)
        head = self._head(source)
        if head is None or head["ContentLength"] != size:
            return None
        writer = self.writer()
        try:
            with _translated(name):
                body = self.client.get_object(Bucket=self.bucket, Key=source)["Body"]
                try:
                    for chunk in body.iter_chunks(CHUNK):
                        writer.write(chunk)
                finally:
                    body.close()
            if writer.size != size:
                writer.abort()
                return None
            found = writer.commit()
        except BaseException:
            writer.abort()
            raise
        self.discard(name)
        return found

    def discard(self, name: str) -> None:
        with _translated(name):
            self.client.delete_object(Bucket=self.bucket, Key=self.object_key(name))
