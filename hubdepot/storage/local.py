"""Local disk: content-addressed files, written to a temp file and renamed into place atomically."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import fcntl
import glob
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from hubdepot import errors
from hubdepot.storage import CHUNK, key_for

WRITEBACK_EVERY = 8 * 1024 * 1024
PARTIAL = "partial-"  # tmp/partial-NAME: a blob a crash may leave half-written, taken up again


class LocalWriter:
    """A blob being written under tmp/. `partial`: a name the caller can ask for again after a crash
    (tmp/partial-NAME): its bytes so far are kept by abort() and taken up again (hashed first) by the
    next writer of that name; `fresh` empties it."""

    def __init__(self, root: Path, partial: str | None = None, fresh: bool = False) -> None:
        self.root = root
        tmp = root / "tmp"
        tmp.mkdir(parents=True, exist_ok=True)
        self._hash = hashlib.sha256()
        self.size = 0
        self._keep = partial is not None and self._take_up(tmp / f"{PARTIAL}{partial}", fresh)
        if not self._keep:
            fd, name = tempfile.mkstemp(dir=tmp, prefix="upload-")
            self._file = os.fdopen(fd, "wb", buffering=0)
            self._path = Path(name)
        self._written_back = self.size

    def _take_up(self, path: Path, fresh: bool) -> bool:
        """Open the partial blob at `path` and hash what it holds; False when another process has it
        open (a second mirror of the same repository: that one gets a plain temp file)."""
        file = open(path, "a+b", buffering=0)  # noqa: SIM115 (closed by commit or abort)
        try:
            fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)  # released when the file closes
        except BlockingIOError:
            file.close()
            return False
        if fresh:
            file.truncate(0)
        file.seek(0)
        while chunk := file.read(CHUNK):
            self._hash.update(chunk)
            self.size += len(chunk)
        self._file, self._path = file, path
        return True

    def write(self, data: bytes | memoryview) -> None:
        self._hash.update(data)
        with _full_disk(self):
            self._file.write(data)
        self.size += len(data)
        if self.size - self._written_back >= WRITEBACK_EVERY:
            _start_writeback(self._file.fileno(), self._written_back, self.size - self._written_back)
            self._written_back = self.size

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
        if not self._keep:
            self._path.unlink(missing_ok=True)


def _libc_writeback() -> Callable[[int, int, int, int], int] | None:
    """Linux's sync_file_range(fd, offset, length, SYNC_FILE_RANGE_WRITE): start writing a range to
    disk without waiting. None elsewhere."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        call = libc.sync_file_range
    except (OSError, AttributeError):
        return None
    call.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
    call.restype = ctypes.c_int
    return call


_SYNC_FILE_RANGE = _libc_writeback()


def _start_writeback(fd: int, offset: int, length: int) -> None:
    """Have the kernel write what arrived so far while more arrives: commit()'s fsync then waits for
    the last few MiB, not for the whole blob (a 1 GiB upload no longer takes network time plus disk
    time). Advice only: a failure changes nothing, fsync still decides."""
    if _SYNC_FILE_RANGE is not None:
        _SYNC_FILE_RANGE(fd, offset, length, 2)


@contextlib.contextmanager
def _full_disk(writer: LocalWriter) -> Iterator[None]:
    """ENOSPC/EDQUOT: drop the temp file and say StorageFull (the boundary translates OS errors)."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        writer._keep = False  # a full disk wants its room back, partial or not
        writer.abort()
        raise errors.StorageFull() from exc


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def writer(self, partial: str | None = None, fresh: bool = False) -> LocalWriter:
        return LocalWriter(self.root, partial, fresh)

    def drop_partials(self, prefix: str) -> int:
        """Remove the kept partial blobs whose names start with `prefix`, but not one a writer has
        open (another mirror is filling it); returns how many went."""
        dropped = 0
        for path in (self.root / "tmp").glob(f"{PARTIAL}{glob.escape(prefix)}*"):
            with contextlib.suppress(FileNotFoundError), open(path, "rb") as file:
                try:
                    fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue
                path.unlink()
                dropped += 1
        return dropped

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
