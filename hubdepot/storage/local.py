"""Local disk: content-addressed files, written to a temp file and renamed into place atomically."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from hubdepot import errors
from hubdepot.storage import CHUNK, key_for


class LocalWriter:
    def __init__(self, root: Path):
        self.root = root
        tmp = root / "tmp"
        tmp.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=tmp, prefix="upload-")
        self._file = os.fdopen(fd, "wb", buffering=0)
        self._path = Path(name)
        self._hash = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self._hash.update(data)
        with _full_disk(self):
            self._file.write(data)
        self.size += len(data)

    def commit(self) -> tuple[str, str]:
        digest = self._hash.hexdigest()
        key = key_for(digest)
        target = self.root / key
        with _full_disk(self):
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self._path, target)  # same bytes under the same key: replacing is harmless
        return key, digest

    def abort(self) -> None:
        if not self._file.closed:
            self._file.close()
        self._path.unlink(missing_ok=True)


@contextlib.contextmanager
def _full_disk(writer: LocalWriter):
    """ENOSPC/EDQUOT: drop the temp file and say StorageFull (the boundary translates OS errors)."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        writer.abort()
        raise errors.StorageFull() from exc


class LocalStorage:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def writer(self) -> LocalWriter:
        return LocalWriter(self.root)

    def _path(self, key: str) -> Path:
        if not key.startswith("sha256/") or ".." in key:
            raise ValueError(f"bad blob key {key!r}")
        return self.root / key

    def read(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        with open(self._path(key), "rb") as f:
            f.seek(start)
            remaining = None if end is None else end - start
            while remaining is None or remaining > 0:
                chunk = f.read(CHUNK if remaining is None else min(CHUNK, remaining))
                if not chunk:
                    return
                if remaining is not None:
                    remaining -= len(chunk)
                yield chunk

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def size(self, key: str) -> int | None:
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError:
            return None

    def modified(self, key: str) -> float | None:
        try:
            return self._path(key).stat().st_mtime
        except FileNotFoundError:
            return None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def keys(self) -> Iterator[str]:
        base = self.root / "sha256"
        if base.is_dir():
            for path in base.rglob("*"):
                if path.is_file():
                    yield path.relative_to(self.root).as_posix()

    def local_path(self, key: str) -> Path | None:
        return self._path(key)

    def presigned_get(self, key: str, *, filename: str, content_type: str, expires: int) -> str | None:
        return None
