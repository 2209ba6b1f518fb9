"""Writing objects and commits without a work tree: blob, tree, commit, then the ref update.

write() is the contents API's one-file commit, in four steps: the blob is written first
(content-addressed, harmless if we die after); then, holding the repository lock (threads and
processes), the branch tip is read again and the expected blob sha checked against it, the new trees
are built with TreeBuilders along the path (write_tree), the commit is written (write_commit), and the
branch is moved by the one compare-and-swap ref update (git/refs.py update(): the tip read under
the lock is the expected old value; git's lock-file-and-rename makes the branch the old commit or the
new one, never anything else). Ref lock files of other writers are never removed here.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Iterable
from pathlib import Path

import pygit2

from hubdepot import errors, git
from hubdepot.git import refs as git_refs
from hubdepot.git.lock import repo_lock
from hubdepot.git.refs import ZERO, RefUpdate
from hubdepot.git.repos import opened
from hubdepot.git.trees import empty

_FILE_MODES = (pygit2.enums.FileMode.BLOB, pygit2.enums.FileMode.BLOB_EXECUTABLE, pygit2.enums.FileMode.LINK)


@dataclasses.dataclass(frozen=True)
class CommitInfo:
    sha: str
    tree: str
    parents: tuple[str, ...]
    author: git.Identity
    committer: git.Identity
    message: str


class Pieces(io.RawIOBase):
    """A large file's bytes made a piece at a time (`size` of them in all), read as a file: pygit2
    streams it into the object store 4 KiB at a time, so the file is never whole in memory. The pieces
    must not fail (libgit2 would leave its half-written object behind): check them before."""

    def __init__(self, pieces: Iterable[bytes], size: int) -> None:
        super().__init__()
        self.size = size
        self._pieces = iter(pieces)
        self._buffer = b""
        self._at = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return self._buffer[self._at :] + b"".join(self._pieces)
        while len(self._buffer) - self._at < size:
            piece = next(self._pieces, None)
            if piece is None:
                break
            self._buffer, self._at = self._buffer[self._at :] + piece, 0
        out = self._buffer[self._at : self._at + size]
        self._at += len(out)
        return out


@dataclasses.dataclass(frozen=True)
class Change:
    branch: str
    path: str
    message: str
    author: git.Identity
    committer: git.Identity
    expected: str | None  # the blob sha the caller says it replaces / deletes
    data: bytes | Pieces | None = None  # None: delete


@dataclasses.dataclass(frozen=True)
class Written:
    commit: CommitInfo
    blob: str | None  # the new blob (None after a delete)
    size: int
    created: bool  # the path did not exist before
    update: RefUpdate  # the branch move, for services.refs.record()


def write(git_dir: Path, change: Change, default_branch: str) -> Written:
    """Apply `change` as one commit on its branch; GitHub's 404/409/422 on the way."""
    with opened(git_dir) as repo:
        blob = write_blob(repo, change.data) if change.data is not None else None
        with repo_lock(git_dir):
            ref = f"refs/heads/{change.branch}"
            parent = _tip(repo, ref, change.branch, default_branch)
            base_tree = repo[parent].peel(pygit2.Commit).tree if parent else None
            existing = _existing(base_tree, change.path)
            created = _check(change, existing, blob)
            mode = (
                existing.filemode
                if existing is not None and existing.filemode == pygit2.enums.FileMode.BLOB_EXECUTABLE
                else pygit2.enums.FileMode.BLOB
            )
            tree = write_tree(repo, base_tree, change.path.split("/"), blob, mode)
            oid = write_commit(repo, tree, [parent] if parent else [], change.author, change.committer, change.message)
            update = git_refs.update(repo, git_dir, ref, str(parent) if parent else ZERO, str(oid))
            info = commit_info(repo, str(oid))
    size = change.data.size if isinstance(change.data, Pieces) else len(change.data or b"")
    return Written(info, str(blob) if blob else None, size, created, update)


def write_blob(repo: pygit2.Repository, data: bytes | Pieces) -> pygit2.Oid:
    return repo.create_blob_fromiobase(data) if isinstance(data, Pieces) else repo.create_blob(data)


def write_tree(
    repo: pygit2.Repository,
    base_tree: pygit2.Tree | None,
    parts: list[str],
    blob: pygit2.Oid | None,
    mode: pygit2.enums.FileMode,
) -> pygit2.Oid:
    """`base_tree` with `parts` -> blob (None: removed); an emptied tree is git's empty tree."""
    tree = _rewrite(repo, base_tree, parts, blob, mode)
    return tree if tree is not None else repo.TreeBuilder().write()


def write_commit(
    repo: pygit2.Repository,
    tree: pygit2.Oid,
    parents: list[pygit2.Oid],
    author: git.Identity,
    committer: git.Identity,
    message: str,
) -> pygit2.Oid:
    """A commit object (no ref moves: that is git/refs.py update())."""
    return repo.create_commit(None, _sig(author), _sig(committer), message, tree, parents)


def _tip(repo: pygit2.Repository, ref: str, branch: str, default_branch: str) -> pygit2.Oid | None:
    found = repo.references.get(ref)
    if found is not None:
        return found.peel(pygit2.Commit).id
    if branch == default_branch and empty(repo):
        return None  # the first commit of an empty repository
    raise errors.NotFound()


def _existing(tree: pygit2.Tree | None, path: str) -> pygit2.Object | None:
    if tree is None:
        return None
    try:
        return tree[path]
    except KeyError:
        pass
    parts = path.split("/")
    for i in range(1, len(parts)):  # a file (or submodule) where a directory is needed
        try:
            obj = tree["/".join(parts[:i])]
        except KeyError:
            return None
        if obj.filemode != pygit2.enums.FileMode.TREE:
            raise _not_a_directory(parts[:i])
    return None


def _not_a_directory(parts: list[str]) -> errors.HubdepotError:
    return errors.ValidationFailed(
        [{"resource": "Commit", "field": "path", "code": "invalid"}],
        message=f"{'/'.join(parts)} is a file, not a directory",
    )


def _check(change: Change, existing: pygit2.Object | None, blob: pygit2.Oid | None) -> bool:
    """True for a new path; GitHub's answers for a missing or stale sha."""
    if existing is None:
        if change.data is None:
            raise errors.NotFound()
        return True
    if existing.filemode not in _FILE_MODES and existing.filemode != pygit2.enums.FileMode.COMMIT:
        if change.data is None:
            raise errors.NotFound()
        raise errors.ValidationFailed(
            [{"resource": "Commit", "field": "path", "code": "invalid"}], message=f"{change.path} is a directory"
        )
    if change.expected is None:
        raise errors.Unprocessable('Invalid request.\n\n"sha" wasn\'t supplied.')
    if change.expected != str(existing.id):
        raise errors.Conflict(f"{change.path} does not match {change.expected}")
    return False


def _rewrite(
    repo: pygit2.Repository,
    tree: pygit2.Tree | None,
    parts: list[str],
    blob: pygit2.Oid | None,
    mode: pygit2.enums.FileMode,
) -> pygit2.Oid | None:
    """The new tree with parts -> blob (blob None: removed); None when the tree ends up empty."""
    builder = repo.TreeBuilder(tree) if tree is not None else repo.TreeBuilder()
    name = parts[0]
    if len(parts) == 1:
        if blob is None:
            builder.remove(name)
        else:
            builder.insert(name, blob, mode)
    else:
        sub = tree[name] if tree is not None and name in tree else None
        assert sub is None or isinstance(sub, pygit2.Tree), "_existing() let only directories stand on the way"
        new = _rewrite(repo, sub, parts[1:], blob, mode)
        if new is None:
            if sub is not None:
                builder.remove(name)
        else:
            builder.insert(name, new, pygit2.enums.FileMode.TREE)
    if len(builder) == 0:
        return None
    return builder.write()


def _sig(who: git.Identity) -> pygit2.Signature:
    return pygit2.Signature(who.name, who.email, who.time, who.offset)


def commit_info(repo: pygit2.Repository, sha: str) -> CommitInfo:
    commit = repo[sha].peel(pygit2.Commit)
    return CommitInfo(
        str(commit.id),
        str(commit.tree_id),
        tuple(str(p) for p in commit.parent_ids),
        _identity(commit.author),
        _identity(commit.committer),
        commit.message,
    )


def _identity(sig: pygit2.Signature) -> git.Identity:
    return git.Identity(sig.name, sig.email, sig.time, sig.offset)


def initial_commit(path: Path, branch: str, files: dict[str, bytes], message: str, signature: git.Identity) -> str:
    """Create the first commit of an empty repository on `branch`; returns its sha."""
    sig = pygit2.Signature(signature.name, signature.email, signature.time, signature.offset)
    with repo_lock(path), opened(path) as repo:
        builder = repo.TreeBuilder()
        for name, data in files.items():
            builder.insert(name, repo.create_blob(data), pygit2.enums.FileMode.BLOB)
        tree = builder.write()
        oid = repo.create_commit(None, sig, sig, message, tree, [])
        git_refs.update(repo, path, f"refs/heads/{branch}", ZERO, str(oid))
        return str(oid)
