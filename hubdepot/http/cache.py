"""The read cache: whole API answers to GET and HEAD, kept per process and served by the edge
without routing, database or rendering.

An answer is stored with the generation (db/generation.py) read before it was computed, and is used
only while the generation still holds that value: every write transaction, in any process on the
same data dir, moves it, so no cached answer outlives a write. Keys carry everything an answer
depends on: path and query, Accept, API version, and the caller's token. Only answers a handler
marks cacheable (scope["hubdepot.cacheable"], set by api/_base.json_response for 200s) are kept, for
at most TTL seconds (signed URLs inside them last longer), within a byte budget (least recently
used out first). With rate limits on, the edge does not use the cache (each answer's headers differ).
"""

from __future__ import annotations

import dataclasses
import time

from hubdepot.bounded import Bounded
from hubdepot.db.generation import Generation

TTL = 60.0
MAX_BYTES = 32 * 1024 * 1024
MAX_ENTRY = 1024 * 1024


@dataclasses.dataclass(frozen=True)
class Entry:
    generation: int
    expires: float
    headers: list[tuple[bytes, bytes]]
    body: bytes
    etag: str | None

    @property
    def size(self) -> int:
        return len(self.body) + sum(len(k) + len(v) for k, v in self.headers) + 200


class ReadCache:
    def __init__(self, generation: Generation, max_bytes: int = MAX_BYTES):
        self.generation = generation
        self._entries: Bounded[Entry] = Bounded(max_bytes, lambda entry: entry.size)

    def get(self, key: tuple) -> Entry | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.generation != self.generation.current() or entry.expires < time.monotonic():
            self._entries.drop(key)
            return None
        return entry

    def put(self, key: tuple, generation: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        if len(body) > MAX_ENTRY:
            return
        etag = next((v.decode("latin-1") for k, v in headers if k == b"etag"), None)
        self._entries.put(key, Entry(generation, time.monotonic() + TTL, headers, body, etag))
