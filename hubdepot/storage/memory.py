"""In-memory storage, for tests and throwaway servers."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from hubdepot.storage import CHUNK, key_for


class MemoryWriter:
    def __init__(self, store: MemoryStorage) -> None:
        self._store = store
        self._parts: list[bytes] = []
        self._hash = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes | memoryview) -> None:
        self._hash.update(data)
        self._parts.append(bytes(data))
        self.size += len(data)

    def commit(self) -> tuple[str, str]:
        digest = self._hash.hexdigest()
        key = key_for(digest)
        with self._store.lock:
            self._store.blobs[key] = b"".join(self._parts)
            self._store.times[key] = time.time()
        self._parts = []
        return key, digest

    def abort(self) -> None:
        self._parts = []


class MemoryStorage:
    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}
        self.times: dict[str, float] = {}
        self.lock = threading.Lock()

    def writer(self, partial: str | None = None, fresh: bool = False) -> MemoryWriter:
        return MemoryWriter(self)  # (no partial blobs here: a crashed writer's bytes start over)

    def drop_partials(self, prefix: str) -> int:
        return 0

    def read(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        data = self.blobs[key]
        stop = len(data) if end is None else min(end, len(data))
        for offset in range(start, stop, CHUNK):
            yield data[offset : min(offset + CHUNK, stop)]

    def exists(self, key: str) -> bool:
        return key in self.blobs

    def size(self, key: str) -> int | None:
        data = self.blobs.get(key)
        return None if data is None else len(data)

    def modified(self, key: str) -> float | None:
        return self.times.get(key) if key in self.blobs else None

    def delete(self, key: str) -> None:
        with self.lock:
            self.blobs.pop(key, None)
            self.times.pop(key, None)

    def keys(self) -> Iterator[str]:
        yield from list(self.blobs)

    def local_path(self, key: str) -> Path | None:
        return None

    def presigned_get(self, key: str, *, filename: str, content_type: str, expires: int) -> str | None:
        return None
