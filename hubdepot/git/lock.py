"""A per-repository write lock that holds across threads and processes (flock on a lock file)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from collections.abc import Iterator
from pathlib import Path

_thread_locks: dict[str, threading.RLock] = {}
_guard = threading.Lock()
_depth = threading.local()  # path -> how many times this thread holds it


def _thread_lock(key: str) -> threading.RLock:
    with _guard:
        return _thread_locks.setdefault(key, threading.RLock())


@contextlib.contextmanager
def repo_lock(git_dir: Path) -> Iterator[None]:
    """Serialise writers of one repository: threads of this process, then other processes.

    Re-entrant within a thread, so a use case can hold it around its whole database transaction
    (lock first, then the transaction: the one order every writer follows, so none deadlocks)."""
    path = str(git_dir) + ".lock"
    held = _depth.__dict__
    with _thread_lock(path):
        if held.get(path):
            held[path] += 1
            try:
                yield
            finally:
                held[path] -= 1
            return
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            held[path] = 1
            yield
        finally:
            held.pop(path, None)
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
