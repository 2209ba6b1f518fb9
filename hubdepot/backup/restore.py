"""`hubdepot backup restore`: a snapshot into the configured database, data dir and blob storage.

Blobs first, then repositories, then the data dir's own files, the database last (in one
transaction, at the snapshot's schema revision, then migrated to this hubdepot's head): rows only
appear once everything they name is in place. Every file is checked against its digest on the way.
Any engine and any storage: a snapshot taken on SQLite and local disk restores into PostgreSQL and S3.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path, PurePosixPath
from typing import Any

from hubdepot import errors
from hubdepot.backup import files
from hubdepot.backup.store import Dest, Manifest
from hubdepot.db import dump as db_dump
from hubdepot.db import migrate
from hubdepot.git import backup as git_backup
from hubdepot.git import repos as git_repos
from hubdepot.hub import Hub

THREADS = 4


def restore(hub: Hub, root: Path, name: str | None = None, force: bool = False) -> Manifest:
    """Restore snapshot `name` (the newest when None) of `root`; returns its manifest."""
    dest = Dest.open(root)
    with dest.locked(exclusive=False):
        manifest = dest.manifest(name)
        _check_manifest(manifest)
        revision = manifest["database"]["revision"]
        if not revision or not migrate.known(revision):
            raise errors.Conflict(f"snapshot {manifest['name']} has schema {revision}, unknown to this hubdepot")
        _make_room(hub, force)
        with ThreadPoolExecutor(THREADS) as pool:
            _blobs(hub, dest, manifest, pool)
            for repo in manifest["repositories"]:
                _repository(hub, dest, repo, pool)
        for item in manifest["files"]:
            _place(dest, item["digest"], hub.settings.data_dir / item["path"])
        files.sync_filesystem(hub.settings.data_dir)  # (durable before a row names them)
        _database(hub, dest, manifest)
    return manifest


_DIGEST = re.compile(r"^[0-9a-f]{64}$")
_BLOB_KEY = re.compile(r"^sha256/[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{64}$")


def _check_manifest(manifest: Manifest) -> None:
    """A manifest is outside input (DEST may be shared storage): every name in it that becomes a
    path is checked before anything is written, so none can lead outside the data dir."""
    digests = [item["digest"] for item in manifest["files"]] + [t["digest"] for t in manifest["database"]["tables"]]
    paths = [item["path"] for item in manifest["files"]]
    for repo in manifest["repositories"]:
        if not isinstance(repo["id"], int) or isinstance(repo["id"], bool):
            raise errors.BadRequest(f"snapshot {manifest['name']}: repository id {repo['id']!r} is not a number")
        digests += [digest for _path, digest, _size, _mtime in repo.get("files", [])]
        paths += [path for path, _digest, _size, _mtime in repo.get("files", [])]
    bad = [d for d in digests if not isinstance(d, str) or not _DIGEST.match(d)]
    bad += [k for k, _size in manifest["blobs"]["items"] if not isinstance(k, str) or not _BLOB_KEY.match(k)]
    bad += [p for p in paths if not _relative(p)]
    if bad:
        raise errors.BadRequest(f"snapshot {manifest['name']}: names no file may have, e.g. {str(bad[0])[:200]!r}")


def _relative(path: object) -> bool:
    parts = PurePosixPath(path).parts if isinstance(path, str) else ()
    return bool(parts) and not PurePosixPath(str(path)).is_absolute() and ".." not in parts and "\x00" not in str(path)


def _make_room(hub: Hub, force: bool) -> None:
    """Refuse a database or data dir that holds anything, unless `force` (then empty them)."""
    repos = hub.settings.repos_dir
    found = []
    if not db_dump.is_empty(hub.db):
        found.append("the database has rows")
    if repos.is_dir() and any(repos.glob("*.git")):
        found.append(f"{repos} has repositories")
    if not hub.settings.storage.startswith("s3://") and next(iter(hub.storage.keys()), None):
        found.append("the blob storage has blobs")
    if found and not force:
        raise errors.Conflict(f"refusing to restore: {'; '.join(found)} (--force replaces them)")
    db_dump.drop_all(hub.db)
    if repos.is_dir():
        shutil.rmtree(repos)


def _place(dest: Dest, digest: str, target: Path, mode: int = 0o600) -> None:
    """Copy object `digest` to `target` (through a temporary name beside it), checking its digest."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.parent / f".restore-{uuid.uuid4().hex}"
    try:
        with open(dest.path_of(digest), "rb", buffering=0) as src, files.create_private(temp) as out:
            files.copy_plain(src, out)
        found, _size = files.hash_file(temp)  # (what landed is what the snapshot recorded)
        if found != digest:
            raise errors.BadRequest(f"{dest.path_of(digest)} is damaged (run `hubdepot backup verify`)")
        os.chmod(temp, mode)
        os.replace(temp, target)
    except FileNotFoundError:
        raise errors.BadRequest(f"{dest.path_of(digest)} is missing (run `hubdepot backup verify`)") from None
    finally:
        temp.unlink(missing_ok=True)


def _blobs(hub: Hub, dest: Dest, manifest: Manifest, pool: ThreadPoolExecutor) -> None:
    items = manifest["blobs"]["items"]
    if not manifest["blobs"]["included"]:
        missing = [key for key, _size in items if not hub.storage.exists(key)]
        if missing:
            raise errors.Conflict(f"{len(missing)} blobs the snapshot names are not in the storage, e.g. {missing[0]}")
        return
    list(pool.map(lambda item: _blob(hub, dest, item[0]), items))


def _blob(hub: Hub, dest: Dest, key: str) -> None:
    digest = key.rpartition("/")[2]
    local = hub.storage.local_path(key)
    if local is not None:
        _place(dest, digest, local, 0o644)
        return
    if hub.storage.exists(key):
        return
    writer = hub.storage.writer()
    try:
        for chunk in _chunks(dest.path_of(digest)):
            writer.write(chunk)
    except BaseException:
        writer.abort()
        raise
    if writer.commit()[0] != key:
        raise errors.BadRequest(f"{dest.path_of(digest)} is damaged (run `hubdepot backup verify`)")


def _chunks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as file:
        while chunk := file.read(files.CHUNK):
            yield chunk


def _repository(hub: Hub, dest: Dest, repo: dict[str, Any], pool: ThreadPoolExecutor) -> None:
    """Build the repository beside its place, then rename it in."""
    if repo.get("missing"):  # (deleted while the snapshot was taken: an empty one keeps fsck quiet)
        git_repos.create(hub.settings.repos_dir, repo["id"], "main")
        return
    target = git_repos.git_dir(hub.settings.repos_dir, repo["id"])
    building = target.parent / f".restore-{target.name}"
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    jobs = [(path, digest) for path, digest, _size, _mtime in repo["files"]]
    mode = 0o444  # git's own mode for objects; HEAD and config are rewritten by git as it likes
    list(
        pool.map(
            lambda job: _place(dest, job[1], building / job[0], mode if job[0].startswith("objects/") else 0o644), jobs
        )
    )
    git_backup.write_refs(building, repo["refs"])
    os.replace(building, target)


def _database(hub: Hub, dest: Dest, manifest: Manifest) -> None:
    migrate.upgrade(hub.db, manifest["database"]["revision"])
    db_dump.load(hub.db, (_lines(dest, table["digest"]) for table in manifest["database"]["tables"]))
    migrate.upgrade(hub.db)


def _lines(dest: Dest, digest: str) -> Iterator[bytes]:
    found, _size = files.hash_file(dest.path_of(digest))
    if found != digest:
        raise errors.BadRequest(f"{dest.path_of(digest)} is damaged (run `hubdepot backup verify`)")
    with open(dest.path_of(digest), "rb") as file:
        yield from file
