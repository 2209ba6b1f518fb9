"""Creating, opening and removing bare repositories."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import pygit2

from hubdepot import errors
from hubdepot.git.lock import repo_lock


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


def set_head(path: Path, branch: str) -> None:
    with repo_lock(path), opened(path) as repo:
        repo.set_head(f"refs/heads/{branch}")


def initial_commit(path: Path, branch: str, files: dict[str, bytes], message: str, signature) -> str:
    """Create the first commit of an empty repository on `branch`; returns its sha."""
    sig = pygit2.Signature(signature.name, signature.email, signature.time, signature.offset)
    with repo_lock(path), opened(path) as repo:
        builder = repo.TreeBuilder()
        for name, data in files.items():
            builder.insert(name, repo.create_blob(data), pygit2.enums.FileMode.BLOB)
        tree = builder.write()
        oid = repo.create_commit(f"refs/heads/{branch}", sig, sig, message, tree, [])
        return str(oid)
