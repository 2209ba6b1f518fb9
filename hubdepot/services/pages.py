"""Read use cases behind the web pages. Permissions are the API's: every lookup goes through
repos.find (NotFound for what the caller cannot see), releases hide drafts from callers without push.

Refs with slashes resolve as on GitHub: /tree/<rest> and /blob/<rest> try each split of <rest>
into ref and path, shortest ref first, and the first that names something wins.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import sqlalchemy as sa

from hubdepot import errors
from hubdepot.db.tables import release_assets
from hubdepot.db.tables import releases as releases_table
from hubdepot.git import history, trees
from hubdepot.git import refs as git_refs
from hubdepot.hub import Hub
from hubdepot.services import Actor, RepoAccess, Row, contents, downloads
from hubdepot.services import releases as reads
from hubdepot.services import repos as repo_service
from hubdepot.services.accounts import by_id, by_login

PAGE_LIMIT = 1024 * 1024  # files up to this size are shown inline; larger ones link to raw


@dataclasses.dataclass(frozen=True)
class Owner:
    account: Row  # an accounts row
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
    latest: Row | None  # the latest release's row
    releases: int
    branches: int
    tags: int


def repo_home(hub: Hub, actor: Actor | None, owner_login: str, name: str) -> RepoHome:
    access = repo_service.find(hub, actor, owner_login, name)
    branches, tags = history.ref_counts(access.git_dir)
    listing = readme = None
    if branches:
        try:
            listing = contents.read(access, "", None, "json")
            readme = contents.readme(access, None, listing.commit.sha, "raw")
        except errors.NotFound:
            pass  # the default branch is missing (HEAD elsewhere) or there is no README
        except errors.Forbidden:
            readme = None  # a README above 100 MB is not shown
    total, latest = _release_summary(hub, access)
    return RepoHome(access, listing, readme, latest, total, branches, tags)


_RELEASE = sa.select(releases_table).where(releases_table.c.id == sa.bindparam("release_id"))


def _release_summary(hub: Hub, access: RepoAccess) -> tuple[int, Row | None]:
    """(how many releases the caller may see, the latest release's row or None), without assets."""
    with hub.db.read() as conn:
        total = reads.count_visible(hub, conn, access)
        found = reads.latest_id(conn, access.id) if total else None
        row = conn.execute(_RELEASE, {"release_id": found}).first() if found else None
    return total, row


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
            found = trees.lookup(access.git_dir, ref, access.repo.default_branch, contents.split_path(path), PAGE_LIMIT)
        except errors.NotFound:
            continue
        return Browse(access, ref, path, found, _readme(access, path, ref) if found.node.kind == "dir" else None)
    raise errors.NotFound()


def _readme(access: RepoAccess, path: str, ref: str) -> trees.Found | None:
    try:
        return contents.readme(access, path or None, ref, "raw")
    except (errors.NotFound, errors.Forbidden):
        return None


def branches(hub: Hub, actor: Actor | None, owner_login: str, name: str) -> tuple[RepoAccess, list[git_refs.Ref]]:
    """(access, branches by name) for /branches."""
    access = repo_service.find(hub, actor, owner_login, name)
    return access, git_refs.branches(access.git_dir)


def releases_page(
    hub: Hub, actor: Actor | None, owner_login: str, name: str, offset: int, limit: int, assets_each: int
) -> tuple[RepoAccess, list[reads.ReleaseView], int, dict[int, int], int | None]:
    """(access, views with their first `assets_each` assets, total, {release id: asset count}, latest id)."""
    access = repo_service.find(hub, actor, owner_login, name)
    return (access, *reads.list_summaries(hub, access, offset, limit, assets_each))


_ASSET_COUNT = (
    sa.select(sa.func.count())
    .select_from(release_assets)
    .where(release_assets.c.release_id == sa.bindparam("release_id"))
)
_ASSET_PAGE = (
    sa.select(release_assets)
    .where(release_assets.c.release_id == sa.bindparam("release_id"))
    .order_by(release_assets.c.id)
    .offset(sa.bindparam("offset"))
    .limit(sa.bindparam("limit"))
)


@dataclasses.dataclass(frozen=True)
class ReleasePage:
    access: RepoAccess
    view: reads.ReleaseView  # with one page of its assets
    asset_count: int
    latest_id: int | None


def release(
    hub: Hub, actor: Actor | None, owner_login: str, name: str, url_tag: str, offset: int, limit: int
) -> ReleasePage:
    """/releases/tag/<tag> (drafts by their untagged- name, with push) with one page of its assets."""
    access = repo_service.find(hub, actor, owner_login, name)
    with hub.db.read() as conn:
        row = reads.published_by_tag(conn, access.id, url_tag)
        if row is None:
            row = reads.by_url_tag(hub, access, url_tag).row  # a draft, or NotFound
        count = conn.execute(_ASSET_COUNT, {"release_id": row.id}).scalar_one()
        assets = conn.execute(_ASSET_PAGE, {"release_id": row.id, "offset": offset, "limit": limit}).all()
        author = by_id(conn, row.author_id)
        latest = reads.latest_id(conn, access.id)
    if author is None:  # gone meanwhile (its releases go with it: ON DELETE CASCADE)
        raise errors.NotFound()
    view = reads.ReleaseView(row, author, [reads.AssetView(a, None) for a in assets], access.full_name)
    return ReleasePage(access, view, count, latest)


def latest_tag(hub: Hub, actor: Actor | None, owner_login: str, name: str) -> tuple[RepoAccess, str | None]:
    """(access, the latest release's tag or None) for /releases/latest."""
    access = repo_service.find(hub, actor, owner_login, name)
    try:
        return access, reads.latest(hub, access).row.tag_name
    except errors.NotFound:
        return access, None


def tags(hub: Hub, actor: Actor | None, owner_login: str, name: str) -> tuple[RepoAccess, list[git_refs.Ref], set[str]]:
    """(access, tags newest name first, tag names that have a published release)."""
    access = repo_service.find(hub, actor, owner_login, name)
    found = git_refs.tags(access.git_dir)
    with hub.db.read() as conn:
        released = set(
            conn.execute(
                sa.select(releases_table.c.tag_name).where(
                    releases_table.c.repository_id == access.id, releases_table.c.draft.is_(False)
                )
            ).scalars()
        )
    return access, found, released


def legacy_downloads(
    hub: Hub, actor: Actor | None, owner_login: str, name: str, offset: int, limit: int
) -> tuple[RepoAccess, Sequence[Row], int]:
    """(access, uploaded downloads, total) for the legacy /downloads page."""
    access = repo_service.find(hub, actor, owner_login, name)
    rows, total = downloads.list_for(hub, access, offset, limit)
    return access, rows, total


def commits(
    hub: Hub, actor: Actor | None, owner_login: str, name: str, ref: str, skip: int, limit: int
) -> tuple[RepoAccess, trees.Resolved, list[history.Commit], bool]:
    """(access, resolved ref, commits, more) for /commits/<ref>."""
    access = repo_service.find(hub, actor, owner_login, name)
    resolved = trees.resolve(access.git_dir, ref or None, access.repo.default_branch)
    found, more = history.log(access.git_dir, resolved.sha, skip, limit)
    return access, resolved, found, more


def commit(
    hub: Hub, actor: Actor | None, owner_login: str, name: str, sha: str
) -> tuple[RepoAccess, history.Commit, list[history.FileChange]]:
    """(access, commit, changed files) for /commit/<sha>."""
    access = repo_service.find(hub, actor, owner_login, name)
    resolved = trees.resolve(access.git_dir, sha, access.repo.default_branch)  # a sha, branch or tag only
    found, files = history.show(access.git_dir, resolved.sha)
    return access, found, files
