"""Refs: reading branches and tags, snapshots for pushes, and the one compare-and-swap ref update.

Every ref write of hubdepot (contents API commits, release tags, the git data API) goes through
update() below while holding the repository lock (git/lock.py); pushes let git receive-pack do its
own compare-and-swap, under the same lock. A ref lock file left by a writer that died is never
removed here: the update fails and `hubdepot fsck` reports the stale lock (see stale_locks()).
"""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path

import pygit2

from hubdepot import errors
from hubdepot.git.repos import opened

ZERO = "0" * 40
STALE_SECONDS = 600  # a ref lock file older than this, with no writer, is reported by fsck


@dataclasses.dataclass(frozen=True)
class Ref:
    name: str  # short name: "main", "v1.0"
    sha: str  # the commit it points at (annotated tags peeled)


@dataclasses.dataclass(frozen=True)
class RefUpdate:
    """One ref change: `before`/`after` are shas, ZERO for a ref created / deleted."""

    ref: str  # refs/heads/main, refs/tags/v1
    before: str
    after: str

    @property
    def created(self) -> bool:
        return self.before == ZERO

    @property
    def deleted(self) -> bool:
        return self.after == ZERO


def _peeled(repo: pygit2.Repository, ref: pygit2.Reference) -> str:
    return str(ref.peel(pygit2.Commit).id)


def branches(path: Path) -> list[Ref]:
    with opened(path) as repo:
        return sorted(
            (Ref(name, _peeled(repo, repo.branches.local[name])) for name in repo.branches.local),
            key=lambda ref: ref.name,
        )


def tags(path: Path) -> list[Ref]:
    """Tags, newest name first as GitHub lists them (reverse lexical)."""
    out = []
    with opened(path) as repo:
        for name in repo.references:
            if name.startswith("refs/tags/"):
                try:
                    out.append(Ref(name.removeprefix("refs/tags/"), _peeled(repo, repo.references[name])))
                except (pygit2.InvalidSpecError, ValueError):
                    continue
    return sorted(out, key=lambda ref: ref.name, reverse=True)


def is_empty(path: Path) -> bool:
    with opened(path) as repo:
        return repo.is_empty


def snapshot(path: Path) -> dict[str, str]:
    """Every ref (refs/...) and the object it names directly (tags not peeled)."""
    out = {}
    with opened(path) as repo:
        for name in repo.raw_listall_references():
            text = name.decode("utf-8", "surrogateescape")
            try:
                ref = repo.references[text].resolve()
            except (KeyError, ValueError, pygit2.GitError):
                continue
            out[text] = str(ref.target)
    return out


def changes(before: dict[str, str], after: dict[str, str]) -> list[RefUpdate]:
    """The updates that turn snapshot `before` into `after`, in ref-name order."""
    out = []
    for ref in sorted(set(before) | set(after)):
        old, new = before.get(ref, ZERO), after.get(ref, ZERO)
        if old != new:
            out.append(RefUpdate(ref, old, new))
    return out


def current(repo: pygit2.Repository, ref: str) -> str:
    found = repo.references.get(ref)
    return str(found.resolve().target) if found is not None else ZERO


def update(repo: pygit2.Repository, git_dir: Path, ref: str, before: str, after: str) -> RefUpdate:
    """Compare-and-swap `ref` from `before` to `after` (ZERO: create / delete). The caller holds
    repo_lock; a ref that is not `before` any more, or a leftover lock file, is a Conflict."""
    found = current(repo, ref)
    if found != before:
        raise errors.Conflict(f"Reference update failed: {ref} is at {found}, not {before}")
    if Path(git_dir, ref + ".lock").exists():
        raise errors.Conflict(f"Reference update failed: {ref} is locked ({ref}.lock)")
    if after == ZERO:
        repo.references.delete(ref)
    else:
        repo.references.create(ref, pygit2.Oid(hex=after), force=True)
    return RefUpdate(ref, before, after)


def set_head(repo: pygit2.Repository, branch: str) -> None:
    repo.set_head(f"refs/heads/{branch}")


def stale_locks(git_dir: Path, now: float | None = None) -> list[str]:
    """Lock files (refs, packed-refs, HEAD, config) and push quarantines older than STALE_SECONDS:
    a writer died there (live writers finish in far less)."""
    now = now or time.time()
    out = []
    for base, dirs, files in os.walk(git_dir):
        if Path(base) == Path(git_dir):
            dirs[:] = [d for d in dirs if d != "objects"]
        for name in files:
            if name.endswith(".lock"):
                path = Path(base, name)
                try:
                    age = now - path.stat().st_mtime
                except OSError:
                    continue
                if age > STALE_SECONDS:
                    out.append(str(path.relative_to(git_dir)))
    for path in Path(git_dir, "objects").glob("incoming-*"):  # a push's quarantine, left by a killed git
        try:
            if now - path.stat().st_mtime > STALE_SECONDS:
                out.append(str(path.relative_to(git_dir)))
        except OSError:
            continue
    return sorted(out)


def forced(git_dir: Path, updates: list[RefUpdate]) -> bool:
    """True when an update moved a branch to a commit that does not descend from the old one."""
    with opened(git_dir) as repo:
        for u in updates:
            if u.created or u.deleted or not u.ref.startswith("refs/heads/"):
                continue
            try:
                if not repo.descendant_of(pygit2.Oid(hex=u.after), pygit2.Oid(hex=u.before)):
                    return True
            except (KeyError, ValueError, pygit2.GitError):
                return True
    return False


def valid_name(name: str) -> bool:
    try:
        return pygit2.reference_is_valid_name(name)
    except (ValueError, TypeError):
        return False


def fast_forward(repo: pygit2.Repository, before: str, after: str) -> bool:
    """Moving a ref from `before` to `after` loses nothing: `after` descends from `before`."""
    if before == ZERO or before == after:
        return True
    try:
        return repo.descendant_of(pygit2.Oid(hex=after), pygit2.Oid(hex=before))
    except (KeyError, ValueError, pygit2.GitError):
        return False
