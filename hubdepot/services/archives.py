"""Archives: the tarball/zipball link (API) and the archive itself (codeload and web URLs).

Private repositories: the API link carries a short-lived token bound to repository, format and
ref; web archive URLs need a token in the Authorization header (as curl against GitHub does).
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import AsyncIterator

from hubdepot import errors
from hubdepot.git import archives as git_archives
from hubdepot.git import trees
from hubdepot.hub import Hub
from hubdepot.services import SYSTEM, Actor, RepoAccess
from hubdepot.services import repos as repo_service

TOKEN_SECONDS = 300  # GitHub: "expire after five minutes"
FORMATS = {"tarball": "tar.gz", "zipball": "zip"}
CODELOAD_KINDS = {
    "legacy.tar.gz": ("tar.gz", True),
    "legacy.zip": ("zip", True),
    "tar.gz": ("tar.gz", False),
    "zip": ("zip", False),
}
MEDIA = {"tar.gz": "application/x-gzip", "zip": "application/zip"}


@dataclasses.dataclass(frozen=True)
class Archive:
    access: RepoAccess
    sha: str
    fmt: str  # tar.gz | zip
    prefix: str  # the top directory
    filename: str

    @property
    def etag(self) -> str:
        return 'W/"' + hashlib.sha1(f"{self.sha}\n{self.fmt}\n{self.prefix}".encode()).hexdigest() + '"'

    @property
    def media_type(self) -> str:
        return MEDIA[self.fmt]

    def chunks(self) -> AsyncIterator[bytes]:
        return git_archives.archive(self.access.git_dir, self.sha, self.fmt, self.prefix)


def purpose(repo_id: int, fmt: str, ref: str) -> str:
    return f"archive:{repo_id}:{fmt}:{ref}"


def link(hub: Hub, access: RepoAccess, kind: str, ref: str | None) -> str:
    """GET /repos/o/r/tarball|zipball[/ref] -> the Location: the ref expanded to its full name."""
    fmt = FORMATS[kind]
    if trees.is_empty(access.git_dir):
        full = f"refs/heads/{ref or access.repo.default_branch}"  # GitHub still redirects; the archive 404s
    else:
        try:
            full = trees.resolve(access.git_dir, ref or None, access.repo.default_branch).full
        except errors.NotFound:
            raise errors.NotFound() from None
    location = hub.urls.codeload(access.full_name, fmt, full)
    if access.repo.private:
        location += "?token=" + hub.signer.sign(purpose(access.id, fmt, full), TOKEN_SECONDS)
    return location


def codeload(hub: Hub, owner: str, name: str, kind: str, ref: str, token: str | None) -> Archive:
    """The archive behind a link() Location (legacy.* kinds) or codeload's plain tar.gz/zip form."""
    if kind not in CODELOAD_KINDS:
        raise errors.NotFound()
    fmt, legacy = CODELOAD_KINDS[kind]
    access = repo_service.find(hub, SYSTEM, owner, name)
    if access.repo.private and not hub.signer.check(purpose(access.id, fmt, ref), token):
        raise errors.NotFound()
    return _archive(access, ref, fmt, legacy)


def web(hub: Hub, actor: Actor | None, owner: str, name: str, rest: str) -> Archive:
    """/o/r/archive/<ref>.tar.gz|.zip (ref may be refs/heads/x or refs/tags/x)."""
    for fmt in ("tar.gz", "zip"):
        if rest.endswith("." + fmt) and len(rest) > len(fmt) + 1:
            access = repo_service.find(hub, actor, owner, name)
            return _archive(access, rest[: -len(fmt) - 1], fmt, False)
    raise errors.NotFound()


def _archive(access: RepoAccess, ref: str, fmt: str, legacy: bool) -> Archive:
    resolved = trees.resolve(access.git_dir, ref, access.repo.default_branch)
    if legacy:
        prefix = f"{access.owner.login}-{access.repo.name}-{resolved.sha[:7]}"
    else:
        prefix = f"{access.repo.name}-{_label(resolved)}"
    return Archive(access, resolved.sha, fmt, prefix, f"{prefix}.{fmt}")


def _label(resolved: trees.Resolved) -> str:
    """GitHub's web archive naming: branch or tag name (a tag's leading v dropped), '/' as '-'."""
    if resolved.full.startswith("refs/tags/"):
        label = resolved.full.removeprefix("refs/tags/")
        label = label[1:] if re.match(r"v\d", label) else label
    elif resolved.full.startswith("refs/heads/"):
        label = resolved.full.removeprefix("refs/heads/")
    else:
        label = resolved.name
    return re.sub(r"[^A-Za-z0-9._-]+", "-", label)
