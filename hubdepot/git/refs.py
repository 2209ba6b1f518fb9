"""Reading branches and tags."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pygit2

from hubdepot.git.repos import opened


@dataclasses.dataclass(frozen=True)
class Ref:
    name: str  # short name: "main", "v1.0"
    sha: str  # the commit it points at (annotated tags peeled)


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
