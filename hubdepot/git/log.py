"""Walking history: the commits between two commits, for generated release notes and push events."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pygit2

from hubdepot.git import Identity, diffs
from hubdepot.git.refs import ZERO
from hubdepot.git.repos import opened


@dataclasses.dataclass(frozen=True)
class LogEntry:
    sha: str
    subject: str
    author_name: str
    author_email: str


def commits_between(git_dir: Path, head: str, base: str | None, limit: int = 250) -> list[LogEntry]:
    """Commits reachable from `head` but not from `base` (all of head's history when base is None),
    newest first, at most `limit`."""
    out: list[LogEntry] = []
    with opened(git_dir) as repo:
        walker = repo.walk(pygit2.Oid(hex=head), pygit2.enums.SortMode.TOPOLOGICAL | pygit2.enums.SortMode.TIME)
        if base:
            try:
                walker.hide(pygit2.Oid(hex=base))
            except (KeyError, ValueError, pygit2.GitError):
                pass
        for commit in walker:
            message = commit.message or ""
            subject = message.strip().splitlines()[0] if message.strip() else ""
            out.append(LogEntry(str(commit.id), subject, commit.author.name, commit.author.email))
            if len(out) >= limit:
                break
    return out


@dataclasses.dataclass(frozen=True)
class PushedCommit:
    """A commit as a push event lists it: what it added, removed and modified."""

    sha: str
    tree: str
    message: str
    author: Identity
    committer: Identity
    added: tuple[str, ...]
    removed: tuple[str, ...]
    modified: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class Pushed:
    commits: list[PushedCommit]  # oldest first, the newest `limit` of them
    head: PushedCommit | None  # the commit `after` points at (None for a deletion)
    forced: bool  # `before` is not an ancestor of `after`


def pushed(git_dir: Path, ref: str, before: str, after: str, limit: int = 20) -> Pushed:
    """What moving `ref` from `before` to `after` brought: the commits reachable from `after` and not
    from `before` (for a new branch: not from any other branch; a new tag brings none)."""
    if after == ZERO:
        return Pushed([], None, False)
    with opened(git_dir) as repo:
        head = repo[after].peel(pygit2.Commit)
        walker = repo.walk(head.id, pygit2.enums.SortMode.TOPOLOGICAL | pygit2.enums.SortMode.TIME)
        if before != ZERO:
            _hide(walker, before)
        elif ref.startswith("refs/tags/"):
            return Pushed([], _pushed_commit(repo, head), False)
        else:
            for name in repo.branches.local:
                if f"refs/heads/{name}" != ref:
                    _hide(walker, str(repo.branches.local[name].peel(pygit2.Commit).id))
        newest = [c for _, c in zip(range(limit), walker, strict=False)]
        forced = before != ZERO and not _descends(repo, head.id, before)
        return Pushed([_pushed_commit(repo, c) for c in reversed(newest)], _pushed_commit(repo, head), forced)


def _hide(walker: pygit2.Walker, sha: str) -> None:
    try:
        walker.hide(pygit2.Oid(hex=sha))
    except (KeyError, ValueError, pygit2.GitError):
        pass


def _descends(repo: pygit2.Repository, head: pygit2.Oid, before: str) -> bool:
    try:
        old = pygit2.Oid(hex=before)
        return head == old or repo.descendant_of(head, old)
    except (KeyError, ValueError, pygit2.GitError):
        return False


def _pushed_commit(repo: pygit2.Repository, commit: pygit2.Commit) -> PushedCommit:
    diff = diffs.between(repo, commit.parents[0].tree if commit.parents else None, commit.tree)
    added, removed, modified = [], [], []
    for delta in diff.deltas:
        status = delta.status
        if status == pygit2.enums.DeltaStatus.ADDED:
            added.append(delta.new_file.path)
        elif status == pygit2.enums.DeltaStatus.DELETED:
            removed.append(delta.old_file.path)
        else:
            modified.append(delta.new_file.path)
    return PushedCommit(
        str(commit.id),
        str(commit.tree_id),
        commit.message,
        _who(commit.author),
        _who(commit.committer),
        tuple(added),
        tuple(removed),
        tuple(modified),
    )


def _who(sig: pygit2.Signature) -> Identity:
    return Identity(sig.name, sig.email, sig.time, sig.offset)
