"""A per-repository write lock that holds across threads and processes (flock on a lock file)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from collections.abc import Iterator
from pathlib import Path

_thread_locks: dict[str, threading.Lock] = {}
_guard = threading.Lock()


def _thread_lock(key: str) -> threading.Lock:
    with _guard:
        return _thread_locks.setdefault(key, threading.Lock())


@contextlib.contextmanager
def repo_lock(git_dir: Path) -> Iterator[None]:
    """Serialise writers of one repository: threads of this process, then other processes."""
    path = str(git_dir) + ".lock"
    with _thread_lock(path):
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
