"""Creating, opening and removing bare repositories.

The two ways in, both here: opened() for writers (a fresh handle, freed after), reading() for
readers (a handle kept per thread while the directory is the same). Nothing else opens a repository.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pygit2

from hubdepot import errors
from hubdepot.git.lock import repo_lock

_REPOS_PER_THREAD = 8
_local = threading.local()


@functools.lru_cache(maxsize=4096)  # (every repository-scoped request asks: a Path costs a few µs)
def git_dir(root: Path, repo_id: int) -> Path:
    """Repositories live by id, so renames and transfers never move files."""
    return root / f"{repo_id}.git"


def create(root: Path, repo_id: int, default_branch: str) -> Path:
    path = git_dir(root, repo_id)
    root.mkdir(parents=True, exist_ok=True)
    pygit2.init_repository(str(path), bare=True, initial_head=default_branch)
    return path


def remove(root: Path, repo_id: int) -> None:
    path = git_dir(root, repo_id)
    shutil.rmtree(path, ignore_errors=True)
    Path(str(path) + ".lock").unlink(missing_ok=True)


@contextlib.contextmanager
def opened(path: Path) -> Iterator[pygit2.Repository]:
    """Open a bare repository; an unreadable one is a NotFound, as on git.sr.ht."""
    try:
        repo = pygit2.Repository(str(path))
    except (pygit2.GitError, KeyError) as exc:
        raise errors.NotFound() from exc
    try:
        yield repo
    finally:
        repo.free()


class _Watch:
    """What tells whether anything was written under one repositories directory since a number it
    gave: db/generation's current() (every process on the data dir moves it; a negative number
    repeats never)."""

    def __init__(self) -> None:
        self.epoch: Callable[[], int] = lambda: -1


_watches: collections.defaultdict[str, _Watch] = collections.defaultdict(_Watch)


def watch(root: Path, epoch: Callable[[], int]) -> None:
    """Readers of the repositories under `root` check that a kept handle's directory is still the
    same one (a system call, during which other threads take the GIL) only when `epoch()` has moved
    since: every hubdepot write that makes, removes or replaces a repository's directory moves it."""
    _watches[str(root)].epoch = epoch


def reading(git_dir: Path) -> contextlib.nullcontext[pygit2.Repository]:
    """A repository opened for reads (`with reading(git_dir) as repo`), kept by this thread for the
    next request while the directory is the same one (opening costs more than a small lookup).
    libgit2 re-reads refs from disk and rescans the object database on a miss, so writes by other
    threads and processes are seen. (Nothing to do on the way out: a nullcontext, not a generator.)"""
    return contextlib.nullcontext(_kept(git_dir))


def _kept(git_dir: Path) -> pygit2.Repository:
    key = str(git_dir)
    cache = _local.__dict__.get("repos")
    if cache is None:
        cache = _local.repos = collections.OrderedDict()
    hit = cache.get(key)
    if hit is None or hit[2].epoch() != hit[3] or hit[3] < 0:
        hit = cache[key] = _checked(git_dir, key, hit)
    cache.move_to_end(key)
    while len(cache) > _REPOS_PER_THREAD:
        cache.popitem(last=False)[1][1].free()
    repo: pygit2.Repository = hit[1]
    return repo


_Kept = tuple[tuple[int, int, int], pygit2.Repository, _Watch, int]  # (directory, handle, watch, epoch)


def _checked(git_dir: Path, key: str, hit: _Kept | None) -> _Kept:
    """The kept handle if its directory is still the one it opened, else a new one."""
    watched = _watches[str(git_dir.parent)]
    seen = watched.epoch()  # (read first: a write that ends while checking leaves it moved)
    try:
        st = os.stat(git_dir)
    except OSError:
        raise errors.NotFound() from None
    ident = (st.st_dev, st.st_ino, st.st_ctime_ns)
    if hit is not None and hit[0] == ident:
        return ident, hit[1], watched, seen
    try:
        repo = pygit2.Repository(key)
    except (pygit2.GitError, KeyError) as exc:
        raise errors.NotFound() from exc
    return ident, repo, watched, seen


def set_head(path: Path, branch: str) -> None:
    with repo_lock(path), opened(path) as repo:
        repo.set_head(f"refs/heads/{branch}")
