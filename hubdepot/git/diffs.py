"""What changed between two commits, file by file (GitHub's diff-entry), and whole diffs/patches
streamed by git itself for the diff and patch media types."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pygit2

from hubdepot.git.archives import pipe
from hubdepot.git.objects import EMPTY_TREE
from hubdepot.git.repos import reading

FILE_LIMIT = 300  # GitHub lists at most 300 files of a commit or comparison
_STATUS = {"A": "added", "D": "removed", "M": "modified", "R": "renamed", "C": "copied", "T": "changed"}


@dataclasses.dataclass(frozen=True)
class FileChange:
    filename: str
    status: str
    additions: int
    deletions: int
    sha: str | None  # the new blob (None when removed)
    patch: str | None  # the hunks; None for binary files
    previous_filename: str | None = None

    @property
    def changes(self) -> int:
        return self.additions + self.deletions


def between(repo: pygit2.Repository, base: pygit2.Tree | None, tree: pygit2.Tree) -> pygit2.Diff:
    """The diff from `base` to `tree`; from nothing (every file added) when there is no base."""
    if base is None:
        return tree.diff_to_tree(swap=True)
    return base.diff_to_tree(tree, context_lines=3, interhunk_lines=0)  # (what repo.diff(base, tree) runs)


def changes(git_dir: Path, base: str | None, head: str, limit: int = FILE_LIMIT) -> list[FileChange]:
    """Files changed from commit `base` (None: nothing, for a root commit) to commit `head`."""
    with reading(git_dir) as repo:
        new = repo[head].peel(pygit2.Tree)
        diff = between(repo, repo[base].peel(pygit2.Tree) if base else None, new)
        diff.find_similar()
        out: list[FileChange] = []
        for patch in diff:
            if len(out) >= limit:
                break
            assert patch is not None, "no unmodified files in a diff"
            out.append(_change(patch))
        return out


def _change(patch: pygit2.Patch) -> FileChange:
    delta = patch.delta
    status = _STATUS.get(delta.status_char(), "modified")
    _context, additions, deletions = patch.line_stats
    text = None
    if not delta.is_binary:
        full = patch.text or ""
        at = full.find("\n@@")
        text = full[at + 1 :].rstrip("\n") if at >= 0 else ""
    sha = None if status == "removed" else str(delta.new_file.id)
    previous = delta.old_file.path if status in ("renamed", "copied") else None
    return FileChange(delta.new_file.path, status, additions, deletions, sha, text, previous)


def diff_text(git_dir: Path, base: str | None, head: str) -> AsyncIterator[bytes]:
    """`git diff` between two commits (from the empty tree for a root commit), streamed."""
    return pipe(["git", f"--git-dir={git_dir}", "diff", "--no-color", "--full-index", "-M", base or EMPTY_TREE, head])


def patch_text(git_dir: Path, head: str) -> AsyncIterator[bytes]:
    """`git format-patch` of one commit, streamed."""
    return pipe(["git", f"--git-dir={git_dir}", "format-patch", "--stdout", "--no-color", "-1", "--root", head])
