"""Release assets: GitHub's file-name sanitising, recording uploads (a row appears only once its
bytes are stored, so a dead upload leaves nothing visible), listing, editing, deleting, counting
downloads.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from hubdepot import errors
from hubdepot.db.session import inserted_id
from hubdepot.db.tables import release_assets, releases
from hubdepot.hub import Hub
from hubdepot.services import Actor, RepoAccess, Row, now
from hubdepot.services import releases as reads
from hubdepot.services.repos import find, require
from hubdepot.storage import Stored
from hubdepot.storage.intake import Blob, Intake

MAX_ASSETS = 1000
_SPECIAL = {
    "ð": "d",
    "Ð": "D",
    "æ": "ae",
    "Æ": "AE",
    "ŋ": "ng",
    "Ŋ": "NG",
    "ø": "o",
    "Ø": "O",
    "ß": "ss",
    "þ": "th",
    "Þ": "TH",
    "đ": "d",
    "Đ": "D",
    "ł": "l",
    "Ł": "L",
    "œ": "oe",
    "Œ": "OE",
    "ı": "i",  # noqa: RUF001 - the dotless i is the character being transliterated
}
_OTHER = re.compile(r"[^A-Za-z0-9._+-]+")
_DOTS = re.compile(r"\.*\x00[\x00.]*")


def sanitize_name(name: str) -> str:
    """GitHub's renaming: transliterate, every run of other characters becomes one '.', which
    merges with neighbouring dots; leading and trailing dots go."""
    text = "".join(_SPECIAL.get(ch, ch) for ch in name)
    text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    text = _DOTS.sub(".", _OTHER.sub("\x00", text))
    return text.strip(".")


def _checked_name(name: str) -> str:
    clean = sanitize_name(name)
    if not clean or len(clean) > 255:
        raise errors.ValidationFailed.one("ReleaseAsset", "name", "invalid")
    return clean


def _refuse_immutable(row: Row, action: str) -> None:
    if row.immutable and not row.draft:
        raise errors.ValidationFailed.one("ReleaseAsset", "release", "custom", f"Cannot {action} an immutable release.")


def duplicate() -> errors.ValidationFailed:
    return errors.ValidationFailed.one("ReleaseAsset", "name", "already_exists")


def _too_many() -> errors.ValidationFailed:
    return errors.ValidationFailed.one(
        "ReleaseAsset", "release", "custom", f"A release can have at most {MAX_ASSETS} assets."
    )


def _check_room(conn: sa.Connection, release_id: int, name: str) -> None:
    names = conn.execute(sa.select(release_assets.c.name).where(release_assets.c.release_id == release_id)).scalars()
    taken = set(names)
    if name in taken:
        raise duplicate()
    if len(taken) >= MAX_ASSETS:
        raise _too_many()


@dataclasses.dataclass(frozen=True)
class Upload:
    """An upload opened by open_upload(): who, where, and the row's fields, checked before any byte."""

    actor: Actor
    access: RepoAccess
    release_id: int
    fields: dict[str, Any]  # name (GitHub's renaming), label, content_type
    length: int


def _size_error() -> errors.ValidationFailed:
    return errors.ValidationFailed.one("ReleaseAsset", "size", "custom", "size is not included in the list")


def open_upload(
    hub: Hub, actor: Actor | None, access: RepoAccess, release_id: int, fields: Mapping[str, Any], length: int
) -> Upload:
    """Check an upload before its bytes arrive (push access, the release, its room, the name, label
    and media type, the declared size); the ticket the bytes are then received for."""
    require(access, actor, "push")
    assert actor is not None, "require() lets no anonymous caller push"
    if length <= 0 or length > hub.settings.upload_max_bytes:
        raise _size_error()
    checked = checked_fields(fields)
    with hub.db.read() as conn:
        row = reads.row_by_id(conn, access, release_id)
        _refuse_immutable(row, "upload assets to")
        _check_room(conn, row.id, checked["name"])
    return Upload(actor, access, row.id, checked, length)


def intake(hub: Hub, upload: Upload) -> Intake:
    """Where the upload's bytes go: exactly its declared length, no more."""
    return Intake(hub.storage, upload.length, lambda: errors.BadRequest(f"Bad Content-Length: {upload.length}"))


def finish_upload(hub: Hub, upload: Upload, blob: Blob) -> tuple[str, reads.AssetView]:
    """Insert the asset row for the received bytes. One 201 per name: the unique (release_id, name)
    constraint decides races."""
    stamp = now()
    fields = dict(upload.fields, uploader_id=upload.actor.id, created_at=stamp, updated_at=stamp)
    with hub.db.write(duplicate=duplicate()) as conn:
        conn.execute(sa.select(releases.c.id).where(releases.c.id == upload.release_id).with_for_update())
        row = reads.row_by_id(conn, upload.access, upload.release_id)
        _refuse_immutable(row, "upload assets to")
        asset_id = insert(conn, row.id, fields, blob)
        return _view(conn, upload.access, asset_id)


_MEDIA_TYPE = re.compile(r"^[\x20-\x7e]{1,255}$")  # kept as the client sent it (GitHub does): printable, one line


def checked_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """An asset's name (GitHub's renaming), label and content type as every asset row keeps them,
    whoever writes it (an upload, the mirror)."""
    out = dict(fields, name=_checked_name(fields["name"]))
    label = fields.get("label")
    if label is not None and (not isinstance(label, str) or len(label) > 255 or "\x00" in label):
        raise errors.ValidationFailed.one("ReleaseAsset", "label", "invalid")
    content_type = fields.get("content_type") or "application/octet-stream"
    if not isinstance(content_type, str) or not _MEDIA_TYPE.match(content_type):
        raise errors.ValidationFailed.one("ReleaseAsset", "content_type", "invalid")
    out["content_type"] = content_type
    return out


def insert(conn: sa.Connection, release_id: int, fields: Mapping[str, Any], blob: tuple[str, str, int]) -> int:
    """The one way a release_assets row is made (uploads and the mirror), for stored, verified bytes
    `blob` = (key, sha256 hex, size): fields checked, room and name checked in the release."""
    fields = checked_fields(fields)
    _check_room(conn, release_id, fields["name"])
    key, digest, size = blob
    values = dict(state="uploaded", size=size, digest=digest, blob_key=key, download_count=0)
    asset_id: int = inserted_id(conn.execute(release_assets.insert().values(release_id=release_id, **fields, **values)))
    return asset_id


def _view(conn: sa.Connection, access: RepoAccess, asset_id: int) -> tuple[str, reads.AssetView]:
    """(the release's url tag, the asset) for an asset the caller may see."""
    found = conn.execute(sa.select(release_assets.c.release_id).where(release_assets.c.id == asset_id)).scalar()
    if found is None:
        raise errors.NotFound()
    release = reads.views(conn, access, [reads.row_by_id(conn, access, found)])[0]
    asset = next(a for a in release.assets if a.row.id == asset_id)
    return release.url_tag, asset


def get(hub: Hub, access: RepoAccess, asset_id: int) -> tuple[str, reads.AssetView]:
    with hub.db.read() as conn:
        return _view(conn, access, asset_id)


def list_assets(
    hub: Hub, access: RepoAccess, release_id: int, offset: int, limit: int
) -> tuple[str, list[reads.AssetView], int]:
    """(url tag, one page of the release's assets, total)."""
    with hub.db.read() as conn:
        release = reads.views(conn, access, [reads.row_by_id(conn, access, release_id)])[0]
    return release.url_tag, release.assets[offset : offset + limit], len(release.assets)


def _release_of_asset(conn: sa.Connection, access: RepoAccess, asset_id: int) -> Row:
    release_id = conn.execute(
        sa.select(release_assets.c.release_id).where(release_assets.c.id == asset_id).with_for_update()
    ).scalar()
    if release_id is None:
        raise errors.NotFound()
    return reads.row_by_id(conn, access, release_id)


def update(
    hub: Hub, actor: Actor | None, access: RepoAccess, asset_id: int, changes: Mapping[str, Any]
) -> tuple[str, reads.AssetView]:
    """changes: name (sanitised like uploads) and/or label."""
    require(access, actor, "push")
    values: dict[str, object] = {"updated_at": now()}
    if "name" in changes:
        values["name"] = _checked_name(changes["name"])
    if "label" in changes:
        values["label"] = changes["label"]
    with hub.db.write(duplicate=duplicate()) as conn:
        release = _release_of_asset(conn, access, asset_id)
        _refuse_immutable(release, "modify assets of")
        conn.execute(release_assets.update().where(release_assets.c.id == asset_id).values(**values))
        return _view(conn, access, asset_id)


def delete(hub: Hub, actor: Actor | None, access: RepoAccess, asset_id: int) -> None:
    """Remove the row; the content-addressed blob may be shared and is left to `storage gc`."""
    require(access, actor, "push")
    with hub.db.write() as conn:
        release = _release_of_asset(conn, access, asset_id)
        _refuse_immutable(release, "delete assets of")
        conn.execute(release_assets.delete().where(release_assets.c.id == asset_id))


def served(hub: Hub, asset: Row) -> Stored:
    """How an asset's bytes are served (http/files.serve); a completed download counts once."""
    return Stored(
        key=asset.blob_key,
        size=asset.size,
        digest=asset.digest,
        filename=asset.name,
        modified=asset.updated_at,
        count=functools.partial(count_download, hub, asset.id),
    )


def browser_download(hub: Hub, actor: Actor | None, owner: str, repo: str, tag: str | None, name: str) -> Stored:
    """browser_download_url: the asset `name` of the release tagged `tag` (None: the latest release)."""
    access = find(hub, actor, owner, repo)
    view = reads.latest(hub, access) if tag is None else reads.by_url_tag(hub, access, tag)
    asset = next((a.row for a in view.assets if a.row.name == name), None)
    if asset is None:
        raise errors.NotFound()
    return served(hub, asset)


def count_download(hub: Hub, asset_id: int) -> None:
    with hub.db.write() as conn:
        conn.execute(
            release_assets.update()
            .where(release_assets.c.id == asset_id)
            .values(download_count=release_assets.c.download_count + 1)
        )
