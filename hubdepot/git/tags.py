"""Tags for releases: resolve a release target, read and create lightweight tags, find refs."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pygit2

from hubdepot.git.lock import repo_lock
from hubdepot.git.repos import opened

_FULL_SHA = re.compile(r"^[0-9a-f]{40}$")


@dataclasses.dataclass(frozen=True)
class FoundRef:
    qualified: str  # refs/tags/v1, refs/heads/main
    sha: str  # the commit it points at (annotated tags peeled)


def valid_tag_name(name: str) -> bool:
    return bool(name) and pygit2.reference_is_valid_name(f"refs/tags/{name}")


def _commit_of(repo: pygit2.Repository, target) -> str | None:
    try:
        return str(repo[target].peel(pygit2.Commit).id)
    except (KeyError, ValueError, pygit2.InvalidSpecError, pygit2.GitError):
        return None


def resolve_target(git_dir: Path, commitish: str) -> str | None:
    """A release target: a branch name or the full sha of a commit of this repository."""
    with opened(git_dir) as repo:
        if _FULL_SHA.match(commitish):
            try:
                obj = repo[commitish]
            except (KeyError, ValueError):
                return None
            return commitish if obj.type == pygit2.enums.ObjectType.COMMIT else None
        if not pygit2.reference_is_valid_name(f"refs/heads/{commitish}"):
            return None
        branch = repo.references.get(f"refs/heads/{commitish}")
        return _commit_of(repo, branch.target) if branch is not None else None


def tag_commit(git_dir: Path, tag: str) -> str | None:
    """The commit a tag points at, or None when there is no such tag."""
    if not valid_tag_name(tag):
        return None
    with opened(git_dir) as repo:
        ref = repo.references.get(f"refs/tags/{tag}")
        return _commit_of(repo, ref.target) if ref is not None else None


def ensure_tag(git_dir: Path, tag: str, sha: str) -> str:
    """Create the lightweight tag `tag` at `sha` unless it exists; returns the commit it points at."""
    with repo_lock(git_dir), opened(git_dir) as repo:
        ref = repo.references.get(f"refs/tags/{tag}")
        if ref is not None:
            return _commit_of(repo, ref.target) or sha
        repo.references.create(f"refs/tags/{tag}", pygit2.Oid(hex=sha))
        return sha


def create_tag(git_dir: Path, tag: str, sha: str) -> bool:
    """Create the lightweight tag `tag` at `sha` unless it exists; whether this call made it."""
    with repo_lock(git_dir), opened(git_dir) as repo:
        if repo.references.get(f"refs/tags/{tag}") is not None:
            return False
        repo.references.create(f"refs/tags/{tag}", pygit2.Oid(hex=sha))
        return True


def find_ref(git_dir: Path, name: str) -> FoundRef | None:
    """A ref by qualified name (refs/heads/x, refs/tags/x) or by short name (branch first, then tag)."""
    candidates = [name] if name.startswith("refs/") else [f"refs/heads/{name}", f"refs/tags/{name}"]
    with opened(git_dir) as repo:
        for qualified in candidates:
            if not pygit2.reference_is_valid_name(qualified):
                continue
            ref = repo.references.get(qualified)
            if ref is not None:
                sha = _commit_of(repo, ref.target)
                if sha:
                    return FoundRef(qualified, sha)
    return None
