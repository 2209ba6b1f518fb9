"""`hubdepot mirror`, write side for releases and assets: rows copied from the source with the
source's fields and dates, each linked to its source id (services/mirror/__init__.py keeps the links).

Invariants: an asset row is inserted only once its bytes are stored and verified (the caller
commits the blob first), together with its link, in one transaction; a release that is new here
is made as a draft (invisible to readers) until its assets are in, then shown as at the source.

Rows are written through the API's own funnels (services.release_writes.insert/write/announce/remove,
services.assets.insert/checked_fields): the same rules for tags, names, lengths and media types, and the
same webhook events, sent by the system account (docs/security.md: the mirror's rule for events).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import sqlalchemy as sa

from hubdepot.db.tables import mirror_links, release_assets, releases
from hubdepot.hub import Hub
from hubdepot.services import SYSTEM, RepoAccess
from hubdepot.services import assets as asset_service
from hubdepot.services import release_writes as writes
from hubdepot.services import releases as reads

RELEASE, ASSET = "release", "asset"


@dataclasses.dataclass(frozen=True)
class ReleaseCopy:
    """A source release, as the fields hubdepot stores."""

    source_id: int
    tag_name: str
    target_commitish: str
    name: str | None
    body: str | None
    draft: bool
    prerelease: bool
    immutable: bool
    created_at: dt.datetime
    updated_at: dt.datetime
    published_at: dt.datetime | None
    author_id: int | None


@dataclasses.dataclass(frozen=True)
class AssetCopy:
    source_id: int
    name: str
    label: str | None
    content_type: str
    created_at: dt.datetime
    updated_at: dt.datetime
    uploader_id: int | None


def _link(conn: sa.Connection, access: RepoAccess, kind: str, source_id: int, local_id: int, fingerprint: str) -> None:
    where = sa.and_(
        mirror_links.c.repository_id == access.id, mirror_links.c.kind == kind, mirror_links.c.source_id == source_id
    )
    conn.execute(mirror_links.delete().where(where))
    conn.execute(
        mirror_links.insert().values(
            repository_id=access.id, kind=kind, source_id=source_id, local_id=local_id, fingerprint=fingerprint
        )
    )


def _unlink(conn: sa.Connection, access: RepoAccess, kind: str, local_ids: list[int]) -> None:
    if local_ids:
        conn.execute(
            mirror_links.delete().where(
                mirror_links.c.repository_id == access.id,
                mirror_links.c.kind == kind,
                mirror_links.c.local_id.in_(local_ids),
            )
        )


def _release_values(copy: ReleaseCopy, hidden: bool) -> dict[str, Any]:
    values = {f.name: getattr(copy, f.name) for f in dataclasses.fields(copy) if f.name != "source_id"}
    if hidden:
        values.update(draft=True, immutable=False)
    if values["draft"]:
        values["published_at"] = None
    return values


def put_release(
    hub: Hub, access: RepoAccess, copy: ReleaseCopy, local_id: int | None, fingerprint: str, *, hidden: bool = False
) -> int:
    """Insert or update the local copy of a source release; `hidden` keeps it a draft (and its
    fingerprint unfinished) until its assets are copied. Returns the local release id."""
    values = _release_values(copy, hidden)
    with hub.db.write() as conn:  # (insert and write check the fields, as for the API)
        old = None
        if local_id is not None:
            old = conn.execute(
                sa.select(releases).where(releases.c.id == local_id, releases.c.repository_id == access.id)
            ).first()
        if old is not None:
            writes.write(conn, access, old.id, values)
        else:
            local_id = writes.insert(conn, access, values)
        assert local_id is not None, "exists only with a local id"
        writes.announce(conn, hub, access, SYSTEM, local_id, old)
        _link(conn, access, RELEASE, copy.source_id, local_id, "" if hidden else fingerprint)
    return local_id


def delete_release(hub: Hub, access: RepoAccess, local_id: int) -> None:
    """The release, its assets (rows; blobs go to `storage gc`) and their links."""
    with hub.db.write() as conn:
        asset_ids = list(
            conn.execute(sa.select(release_assets.c.id).where(release_assets.c.release_id == local_id)).scalars()
        )
        row = conn.execute(
            sa.select(releases).where(releases.c.id == local_id, releases.c.repository_id == access.id)
        ).first()
        if row is not None:
            writes.remove(conn, hub, access, SYSTEM, reads.row_by_id(conn, access, row.id))
        _unlink(conn, access, ASSET, asset_ids)
        _unlink(conn, access, RELEASE, [local_id])


def add_asset(
    hub: Hub,
    access: RepoAccess,
    release_id: int,
    copy: AssetCopy,
    blob: tuple[str, str, int],
    fingerprint: str,
    replaces: int | None = None,
) -> int:
    """The asset row for stored, verified bytes `blob` = (key, sha256 hex, size), replacing the
    local asset `replaces` (or one of the same name) in the same transaction."""
    fields = asset_service.checked_fields(_asset_values(copy))
    with hub.db.write() as conn:
        stale = list(
            conn.execute(
                sa.select(release_assets.c.id).where(
                    release_assets.c.release_id == release_id,
                    sa.or_(release_assets.c.name == fields["name"], release_assets.c.id == (replaces or -1)),
                )
            ).scalars()
        )
        if stale:
            conn.execute(release_assets.delete().where(release_assets.c.id.in_(stale)))
            _unlink(conn, access, ASSET, stale)
        asset_id = asset_service.insert(conn, release_id, fields, blob)
        _link(conn, access, ASSET, copy.source_id, asset_id, fingerprint)
    return asset_id


def update_asset(hub: Hub, access: RepoAccess, local_id: int, copy: AssetCopy, fingerprint: str) -> None:
    """Name, label, content type and dates changed at the source; the bytes did not."""
    fields = asset_service.checked_fields(_asset_values(copy))
    with hub.db.write(duplicate=asset_service.duplicate()) as conn:
        conn.execute(release_assets.update().where(release_assets.c.id == local_id).values(**fields))
        _link(conn, access, ASSET, copy.source_id, local_id, fingerprint)


def _asset_values(copy: AssetCopy) -> dict[str, Any]:
    return {f.name: getattr(copy, f.name) for f in dataclasses.fields(copy) if f.name != "source_id"}


def delete_assets(hub: Hub, access: RepoAccess, local_ids: list[int]) -> None:
    if not local_ids:
        return
    with hub.db.write() as conn:
        conn.execute(release_assets.delete().where(release_assets.c.id.in_(local_ids)))
        _unlink(conn, access, ASSET, local_ids)


def local_assets(hub: Hub, release_id: int) -> dict[int, tuple[str, int]]:
    """The assets of a local release: id -> (digest, size)."""
    with hub.db.read() as conn:
        rows = conn.execute(
            sa.select(release_assets.c.id, release_assets.c.digest, release_assets.c.size).where(
                release_assets.c.release_id == release_id
            )
        ).all()
    return {row.id: (row.digest, row.size) for row in rows}


def set_latest(hub: Hub, access: RepoAccess, local_id: int | None) -> None:
    """The source's "latest" release is pinned here; none at the source: none here either."""
    with hub.db.write() as conn:
        mine = releases.c.repository_id == access.id
        conn.execute(releases.update().where(mine).values(latest_pinned=False, latest_excluded=local_id is None))
        if local_id is not None:
            conn.execute(
                releases.update()
                .where(mine, releases.c.id == local_id)
                .values(latest_pinned=True, latest_excluded=False)
            )
