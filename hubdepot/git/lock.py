"""A per-repository write lock that holds across threads and processes (flock on a lock file).

Every writer of a repository's refs takes it: contents API commits, release tags, the git data API
and whole pushes (git receive-pack runs with it held). The kernel drops an flock when its owner
dies, so a killed server never leaves this lock behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import anyio

_thread_locks: dict[str, threading.Lock] = {}
_guard = threading.Lock()
_depth = threading.local()  # path -> how many times this thread holds it


def _thread_lock(key: str) -> threading.Lock:
    with _guard:
        return _thread_locks.setdefault(key, threading.Lock())


def _acquire(path: str, blocking: bool = True) -> int | None:
    """This process's thread lock, then the flock: the open lock file, or None when not blocking and
    someone holds either."""
    thread_lock = _thread_lock(path)
    if not thread_lock.acquire(blocking=blocking):
        return None
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BaseException:
            os.close(fd)
            raise
    except BlockingIOError:
        thread_lock.release()
        return None
    except BaseException:
        thread_lock.release()
        raise
    return fd


def _release(path: str, fd: int) -> None:
    try:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    finally:
        _thread_lock(path).release()


@contextlib.contextmanager
def repo_lock(git_dir: Path) -> Iterator[None]:
    """Serialise writers of one repository: threads of this process, then other processes.

    Re-entrant within a thread, so a use case can hold it around its whole database transaction
    (lock first, then the transaction: the one order every writer follows, so none deadlocks)."""
    path = str(git_dir) + ".lock"
    held = _depth.__dict__
    if held.get(path):
        held[path] += 1
        try:
            yield
        finally:
            held[path] -= 1
        return
    fd = _acquire(path)
    assert fd is not None, "a blocking acquire returns the lock"
    held[path] = 1
    try:
        yield
    finally:
        held.pop(path, None)
        _release(path, fd)


@contextlib.contextmanager
def try_repo_lock(git_dir: Path) -> Iterator[bool]:
    """Take the repository lock only if it is free right now: yields True when taken (then no writer of
    this or any other hubdepot process is inside the repository), False when someone holds it."""
    path = str(git_dir) + ".lock"
    fd = _acquire(path, blocking=False)
    if fd is None:
        yield False
        return
    try:
        yield True
    finally:
        _release(path, fd)


@contextlib.asynccontextmanager
async def repo_lock_async(git_dir: Path) -> AsyncIterator[None]:
    """repo_lock for a coroutine: waiting happens on a worker thread, never on the event loop. The
    wait is shielded: a cancellation arriving meanwhile lands inside (and the lock is released). No
    thread's re-entry count is touched: the worker that waited goes back to the pool, and a writer it
    runs next must wait for this lock like any other."""
    path = str(git_dir) + ".lock"
    with anyio.CancelScope(shield=True):
        fd = await anyio.to_thread.run_sync(_acquire, path)
    assert fd is not None, "a blocking acquire returns the lock"
    try:
        yield
    finally:
        _release(path, fd)
