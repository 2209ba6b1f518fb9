"""Walking history: the commits between two commits, for generated release notes."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pygit2

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
