"""The legacy Downloads API: list, get, create (part 1, with its S3 POST policy), delete; the
embedded S3 POST endpoint's side (part 2); serving the file at the download's html_url.

A download is created in state `new`; its file arrives with part 2 and moves it to `uploaded`.
With the embedded endpoint (local or memory storage, or S3 with s3_download=proxy) part 2 posts to
this server, which checks the policy and streams the file to storage. With S3 storage otherwise,
part 2 is a presigned POST straight to the bucket; the object is claimed (moved to its content key,
digest recorded) the first time the download is fetched.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import mimetypes
import re
from collections.abc import Sequence

import sqlalchemy as sa

from hubdepot import errors
from hubdepot.db.session import inserted_id
from hubdepot.db.tables import downloads
from hubdepot.hub import Hub
from hubdepot.services import SYSTEM, Actor, RepoAccess, Row, blobs, now, s3policy
from hubdepot.services import repos as repo_service
from hubdepot.storage import DirectUploads, Stored
from hubdepot.storage.intake import Intake

EXPIRES = 3600
BUCKET = "hubdepot"
_ENCODED = {
    "gzip": "application/gzip",
    "bzip2": "application/x-bzip2",
    "xz": "application/x-xz",
    "compress": "application/x-compress",
    "br": "application/x-brotli",
}
_BAD_NAME = re.compile(r"[/\\\x00-\x1f\x7f]")


@dataclasses.dataclass(frozen=True)
class Ticket:
    """Part 2's instructions: an S3 POST policy and where to send it."""

    policy: str
    signature: str
    bucket: str
    accesskeyid: str
    path: str
    acl: str
    expirationdate: dt.datetime
    prefix: str
    mime_type: str
    s3_url: str
    fields: dict[str, str]  # every form field to send before `file`, in order


def mime_type(name: str, content_type: str | None) -> str:
    """The Content-Type the file is stored and served with: from the name, else the declared type."""
    guessed, encoding = mimetypes.guess_type(name, strict=False)
    if encoding:  # a .tar.gz is gzip data to whoever downloads it
        return _ENCODED.get(encoding, "application/octet-stream")
    if guessed:
        return guessed
    return content_type if content_type and "/" in content_type else "application/octet-stream"


def object_name(full_name: str, name: str) -> str:
    return f"downloads/{full_name}/{name}"


def _direct(hub: Hub) -> DirectUploads | None:
    storage = hub.storage
    return storage if isinstance(storage, DirectUploads) and hub.settings.s3_download != "proxy" else None


# -- reading -----------------------------------------------------------------


def list_for(hub: Hub, access: RepoAccess, offset: int, limit: int) -> tuple[Sequence[Row], int]:
    where = downloads.c.repository_id == access.id
    with hub.db.read() as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(downloads).where(where)).scalar_one()
        rows = conn.execute(
            sa.select(downloads).where(where).order_by(downloads.c.id.desc()).offset(offset).limit(limit)
        ).all()
    return rows, total


def get(hub: Hub, access: RepoAccess, download_id: int) -> Row:
    with hub.db.read() as conn:
        row = conn.execute(
            sa.select(downloads).where(downloads.c.repository_id == access.id, downloads.c.id == download_id)
        ).first()
    if row is None:
        raise errors.NotFound()
    return row


def _by_name(hub: Hub, repo_id: int, name: str) -> Row | None:
    with hub.db.read() as conn:
        return conn.execute(
            sa.select(downloads).where(downloads.c.repository_id == repo_id, downloads.c.name == name)
        ).first()


# -- part 1 ------------------------------------------------------------------


def _check(hub: Hub, name: str, size: int) -> None:
    if not name or len(name) > 255 or name in (".", "..") or _BAD_NAME.search(name):
        raise errors.ValidationFailed.one("Download", "name", "invalid")
    if size < 0:
        raise errors.ValidationFailed.one("Download", "size", "invalid")
    if size > hub.settings.upload_max_bytes:
        raise errors.ValidationFailed.one(
            "Download", "size", "custom", f"size must be at most {hub.settings.upload_max_bytes} bytes"
        )


def create(
    hub: Hub,
    actor: Actor | None,
    access: RepoAccess,
    *,
    name: str,
    size: int,
    description: str | None = None,
    content_type: str | None = None,
) -> tuple[Row, Ticket]:
    """Part 1: the download row (state new) and the ticket for part 2."""
    repo_service.require(access, actor, "push")
    assert actor is not None, "require() lets no anonymous caller push"
    _check(hub, name, size)
    if content_type is None:
        suffix = name.rsplit(".", 1)[1] if "." in name.strip(".") else ""
        content_type = f".{suffix}" if suffix else mime_type(name, None)
    stamp = now()
    values = dict(
        repository_id=access.id,
        name=name,
        description=description,
        content_type=content_type,
        size=size,
        state="new",
        download_count=0,
        uploader_id=actor.id,
        created_at=stamp,
        updated_at=stamp,
    )
    with hub.db.write(duplicate=errors.ValidationFailed.one("Download", "name", "already_exists")) as conn:
        new_id = inserted_id(conn.execute(downloads.insert().values(**values)))
    row = get(hub, access, new_id)
    return row, ticket(hub, access, row)


def ticket(hub: Hub, access: RepoAccess, row: Row) -> Ticket:
    direct = _direct(hub)
    path = object_name(access.full_name, row.name)
    mime = mime_type(row.name, row.content_type)
    expires = now() + dt.timedelta(seconds=EXPIRES)
    if direct is not None:
        return _presigned_ticket(direct, path, mime, row.size, expires)
    acl = "private" if access.repo.private else "public-read"
    conditions = [
        {"bucket": BUCKET},
        {"key": path},
        {"acl": acl},
        ["starts-with", "$success_action_status", ""],
        ["starts-with", "$success_action_redirect", ""],
        ["starts-with", "$Filename", ""],
        {"Content-Type": mime},
        ["content-length-range", row.size, row.size],
    ]
    policy = s3policy.encode(expires, conditions)
    creds = s3policy.credentials(hub.signer.secret)
    signature = s3policy.sign_v2(creds.secret, policy)
    fields = {
        "key": path,
        "acl": acl,
        "success_action_status": "201",
        "Filename": row.name,
        "AWSAccessKeyId": creds.access_key_id,
        "Policy": policy,
        "Signature": signature,
        "Content-Type": mime,
    }
    return Ticket(
        policy,
        signature,
        BUCKET,
        creds.access_key_id,
        path,
        acl,
        expires,
        path.rsplit("/", 1)[0] + "/",
        mime,
        hub.urls.s3_post(),
        fields,
    )


def _presigned_ticket(direct: DirectUploads, path: str, mime: str, size: int, expires: dt.datetime) -> Ticket:
    acl = "bucket-owner-full-control"  # accepted by buckets with and without ACLs
    conditions = [
        {"acl": acl},
        ["starts-with", "$success_action_status", ""],
        ["starts-with", "$success_action_redirect", ""],
        ["starts-with", "$Filename", ""],
        {"Content-Type": mime},
        ["content-length-range", size, size],
    ]
    url, signed = direct.presigned_post(
        path, fields={"acl": acl, "Content-Type": mime}, conditions=conditions, expires=EXPIRES
    )
    document = s3policy.decode(signed["policy"])
    bucket = next(c["bucket"] for c in document["conditions"] if isinstance(c, dict) and "bucket" in c)
    key = signed["key"]
    fields = {"key": key, "acl": acl, "success_action_status": "201", "Filename": path.rsplit("/", 1)[1]}
    fields |= {k: v for k, v in signed.items() if k.startswith("x-amz-") and k != "x-amz-signature"}
    fields |= {"policy": signed["policy"], "x-amz-signature": signed["x-amz-signature"], "Content-Type": mime}
    return Ticket(
        signed["policy"],
        signed["x-amz-signature"],
        bucket,
        signed["x-amz-credential"].split("/")[0],
        key,
        acl,
        expires,
        key.rsplit("/", 1)[0] + "/",
        mime,
        url,
        fields,
    )


def delete(hub: Hub, actor: Actor | None, access: RepoAccess, download_id: int) -> None:
    repo_service.require(access, actor, "push")
    row = get(hub, access, download_id)
    with hub.db.write() as conn:
        conn.execute(downloads.delete().where(downloads.c.id == row.id))
    blobs.release(hub, row.blob_key)
    direct = _direct(hub)
    if direct is not None and row.state == "new":
        direct.discard(object_name(access.full_name, row.name))


# -- part 2 on the embedded endpoint ----------------------------------------


@dataclasses.dataclass(frozen=True)
class Target:
    """A checked POST: where its file goes and the size range it must have."""

    download_id: int
    key: str
    bucket: str
    allowed: s3policy.Allowed
    html_url: str


def accept_post(hub: Hub, fields: dict[str, str], filename: str = "") -> Target:
    """Check a POST's fields (names lower-cased) as S3 would; the download its file completes."""
    if "key" not in fields:
        raise s3policy.argument(
            "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields."
        )
    s3policy.check_signature(fields, s3policy.credentials(hub.signer.secret))
    document = s3policy.decode(fields["policy"])
    allowed = s3policy.check_policy(document, fields, BUCKET, now())
    key = fields["key"].replace("${filename}", filename)
    owner, _, rest = key.removeprefix("downloads/").partition("/")
    repo, _, name = rest.partition("/")
    try:
        access = repo_service.find(hub, SYSTEM, owner, repo)
    except errors.NotFound:
        access = None
    row = _by_name(hub, access.id, name) if access and key.startswith("downloads/") else None
    if row is None:
        raise s3policy.denied("Access Denied")
    assert access is not None, "a row is only looked up with a repository"
    max_size = min(allowed.max_size if allowed.max_size is not None else row.size, hub.settings.upload_max_bytes)
    return Target(
        row.id,
        key,
        BUCKET,
        s3policy.Allowed(allowed.min_size, max_size),
        hub.urls.download_html(access.full_name, name),
    )


def post_intake(hub: Hub, target: Target) -> Intake:
    """Where an accepted POST's file goes: at most the policy's content-length-range maximum."""
    max_size = target.allowed.max_size
    assert max_size is not None, "accept_post() always sets one"
    too_large = errors.PostRejected(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
    return Intake(hub.storage, max_size, lambda: too_large)


def finish_post(hub: Hub, target: Target, blob_key: str, digest: str) -> None:
    with hub.db.write() as conn:
        old = conn.execute(sa.select(downloads.c.blob_key).where(downloads.c.id == target.download_id)).scalar()
        conn.execute(
            downloads.update()
            .where(downloads.c.id == target.download_id)
            .values(state="uploaded", blob_key=blob_key, digest=digest, updated_at=now())
        )
    if old and old != blob_key:
        blobs.release(hub, old)


# -- the html_url ------------------------------------------------------------


def for_serving(hub: Hub, actor: Actor | None, owner: str, repo: str, name: str) -> tuple[RepoAccess, Row]:
    """(repository access, download row) of an uploaded download; NotFound until its file arrived."""
    access = repo_service.find(hub, actor, owner, repo)
    row = _by_name(hub, access.id, name)
    if row is not None and row.state == "new":
        row = _claim(hub, access, row)
    if row is None or row.state != "uploaded" or not row.blob_key:
        raise errors.NotFound()
    return access, row


def _claim(hub: Hub, access: RepoAccess, row: Row) -> Row | None:
    """S3 direct uploads: adopt the posted object once it is there."""
    direct = _direct(hub)
    found = direct.claim(object_name(access.full_name, row.name), row.size) if direct else None
    if found is None:
        return row
    blob_key, digest = found
    with hub.db.write() as conn:
        conn.execute(
            downloads.update()
            .where(downloads.c.id == row.id)
            .values(state="uploaded", blob_key=blob_key, digest=digest, updated_at=now())
        )
    return _by_name(hub, access.id, row.name)


def served(hub: Hub, actor: Actor | None, owner: str, repo: str, name: str) -> Stored:
    """A download's html_url: its file (http/files.serve); a completed download counts once."""
    access, row = for_serving(hub, actor, owner, repo, name)
    return Stored(
        key=row.blob_key,
        size=row.size,
        digest=row.digest,
        filename=row.name,
        media_type=mime_type(row.name, row.content_type),
        cache_control="private, max-age=60" if access.repo.private else "public, max-age=60",
        count=functools.partial(count, hub, row.id),
    )


def count(hub: Hub, download_id: int) -> None:
    with hub.db.write() as conn:
        conn.execute(
            downloads.update()
            .where(downloads.c.id == download_id)
            .values(download_count=downloads.c.download_count + 1)
        )
