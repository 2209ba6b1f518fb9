"""The read cache: whole API answers to GET and HEAD, kept per process and served by the edge
without routing, database or rendering.

An answer is stored with the generation (db/generation.py) read before it was computed, and is used
only while no write that could change it has ended since, in any process on the same data dir (or,
with PostgreSQL, on any host: db/coherence.py): an answer under /repos/{owner}/{repo} outlives writes
to other repositories (requests name the repository they write, http/observe), any other answer
outlives no write. Keys carry everything an answer
depends on: path and query, Accept, API version, and the caller's token. Only answers a handler
marks cacheable (scope["hubdepot.cacheable"], set by api/_base.json_response for 200s) are kept, for
at most TTL seconds (signed URLs inside them last longer), within a byte budget (least recently
used out first). With rate limits on, the edge does not use the cache (each answer's headers differ).
"""

from __future__ import annotations

import dataclasses
import re
import time
from typing import Any, Protocol

from hubdepot import metrics
from hubdepot.bounded import Bounded
from hubdepot.db.generation import Generation

TTL = 60.0
MAX_BYTES = 32 * 1024 * 1024
MAX_ENTRY = 1024 * 1024
_REPOSITORY = re.compile(r"^/api/(?:v3|uploads)/repos/([^/]+)/([^/]+)(?:/|$)")


def repository_of(path: str) -> str | None:
    """The repository ("owner/repo", lower case) an API path is about, or None."""
    found = _REPOSITORY.match(path)
    return f"{found[1]}/{found[2]}".lower() if found else None


class Answer(Protocol):
    """What the edge sends without routing: the read cache's entries, a surface's early answers."""

    @property
    def headers(self) -> list[tuple[bytes, bytes]]: ...

    @property
    def body(self) -> bytes: ...

    @property
    def etag(self) -> str | None: ...


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


def _tally(result: str) -> None:
    counts = metrics.TALLY.cache
    counts[result] = counts.get(result, 0) + 1


class ReadCache:
    def __init__(self, generation: Generation, max_bytes: int = MAX_BYTES):
        self.generation = generation
        self._entries: Bounded[Entry] = Bounded(max_bytes, lambda entry: entry.size)

    def get(self, key: tuple[Any, ...], repository: str | None) -> Entry | None:
        """The answer kept for `key` while it holds; `repository`: the one its path is about
        (repository_of(key[0]), which http/observe has named for the request already)."""
        entry = self._entries.get(key)
        if entry is None:
            _tally("miss")
            return None
        valid = self.generation.valid(entry.generation, repository)
        if not valid or entry.expires < time.monotonic():
            _tally("invalidated")
            self._entries.drop(key)
            return None
        _tally("hit")
        return entry

    def put(self, key: tuple[Any, ...], generation: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        if len(body) > MAX_ENTRY or generation < 0:  # (< 0: computed while not coherent)
            return
        etag = next((v.decode("latin-1") for k, v in headers if k == b"etag"), None)
        self._entries.put(key, Entry(generation, time.monotonic() + TTL, headers, body, etag))
