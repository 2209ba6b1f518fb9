"""History for web pages: a page of a branch's commits, and one commit with its changed files."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pygit2

from hubdepot import errors, git
from hubdepot.git import diffs
from hubdepot.git.repos import reading

PATCH_LIMIT = 256 * 1024  # bytes of diff text shown on a commit page; the rest is summarised


@dataclasses.dataclass(frozen=True)
class Commit:
    sha: str
    parents: tuple[str, ...]
    author: git.Identity
    committer: git.Identity
    message: str

    @property
    def subject(self) -> str:
        return self.message.strip().splitlines()[0] if self.message.strip() else ""


@dataclasses.dataclass(frozen=True)
class FileChange:
    status: str  # added | modified | removed | renamed
    path: str
    additions: int
    deletions: int
    patch: str | None  # None: binary, or past PATCH_LIMIT


def _identity(sig: pygit2.Signature) -> git.Identity:
    return git.Identity(sig.name, sig.email, sig.time, sig.offset)


def _commit(obj: pygit2.Commit) -> Commit:
    return Commit(
        str(obj.id),
        tuple(str(p) for p in obj.parent_ids),
        _identity(obj.author),
        _identity(obj.committer),
        obj.message or "",
    )


def log(git_dir: Path, sha: str, skip: int, limit: int) -> tuple[list[Commit], bool]:
    """Commits reachable from `sha`, newest first: `limit` of them after `skip`; and whether more follow."""
    out: list[Commit] = []
    with reading(git_dir) as repo:
        walker = repo.walk(pygit2.Oid(hex=sha), pygit2.enums.SortMode.TIME)
        for i, obj in enumerate(walker):
            if i < skip:
                continue
            if len(out) == limit:
                return out, True
            out.append(_commit(obj))
    return out, False


def ref_counts(git_dir: Path) -> tuple[int, int]:
    """(branches, tags), counted from the reference names alone."""
    with reading(git_dir) as repo:
        names = repo.raw_listall_references()
    return (sum(1 for n in names if n.startswith(b"refs/heads/")), sum(1 for n in names if n.startswith(b"refs/tags/")))


_STATUS = {"A": "added", "D": "removed", "R": "renamed", "C": "added"}


def show(git_dir: Path, sha: str) -> tuple[Commit, list[FileChange]]:
    """One commit (its full sha) and what it changed against its first parent."""
    with reading(git_dir) as repo:
        try:
            obj = repo[sha].peel(pygit2.Commit)
        except (KeyError, ValueError, pygit2.GitError, pygit2.InvalidSpecError):
            raise errors.NotFound() from None
        parent = obj.parents[0].tree if obj.parents else None
        diff = diffs.between(repo, parent, obj.tree)
        diff.find_similar()
        files, budget = [], PATCH_LIMIT
        for patch in diff:
            assert patch is not None, "no unmodified files in a diff"
            delta = patch.delta
            _, adds, dels = patch.line_stats
            text = None if delta.is_binary else patch.text
            if text is not None:
                budget -= len(text)
                text = text if budget >= 0 else None
            files.append(
                FileChange(_STATUS.get(delta.status_char(), "modified"), delta.new_file.path, adds, dels, text)
            )
        return _commit(obj), files
