"""Blob storage: one protocol, several backends (local disk, memory, S3). Keys are content-addressed."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from hubdepot.config import Settings

CHUNK = 1024 * 1024


def key_for(sha256_hex: str) -> str:
    return f"sha256/{sha256_hex[:2]}/{sha256_hex[2:4]}/{sha256_hex}"


@dataclasses.dataclass(frozen=True)
class Stored:
    """A blob to serve (http/files.serve) and how to present it."""

    key: str
    size: int
    digest: str  # sha256 hex: the ETag
    filename: str
    media_type: str = "application/octet-stream"
    modified: dt.datetime | None = None
    cache_control: str | None = None
    count: Callable[[], None] | None = None  # records one download (runs in the thread pool)


class BlobWriter(Protocol):
    size: int

    def write(self, data: bytes | memoryview) -> None:
        """Append `data` (a memoryview may be of a buffer the caller reuses: what is kept is copied)."""

    def commit(self) -> tuple[str, str]:
        """Make the bytes durable under their content key; returns (key, sha256 hex)."""

    def abort(self) -> None: ...


class BlobStorage(Protocol):
    def writer(self, partial: str | None = None, fresh: bool = False) -> BlobWriter:
        """A new blob. `partial` (local disk only; others start afresh): a name under which the bytes
        written so far survive a crash or abort() and are taken up again by the next writer of that
        name (its `size` says how many); `fresh` drops them first."""

    def drop_partials(self, prefix: str) -> int:
        """Forget the partial blobs whose names start with `prefix` (how many there were)."""

    def read(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Bytes [start, end) of a blob, in chunks."""

    def exists(self, key: str) -> bool: ...

    def size(self, key: str) -> int | None: ...

    def modified(self, key: str) -> float | None:
        """When the blob was last committed (epoch seconds), None when absent. gc's grace period uses it."""

    def delete(self, key: str) -> None: ...

    def keys(self) -> Iterator[str]: ...

    def local_path(self, key: str) -> Path | None:
        """A file the server may send directly (local backend), else None."""

    def presigned_get(self, key: str, *, filename: str, content_type: str, expires: int) -> str | None:
        """A short-lived URL the client may fetch directly (S3 backend), else None."""


@runtime_checkable
class DirectUploads(Protocol):
    """Optional: a backend clients upload to directly with a presigned POST (S3)."""

    def presigned_post(
        self, name: str, *, fields: dict[str, str], conditions: Sequence[object], expires: int
    ) -> tuple[str, dict[str, str]]:
        """(url, form fields) of a POST policy for the object `name`; `conditions` are S3's policy
        conditions (objects and [operator, field, value] lists)."""

    def claim(self, name: str, size: int) -> tuple[str, str] | None:
        """Move the posted object `name`, once there with `size` bytes, to its content key: (key, sha256)."""

    def discard(self, name: str) -> None: ...


def open_storage(settings: Settings) -> BlobStorage:
    url = settings.storage
    if url.startswith("s3://"):
        from hubdepot.storage.s3 import S3Storage

        return S3Storage.from_settings(settings)
    if url.startswith("memory://"):
        from hubdepot.storage.memory import MemoryStorage

        return MemoryStorage()
    from hubdepot.storage.local import LocalStorage

    root = Path(url.removeprefix("file://")) if url else settings.blobs_dir
    return LocalStorage(root)
