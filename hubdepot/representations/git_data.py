"""short-blob, blob, git-tree, git-ref, git-tag, commit, diff-entry, commit-comparison,
branch-with-protection (git-commit lives in representations/contents.py, shared with file-commit)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from hubdepot.git.diffs import FileChange
from hubdepot.git.objects import Blob, Tag, Tree
from hubdepot.representations import UNSIGNED, person, when
from hubdepot.representations.contents import git_commit, wrapped_base64
from hubdepot.representations.users import simple_user
from hubdepot.urls import Urls, node_id

if TYPE_CHECKING:  # (views come from services, above this layer)
    from hubdepot.services.git_data import CommitView, Comparison, RefView

_OBJECT_URL: dict[str, Callable[[Urls, str, str], str]] = {
    "commit": Urls.git_commit,
    "tree": Urls.git_tree,
    "blob": Urls.git_blob,
}

__all__ = [
    "blob",
    "branch_with_protection",
    "commit",
    "commit_comparison",
    "git_commit",
    "git_ref",
    "git_tag",
    "git_tree",
    "short_blob",
]


def short_blob(urls: Urls, full_name: str, sha: str) -> dict[str, str]:
    return {"url": urls.git_blob(full_name, sha), "sha": sha}


def blob(urls: Urls, full_name: str, repo_id: int, found: Blob) -> dict[str, Any]:
    return {
        "sha": found.sha,
        "node_id": node_id("Blob", f"{repo_id}:{found.sha}"),
        "size": found.size,
        "url": urls.git_blob(full_name, found.sha),
        "content": wrapped_base64(found.data),
        "encoding": "base64",
    }


def git_tree(urls: Urls, full_name: str, tree: Tree) -> dict[str, Any]:
    entries = []
    for e in tree.entries:
        item: dict[str, Any] = {"path": e.path, "mode": e.mode, "type": e.type, "sha": e.sha}
        if e.type == "blob":
            item["size"] = e.size
        if e.type != "commit":
            item["url"] = _OBJECT_URL[e.type](urls, full_name, e.sha)
        entries.append(item)
    return {"sha": tree.sha, "url": urls.git_tree(full_name, tree.sha), "tree": entries, "truncated": tree.truncated}


def _object_url(urls: Urls, full_name: str, kind: str, sha: str) -> str:
    if kind == "tag":
        return urls.git_tag(full_name, sha)
    return _OBJECT_URL[kind](urls, full_name, sha)


def git_ref(urls: Urls, full_name: str, repo_id: int, ref: RefView) -> dict[str, Any]:
    return {
        "ref": ref.ref,
        "node_id": node_id("Ref", f"{repo_id}:{ref.ref}"),
        "url": urls.git_ref(full_name, ref.ref),
        "object": {"sha": ref.sha, "type": ref.type, "url": _object_url(urls, full_name, ref.type, ref.sha)},
    }


def git_tag(urls: Urls, full_name: str, repo_id: int, tag: Tag) -> dict[str, Any]:
    tagger = (
        {"date": when(tag.tagger), "email": tag.tagger.email, "name": tag.tagger.name}
        if tag.tagger
        else {"date": "1970-01-01T00:00:00Z", "email": "", "name": ""}
    )
    return {
        "node_id": node_id("Tag", f"{repo_id}:{tag.sha}"),
        "tag": tag.tag,
        "sha": tag.sha,
        "url": urls.git_tag(full_name, tag.sha),
        "message": tag.message,
        "tagger": tagger,
        "object": {
            "sha": tag.object_sha,
            "type": tag.object_type,
            "url": _object_url(urls, full_name, tag.object_type, tag.object_sha),
        },
        "verification": UNSIGNED,
    }


def commit(urls: Urls, full_name: str, repo_id: int, view: CommitView) -> dict[str, Any]:
    """GitHub's `commit` (the REST commit, with its git commit inside); stats and files when known."""
    info = view.info
    body: dict[str, Any] = {
        "sha": info.sha,
        "node_id": node_id("Commit", f"{repo_id}:{info.sha}"),
        "commit": {
            "author": person(info.author),
            "committer": person(info.committer),
            "message": info.message,
            "tree": {"sha": info.tree, "url": urls.git_tree(full_name, info.tree)},
            "url": urls.git_commit(full_name, info.sha),
            "comment_count": 0,
            "verification": UNSIGNED,
        },
        "url": urls.commit(full_name, info.sha),
        "html_url": urls.commit_html(full_name, info.sha),
        "comments_url": urls.commit_comments(full_name, info.sha),
        "author": simple_user(urls, view.author) if view.author is not None else None,
        "committer": simple_user(urls, view.committer) if view.committer is not None else None,
        "parents": [
            {"sha": p, "url": urls.commit(full_name, p), "html_url": urls.commit_html(full_name, p)}
            for p in info.parents
        ],
    }
    if view.files is not None:
        body["stats"] = _stats(view.files)
        body["files"] = [diff_entry(urls, full_name, info.sha, f) for f in view.files]
    return body


def _stats(files: Sequence[FileChange]) -> dict[str, int]:
    additions, deletions = sum(f.additions for f in files), sum(f.deletions for f in files)
    return {"total": additions + deletions, "additions": additions, "deletions": deletions}


def diff_entry(urls: Urls, full_name: str, commit_sha: str, change: FileChange) -> dict[str, Any]:
    path = change.filename
    body: dict[str, Any] = {
        "sha": change.sha,
        "filename": change.filename,
        "status": change.status,
        "additions": change.additions,
        "deletions": change.deletions,
        "changes": change.changes,
        "blob_url": urls.blob_html(full_name, commit_sha, path),
        "raw_url": urls.raw_html(full_name, commit_sha, path),
        "contents_url": urls.contents(full_name, path, commit_sha),
    }
    if change.patch is not None:
        body["patch"] = change.patch
    if change.previous_filename is not None:
        body["previous_filename"] = change.previous_filename
    return body


def commit_comparison(
    urls: Urls, full_name: str, repo_id: int, base: str, head: str, cmp: Comparison
) -> dict[str, Any]:
    html = urls.compare_html(full_name, base, head)
    head_sha = cmp.commits[-1].info.sha if cmp.commits else cmp.merge_base.info.sha
    return {
        "url": urls.compare(full_name, base, head),
        "html_url": html,
        "permalink_url": urls.compare_html(full_name, cmp.base.info.sha[:7], head_sha[:7]),
        "diff_url": html + ".diff",
        "patch_url": html + ".patch",
        "base_commit": commit(urls, full_name, repo_id, cmp.base),
        "merge_base_commit": commit(urls, full_name, repo_id, cmp.merge_base),
        "status": cmp.status,
        "ahead_by": cmp.ahead_by,
        "behind_by": cmp.behind_by,
        "total_commits": cmp.ahead_by,
        "commits": [commit(urls, full_name, repo_id, c) for c in cmp.commits],
        "files": [diff_entry(urls, full_name, head_sha, f) for f in cmp.files],
    }


def branch_with_protection(urls: Urls, full_name: str, repo_id: int, name: str, view: CommitView) -> dict[str, Any]:
    return {
        "name": name,
        "commit": commit(urls, full_name, repo_id, view),
        "_links": {"self": urls.branch(full_name, name), "html": urls.tree_html(full_name, name)},
        "protected": False,
        "protection": {
            "enabled": False,
            "required_status_checks": {"enforcement_level": "off", "contexts": [], "checks": []},
        },
        "protection_url": urls.branch_protection(full_name, name),
    }
