"""Reading a commit's tree: resolving refs, looking paths up, listing directories, reading blobs.

Paths arrive here already split into clean parts (no '', '.', '..', '.git', NUL); the service checks.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import cast

import pygit2

from hubdepot import errors
from hubdepot.bounded import Bounded
from hubdepot.git import refs as git_refs
from hubdepot.git.archives import pipe
from hubdepot.git.repos import reading

LISTING_LIMIT = 1000  # GitHub's cap on a directory listing
_LINK_HOPS = 8
_SUBMODULE = re.compile(r'^\s*\[submodule\s+"(?P<name>[^"]*)"\s*\]\s*$')
_SETTING = re.compile(r"^\s*(?P<key>[A-Za-z][A-Za-z0-9-]*)\s*=\s*(?P<value>.*?)\s*$")
_KINDS = {int(pygit2.enums.ObjectType.TREE): "dir", int(pygit2.enums.ObjectType.COMMIT): "submodule"}
_SIZES: dict[pygit2.Oid, int] = {}


@dataclasses.dataclass(frozen=True)
class Resolved:
    sha: str  # the commit
    name: str  # the ref as the caller wrote it (or the default branch): what URLs carry
    full: str  # refs/heads/x, refs/tags/x, or the commit sha


@dataclasses.dataclass(frozen=True)
class Node:
    kind: str  # file | dir | symlink | submodule
    name: str
    path: str
    sha: str  # blob, tree, or (submodule) commit sha
    size: int
    target: str | None = None  # symlink text
    submodule_url: str | None = None


@dataclasses.dataclass(frozen=True)
class Found:
    commit: Resolved
    node: Node
    entries: tuple[Node, ...] = ()  # a directory's entries (at most LISTING_LIMIT)
    data: bytes | None = None  # a file's bytes when it is no larger than the inline limit


def empty(repo: pygit2.Repository) -> bool:
    """No commits at all (libgit2's is_empty wants HEAD on 'master'; ours may point anywhere)."""
    return repo.head_is_unborn and not repo.raw_listall_references()


def is_empty(git_dir: Path) -> bool:
    with reading(git_dir) as repo:
        return empty(repo)


def resolve_ref(repo: pygit2.Repository, ref: str | None, default_branch: str) -> Resolved:
    """A branch, tag, full ref name or (short) commit sha -> the commit; GitHub's 404s otherwise."""
    return _commit(repo, ref, default_branch)[0]


def _commit(repo: pygit2.Repository, ref: str | None, default_branch: str) -> tuple[Resolved, pygit2.Commit]:
    resolved = _resolved(repo, ref, default_branch)
    return resolved, cast(pygit2.Commit, repo[resolved.sha])


def _resolved(repo: pygit2.Repository, ref: str | None, default_branch: str) -> Resolved:
    name = ref or default_branch
    found = git_refs.resolve(repo, name)
    if found is not None:
        full, sha = found
        return Resolved(sha, name, full)
    if empty(repo):
        raise errors.NotFound("This repository is empty.")
    raise errors.NotFound(f"No commit found for the ref {name}")


def resolve(git_dir: Path, ref: str | None, default_branch: str) -> Resolved:
    with reading(git_dir) as repo:
        return resolve_ref(repo, ref, default_branch)


def lookup(
    git_dir: Path, ref: str | None, default_branch: str, parts: list[str], inline_limit: int, listing: bool = True
) -> Found:
    """What lives at `parts` in the commit `ref` names; symlinks to files in the repo are followed.
    Only the ref is read anew each time: what a commit holds at a path never changes, so that is
    kept (by repository, commit and path) once looked up."""
    with reading(git_dir) as repo:
        commit = _resolved(repo, ref, default_branch)
        key = (str(git_dir), commit, tuple(parts), inline_limit, listing)
        found = _looked_up.get(key)
        if found is None:
            tree = cast(pygit2.Commit, repo[commit.sha]).tree
            node = _follow(repo, tree, _node_at(repo, tree, parts))
            found = _found(repo, tree, commit, node, inline_limit, listing)
            _looked_up.put(key, found)
        return found


# (repository, commit, path, limits) -> what is there: immutable, so kept while there is room
_looked_up: Bounded[Found] = Bounded(
    32 * 1024 * 1024, lambda found: len(found.data or b"") + 300 * (1 + len(found.entries))
)


def readme(git_dir: Path, ref: str | None, default_branch: str, dirs: list[list[str]], inline_limit: int) -> Found:
    """The preferred README in the first of `dirs` that has one (see readme_rank)."""
    with reading(git_dir) as repo:
        commit, obj = _commit(repo, ref, default_branch)
        tree = obj.tree
        for parts in dirs:
            found = _readme_in(repo, tree, parts)
            if found is not None:
                return _found(repo, tree, commit, found, inline_limit, False)
    raise errors.NotFound()


def readme_rank(name: str) -> tuple[int, int, str] | None:
    """Sort key for README candidates: markdown first, then other markup, then plain text."""
    low = name.lower()
    if low != "readme" and not low.startswith("readme."):
        return None
    ext = low[len("readme") :].lstrip(".")
    markdown = ("md", "markdown", "mdown", "mkdn", "mkd")
    markup = ("rst", "adoc", "asciidoc", "asc", "org", "textile", "rdoc", "creole", "wiki", "mediawiki", "pod")
    if ext in markdown:
        return (0, markdown.index(ext), name)
    if ext in markup:
        return (1, markup.index(ext), name)
    return (2 if ext == "" else 3 if ext == "txt" else 4, 0, name)


def _readme_in(repo: pygit2.Repository, tree: pygit2.Tree, parts: list[str]) -> Node | None:
    try:
        folder = _node_at(repo, tree, parts)
    except errors.NotFound:
        return None
    if folder.kind != "dir":
        return None
    candidates: list[tuple[tuple[int, int, str], str, pygit2.Object]] = []
    for obj in cast(pygit2.Tree, repo[folder.sha]):
        assert obj.name is not None, "a tree's entries have names"
        rank = readme_rank(obj.name)
        if rank is not None and obj.filemode in (
            pygit2.enums.FileMode.BLOB,
            pygit2.enums.FileMode.BLOB_EXECUTABLE,
            pygit2.enums.FileMode.LINK,
        ):
            candidates.append((rank, obj.name, obj))
    for _, name, obj in sorted(candidates, key=lambda item: item[0]):
        node = _follow(repo, tree, _node(repo, obj, "/".join([*parts, name])))
        if node.kind == "file":
            return node
    return None


def _node_at(repo: pygit2.Repository, tree: pygit2.Tree, parts: list[str]) -> Node:
    if not parts:
        return Node("dir", "", "", str(tree.id), 0)
    try:
        obj = tree["/".join(parts)]
    except KeyError:
        raise errors.NotFound() from None
    return _node(repo, obj, "/".join(parts))


def _node(repo: pygit2.Repository, obj: pygit2.Object, path: str) -> Node:
    name = path.rsplit("/", 1)[-1]
    kind = _KINDS.get(obj.type, "file")  # (ints: cheaper than filemode enums, for 1,000-entry listings)
    if kind != "file":
        return Node(kind, name, path, str(obj.id), 0)
    size = _size(repo, obj.id)
    if obj.filemode == pygit2.enums.FileMode.LINK:
        data = cast(pygit2.Blob, repo[obj.id]).data if size <= 4096 else b""  # (PATH_MAX)
        target = data.decode("utf-8", "surrogateescape")
        return Node("symlink", name, path, str(obj.id), size, target)
    return Node("file", name, path, str(obj.id), size)


def _size(repo: pygit2.Repository, oid: pygit2.Oid) -> int:
    """A blob's size from its header; remembered by sha (blobs never change)."""
    size = _SIZES.get(oid)
    if size is None:
        if len(_SIZES) > 200_000:
            _SIZES.clear()
        size = _SIZES[oid] = repo.odb.read_header(oid)[1]
    return size


def _follow(repo: pygit2.Repository, tree: pygit2.Tree, node: Node) -> Node:
    """A symlink whose target (after at most a few hops) is a file in the repository -> that file."""
    current = node
    for _ in range(_LINK_HOPS):
        if current.kind != "symlink":
            break
        assert current.target is not None, "a symlink node carries its target"
        base = posixpath.dirname(current.path)
        joined = posixpath.normpath(posixpath.join(base, current.target))
        if current.target.startswith("/") or joined.startswith("..") or joined in (".", ""):
            return node
        parts = joined.split("/")
        if any(p.lower() == ".git" or "\x00" in p for p in parts):
            return node
        try:
            current = _node_at(repo, tree, parts)
        except errors.NotFound:
            return node
    return current if current.kind == "file" else node


def _found(
    repo: pygit2.Repository, tree: pygit2.Tree, commit: Resolved, node: Node, inline_limit: int, listing: bool
) -> Found:
    if node.kind == "file":
        data = cast(pygit2.Blob, repo[node.sha]).data if node.size <= inline_limit else None
        return Found(commit, node, data=data)
    if node.kind == "submodule":
        return Found(commit, dataclasses.replace(node, submodule_url=submodules(repo, tree).get(node.path)))
    if node.kind == "dir" and listing:
        return Found(commit, node, entries=_entries(repo, tree, node))
    return Found(commit, node)


def _entries(repo: pygit2.Repository, tree: pygit2.Tree, folder: Node) -> tuple[Node, ...]:
    out: list[Node] = []
    links = None
    for obj in cast(pygit2.Tree, repo[folder.sha]):
        if len(out) >= LISTING_LIMIT:
            break
        assert obj.name is not None, "a tree's entries have names"
        node = _node(repo, obj, f"{folder.path}/{obj.name}" if folder.path else obj.name)
        if node.kind == "submodule":
            links = submodules(repo, tree) if links is None else links
            node = dataclasses.replace(node, submodule_url=links.get(node.path))
        out.append(node)
    return tuple(out)


def submodules(repo: pygit2.Repository, tree: pygit2.Tree) -> dict[str, str]:
    """path -> url from the commit's .gitmodules (a tolerant reader of git's config format)."""
    try:  # (a .gitmodules directory has no data: AttributeError)
        text = cast(pygit2.Blob, repo[tree[".gitmodules"].id]).data.decode("utf-8", "replace")
    except (KeyError, AttributeError):
        return {}
    sections: dict[str, dict[str, str]] = {}
    current = None
    for line in text.splitlines():
        if line.strip().startswith(("#", ";")):
            continue
        header = _SUBMODULE.match(line)
        if header:
            current = sections.setdefault(header.group("name"), {})
        elif current is not None and (setting := _SETTING.match(line)):
            current[setting.group("key").lower()] = setting.group("value").strip('"')
    return {s["path"]: s["url"] for s in sections.values() if "path" in s and "url" in s}


def blob_chunks(git_dir: Path, sha: str) -> AsyncIterator[bytes]:
    """A blob's bytes, streamed by `git cat-file` (git streams large blobs without loading them)."""
    return pipe(["git", f"--git-dir={git_dir}", "cat-file", "blob", sha])
