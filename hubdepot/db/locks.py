"""Locks every host of a cluster sees: PostgreSQL session-level advisory locks, by name.

git/lock takes one for a repository after its thread lock and flock (registered per repositories
directory by hub.create_hub), so writers on different hosts sharing one repositories volume never
interleave. Each held lock keeps one connection of a pool of its own (a writer holding a lock also
opens transactions on the main pool: sharing it could exhaust it). When a connection is lost while
the lock is held, PostgreSQL drops the lock with the session; git's compare-and-swap of each ref is
still underneath.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa

from hubdepot.db.engine import create_engine

_NAMESPACE = b"hubdepot-repository:"


def key_of(name: str) -> int:
    """A signed 64-bit advisory lock key for `name` (the same on every host)."""
    digest = hashlib.blake2b(_NAMESPACE + name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class AdvisoryLocks:
    def __init__(self, url: str):
        self.engine = create_engine(url, pool_size=4, max_overflow=-1)

    def acquire(self, name: str, blocking: bool) -> sa.Connection | None:
        conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            if blocking:
                conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": key_of(name)})
                return conn
            if conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key_of(name)}).scalar():
                return conn
        except BaseException:
            conn.invalidate()  # the session ends: whatever it was granted goes with it
            conn.close()
            raise
        conn.close()
        return None

    def release(self, handle: object) -> None:
        assert isinstance(handle, sa.Connection)
        try:
            handle.execute(sa.text("SELECT pg_advisory_unlock_all()"))
        except Exception:
            handle.invalidate()  # unlocked by the end of the session instead
        finally:
            handle.close()

    def dispose(self) -> None:
        self.engine.dispose()
