"""content-file, content-directory, content-symlink, content-submodule, content-tree, file-commit."""

from __future__ import annotations

import base64
import dataclasses
import re
from collections.abc import Callable, Iterable
from typing import Any

from hubdepot.git.commits import CommitInfo
from hubdepot.git.trees import Node
from hubdepot.representations import UNSIGNED, person
from hubdepot.urls import Urls, node_id

_LINE = 60  # GitHub wraps base64 content like Ruby's Base64.encode64: 60 characters and "\n"


@dataclasses.dataclass(frozen=True)
class Where:
    """The repository and ref a content object belongs to, and how to build its download URL."""

    urls: Urls
    full_name: str
    ref: str
    download: Callable[[str], str]  # path -> download_url (signed for private repositories)
    api_version: str = "2022-11-28"


def wrapped_base64(data: bytes) -> str:
    text = base64.b64encode(data).decode()
    return "".join(text[i : i + _LINE] + "\n" for i in range(0, len(text), _LINE))


def _common(w: Where, node: Node, kind: str) -> dict[str, Any]:
    """The keys every content object has, in GitHub's order."""
    urls = w.urls
    self_url = urls.contents(w.full_name, node.path, w.ref)
    if kind == "submodule":
        git_url, html_url = _submodule_urls(urls, node)
    elif kind == "dir":
        git_url = urls.git_tree(w.full_name, node.sha)
        html_url = urls.tree_html(w.full_name, w.ref, node.path)
    else:
        git_url = urls.git_blob(w.full_name, node.sha)
        html_url = urls.blob_html(w.full_name, w.ref, node.path)
    download = w.download(node.path) if kind in ("file", "symlink") else None
    return {
        "name": node.name,
        "path": node.path,
        "sha": node.sha,
        "size": node.size,
        "url": self_url,
        "html_url": html_url,
        "git_url": git_url,
        "download_url": download,
        "type": kind,
        "_links": {"self": self_url, "git": git_url, "html": html_url},
    }


def _with_links_last(body: dict[str, Any]) -> dict[str, Any]:
    links = body.pop("_links")
    body["_links"] = links
    return body


def content_entry(w: Where, node: Node) -> dict[str, Any]:
    """One item of a directory listing (no content); submodules are 'file' before 2026-03-10."""
    kind = node.kind
    if kind == "submodule" and w.api_version < "2026-03-10":
        kind = "file"
        body = _common(w, node, "submodule")
        body["type"] = kind
        return body
    return _common(w, node, kind)


def content_directory(w: Where, entries: Iterable[Node]) -> list[dict[str, Any]]:
    return [content_entry(w, node) for node in entries]


def content_file(w: Where, node: Node, data: bytes | None) -> dict[str, Any]:
    """A file with its content; data None (a 1-100 MB blob, object media type) -> encoding 'none'."""
    body = _common(w, node, "file")
    body["content"] = wrapped_base64(data) if data is not None else ""
    body["encoding"] = "base64" if data is not None else "none"
    return _with_links_last(body)


def content_symlink(w: Where, node: Node) -> dict[str, Any]:
    body = _common(w, node, "symlink")
    body["target"] = node.target
    return _with_links_last(body)


def content_submodule(w: Where, node: Node) -> dict[str, Any]:
    body = _common(w, node, "submodule")
    body["submodule_git_url"] = node.submodule_url or ""
    return _with_links_last(body)


def content_tree(w: Where, node: Node, entries: Iterable[Node]) -> dict[str, Any]:
    """A directory as one object (application/vnd.github.object)."""
    body = _common(w, node, "dir")
    body["entries"] = [content_entry(dataclasses.replace(w, api_version="2026-03-10"), e) for e in entries]
    return body


def content_commit_file(w: Where, node: Node) -> dict[str, Any]:
    """The `content` of a file-commit: a file object without content or encoding."""
    return _common(w, node, "file")


def _hosted(urls: Urls, url: str | None) -> str | None:
    """'owner/repo' when a submodule URL points at a repository on this server."""
    if not url:
        return None
    host = re.escape(urls.host())
    for pattern in (
        rf"^{re.escape(urls.public)}/([^/]+/[^/]+?)(?:\.git)?/?$",
        rf"^(?:git|ssh|https?)://(?:[^@/]+@)?{host}/([^/]+/[^/]+?)(?:\.git)?/?$",
        rf"^[^@/]+@{host}:([^/]+/[^/]+?)(?:\.git)?$",
    ):
        match = re.match(pattern, url)
        if match:
            return match.group(1)
    return None


def _submodule_urls(urls: Urls, node: Node) -> tuple[str | None, str | None]:
    other = _hosted(urls, node.submodule_url)
    if other is None:
        return None, None
    return urls.git_tree(other, node.sha), urls.tree_html(other, node.sha)


def git_commit(urls: Urls, full_name: str, repo_id: int, info: CommitInfo) -> dict[str, Any]:
    """The `commit` of a file-commit (GitHub's git commit object, unsigned)."""
    return {
        "sha": info.sha,
        "node_id": node_id("Commit", f"{repo_id}:{info.sha}"),
        "url": urls.git_commit(full_name, info.sha),
        "html_url": urls.commit_html(full_name, info.sha),
        "author": person(info.author),
        "committer": person(info.committer),
        "tree": {"sha": info.tree, "url": urls.git_tree(full_name, info.tree)},
        "message": info.message,
        "parents": [
            {"url": urls.git_commit(full_name, p), "html_url": urls.commit_html(full_name, p), "sha": p}
            for p in info.parents
        ],
        "verification": UNSIGNED,
    }


def file_commit(content: dict[str, Any] | None, commit: dict[str, Any]) -> dict[str, Any]:
    return {"content": content, "commit": commit}
