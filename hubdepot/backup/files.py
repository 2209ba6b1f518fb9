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

CHUNK = 1024 * 1024
_IOPRIO_SET = {"x86_64": 251, "aarch64": 30}
_IOPRIO_CLASS_BE, _IOPRIO_LOWEST = 2, 7


def copy_hashed(source, target) -> tuple[str, int]:
    """Copy the open binary file `source` into the open binary file `target`: (sha256 hex, size)."""
    digest, size = hashlib.sha256(), 0
    buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    while count := source.readinto(buffer):
        digest.update(view[:count])
        target.write(view[:count])
        size += count
    return digest.hexdigest(), size


def write_hashed(chunks: Iterable[bytes], target) -> tuple[str, int]:
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


def create_private(path: Path):
    """A new file only its owner may read (a snapshot holds the data dir's secrets)."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb", buffering=0)


def lower_priority() -> None:
    """Let the server go first: nice 10 and the lowest best-effort IO priority (Linux), best effort."""
    with contextlib.suppress(OSError):
        os.nice(10)
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
