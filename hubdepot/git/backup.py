"""What a backup copies of a bare repository, and how a copy becomes a repository again.

A copy is the refs, read under the repository lock (so no writer of hubdepot is half-way through a
push or a commit, and git's own lock-and-rename makes every ref file whole), then the object files
listed afterwards. Objects are immutable and written before any ref names them, and hubdepot never
deletes one (receive.autogc=false), so every object the refs name is among the files listed after
them. A `git gc` someone runs meanwhile writes its new pack before deleting the files it replaces:
a file gone when copied is found again in a pack of the next listing (files_of is called again).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from hubdepot.git import refs as git_refs
from hubdepot.git.lock import repo_lock

TOP = ("HEAD", "config", "description")  # besides objects/: refs are rebuilt from the ones read
# derived or transient files under objects/: rebuilt by git when wanted, or another writer's work
SKIP = ("info/commit-graph", "info/commit-graphs", "info/packs", "pack/multi-pack-index")


def read_refs(git_dir: Path) -> dict[str, str]:
    """Every ref and the object it names, read while no hubdepot writer holds the repository."""
    with repo_lock(git_dir):
        return git_refs.snapshot(git_dir)


def files_of(git_dir: Path) -> Iterator[tuple[str, os.stat_result]]:
    """(path below git_dir, stat) of each file a copy needs besides the refs."""
    for name in TOP:
        try:
            yield name, os.stat(git_dir / name)
        except FileNotFoundError:
            continue
    yield from _objects(git_dir / "objects", "")


def _objects(root: Path, below: str) -> Iterator[tuple[str, os.stat_result]]:
    try:
        found = list(os.scandir(root / below if below else root))
    except FileNotFoundError:
        return
    for entry in found:
        path = f"{below}/{entry.name}" if below else entry.name
        if entry.name.startswith(("tmp_", "incoming-", ".")) or entry.name.endswith((".lock", ".keep")):
            continue
        if path in SKIP or path.startswith("info/commit-graphs"):
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                yield from _objects(root, path)
            elif entry.is_file(follow_symlinks=False):
                yield f"objects/{path}", entry.stat(follow_symlinks=False)
        except FileNotFoundError:
            continue


def write_refs(git_dir: Path, refs: dict[str, str]) -> None:
    """Give a repository being restored its refs (one packed-refs file) and the directories git expects."""
    for name in ("refs/heads", "refs/tags", "objects/info", "objects/pack"):
        (git_dir / name).mkdir(parents=True, exist_ok=True)
    lines = [b"# pack-refs with: sorted \n"]
    for name in sorted(refs, key=lambda n: n.encode("utf-8", "surrogateescape")):
        lines.append(f"{refs[name]} ".encode() + name.encode("utf-8", "surrogateescape") + b"\n")
    (git_dir / "packed-refs").write_bytes(b"".join(lines))
