"""A per-repository write lock that holds across threads and processes (flock on a lock file), and
across hosts when a cluster lock is registered for the repositories directory (use_cluster: with
PostgreSQL, db/locks.AdvisoryLocks, a session-level advisory lock keyed by the repository).

Every writer of a repository's refs takes it: contents API commits, release tags, the git data API
and whole pushes (git receive-pack runs with it held). The kernel drops an flock when its owner
dies, and PostgreSQL an advisory lock when its session ends, so a killed server never leaves this
lock behind. Order: thread lock, flock, cluster lock; released the other way round.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Protocol

import anyio

_thread_locks: dict[str, threading.Lock] = {}
_guard = threading.Lock()
_depth = threading.local()  # path -> how many times this thread holds it


class ClusterLock(Protocol):
    """A lock other hosts see, by name (the repository's directory name, the same on every host)."""

    def acquire(self, name: str, blocking: bool) -> object | None:
        """A handle for release, or None when not blocking and another holder has it."""

    def release(self, handle: object) -> None: ...


_clusters: dict[str, ClusterLock] = {}  # repositories dir -> the lock its repositories also take


def use_cluster(repos_dir: Path, lock: ClusterLock | None) -> ClusterLock | None:
    """Repositories under `repos_dir` also take `lock` (None: this host's locks alone); returns the
    lock they took before."""
    if lock is None:
        return _clusters.pop(str(repos_dir), None)
    previous, _clusters[str(repos_dir)] = _clusters.get(str(repos_dir)), lock
    return previous


def _thread_lock(key: str) -> threading.Lock:
    with _guard:
        return _thread_locks.setdefault(key, threading.Lock())


_Held = tuple[int, object | None]  # the open lock file, the cluster lock's handle


def _acquire(path: str, blocking: bool = True) -> _Held | None:
    """This process's thread lock, then the flock, then the cluster lock if any: what _release needs,
    or None when not blocking and someone holds one of them."""
    thread_lock = _thread_lock(path)
    if not thread_lock.acquire(blocking=blocking):
        return None
    fd = None
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        cluster = _clusters.get(os.path.dirname(path))
        handle = cluster.acquire(os.path.basename(path), blocking) if cluster is not None else None
        if cluster is not None and handle is None:
            raise BlockingIOError("held on another host")
    except BaseException as exc:
        if fd is not None:
            os.close(fd)  # (drops the flock)
        thread_lock.release()
        if isinstance(exc, BlockingIOError):
            return None
        raise
    return fd, handle


def _release(path: str, held: _Held) -> None:
    fd, handle = held
    try:
        cluster = _clusters.get(os.path.dirname(path))
        if handle is not None and cluster is not None:
            cluster.release(handle)
    finally:
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
    taken = _acquire(path)
    assert taken is not None, "a blocking acquire returns the lock"
    held[path] = 1
    try:
        yield
    finally:
        held.pop(path, None)
        _release(path, taken)


@contextlib.contextmanager
def try_repo_lock(git_dir: Path) -> Iterator[bool]:
    """Take the repository lock only if it is free right now: yields True when taken (then no writer of
    this or any other hubdepot process is inside the repository), False when someone holds it."""
    path = str(git_dir) + ".lock"
    taken = _acquire(path, blocking=False)
    if taken is None:
        yield False
        return
    try:
        yield True
    finally:
        _release(path, taken)


@contextlib.asynccontextmanager
async def repo_lock_async(git_dir: Path) -> AsyncIterator[None]:
    """repo_lock for a coroutine: waiting happens on a worker thread, never on the event loop. The
    wait is shielded: a cancellation arriving meanwhile lands inside (and the lock is released). No
    thread's re-entry count is touched: the worker that waited goes back to the pool, and a writer it
    runs next must wait for this lock like any other."""
    path = str(git_dir) + ".lock"
    with anyio.CancelScope(shield=True):
        taken = await anyio.to_thread.run_sync(_acquire, path)
    assert taken is not None, "a blocking acquire returns the lock"
    try:
        yield
    finally:
        _release(path, taken)
