"""A backup destination (DEST): one content-addressed object store and the snapshots that name its objects.

    DEST/lock                        flock: `create` holds it exclusively, verify/list/restore shared
    DEST/objects/ab/cd/<sha256>      every file of every snapshot, stored once (read-only, 0400)
    DEST/snapshots/<name>/manifest.json   a complete snapshot: what each file was and its digest
    DEST/snapshots/.partial-<name>/  a snapshot being written (renamed to <name> once complete)
    DEST/tmp/                        objects being written (renamed into objects/ once complete)

An object is renamed into place only once its bytes are all there, and a snapshot only once all its
objects are durable (syncfs), so a `create` killed at any point leaves nothing listed as complete
and never touches what earlier snapshots name; the next `create` removes what it left.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import fcntl
import json
import os
import shutil
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, TypeAlias

from hubdepot import errors
from hubdepot.backup import files

MANIFEST = "manifest.json"
FORMAT = "hubdepot-backup/1"
PARTIAL = ".partial-"
DOOMED = ".pruned-"

Manifest: TypeAlias = dict[str, Any]
"""A snapshot's manifest.json as JSON reads it (made by create._take; its keys: docs/backup.md)."""


@dataclasses.dataclass
class Pending:
    """An object being written: its file, where it is, and (once written) its digest and size."""

    file: BinaryIO
    path: Path
    digest: str = ""
    size: int = 0


class Dest:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.objects = self.root / "objects"
        self.snapshots = self.root / "snapshots"
        self.tmp = self.root / "tmp"

    @classmethod
    def open(cls, root: Path, create: bool = False) -> Dest:
        dest = cls(root)
        if create:
            dest.root.mkdir(mode=0o700, parents=True, exist_ok=True)
            for path in (dest.objects, dest.snapshots, dest.tmp):
                path.mkdir(mode=0o700, exist_ok=True)
        elif not dest.snapshots.is_dir():
            raise errors.NotFound(f"no backups in {root}")
        return dest

    @contextlib.contextmanager
    def locked(self, exclusive: bool) -> Iterator[None]:
        fd = os.open(self.root / "lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            yield
        finally:
            os.close(fd)  # (closing drops the flock; so does the kernel when we are killed)

    # -- objects -----------------------------------------------------------------
    def path_of(self, digest: str) -> Path:
        return self.objects / digest[:2] / digest[2:4] / digest

    def size_of(self, digest: str) -> int | None:
        try:
            return self.path_of(digest).stat().st_size
        except FileNotFoundError:
            return None

    @contextlib.contextmanager
    def new_object(self) -> Iterator[Pending]:
        """Write the bytes into pending.file and set pending.digest and .size: the object is renamed into
        place on leaving (dropped when the store has it already, or on an error)."""
        temp = self.tmp / uuid.uuid4().hex
        try:
            with files.create_private(temp) as file:
                pending = Pending(file, temp)
                yield pending
            target = self.path_of(pending.digest)
            if target.exists():
                temp.unlink()
            else:
                target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                os.chmod(temp, 0o400)
                os.replace(temp, target)
        finally:
            temp.unlink(missing_ok=True)

    def put_file(self, source: Path) -> tuple[str, int]:
        """Copy the file at `source` into the store: (digest, size). FileNotFoundError when it is gone."""
        with open(source, "rb", buffering=0) as src, self.new_object() as pending:
            files.copy_plain(src, pending.file)
            pending.digest, pending.size = files.hash_file(pending.path)  # (the digest of what landed)
        return pending.digest, pending.size

    def put_named(self, source: Path, digest: str, size: int) -> None:
        """Copy the file at `source`, whose sha256 is `digest` by construction (a blob, stored under its
        digest), into the store without hashing it again (`verify` re-reads it); ValueError unless it
        has `size` bytes."""
        with open(source, "rb", buffering=0) as src, self.new_object() as pending:
            pending.digest, pending.size = digest, files.copy_plain(src, pending.file)
            if pending.size != size:
                raise ValueError(f"{source} has {pending.size} bytes, not {size}")

    def put_chunks(self, chunks: Iterable[bytes]) -> tuple[str, int]:
        with self.new_object() as pending:
            pending.digest, pending.size = files.write_hashed(chunks, pending.file)
        return pending.digest, pending.size

    # -- snapshots ---------------------------------------------------------------
    def names(self) -> list[str]:
        """Complete snapshots, oldest first."""
        return sorted(p.name for p in self.snapshots.iterdir() if not p.name.startswith(".") and p.is_dir())

    def manifest(self, name: str | None = None) -> Manifest:
        """The manifest of snapshot `name` (the newest one when None)."""
        names = self.names()
        if not names:
            raise errors.NotFound(f"no complete snapshot in {self.root}")
        name = name or names[-1]
        if name not in names:
            raise errors.NotFound(f"no snapshot {name} in {self.root}")
        manifest: Manifest = json.loads((self.snapshots / name / MANIFEST).read_text())
        return manifest

    def new_name(self) -> str:
        while True:
            stamp = dt.datetime.now(dt.UTC)
            name = stamp.strftime("%Y-%m-%dT%H%M%S.") + f"{stamp.microsecond // 1000:03d}Z"
            if not (self.snapshots / name).exists():
                return name

    def commit(self, manifest: Manifest) -> None:
        """Make the snapshot durable and listed: objects synced, manifest written, then one rename."""
        name = manifest["name"]
        partial = self.snapshots / f"{PARTIAL}{name}"
        partial.mkdir(mode=0o700)
        with files.create_private(partial / MANIFEST) as out:
            out.write(json.dumps(manifest, indent=1).encode())
        files.sync_filesystem(self.root)
        os.replace(partial, self.snapshots / name)
        files.sync_filesystem(self.root)

    def clean(self) -> None:
        """Remove what killed runs left: temporary objects, unfinished and half-pruned snapshots."""
        for path in self.tmp.iterdir():
            path.unlink(missing_ok=True)
        for path in self.snapshots.iterdir():
            if path.name.startswith((PARTIAL, DOOMED)):
                shutil.rmtree(path, ignore_errors=True)

    def prune(self, keep: int) -> list[str]:
        """Remove all but the newest `keep` snapshots, then the objects no kept snapshot names."""
        names = self.names()
        doomed = names[: max(0, len(names) - keep)]
        for name in doomed:
            os.replace(self.snapshots / name, self.snapshots / f"{DOOMED}{name}")
            shutil.rmtree(self.snapshots / f"{DOOMED}{name}")
        if doomed:
            self._collect()
        return doomed

    def _collect(self) -> None:
        kept = set()
        for name in self.names():
            kept |= {entry[1] for entry in entries(self.manifest(name))}
        for path in self.objects.glob("*/*/*"):
            if path.name not in kept:
                path.unlink(missing_ok=True)


def entries(manifest: Manifest) -> Iterator[tuple[str, str, int]]:
    """Every file a snapshot holds: (where it goes, digest, size)."""
    for table in manifest["database"]["tables"]:
        yield f"database/{table['name']}.jsonl", table["digest"], table["size"]
    for item in manifest["files"]:
        yield item["path"], item["digest"], item["size"]
    for repo in manifest["repositories"]:
        for path, digest, size, _mtime in repo["files"]:
            yield f"repositories/{repo['id']}.git/{path}", digest, size
    if manifest["blobs"]["included"]:
        for key, size in manifest["blobs"]["items"]:
            yield f"blobs/{key}", key.rpartition("/")[2], size
