"""Statements built once and run often (every repository-scoped request looks its repository up).

On SQLite a Prepared statement is compiled once and run on the connection's own sqlite3 handle: the
SQL text, the order of its parameters and the conversion of each result column (SQLAlchemy's own
processors: dates, booleans) are worked out at the first run, not at every one. SQLAlchemy's
execution does that work anew per statement, and on a small indexed read it costs more than the read.
Rows come back as named tuples with the columns' keys as attributes (as SQLAlchemy's rows have them).
On PostgreSQL, and whenever sqlite3 raises, the statement goes through SQLAlchemy as usual (its
errors are the ones db/session translates).
"""

from __future__ import annotations

import collections
import sqlite3
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import sqlalchemy as sa


class _Compiled(NamedTuple):
    sql: str
    names: tuple[str, ...]  # the parameters, in the order of the SQL's placeholders
    fixed: Mapping[str, Any]  # the values the statement holds itself (LIMIT 1 ...)
    binds: Mapping[str, Callable[[Any], Any]]
    processors: tuple[tuple[int, Callable[[Any], Any]], ...]  # (column, conversion) where there is one
    row: type[tuple[Any, ...]]


class Prepared:
    def __init__(self, statement: sa.Select[Any]):
        self.statement = statement
        self._compiled: _Compiled | None = None
        self._lock = threading.Lock()

    def first(self, conn: sa.Connection, params: Mapping[str, Any]) -> Any | None:
        rows = self._rows(conn, params, one=True)
        if rows is None:
            return conn.execute(self.statement, params).first()
        return rows[0] if rows else None

    def all(self, conn: sa.Connection, params: Mapping[str, Any]) -> Sequence[Any]:
        rows = self._rows(conn, params, one=False)
        if rows is None:
            return conn.execute(self.statement, params).all()
        return rows

    def _rows(self, conn: sa.Connection, params: Mapping[str, Any], one: bool) -> list[Any] | None:
        """The rows read straight from sqlite3, or None: run it through SQLAlchemy instead."""
        if conn.dialect.name != "sqlite":
            return None
        compiled = self._compiled or self._compile(conn.dialect)
        values = []
        for name in compiled.names:
            value = params[name] if name in params else compiled.fixed[name]
            bind = compiled.binds.get(name)
            values.append(bind(value) if bind is not None else value)
        handle = conn.connection.driver_connection
        if not isinstance(handle, sqlite3.Connection):
            return None
        try:
            cursor = handle.execute(compiled.sql, values)
            found = cursor.fetchmany(1) if one else cursor.fetchall()
            cursor.close()
        except sqlite3.Error:
            return None  # (SQLAlchemy runs it again, and raises what db/session translates)
        rows = []
        for raw in found:
            values = list(raw)
            for column, convert in compiled.processors:
                values[column] = convert(values[column])
            rows.append(compiled.row(*values))
        return rows

    def _compile(self, dialect: sa.Dialect) -> _Compiled:
        with self._lock:
            if self._compiled is None:
                compiled = self.statement.compile(dialect=dialect)
                names = tuple(compiled.positiontup or ())
                columns = compiled._result_columns  # (key, name, objects, type) per result column
                each = [column[3]._cached_result_processor(dialect, None) for column in columns]
                processors = tuple((i, p) for i, p in enumerate(each) if p is not None)
                binds = {k: v for k, v in compiled._bind_processors.items() if isinstance(k, str) and callable(v)}
                row = collections.namedtuple("Row", [column[0] for column in columns])  # type: ignore[misc]
                fixed = {
                    name: value for name, value in compiled.construct_params(_check=False).items() if name in names
                }
                self._compiled = _Compiled(compiled.string, names, fixed, binds, processors, row)
            return self._compiled
