"""Urls: builds every URL hubdepot emits, on GitHub Enterprise Server's one-origin layout."""

from __future__ import annotations

import base64
import re
from urllib.parse import quote

_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*")  # what quote() never changes
_UNRESERVED_PATH = re.compile(r"[A-Za-z0-9_.~/-]*")


def node_id(kind: str, ident: int | str) -> str:
    """GitHub's legacy global node id: base64 of '<len(kind)>:<kind><id>', e.g. MDc6UmVsZWFzZTE=."""
    return base64.b64encode(f"0{len(kind)}:{kind}{ident}".encode()).decode()


def q(segment: str) -> str:
    """Quote one path segment (slashes included)."""
    return segment if _UNRESERVED.fullmatch(segment) else quote(segment, safe="")


def qpath(path: str) -> str:
    """Quote a multi-segment path, keeping its slashes. (The fast path matters for 1,000-entry listings.)"""
    return path if _UNRESERVED_PATH.fullmatch(path) else quote(path, safe="/")


class Urls:
    def __init__(self, public: str):
        self.public = public.rstrip("/")
        self.api = f"{self.public}/api/v3"
        self.uploads = f"{self.public}/api/uploads"
        self.graphql = f"{self.public}/api/graphql"

    # -- accounts --------------------------------------------------------
    def user(self, login: str) -> str:
        return f"{self.api}/users/{q(login)}"

    def user_html(self, login: str) -> str:
        return f"{self.public}/{q(login)}"

    def avatar(self, account_id: int) -> str:
        return f"{self.public}/avatars/u/{account_id}?v=4"

    # -- repositories ----------------------------------------------------
    def repo(self, full_name: str) -> str:
        return f"{self.api}/repos/{full_name}"

    def repo_html(self, full_name: str) -> str:
        return f"{self.public}/{full_name}"

    def repo_by_id(self, repo_id: int) -> str:
        return f"{self.api}/repositories/{repo_id}"

    def clone(self, full_name: str) -> str:
        return f"{self.public}/{full_name}.git"

    def host(self) -> str:
        return self.public.split("://", 1)[1].split("/", 1)[0]

    def tarball(self, full_name: str, ref: str) -> str:
        return f"{self.repo(full_name)}/tarball/{qpath(ref)}"

    def zipball(self, full_name: str, ref: str) -> str:
        return f"{self.repo(full_name)}/zipball/{qpath(ref)}"

    def commit(self, full_name: str, sha: str) -> str:
        return f"{self.repo(full_name)}/commits/{sha}"

    def commit_html(self, full_name: str, sha: str) -> str:
        return f"{self.repo_html(full_name)}/commit/{sha}"

    def git_commit(self, full_name: str, sha: str) -> str:
        return f"{self.repo(full_name)}/git/commits/{sha}"

    def git_tree(self, full_name: str, sha: str) -> str:
        return f"{self.repo(full_name)}/git/trees/{sha}"

    def git_blob(self, full_name: str, sha: str) -> str:
        return f"{self.repo(full_name)}/git/blobs/{sha}"

    def contents(self, full_name: str, path: str, ref: str | None = None) -> str:
        url = f"{self.repo(full_name)}/contents/{qpath(path)}"
        return f"{url}?ref={q(ref)}" if ref else url

    def blob_html(self, full_name: str, ref: str, path: str, kind: str = "blob") -> str:
        return f"{self.repo_html(full_name)}/{kind}/{qpath(ref)}/{qpath(path)}"

    def raw(self, full_name: str, ref: str, path: str) -> str:
        return f"{self.public}/raw/{full_name}/{qpath(ref)}/{qpath(path)}"

    def codeload(self, full_name: str, fmt: str, ref: str) -> str:
        """Where GET /tarball|/zipball redirects (GHES layout: /_codeload/o/r/legacy.tar.gz/refs/heads/main)."""
        return f"{self.public}/_codeload/{full_name}/legacy.{fmt}/{qpath(ref)}"

    def archive_html(self, full_name: str, ref: str, fmt: str) -> str:
        """The web archive URL, e.g. /o/r/archive/refs/tags/v1.0.zip."""
        return f"{self.repo_html(full_name)}/archive/{qpath(ref)}.{fmt}"

    # -- releases --------------------------------------------------------
    def release(self, full_name: str, release_id: int) -> str:
        return f"{self.repo(full_name)}/releases/{release_id}"

    def release_html(self, full_name: str, tag: str) -> str:
        return f"{self.repo_html(full_name)}/releases/tag/{qpath(tag)}"

    def upload(self, full_name: str, release_id: int) -> str:
        return f"{self.uploads}/repos/{full_name}/releases/{release_id}/assets{{?name,label}}"

    def asset(self, full_name: str, asset_id: int) -> str:
        return f"{self.repo(full_name)}/releases/assets/{asset_id}"

    def browser_download(self, full_name: str, tag: str, name: str) -> str:
        return f"{self.repo_html(full_name)}/releases/download/{qpath(tag)}/{q(name)}"

    # -- legacy downloads ------------------------------------------------
    def download(self, full_name: str, download_id: int) -> str:
        return f"{self.repo(full_name)}/downloads/{download_id}"

    def download_html(self, full_name: str, name: str) -> str:
        return f"{self.public}/downloads/{full_name}/{q(name)}"
