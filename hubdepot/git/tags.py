"""Tags for releases: resolve a release target, read and create lightweight tags, find refs."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pygit2

from hubdepot.git import refs as git_refs
from hubdepot.git.lock import repo_lock
from hubdepot.git.refs import ZERO, RefUpdate
from hubdepot.git.repos import opened

_FULL_SHA = re.compile(r"^[0-9a-f]{40}$")


@dataclasses.dataclass(frozen=True)
class FoundRef:
    qualified: str  # refs/tags/v1, refs/heads/main
    sha: str  # the commit it points at (annotated tags peeled)


def valid_tag_name(name: str) -> bool:
    return bool(name) and git_refs.valid_name(f"refs/tags/{name}")


def resolve_target(git_dir: Path, commitish: str) -> str | None:
    """A release target: a branch name or the full sha of a commit of this repository."""
    with opened(git_dir) as repo:
        if _FULL_SHA.match(commitish):
            found = git_refs.resolve(repo, commitish, kinds=())
        else:
            found = git_refs.resolve(repo, f"refs/heads/{commitish}", shas=False)
        return found[1] if found else None


def tag_commit(git_dir: Path, tag: str) -> str | None:
    """The commit a tag points at, or None when there is no such tag."""
    if not valid_tag_name(tag):
        return None
    with opened(git_dir) as repo:
        found = git_refs.resolve(repo, f"refs/tags/{tag}", shas=False)
        return found[1] if found else None


def ensure_tag(git_dir: Path, tag: str, sha: str) -> RefUpdate | None:
    """Create the lightweight tag `tag` at `sha` unless it exists; the update made, if any."""
    with repo_lock(git_dir), opened(git_dir) as repo:
        if repo.references.get(f"refs/tags/{tag}") is not None:
            return None
        return git_refs.update(repo, git_dir, f"refs/tags/{tag}", ZERO, sha)


def create_tag(git_dir: Path, tag: str, sha: str) -> bool:
    """Create the lightweight tag `tag` at `sha` unless it exists; whether this call made it."""
    with repo_lock(git_dir), opened(git_dir) as repo:
        if repo.references.get(f"refs/tags/{tag}") is not None:
            return False
        repo.references.create(f"refs/tags/{tag}", pygit2.Oid(hex=sha))
        return True


def find_ref(git_dir: Path, name: str) -> FoundRef | None:
    """A ref by qualified name (refs/heads/x, refs/tags/x) or by short name (branch first, then tag)."""
    with opened(git_dir) as repo:
        found = git_refs.resolve(repo, name, shas=False)
        return FoundRef(*found) if found else None
