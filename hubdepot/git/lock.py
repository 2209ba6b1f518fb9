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


@contextlib.contextmanager
def repo_lock(git_dir: Path) -> Iterator[None]:
    """Serialise writers of one repository: threads of this process, then other processes.

    Re-entrant within a thread, so a use case can hold it around its whole database transaction
    (lock first, then the transaction: the one order every writer follows, so none deadlocks). The
    thread lock is a plain Lock, so repo_lock_async may take it on one thread and free it on another;
    the depth count belongs to the thread that took it."""
    path = str(git_dir) + ".lock"
    held = _depth.__dict__  # this thread's: kept by reference for the release, wherever it runs
    if held.get(path):
        held[path] += 1
        try:
            yield
        finally:
            held[path] -= 1
        return
    with _thread_lock(path):
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            held[path] = 1
            yield
        finally:
            held.pop(path, None)
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


@contextlib.contextmanager
def try_repo_lock(git_dir: Path) -> Iterator[bool]:
    """Take the repository lock only if it is free right now: yields True when taken (then no writer of
    this or any other hubdepot process is inside the repository), False when someone holds it."""
    path = str(git_dir) + ".lock"
    thread_lock = _thread_lock(path)
    if not thread_lock.acquire(blocking=False):
        yield False
        return
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
    finally:
        thread_lock.release()


@contextlib.asynccontextmanager
async def repo_lock_async(git_dir: Path) -> AsyncIterator[None]:
    """repo_lock for a coroutine: waiting happens on a worker thread, never on the event loop. The
    wait is shielded: a cancellation arriving meanwhile lands inside (and the lock is released)."""
    cm = repo_lock(git_dir)
    with anyio.CancelScope(shield=True):
        await anyio.to_thread.run_sync(cm.__enter__)
    try:
        yield
    finally:
        cm.__exit__(None, None, None)
