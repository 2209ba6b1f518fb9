"""One blob arriving from outside, the one way such bytes reach storage: a storage writer fed as the
bytes come (it hashes and counts), held to a limit on the way, then committed under its content key
or aborted, once. Uploads (api/uploads), the S3 POST endpoint (files/s3post) and the mirror
(mirror/source) all receive through an Intake."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from hubdepot.storage import BlobStorage


class Blob(NamedTuple):
    """Stored, verified bytes: their content key, sha256 hex and size."""

    key: str
    digest: str
    size: int


class Intake:
    """`limit` bytes at most: more raises `too_large()` (the owner then aborts). `partial` and `fresh`
    are the storage writer's (bytes that survive a crash, taken up by the next intake of that name)."""

    def __init__(
        self,
        storage: BlobStorage,
        limit: int,
        too_large: Callable[[], Exception],
        partial: str | None = None,
        fresh: bool = False,
    ) -> None:
        self.storage, self.limit, self.too_large, self.partial = storage, limit, too_large, partial
        self.writer = storage.writer(partial, fresh)

    @property
    def size(self) -> int:
        return self.writer.size

    def write(self, data: bytes | memoryview) -> None:
        if self.writer.size + len(data) > self.limit:
            raise self.too_large()
        self.writer.write(data)  # every backend copies what it keeps (a memoryview of a reused buffer is fine)

    def restart(self) -> None:
        """Drop what arrived (kept partial bytes too) and start again from nothing."""
        self.writer.abort()
        self.writer = self.storage.writer(self.partial, fresh=True)

    def commit(self) -> Blob:
        size = self.writer.size
        key, digest = self.writer.commit()
        return Blob(key, digest, size)

    def abort(self) -> None:
        self.writer.abort()
