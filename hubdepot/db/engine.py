"""Engine creation: SQLite with WAL and a busy timeout, or a pooled PostgreSQL via psycopg 3."""

from __future__ import annotations

import sqlite3

import sqlalchemy as sa
from sqlalchemy.pool import ConnectionPoolEntry


def create_engine(url: str, pool_size: int = 10, max_overflow: int = 20) -> sa.Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        return _sqlite(url)
    return sa.create_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_pre_ping=True,
        pool_timeout=5,
        connect_args={"connect_timeout": 5},
    )


def _sqlite(url: str) -> sa.Engine:
    engine = sa.create_engine(
        url, connect_args={"timeout": 30, "check_same_thread": False}, pool_size=16, max_overflow=32
    )

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (see session.py)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: sa.Connection) -> None:
        mode = conn.info.pop("begin_mode", "")
        if mode is not None:  # None: a read in autocommit mode (see session.Database.read)
            conn.exec_driver_sql(f"BEGIN {mode}")

    return engine
