"""Read use cases behind the web pages. Permissions are the API's: every lookup goes through
repos.find (NotFound for what the caller cannot see), releases hide drafts from callers without push.

Refs with slashes resolve as on GitHub: /tree/<rest> and /blob/<rest> try each split of <rest>
into ref and path, shortest ref first, and the first that names something wins.
"""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa

from hubdepot import errors
from hubdepot.db.tables import releases as releases_table
from hubdepot.git import history, trees
from hubdepot.git import refs as git_refs
from hubdepot.services import Actor, Hub
from hubdepot.services import contents, downloads
from hubdepot.services import releases as reads
from hubdepot.services import repos as repo_service
from hubdepot.services.accounts import by_login
from hubdepot.services.repos import RepoAccess

PAGE_LIMIT = 1024 * 1024  # files up to this size are shown inline; larger ones link to raw


@dataclasses.dataclass(frozen=True)
class Owner:
    account: object
    repos: list[RepoAccess]


def owner(hub: Hub, actor: Actor | None, login: str) -> Owner:
    account = by_login(hub, login)
    return Owner(account, repo_service.list_for_owner(hub, actor, account.id))


def home(hub: Hub, actor: Actor | None) -> list[RepoAccess]:
    """The signed-in caller's repositories (nothing for anonymous callers)."""
    return repo_service.list_for_actor(hub, actor) if actor is not None else []


@dataclasses.dataclass(frozen=True)
class RepoHome:
    access: RepoAccess
    listing: trees.Found | None  # the default branch's root; None when the repository is empty
    readme: trees.Found | None
    latest: reads.ReleaseView | None
    releases: int
    branches: int
    tags: int


def repo_home(hub: Hub, actor: Actor | None, owner_login: str, name: str) -> RepoHome:
    access = repo_service.find(hub, actor, owner_login, name)
    branches, tags = git_refs.branches(access.git_dir), git_refs.tags(access.git_dir)
    listing = readme = None
    if branches:
        try:
            listing = contents.read(access, "", None, "json")
            readme = contents.readme(access, None, listing.commit.sha, "raw")
        except errors.NotFound:
            pass  # the default branch is missing (HEAD elsewhere) or there is no README
        except errors.Forbidden:
            readme = None  # a README above 100 MB is not shown
    _, total = reads.list_releases(hub, access, 0, 1)
    try:
        latest = reads.latest(hub, access)
    except errors.NotFound:
        latest = None
    return RepoHome(access, listing, readme, latest, total, len(branches), len(tags))


@dataclasses.dataclass(frozen=True)
class Browse:
    access: RepoAccess
    ref: str  # as written in the URL
    path: str
    found: trees.Found
    readme: trees.Found | None = None  # a directory's README


def browse(hub: Hub, actor: Actor | None, owner_login: str, name: str, rest: str) -> Browse:
    """What /tree/<rest> or /blob/<rest> names (the page redirects when it is the other kind)."""
    access = repo_service.find(hub, actor, owner_login, name)
    segments = rest.strip("/").split("/")
    for i in range(1, len(segments) + 1):
        ref, path = "/".join(segments[:i]), "/".join(segments[i:])
        if not ref:
            continue
        try:
            found = trees.lookup(access.git_dir, ref, access.repo.default_branch, contents.split_path(path),
                                 PAGE_LIMIT)
        except errors.NotFound:
            continue
        return Browse(access, ref, path, found, _readme(access, path, ref) if found.node.kind == "dir" else None)
    raise errors.NotFound()


def _readme(access: RepoAccess, path: str, ref: str) -> trees.Found | None:
    try:
        return contents.readme(access, path or None, ref, "raw")
    except (errors.NotFound, errors.Forbidden):
        return None


def branches(hub: Hub, actor: Actor | None, owner_login: str, name: str):
    """(access, branches by name) for /branches."""
    access = repo_service.find(hub, actor, owner_login, name)
    return access, git_refs.branches(access.git_dir)


def releases_page(hub: Hub, actor: Actor | None, owner_login: str, name: str, offset: int, limit: int):
    """(access, views, total, latest id) for /releases."""
    access = repo_service.find(hub, actor, owner_login, name)
    views, total = reads.list_releases(hub, access, offset, limit)
    return access, views, total, reads.current_latest_id(hub, access.id)


def release(hub: Hub, actor: Actor | None, owner_login: str, name: str, url_tag: str):
    """(access, view, latest id) for /releases/tag/<tag> (drafts by their untagged- name, with push)."""
    access = repo_service.find(hub, actor, owner_login, name)
    return access, reads.by_url_tag(hub, access, url_tag), reads.current_latest_id(hub, access.id)


def latest_tag(hub: Hub, actor: Actor | None, owner_login: str, name: str):
    """(access, the latest release's tag or None) for /releases/latest."""
    access = repo_service.find(hub, actor, owner_login, name)
    try:
        return access, reads.latest(hub, access).row.tag_name
    except errors.NotFound:
        return access, None


def tags(hub: Hub, actor: Actor | None, owner_login: str, name: str):
    """(access, tags newest name first, tag names that have a published release)."""
    access = repo_service.find(hub, actor, owner_login, name)
    found = git_refs.tags(access.git_dir)
    with hub.db.read() as conn:
        released = set(conn.execute(sa.select(releases_table.c.tag_name).where(
            releases_table.c.repository_id == access.id, releases_table.c.draft.is_(False))).scalars())
    return access, found, released


def legacy_downloads(hub: Hub, actor: Actor | None, owner_login: str, name: str, offset: int, limit: int):
    """(access, uploaded downloads, total) for the legacy /downloads page."""
    access = repo_service.find(hub, actor, owner_login, name)
    rows, total = downloads.list_for(hub, access, offset, limit)
    return access, rows, total


def commits(hub: Hub, actor: Actor | None, owner_login: str, name: str, ref: str, skip: int, limit: int):
    """(access, resolved ref, commits, more) for /commits/<ref>."""
    access = repo_service.find(hub, actor, owner_login, name)
    resolved = trees.resolve(access.git_dir, ref or None, access.repo.default_branch)
    found, more = history.log(access.git_dir, resolved.sha, skip, limit)
    return access, resolved, found, more


def commit(hub: Hub, actor: Actor | None, owner_login: str, name: str, sha: str):
    """(access, commit, changed files) for /commit/<sha>."""
    access = repo_service.find(hub, actor, owner_login, name)
    found, files = history.show(access.git_dir, sha)
    return access, found, files
