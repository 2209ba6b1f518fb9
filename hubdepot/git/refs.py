"""Refs: reading branches and tags, snapshots for pushes, and the one compare-and-swap ref update.

Every ref write of hubdepot (contents API commits, release tags, the git data API) goes through
update() below while holding the repository lock (git/lock.py); pushes let git receive-pack do its
own compare-and-swap, under the same lock. A ref lock file left by a writer that died makes the
update fail; `hubdepot fsck` reports it (stale_locks()) and `serve` or `fsck --repair` removes it
(remove_stale_locks()).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import shutil
import time
from pathlib import Path

import pygit2

from hubdepot import errors
from hubdepot.git.lock import repo_lock, try_repo_lock
from hubdepot.git.repos import opened

ZERO = "0" * 40
STALE_SECONDS = 600  # a ref lock file older than this, with no writer, is reported by fsck
_HEX = re.compile(r"[0-9a-fA-F]{4,40}")


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


def resolve(
    repo: pygit2.Repository, name: str | None, *, kinds: tuple[str, ...] = ("heads", "tags"), shas: bool = True
) -> tuple[str, str] | None:
    """THE ref resolver: `name` as a full ref (refs/...), else a branch / tag (in `kinds` order), else
    (when `shas`) a commit sha or an unambiguous prefix of one -> (what it resolved to: the qualified
    ref or the sha, the commit sha, annotated tags peeled); None when nothing matches."""
    if not name or "\x00" in name:
        return None
    candidates = [name] if name.startswith("refs/") else [f"refs/{kind}/{name}" for kind in kinds]
    for full in candidates:
        commit = _commit(_reference(repo, full))
        if commit is not None:
            return full, str(commit.id)
    if shas and _HEX.fullmatch(name):
        try:
            commit = _commit(repo.git_object_lookup_prefix(name))
        except (ValueError, KeyError, pygit2.GitError):
            commit = None
        if commit is not None:
            return str(commit.id), str(commit.id)
    return None


def _reference(repo: pygit2.Repository, full: str) -> pygit2.Reference | None:
    """The reference `full`, or None; names libgit2 cannot even parse (too long, bad) are None too."""
    try:
        return repo.lookup_reference(full)  # (what references.get does, less two Python frames)
    except (KeyError, ValueError, pygit2.InvalidSpecError, pygit2.GitError):
        return None


def _commit(obj: pygit2.Reference | pygit2.Object | None) -> pygit2.Commit | None:
    if obj is None:
        return None
    try:
        return obj.peel(pygit2.Commit)
    except (pygit2.InvalidSpecError, ValueError, KeyError, pygit2.GitError):
        return None


def _peeled(ref: pygit2.Reference | None) -> str | None:
    commit = _commit(ref)
    return str(commit.id) if commit is not None else None


def branches(path: Path) -> list[Ref]:
    """Branches that name a commit, by name."""
    with opened(path) as repo:
        found = ((name, _peeled(repo.branches.local[name])) for name in repo.branches.local)
        return sorted((Ref(name, sha) for name, sha in found if sha), key=lambda ref: ref.name)


def tags(path: Path) -> list[Ref]:
    """Tags that name a commit (annotated ones peeled), newest name first as GitHub lists them."""
    out = []
    with opened(path) as repo:
        for name in repo.references:
            if name.startswith("refs/tags/"):
                sha = _peeled(_reference(repo, name))
                if sha:
                    out.append(Ref(name.removeprefix("refs/tags/"), sha))
    return sorted(out, key=lambda ref: ref.name, reverse=True)


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
    """What `ref` points at, ZERO when there is no such ref (nor could be: a name git cannot hold)."""
    found = _reference(repo, ref)
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


def stale_locks(git_dir: Path, now: float | None = None) -> list[str]:
    """Lock files (refs, packed-refs, HEAD, config) and push quarantines whose writer is gone.

    Every writer of hubdepot holds the repository lock while it has such files, so when that lock is
    free, whatever is left belongs to a writer that died; when it is held, only what is older than
    STALE_SECONDS counts (live writers finish in far less). Nothing is removed here."""
    with try_repo_lock(git_dir) as free:
        return _leftovers(git_dir, 0 if free else STALE_SECONDS, now or time.time())


def remove_stale_locks(git_dir: Path, wait: bool = True) -> list[str]:
    """`hubdepot fsck --repair`: wait for the repository lock (so no writer is inside), then remove the
    lock files and quarantines that dead writers left; returns what was removed. wait=False (serve's
    start): a repository whose lock is held right now is left as it is."""
    with contextlib.ExitStack() as stack:
        if wait:
            stack.enter_context(repo_lock(git_dir))
        elif not stack.enter_context(try_repo_lock(git_dir)):
            return []
        found = _leftovers(git_dir, 0, time.time())
        for name in found:
            path = Path(git_dir, name)
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        return found


def _leftovers(git_dir: Path, min_age: float, now: float) -> list[str]:
    out = []
    for base, dirs, files in os.walk(git_dir):
        if Path(base) == Path(git_dir):
            dirs[:] = [d for d in dirs if d != "objects"]
        out += [
            str(Path(base, name).relative_to(git_dir))
            for name in files
            if name.endswith(".lock") and _age(Path(base, name), now) > min_age
        ]
    out += [
        str(path.relative_to(git_dir))
        for path in Path(git_dir, "objects").glob("incoming-*")
        if _age(path, now) > min_age
    ]  # a push's quarantine, left by a killed git
    return sorted(out)


def _age(path: Path, now: float) -> float:
    try:
        return now - path.stat().st_mtime
    except OSError:
        return -1.0


NAME_MAX = 255  # bytes per part of a ref name: a loose ref is a file
REF_MAX = 1024  # bytes in a whole ref name


def valid_name(name: str) -> bool:
    """A full ref name git accepts and a file system can hold."""
    try:
        raw = name.encode("utf-8", "surrogatepass")
        if len(raw) > REF_MAX or any(len(part) > NAME_MAX for part in raw.split(b"/")):
            return False
        return pygit2.reference_is_valid_name(name)
    except (ValueError, TypeError, AttributeError):
        return False


def fast_forward(repo: pygit2.Repository, before: str, after: str) -> bool:
    """Moving a ref from `before` to `after` loses nothing: `after` descends from `before`."""
    if before in (ZERO, after):
        return True
    try:
        return repo.descendant_of(pygit2.Oid(hex=after), pygit2.Oid(hex=before))
    except (KeyError, ValueError, pygit2.GitError):
        return False
