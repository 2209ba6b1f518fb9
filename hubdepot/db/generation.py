"""One counter that says "something changed", shared by every process on a data dir.

It is an 8-byte little-endian integer in a file, mapped into memory: reading it costs a memory load,
and every process that maps the file sees the same page. Every write transaction bumps it after it
ends (db/session.Database.write), so an answer computed from state read after the counter was read
is known to be current exactly while the counter still holds that value (http/cache relies on it).
"""

from __future__ import annotations

import fcntl
import mmap
import os
import struct
from pathlib import Path

_FORMAT = "<Q"
_SIZE = 8


class Generation:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        if os.fstat(self._fd).st_size < _SIZE:
            os.ftruncate(self._fd, _SIZE)  # zero-filled; another process doing the same is harmless
        self._map = mmap.mmap(self._fd, _SIZE)

    def current(self) -> int:
        return int(struct.unpack_from(_FORMAT, self._map)[0])

    def bump(self) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            struct.pack_into(_FORMAT, self._map, 0, self.current() + 1)
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        self._map.close()
        os.close(self._fd)
