"""Releases, read side: visibility, lookup, listing and the repository's "latest" pointer.

Writes live in services/release_writes.py. Rules (GitHub's): drafts are visible only to callers
with push access and are never found by tag; the latest release is the published, non-prerelease
release pinned by make_latest, else the newest one not excluded by make_latest=false.
"""

from __future__ import annotations

import collections
import dataclasses
import hashlib
import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from hubdepot import errors
from hubdepot.bounded import Bounded
from hubdepot.db.prepared import Prepared
from hubdepot.db.tables import accounts, release_assets, releases, repositories
from hubdepot.hub import Hub
from hubdepot.services import Actor, RepoAccess, Row
from hubdepot.services import repos as repo_service


@dataclasses.dataclass(frozen=True)
class AssetView:
    row: Row  # a release_assets row
    uploader: Row | None  # an accounts row


@dataclasses.dataclass(frozen=True)
class ReleaseView:
    row: Row  # a releases row
    author: Row  # an accounts row
    assets: list[AssetView]
    full_name: str

    @property
    def url_tag(self) -> str:
        """The tag in html_url and browser_download_url: untagged-<20 hex> for drafts."""
        return untagged_name(self.row) if self.row.draft else self.row.tag_name


def untagged_name(row: Row) -> str:
    digest = hashlib.sha1(f"release:{row.repository_id}:{row.id}".encode()).hexdigest()
    return f"untagged-{digest[:20]}"


def _visible(access: RepoAccess) -> sa.ColumnElement[bool]:
    """A WHERE clause for the releases of this repository the caller may see."""
    clause = releases.c.repository_id == access.id
    return clause if access.can("push") else sa.and_(clause, releases.c.draft.is_(False))


_ACCOUNT = Prepared(sa.select(accounts).where(accounts.c.id == sa.bindparam("id")))
_ASSETS_OF = Prepared(
    sa.select(release_assets).where(release_assets.c.release_id == sa.bindparam("id")).order_by(release_assets.c.id)
)


def _accounts(conn: sa.Connection, ids: set[int]) -> dict[int, Row]:
    if len(ids) == 1:  # (a statement built once; IN's list is spelt out anew at every execution)
        return {row.id: row for row in _ACCOUNT.all(conn, {"id": next(iter(ids))})}
    if not ids:
        return {}
    return {row.id: row for row in conn.execute(sa.select(accounts).where(accounts.c.id.in_(ids)))}


def _assets(conn: sa.Connection, ids: list[int], each: int | None) -> Sequence[Row]:
    """The assets of releases `ids`, oldest first (the first `each` of each release, when given)."""
    if not ids:
        return []
    if len(ids) == 1 and each is None:  # (a statement built once, as _accounts)
        found: Sequence[Row] = _ASSETS_OF.all(conn, {"id": ids[0]})
        return found
    query = sa.select(release_assets).where(release_assets.c.release_id.in_(ids)).order_by(release_assets.c.id)
    if each is not None:
        rank = sa.func.row_number().over(partition_by=release_assets.c.release_id, order_by=release_assets.c.id)
        ranked = sa.select(release_assets, rank.label("rank")).where(release_assets.c.release_id.in_(ids)).subquery()
        query = sa.select(ranked).where(ranked.c.rank <= each).order_by(ranked.c.id)
    return conn.execute(query).all()


def views(
    conn: sa.Connection, access: RepoAccess, rows: Sequence[Row], assets_each: int | None = None
) -> list[ReleaseView]:
    """Rows of `releases` with their author, assets (the first `assets_each` of each, when given) and
    uploaders (three queries in all)."""
    ids = [row.id for row in rows]
    assets: dict[int, list[Row]] = {i: [] for i in ids}
    for asset in _assets(conn, ids, assets_each):
        assets[asset.release_id].append(asset)
    uploaders = {a.uploader_id for a in itertools.chain.from_iterable(assets.values()) if a.uploader_id}
    people = _accounts(conn, {r.author_id for r in rows} | uploaders)
    return [
        ReleaseView(
            row,
            people[row.author_id],
            [AssetView(a, people.get(a.uploader_id)) for a in assets[row.id]],
            access.full_name,
        )
        for row in rows
    ]


def _order() -> tuple[sa.UnaryExpression[Any], ...]:
    return (releases.c.draft.desc(), releases.c.created_at.desc(), releases.c.id.desc())


# (repository, drafts shown) -> (generation, count), the 10,000 most recently used
_totals: Bounded[tuple[int, int]] = Bounded(10_000, lambda _entry: 1)


def count_visible(hub: Hub, conn: sa.Connection, access: RepoAccess) -> int:
    """How many releases the caller may see. Counting is the one part of a list page that grows with
    the repository, so the count is kept per process until the next write (the data dir's write
    generation, read before counting, as http/cache does)."""
    generation = hub.db.generation.current() if hub.db.generation is not None else None
    key = (access.id, access.can("push"))
    found = _totals.get(key)
    if found is not None and found[0] == generation:
        return found[1]
    total: int = conn.execute(sa.select(sa.func.count()).select_from(releases).where(_visible(access))).scalar_one()
    if generation is not None:
        _totals.put(key, (generation, total))
    return total


def list_releases(hub: Hub, access: RepoAccess, offset: int, limit: int) -> tuple[list[ReleaseView], int]:
    """One page of the releases the caller may see (drafts first, then newest first) and the total."""
    with hub.db.read() as conn:
        total = count_visible(hub, conn, access)
        rows = conn.execute(
            sa.select(releases).where(_visible(access)).order_by(*_order()).offset(offset).limit(limit)
        ).all()
        return views(conn, access, rows), total


def list_summaries(
    hub: Hub, access: RepoAccess, offset: int, limit: int, assets_each: int
) -> tuple[list[ReleaseView], int, dict[int, int], int | None]:
    """list_releases for the web page: (views with at most `assets_each` assets each, total,
    {release id: its asset count}, the latest release's id)."""
    with hub.db.read() as conn:
        total = count_visible(hub, conn, access)
        rows = conn.execute(
            sa.select(releases).where(_visible(access)).order_by(*_order()).offset(offset).limit(limit)
        ).all()
        counts: dict[int, int] = dict(
            conn.execute(
                sa.select(release_assets.c.release_id, sa.func.count())
                .where(release_assets.c.release_id.in_([r.id for r in rows]))
                .group_by(release_assets.c.release_id)
            ).all()
        )
        return views(conn, access, rows, assets_each), total, counts, latest_id(conn, access.id)


def row_by_id(conn: sa.Connection, access: RepoAccess, release_id: int) -> Row:
    row = conn.execute(sa.select(releases).where(_visible(access), releases.c.id == release_id)).first()
    if row is None:
        raise errors.NotFound()
    return row


def get(hub: Hub, access: RepoAccess, release_id: int) -> ReleaseView:
    with hub.db.read() as conn:
        return views(conn, access, [row_by_id(conn, access, release_id)])[0]


def published_by_tag(conn: sa.Connection, repo_id: int, tag: str) -> Row | None:
    return conn.execute(
        sa.select(releases)
        .where(
            releases.c.repository_id == repo_id,
            releases.c.tag_name == tag,
            releases.c.draft.is_(False),
        )
        .order_by(releases.c.id)
    ).first()


def by_tag(hub: Hub, access: RepoAccess, tag: str) -> ReleaseView:
    """The published release of `tag`; drafts are never found by tag."""
    with hub.db.read() as conn:
        row = published_by_tag(conn, access.id, tag)
        if row is None:
            raise errors.NotFound()
        return views(conn, access, [row])[0]


def any_by_tag(hub: Hub, access: RepoAccess, tag: str) -> ReleaseView | None:
    """The release of `tag` as GraphQL's repository.release(tagName:) sees it: published first,
    else the caller's newest draft with that tag name."""
    with hub.db.read() as conn:
        row = published_by_tag(conn, access.id, tag)
        if row is None:
            row = conn.execute(
                sa.select(releases).where(_visible(access), releases.c.tag_name == tag).order_by(releases.c.id.desc())
            ).first()
        return views(conn, access, [row])[0] if row is not None else None


def _latest_id_of(repo_id: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """GitHub's latest release of the repository `repo_id`: the pinned one (make_latest=true, the last
    published first), else the newest one make_latest=false did not exclude. Each is an index seek
    (ix_releases_pinned, ix_releases_latest), not a sort of every release."""
    eligible = (releases.c.repository_id == repo_id, releases.c.draft.is_(False), releases.c.prerelease.is_(False))
    pinned = (
        sa.select(releases.c.id)
        .where(*eligible, releases.c.latest_pinned.is_(True))
        .order_by(releases.c.published_at.desc(), releases.c.created_at.desc(), releases.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    newest = (
        sa.select(releases.c.id)
        .where(*eligible, releases.c.latest_excluded.is_(False))
        .order_by(releases.c.created_at.desc(), releases.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return sa.func.coalesce(pinned, newest)


_LATEST_ID = Prepared(sa.select(_latest_id_of(sa.bindparam("repo_id")).label("id")))  # (built once: pages ask)
_LATEST = releases.alias("latest")
_author, _uploader = accounts.alias("author"), accounts.alias("uploader")
_WHOLE: tuple[sa.FromClause, ...] = (_LATEST, _author, release_assets, _uploader)  # (in its columns' order)
_WHOLE_COLUMNS = [c.label(f"c{i}_{n}") for i, part in enumerate(_WHOLE) for n, c in enumerate(part.c)]


def _details(select: sa.Select[Any]) -> sa.Select[Any]:
    """`select` (which reads _LATEST) joined to the release's author, assets and their uploaders: one
    row an asset, one with none when it has none."""
    return (
        select.outerjoin(_author, _author.c.id == _LATEST.c.author_id)
        .outerjoin(release_assets, release_assets.c.release_id == _LATEST.c.id)
        .outerjoin(_uploader, _uploader.c.id == release_assets.c.uploader_id)
        .order_by(release_assets.c.id)
    )


_LATEST_WHOLE = Prepared(
    _details(sa.select(*_WHOLE_COLUMNS).where(_LATEST.c.id == _latest_id_of(sa.bindparam("repo_id"))))
)
# the repository (as find looks it up) and its latest release, in one statement (releases/latest)
_REPO_AND_LATEST = {
    by: repo_service.looking_up(
        by, _WHOLE_COLUMNS, lambda s: _details(s.outerjoin(_LATEST, _LATEST.c.id == _latest_id_of(repositories.c.id)))
    )
    for by in ("name", "id")
}
_ROW_TYPES = [(collections.namedtuple("Row", list(part.c.keys())), len(part.c)) for part in _WHOLE]


def latest_id(conn: sa.Connection, repo_id: int) -> int | None:
    row = _LATEST_ID.first(conn, {"repo_id": repo_id})
    return int(row.id) if row is not None and row.id is not None else None


def latest(hub: Hub, access: RepoAccess) -> ReleaseView:
    with hub.db.read() as conn:
        found = _LATEST_WHOLE.all(conn, {"repo_id": access.id})
    if not found:
        raise errors.NotFound()
    return _whole(found, access)


def latest_in(hub: Hub, actor: Actor | None, by: str, named: Mapping[str, Any]) -> tuple[RepoAccess, ReleaseView]:
    """The repository a path names (`by`: "name" or "id", as repos.looking_up) as the caller sees it,
    and its latest release, read in one statement; NotFound when either is missing (or invisible)."""
    with hub.db.read() as conn:
        found = _REPO_AND_LATEST[by].all(conn, repo_service.lookup_params(actor, by, named))
    access = repo_service.access_of(hub, actor, found[0] if found else None)
    width = repo_service.LOOKUP_WIDTH
    if found[0][width] is None:  # (no release is the latest)
        raise errors.NotFound()
    return access, _whole([row[width:] for row in found], access)


def _whole(found: Sequence[Row], access: RepoAccess) -> ReleaseView:
    """A release's view from _LATEST_WHOLE's rows (one an asset; one with none when it has none)."""
    rows = [_split(values) for values in found]
    release, author = rows[0][0], rows[0][1]
    assets = [AssetView(asset, uploader) for _, _, asset, uploader in rows if asset is not None]
    return ReleaseView(release, author, assets, access.full_name)


def _split(values: Sequence[Any]) -> list[Any]:
    """One row of _LATEST_WHOLE as the rows of its four tables (None: an outer join found none)."""
    out, start = [], 0
    for make, width in _ROW_TYPES:
        end = start + width
        out.append(make(*values[start:end]) if values[start] is not None else None)  # (each starts with its id)
        start = end
    return out


def by_url_tag(hub: Hub, access: RepoAccess, url_tag: str) -> ReleaseView:
    """The release a browser_download_url names: a published tag, or a draft's untagged-… name."""
    if url_tag.startswith("untagged-") and access.can("push"):
        with hub.db.read() as conn:
            drafts = conn.execute(
                sa.select(releases).where(releases.c.repository_id == access.id, releases.c.draft.is_(True))
            ).all()
            for row in drafts:
                if untagged_name(row) == url_tag:
                    return views(conn, access, [row])[0]
    return by_tag(hub, access, url_tag)


def graphql_page(
    hub: Hub, access: RepoAccess, offset: int, limit: int, order: str, ascending: bool
) -> tuple[list[ReleaseView], int, int | None]:
    """(views, total, latest id) for GraphQL's releases connection, ordered by CREATED_AT or NAME."""
    column = releases.c.tag_name if order == "NAME" else releases.c.created_at
    keys = (column.asc(), releases.c.id.asc()) if ascending else (column.desc(), releases.c.id.desc())
    with hub.db.read() as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(releases).where(_visible(access))).scalar_one()
        rows = conn.execute(
            sa.select(releases).where(_visible(access)).order_by(*keys).offset(offset).limit(limit)
        ).all()
        return views(conn, access, rows), total, latest_id(conn, access.id)


def current_latest_id(hub: Hub, repo_id: int) -> int | None:
    with hub.db.read() as conn:
        return latest_id(conn, repo_id)
