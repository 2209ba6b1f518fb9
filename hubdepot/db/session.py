"""Units of work: the only place that begins and commits transactions."""

from __future__ import annotations

import contextlib
import dataclasses
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from hubdepot import errors
from hubdepot.db import native
from hubdepot.db.engine import create_engine
from hubdepot.db.generation import Generation


class HookTarget(Protocol):
    """An active hook an event may go to, as the outbox caches it per transaction (events/outbox.py)."""

    @property
    def id(self) -> int: ...

    @property
    def events(self) -> frozenset[str]: ...


@dataclasses.dataclass
class UnitOfWork:
    """One write transaction's own state, kept on its connection by Database.write() (`unit_of(conn)`):
    what runs as its last statements, what runs once it has committed (a rollback runs neither), and
    the webhook outbox's rows and hook targets gathered during it (events/outbox.py)."""

    before_commit: list[Callable[[sa.Connection], None]] = dataclasses.field(default_factory=list)
    after_commit: list[Callable[[], None]] = dataclasses.field(default_factory=list)
    # a webhook_events row to insert, with the ids of the hooks it goes to
    outbox: list[tuple[Mapping[str, object], list[int]]] = dataclasses.field(default_factory=list)
    # (repository id, organisation id) -> the active hooks of its events
    targets: dict[tuple[int | None, int | None], list[HookTarget]] = dataclasses.field(default_factory=dict)

    def run_before_commit(self, callback: Callable[[sa.Connection], None]) -> None:
        if callback not in self.before_commit:
            self.before_commit.append(callback)

    def run_after_commit(self, callback: Callable[[], None]) -> None:
        if callback not in self.after_commit:
            self.after_commit.append(callback)


_UNIT = "hubdepot.unit_of_work"


def unit_of(conn: sa.Connection) -> UnitOfWork:
    """The unit of work of the write transaction `conn` is in (Database.write() only)."""
    unit = conn.info.get(_UNIT)
    if not isinstance(unit, UnitOfWork):
        raise RuntimeError("not in a write transaction (Database.write())")
    return unit


class Database:
    def __init__(self, url: str, generation: Generation | None = None) -> None:
        self.url = url
        self.engine = create_engine(url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self.generation = generation  # bumped after every write (see db/generation.py)
        self._held = threading.local()  # SQLite: the main thread's reading connection (read())
        self._held_all: list[sa.Connection] = []
        self._reader: native.Reader | None = None  # the main thread's held connection's (db/native)

    def read(self) -> contextlib.AbstractContextManager[sa.Connection]:
        """A read; on SQLite each statement runs in autocommit (no BEGIN/COMMIT round trips), and the
        main thread (the event loop's, where the quick reads run inline) keeps its connection from
        one read to the next: between statements an autocommit connection holds no snapshot and no
        lock, and taking one from the pool costs as much as a small query."""
        main = threading.current_thread() is threading.main_thread()
        if self.is_sqlite and main and not getattr(self._held, "busy", False):  # (a read in a read: the pool's)
            return _HeldRead(self)
        return self._pooled_read()

    def end_shared(self) -> None:
        """End the main thread's shared read transaction now, if one is open (db/native.Reader)."""
        if self._reader is not None and threading.current_thread() is threading.main_thread():
            self._reader.end_shared()

    @contextlib.contextmanager
    def _pooled_read(self) -> Iterator[sa.Connection]:
        with self._translate(), self.engine.connect() as conn:
            if self.is_sqlite:
                conn.info["begin_mode"] = None
            with conn.begin():
                yield conn

    def _held_connection(self) -> sa.Connection:
        """The main thread's kept reading connection (a new one when there is none or it broke)."""
        conn: sa.Connection | None = getattr(self._held, "conn", None)
        if conn is None or conn.closed or conn.invalidated:
            if conn is not None:  # (broken: its place is taken)
                self._held_all.remove(conn)
                _close(conn)
            conn = self._held.conn = self.engine.connect()
            epoch = self.generation.current if self.generation is not None else None
            self._reader = conn.info[native.READER] = native.open_reader(self.engine.url.database or "", epoch)
            self._held_all.append(conn)
        return conn

    @contextlib.contextmanager
    def write(self, duplicate: errors.HubdepotError | None = None) -> Iterator[sa.Connection]:
        """A write transaction; on SQLite it takes the write lock up front (BEGIN IMMEDIATE).

        A unique constraint the transaction breaks rolls it back and raises `duplicate` (the caller's
        GitHub answer, e.g. 422 already_exists), or errors.Conflict when none is given: the one place
        a unique violation is recognised.

        The transaction's UnitOfWork (`unit_of(conn)`) holds what a writer wants run as its last
        statements and once it has committed (a rollback runs neither). Once the transaction has
        ended (committed or not), the generation moves, so no cached answer outlives it."""
        try:
            with self._translate(duplicate or errors.Conflict("already exists")), self.engine.connect() as conn:
                if self.is_sqlite:
                    conn.info["begin_mode"] = "IMMEDIATE"
                unit = conn.info[_UNIT] = UnitOfWork()
                try:
                    with conn.begin():
                        yield conn
                        for callback in unit.before_commit:
                            callback(conn)
                finally:
                    conn.info.pop(_UNIT, None)  # info outlives the checkout: never leak into the next one
        finally:
            if self.generation is not None:
                self.generation.bump()
            self.end_shared()  # (reads on this thread after the write see it)
        for after in unit.after_commit:
            after()

    @contextlib.contextmanager
    def _translate(self, duplicate: errors.HubdepotError | None = None) -> Iterator[None]:
        try:
            yield
        except sa_exc.SQLAlchemyError as exc:
            answer = _answer_for(exc, duplicate)
            if answer is None:
                raise
            raise answer from exc

    def dispose(self) -> None:
        for conn in self._held_all:
            _close(conn)
        self._held_all.clear()
        self._reader = None
        self.engine.dispose()
        if self.generation is not None:
            self.generation.close()
            self.generation = None


class _HeldRead:
    """Database.read() on the main thread's kept connection, in autocommit (a class, not a generator:
    every repository-scoped request enters one)."""

    __slots__ = ("conn", "db")

    def __init__(self, db: Database) -> None:
        self.db = db

    def __enter__(self) -> sa.Connection:
        conn = self.conn = self.db._held_connection()
        self.db._held.busy = True
        conn.info["begin_mode"] = None  # (SQLAlchemy begins at the first statement it runs)
        return conn

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, _tb: object) -> None:
        try:
            if self.conn.in_transaction():  # (in autocommit: what it ends holds nothing)
                self.conn.rollback()
        finally:
            self.db._held.busy = False
        answer = _answer_for(exc, None) if isinstance(exc, sa_exc.SQLAlchemyError) else None
        if answer is not None:
            raise answer from exc


def _close(held: sa.Connection) -> None:
    """A kept reading connection closed, with its native reader (db/native)."""
    try:
        reader = held.info.pop(native.READER, None)
    except sa_exc.SQLAlchemyError:  # (an invalidated connection has no info left)
        reader = None
    if isinstance(reader, native.Reader):
        reader.close()
    held.close()


def _answer_for(exc: sa_exc.SQLAlchemyError, duplicate: errors.HubdepotError | None) -> errors.HubdepotError | None:
    """The answer a database error gets, or None: it stays what it is (a 500). A lost connection is
    503; a broken unique constraint is the caller's `duplicate` when it names one."""
    if isinstance(exc, sa_exc.OperationalError) and _is_connection_error(exc):
        return errors.Unavailable("Database unavailable")
    if isinstance(exc, sa_exc.IntegrityError) and duplicate is not None and _is_unique_violation(exc):
        return duplicate
    return None


def _is_unique_violation(exc: sa_exc.IntegrityError) -> bool:
    return any(word in str(exc.orig).lower() for word in ("unique", "duplicate key"))


def _is_connection_error(exc: sa_exc.OperationalError) -> bool:
    text = str(exc.orig).lower()
    return exc.connection_invalidated or any(
        word in text for word in ("connection", "could not connect", "server closed", "terminating")
    )


IntegrityError = sa_exc.IntegrityError


def inserted_id(result: sa.CursorResult[*tuple[Any, ...]]) -> int:
    """The integer primary key (`id`) of the row an INSERT ... VALUES just added."""
    key = result.inserted_primary_key
    assert key is not None, "not a single-row INSERT"
    return int(key[0])
