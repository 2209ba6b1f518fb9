"""Counters that say "something changed", shared by every process on a data dir (and, with
PostgreSQL, kept moving by every other host through db/coherence.py).

They live in a file mapped into memory: reading one costs a memory load, and every process that maps
the file sees the same page. Every write transaction bumps them after it ends
(db/session.Database.write), so an answer computed from state read after `current()` was read is
known to be current while no write that could change it has ended since.

- `current()` is a sequence number every write moves (offset 0, as the file has always had it):
  caches that depend on everything (sign-in lookups, pages) compare it for equality.
- A write may name the one repository it concerns (WRITE_SCOPE, set per request from the request's
  path by http/observe): it then marks that repository's slot (one of SLOTS, by a hash of
  "owner/repo") with the new sequence number; a write that names none marks "all". The read cache
  keeps a repository's answer while neither its slot nor "all" moved past the number it was computed
  at (`valid`), so a write to one repository leaves another's answers cached.

While a host's notification connection is down (db/coherence), `coherent` is False: `current()` then
never returns the same number twice and `valid()` is False, so no cache of this process is used
until it has caught up.
"""

from __future__ import annotations

import contextvars
import fcntl
import itertools
import mmap
import os
import struct
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path

_FORMAT = "<Q"
SLOTS = 4096
_SEQUENCE, _ORIGIN, _ALL, _FIRST_SLOT = 0, 8, 16, 24
_SIZE = _FIRST_SLOT + 8 * SLOTS

# The repository ("owner/repo", lower case) the writes of the running request concern; None: anything.
WRITE_SCOPE: contextvars.ContextVar[str | None] = contextvars.ContextVar("hubdepot_write_scope", default=None)


def slot_of(repository: str) -> int:
    return zlib.crc32(repository.lower().encode()) % SLOTS


class Generation:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            if os.fstat(self._fd).st_size < _SIZE:
                os.ftruncate(self._fd, _SIZE)  # zero-filled (an older 8-byte file keeps its sequence)
            self._map = mmap.mmap(self._fd, _SIZE)
            if not self._get(_ORIGIN):
                self._set(_ORIGIN, int.from_bytes(os.urandom(8), "little") or 1)
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self.origin = self._get(_ORIGIN)  # this host's name in notifications (all its processes share it)
        self.coherent = True
        self.pending: Callable[[], bool] = lambda: False  # a notification not yet applied (db/coherence)
        self.publish: Callable[[frozenset[int] | None], None] | None = None  # tells the other hosts
        self._never = itertools.count(-1, -1)

    def _get(self, offset: int) -> int:
        return int(struct.unpack_from(_FORMAT, self._map, offset)[0])

    def _set(self, offset: int, value: int) -> None:
        struct.pack_into(_FORMAT, self._map, offset, value)

    def current(self) -> int:
        if not self.coherent or self.pending():
            return next(self._never)  # equal to nothing kept: no cache is used
        return self._get(_SEQUENCE)

    def valid(self, seen: int, repository: str | None) -> bool:
        """Whether an answer computed after `current()` returned `seen` is still current: for an answer
        about one repository, no write to it nor any unscoped write since; otherwise no write at all."""
        if seen < 0 or not self.coherent or self.pending():
            return False
        if repository is None:
            return self._get(_SEQUENCE) == seen
        return self._get(_ALL) <= seen and self._get(_FIRST_SLOT + 8 * slot_of(repository)) <= seen

    def valid_for_accounts(self, seen: int) -> bool:
        """Whether a sign-in lookup (account, token, session) made after `current()` returned `seen` is
        still current: no write naming no repository since. Writes naming one (under
        /repos/{owner}/{repo}, a push, an asset download) change no account, token or session."""
        if seen < 0 or not self.coherent or self.pending():
            return False
        return self._get(_ALL) <= seen

    def bump(self) -> None:
        """After a write transaction: mark what it concerns (WRITE_SCOPE), then tell the other hosts."""
        repository = WRITE_SCOPE.get()
        slots = None if repository is None else frozenset((slot_of(repository),))
        self.apply(slots)
        if self.publish is not None:
            self.publish(slots)

    def apply(self, slots: Iterable[int] | None) -> None:
        """Mark `slots` (None: everything) as written now, on this host."""
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            sequence = self._get(_SEQUENCE) + 1
            self._set(_SEQUENCE, sequence)
            for slot in (None,) if slots is None else slots:
                self._set(_ALL if slot is None else _FIRST_SLOT + 8 * (slot % SLOTS), sequence)
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        self.coherent = False  # (current() no longer reads the closed map: it repeats no number)
        self._map.close()
        os.close(self._fd)
