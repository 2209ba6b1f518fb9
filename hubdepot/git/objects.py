"""The git data API's objects: blobs, trees, commits and annotated tags, read and written by sha.

Objects are content-addressed: writing one moves nothing (refs move only through git/refs.py
update(), under the repository lock). Reads go through repos.reading (one cached handle per thread).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pygit2

from hubdepot import errors, git
from hubdepot.git import commits as git_commits
from hubdepot.git import refs as git_refs
from hubdepot.git.commits import CommitInfo, commit_info
from hubdepot.git.repos import opened, reading

SHA = re.compile(r"^[0-9a-f]{40}$")
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
TREE_ENTRIES = 100_000  # GitHub's limits for a recursive tree listing
TREE_BYTES = 7 * 1024 * 1024
MODES = {
    "100644": pygit2.enums.FileMode.BLOB,
    "100755": pygit2.enums.FileMode.BLOB_EXECUTABLE,
    "040000": pygit2.enums.FileMode.TREE,
    "160000": pygit2.enums.FileMode.COMMIT,
    "120000": pygit2.enums.FileMode.LINK,
}
_TYPE_OF_MODE = {"100644": "blob", "100755": "blob", "120000": "blob", "040000": "tree", "160000": "commit"}
# a change of POST git/trees: the path's parts -> (mode, object; None: removed)
_Changes = dict[tuple[str, ...], tuple[pygit2.enums.FileMode, pygit2.Oid | None]]
_TYPES = {
    int(pygit2.enums.ObjectType.COMMIT): "commit",
    int(pygit2.enums.ObjectType.TREE): "tree",
    int(pygit2.enums.ObjectType.BLOB): "blob",
    int(pygit2.enums.ObjectType.TAG): "tag",
}


@dataclasses.dataclass(frozen=True)
class Blob:
    sha: str
    size: int
    data: bytes


@dataclasses.dataclass(frozen=True)
class TreeEntry:
    path: str
    mode: str  # "100644", "040000", ...
    type: str  # blob | tree | commit
    sha: str
    size: int | None  # blobs only


@dataclasses.dataclass(frozen=True)
class Tree:
    sha: str
    entries: list[TreeEntry]
    truncated: bool


@dataclasses.dataclass(frozen=True)
class TreeSpec:
    """One entry of POST git/trees: sha None (and no content) deletes the path."""

    path: str
    mode: str
    type: str
    sha: str | None
    content: bytes | None = None


@dataclasses.dataclass(frozen=True)
class Tag:
    sha: str
    tag: str
    message: str
    tagger: git.Identity | None
    object_sha: str
    object_type: str


def _object(repo: pygit2.Repository, sha: str) -> pygit2.Object | None:
    if not isinstance(sha, str) or not SHA.match(sha):
        return None
    try:
        return repo[sha]
    except (KeyError, ValueError):
        return None


def type_of(git_dir: Path, sha: str) -> str | None:
    """commit | tree | blob | tag, or None when there is no such object."""
    with reading(git_dir) as repo:
        obj = _object(repo, sha)
        return _TYPES.get(obj.type) if obj is not None else None


# -- blobs --------------------------------------------------------------------------------------
def blob(git_dir: Path, sha: str, limit: int) -> Blob:
    """A blob's bytes (NotFound unless `sha` is a blob; the size is checked before reading)."""
    with reading(git_dir) as repo:
        obj = _object(repo, sha)
        if not isinstance(obj, pygit2.Blob):
            raise errors.NotFound()
        size = repo.odb.read_header(obj.id)[1]
        if size > limit:
            raise errors.Forbidden(
                "This API returns blobs up to 100 MB in size. The requested blob is too large to fetch via the API.",
                errors=[{"resource": "Blob", "field": "data", "code": "too_large"}],
            )
        return Blob(sha, size, obj.data)


def create_blob(git_dir: Path, data: bytes) -> str:
    with opened(git_dir) as repo:
        return str(git_commits.write_blob(repo, data))


# -- trees --------------------------------------------------------------------------------------
def tree(git_dir: Path, sha: str, recursive: bool, entry_bytes: int = 250) -> Tree:
    """A tree (a commit or tag sha names its tree, as on GitHub), recursive up to GitHub's limits:
    TREE_ENTRIES entries, TREE_BYTES of answer at `entry_bytes` (+ the path) per entry."""
    with reading(git_dir) as repo:
        obj = _object(repo, sha)
        try:
            root = obj.peel(pygit2.Tree) if obj is not None else None
        except (pygit2.InvalidSpecError, ValueError):
            root = None
        if root is None:
            raise errors.NotFound()
        entries: list[TreeEntry] = []
        truncated = _list(repo, root, "", recursive, entries, [0], entry_bytes)
        return Tree(str(root.id), entries, truncated)


def _list(
    repo: pygit2.Repository,
    tree: pygit2.Tree,
    prefix: str,
    recursive: bool,
    out: list[TreeEntry],
    used: list[int],
    entry_bytes: int,
) -> bool:
    """Append `tree`'s entries (depth first, a tree before its contents); True when cut short."""
    for obj in tree:
        if len(out) >= TREE_ENTRIES or used[0] >= TREE_BYTES:
            return True
        assert obj.name is not None, "a tree's entries have names"
        path = prefix + obj.name
        kind = _TYPES.get(obj.type, "blob")
        size = repo.odb.read_header(obj.id)[1] if kind == "blob" else None
        out.append(TreeEntry(path, f"{int(obj.filemode):06o}", kind, str(obj.id), size))
        used[0] += len(path.encode()) + entry_bytes
        subtree = cast(pygit2.Tree, repo[obj.id]) if recursive and kind == "tree" else None
        if subtree is not None and _list(repo, subtree, path + "/", recursive, out, used, entry_bytes):
            return True
    return False


def create_tree(git_dir: Path, base_tree: str | None, specs: list[TreeSpec]) -> str:
    """A new tree: `base_tree` (a tree sha) with `specs` applied (nested paths create subtrees)."""
    with opened(git_dir) as repo:
        base = None
        if base_tree is not None:
            found = _object(repo, base_tree)
            if found is None or found.type not in (pygit2.enums.ObjectType.TREE, pygit2.enums.ObjectType.COMMIT):
                raise errors.Unprocessable("Invalid tree info: base_tree is not a valid tree")
            base = found.peel(pygit2.Tree)
        changes = {tuple(spec.path.split("/")): _entry_of(repo, spec) for spec in specs}
        oid = _apply(repo, base, changes)
        return str(oid) if oid is not None else str(repo.TreeBuilder().write())


def _entry_of(repo: pygit2.Repository, spec: TreeSpec) -> tuple[pygit2.enums.FileMode, pygit2.Oid | None]:
    mode = MODES.get(spec.mode)
    if mode is None or _TYPE_OF_MODE[spec.mode] != spec.type:
        raise errors.ValidationFailed.one(
            "Tree", "tree.mode", "invalid", f"{spec.mode} is not a valid mode for {spec.type}"
        )
    if spec.content is not None:
        return mode, repo.create_blob(spec.content)
    if spec.sha is None:
        return mode, None
    obj = _object(repo, spec.sha)
    if spec.type != "commit" and (obj is None or _TYPES.get(obj.type) != spec.type):
        raise errors.Unprocessable(f"Invalid tree info: tree.sha {spec.sha} is not a valid {spec.type}")
    return mode, pygit2.Oid(hex=spec.sha)


def _apply(repo: pygit2.Repository, tree: pygit2.Tree | None, changes: _Changes) -> pygit2.Oid | None:
    builder = repo.TreeBuilder(tree) if tree is not None else repo.TreeBuilder()
    nested: dict[str, _Changes] = {}
    for parts, (mode, oid) in changes.items():
        if len(parts) > 1:
            nested.setdefault(parts[0], {})[parts[1:]] = (mode, oid)
        elif oid is None:
            if builder.get(parts[0]) is not None:
                builder.remove(parts[0])
        else:
            builder.insert(parts[0], oid, mode)
    for name, sub in nested.items():
        current = builder.get(name)
        is_tree = current is not None and current.filemode == pygit2.enums.FileMode.TREE
        subtree = cast(pygit2.Tree, repo[current.id]) if is_tree else None
        new = _apply(repo, subtree, sub)
        if new is None:
            if current is not None:
                builder.remove(name)
        else:
            builder.insert(name, new, pygit2.enums.FileMode.TREE)
    return builder.write() if len(builder) else None


# -- commits ------------------------------------------------------------------------------------
def commit(git_dir: Path, sha: str) -> CommitInfo:
    with reading(git_dir) as repo:
        obj = _object(repo, sha)
        if obj is None or obj.type != pygit2.enums.ObjectType.COMMIT:
            raise errors.NotFound()
        return commit_info(repo, sha)


def create_commit(
    git_dir: Path, message: str, tree: str, parents: list[str], author: git.Identity, committer: git.Identity
) -> CommitInfo:
    with opened(git_dir) as repo:
        found = _object(repo, tree)
        if found is None or found.type != pygit2.enums.ObjectType.TREE:
            raise errors.Unprocessable("Tree SHA does not exist")
        for parent in parents:
            obj = _object(repo, parent)
            if obj is None or obj.type != pygit2.enums.ObjectType.COMMIT:
                raise errors.Unprocessable("Parent SHA does not exist or is not a commit object")
        oid = git_commits.write_commit(repo, found.id, [pygit2.Oid(hex=p) for p in parents], author, committer, message)
        return commit_info(repo, str(oid))


# -- annotated tags -----------------------------------------------------------------------------
def tag(git_dir: Path, sha: str) -> Tag:
    with reading(git_dir) as repo:
        obj = _object(repo, sha)
        if not isinstance(obj, pygit2.Tag):
            raise errors.NotFound()
        tagger = obj.tagger
        who = git.Identity(tagger.name, tagger.email, tagger.time, tagger.offset) if tagger else None
        target = repo[obj.target]
        return Tag(sha, obj.name, obj.message or "", who, str(obj.target), _TYPES.get(target.type, "commit"))


def create_tag(git_dir: Path, name: str, message: str, object_sha: str, object_type: str, tagger: git.Identity) -> Tag:
    with opened(git_dir) as repo:
        obj = _object(repo, object_sha)
        if obj is None or _TYPES.get(obj.type) != object_type:
            raise errors.Unprocessable("Object does not exist")
        if not git_refs.valid_name(f"refs/tags/{name}"):
            raise errors.ValidationFailed.one("Tag", "tag", "invalid")
        sign, minutes = ("-" if tagger.offset < 0 else "+"), abs(tagger.offset)
        text = (
            f"object {obj.id}\ntype {object_type}\ntag {name}\n"
            f"tagger {tagger.name} <{tagger.email}> {tagger.time} {sign}{minutes // 60:02d}{minutes % 60:02d}\n\n"
            f"{message}"
        )
        oid = repo.odb.write(pygit2.enums.ObjectType.TAG, text.encode())  # the object only: no ref moves
    return tag(git_dir, str(oid))


# -- history ------------------------------------------------------------------------------------
def walk(git_dir: Path, head: str, hide: str | None = None) -> Iterator[CommitInfo]:
    """Commits reachable from `head` (not from `hide`), newest first as `git log` lists them."""
    with reading(git_dir) as repo:
        walker = repo.walk(pygit2.Oid(hex=head), pygit2.enums.SortMode.TOPOLOGICAL | pygit2.enums.SortMode.TIME)
        if hide:
            walker.hide(pygit2.Oid(hex=hide))
        for found in walker:
            yield commit_info(repo, str(found.id))


def touches(git_dir: Path, sha: str, path: str) -> bool:
    """Whether commit `sha` changed `path` (a file or directory) against its first parent."""
    with reading(git_dir) as repo:
        current = repo[sha]
        assert isinstance(current, pygit2.Commit), "`sha` names a commit"
        mine = _entry_id(current.tree, path)
        if not current.parent_ids:
            return mine is not None
        return mine != _entry_id(repo[current.parent_ids[0]].tree, path)


def _entry_id(tree: pygit2.Tree, path: str) -> pygit2.Oid | None:
    try:
        return tree[path].id
    except KeyError:
        return None


def merge_base(git_dir: Path, a: str, b: str) -> str | None:
    with reading(git_dir) as repo:
        found = repo.merge_base(pygit2.Oid(hex=a), pygit2.Oid(hex=b))
        return str(found) if found else None


def ahead_behind(git_dir: Path, local: str, upstream: str) -> tuple[int, int]:
    with reading(git_dir) as repo:
        return repo.ahead_behind(pygit2.Oid(hex=local), pygit2.Oid(hex=upstream))
