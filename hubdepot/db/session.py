"""Units of work: the only place that begins and commits transactions."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from hubdepot import errors
from hubdepot.db.engine import create_engine
from hubdepot.db.generation import Generation


class Database:
    def __init__(self, url: str, generation: Generation | None = None):
        self.url = url
        self.engine = create_engine(url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self.generation = generation  # bumped after every write (see db/generation.py)

    @contextlib.contextmanager
    def read(self) -> Iterator[sa.Connection]:
        """A read; on SQLite each statement runs in autocommit (no BEGIN/COMMIT round trips)."""
        with self._translate(), self.engine.connect() as conn:
            if self.is_sqlite:
                conn.info["begin_mode"] = None
            with conn.begin():
                yield conn

    @contextlib.contextmanager
    def write(self, duplicate: errors.HubdepotError | None = None) -> Iterator[sa.Connection]:
        """A write transaction; on SQLite it takes the write lock up front (BEGIN IMMEDIATE).

        A unique constraint the transaction breaks rolls it back and raises `duplicate` (the caller's
        GitHub answer, e.g. 422 already_exists), or errors.Conflict when none is given: the one place
        a unique violation is recognised.

        conn.info["tx"] is a scratch dict of this transaction alone: callables a writer appends to
        its "before_commit" list run with the connection as the transaction's last statements, those
        in "after_commit" once it has committed (a rollback runs neither). Once the transaction has
        ended (committed or not), the generation moves, so no cached answer outlives it."""
        try:
            with self._translate(duplicate or errors.Conflict("already exists")), self.engine.connect() as conn:
                if self.is_sqlite:
                    conn.info["begin_mode"] = "IMMEDIATE"
                tx = conn.info["tx"] = {}
                try:
                    with conn.begin():
                        yield conn
                        for callback in tx.get("before_commit", ()):
                            callback(conn)
                finally:
                    conn.info.pop("tx", None)  # info outlives the checkout: never leak into the next one
        finally:
            if self.generation is not None:
                self.generation.bump()
        for callback in tx.get("after_commit", ()):
            callback()

    @contextlib.contextmanager
    def _translate(self, duplicate: errors.HubdepotError | None = None) -> Iterator[None]:
        try:
            yield
        except sa_exc.OperationalError as exc:
            if _is_connection_error(exc):
                raise errors.Unavailable("Database unavailable") from exc
            raise
        except sa_exc.IntegrityError as exc:
            if duplicate is not None and _is_unique_violation(exc):
                raise duplicate from exc
            raise

    def dispose(self) -> None:
        self.engine.dispose()
        if self.generation is not None:
            self.generation.close()
            self.generation = None


def _is_unique_violation(exc: sa_exc.IntegrityError) -> bool:
    return any(word in str(exc.orig).lower() for word in ("unique", "duplicate key"))


def _is_connection_error(exc: sa_exc.OperationalError) -> bool:
    text = str(exc.orig).lower()
    return exc.connection_invalidated or any(
        word in text for word in ("connection", "could not connect", "server closed", "terminating")
    )


IntegrityError = sa_exc.IntegrityError


def inserted_id(result: sa.CursorResult) -> Any:
    """The primary key of the row an INSERT ... VALUES just added."""
    key = result.inserted_primary_key
    assert key is not None, "not a single-row INSERT"
    return key[0]
