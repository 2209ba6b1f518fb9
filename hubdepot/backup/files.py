"""Copying files while hashing them, and the process-wide manners of a backup (low priority, syncfs)."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import hashlib
import os
import platform
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

CHUNK = 1024 * 1024
STEP = 8 * CHUNK  # one copy_file_range call: the kernel's copy, bounded so it yields the CPU between calls
_IOPRIO_SET = {"x86_64": 251, "aarch64": 30}
_IOPRIO_CLASS_BE, _IOPRIO_LOWEST = 2, 7


def copy_plain(source: BinaryIO, target: BinaryIO) -> int:
    """Copy the open file `source` into the open file `target` inside the kernel (copy_file_range:
    no trip through this process, a reflink where the filesystem shares extents); its size."""
    size = os.fstat(source.fileno()).st_size
    done = 0
    try:
        while done < size:
            count = os.copy_file_range(source.fileno(), target.fileno(), min(size - done, STEP))
            if count == 0:
                break
            done += count
    except OSError:  # (another filesystem on an old kernel, or no copy_file_range): the plain way
        source.seek(done)
        target.seek(done)
        while chunk := source.read(CHUNK):
            target.write(chunk)
            done += len(chunk)
    return done


def write_hashed(chunks: Iterable[bytes], target: BinaryIO) -> tuple[str, int]:
    """Write `chunks` into the open binary file `target`: (sha256 hex, size)."""
    digest, size = hashlib.sha256(), 0
    for chunk in chunks:
        digest.update(chunk)
        target.write(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def hash_file(path: Path) -> tuple[str, int]:
    """(sha256 hex, size) of the file at `path`."""
    digest, size = hashlib.sha256(), 0
    buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as file:
        while count := file.readinto(buffer):
            digest.update(view[:count])
            size += count
    return digest.hexdigest(), size


def create_private(path: Path) -> BinaryIO:
    """A new file only its owner may read (a snapshot holds the data dir's secrets)."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb", buffering=0)


def lower_priority() -> None:
    """Let the server go first: the CPU only when nothing else wants it (SCHED_IDLE, else nice 19) and
    the lowest best-effort IO priority (Linux); best effort, nothing fails without them."""
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (OSError, AttributeError):
        with contextlib.suppress(OSError):
            os.nice(19)
    number = _IOPRIO_SET.get(platform.machine())
    if number is None:
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.syscall(number, 1, 0, (_IOPRIO_CLASS_BE << 13) | _IOPRIO_LOWEST)  # IOPRIO_WHO_PROCESS, self


def sync_filesystem(path: Path) -> None:
    """Make everything written on `path`'s filesystem durable (syncfs(2); sync() where it is missing)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        if libc.syncfs(fd) != 0:
            os.sync()
    except (OSError, AttributeError):
        os.sync()
    finally:
        os.close(fd)
