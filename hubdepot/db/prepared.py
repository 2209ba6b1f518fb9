"""Statements built once and run often (every repository-scoped request looks its repository up).

On SQLite a Prepared statement is compiled once and run on the connection's own sqlite3 handle: the
SQL text, the order of its parameters and the conversion of each result column (SQLAlchemy's own
processors: dates, booleans) are worked out at the first run, not at every one. SQLAlchemy's
execution does that work anew per statement, and on a small indexed read it costs more than the read.
Rows come back as named tuples with the columns' keys as attributes (as SQLAlchemy's rows have them).
On the event loop's own reading connection the statement runs on libsqlite3 keeping the GIL
(db/native), else on sqlite3.
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

from hubdepot.db import native


class _Text(NamedTuple):
    sql: str
    names: tuple[str, ...]  # the parameters, in the order of the SQL's placeholders
    fixed: Mapping[str, Any]  # the values the statement holds itself (LIMIT 1 ...)


class _Compiled(NamedTuple):
    text: _Text
    native: _Text | None  # the same statement, each row as one JSON array (db/native)
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
        """The rows read straight from SQLite, or None: run it through SQLAlchemy instead."""
        if conn.dialect.name != "sqlite":
            return None
        compiled = self._compiled or self._compile(conn.dialect)
        reader = conn.info.get(native.READER)
        found = None
        if isinstance(reader, native.Reader) and compiled.native is not None:
            found = reader.rows(compiled.native.sql, self._values(compiled, compiled.native, params), one)
        if found is None:
            found = self._sqlite3_rows(conn, compiled, params, one)
        if found is None:
            return None
        rows = []
        for values in found:
            for column, convert in compiled.processors:
                values[column] = convert(values[column])
            rows.append(compiled.row(*values))
        return rows

    @staticmethod
    def _values(compiled: _Compiled, text: _Text, params: Mapping[str, Any]) -> list[Any]:
        values = []
        for name in text.names:
            value = params[name] if name in params else text.fixed[name]
            bind = compiled.binds.get(name)
            values.append(bind(value) if bind is not None else value)
        return values

    def _sqlite3_rows(
        self, conn: sa.Connection, compiled: _Compiled, params: Mapping[str, Any], one: bool
    ) -> list[list[Any]] | None:
        handle = conn.connection.driver_connection
        if not isinstance(handle, sqlite3.Connection):
            return None
        try:
            cursor = handle.execute(compiled.text.sql, self._values(compiled, compiled.text, params))
            found = cursor.fetchmany(1) if one else cursor.fetchall()
            cursor.close()
        except sqlite3.Error:
            return None  # (SQLAlchemy runs it again, and raises what db/session translates)
        return [list(raw) for raw in found]

    def _compile(self, dialect: sa.Dialect) -> _Compiled:
        with self._lock:
            if self._compiled is None:
                compiled = self.statement.compile(dialect=dialect)
                columns = compiled._result_columns  # (key, name, objects, type) per result column
                each = [column[3]._cached_result_processor(dialect, None) for column in columns]
                processors = tuple((i, p) for i, p in enumerate(each) if p is not None)
                binds = {k: v for k, v in compiled._bind_processors.items() if isinstance(k, str) and callable(v)}
                row = collections.namedtuple("Row", [column[0] for column in columns])  # type: ignore[misc]
                text = _text(compiled)
                self._compiled = _Compiled(text, self._native(dialect), binds, processors, row)
            return self._compiled

    def _native(self, dialect: sa.Dialect) -> _Text | None:
        """The statement with its columns as one JSON array (db/native), where json_array can take them
        (not too many, and no floating-point column: JSON's text keeps 15 digits of a REAL, not 17)."""
        columns = self.statement.selected_columns
        if len(columns) > native.MAX_COLUMNS or any(isinstance(c.type, sa.Float | sa.Numeric) for c in columns):
            return None
        statement = self.statement.with_only_columns(sa.func.json_array(*columns))
        return _text(statement.compile(dialect=dialect))


def _text(compiled: sa.sql.compiler.SQLCompiler) -> _Text:
    names = tuple(compiled.positiontup or ())
    fixed = {name: value for name, value in compiled.construct_params(_check=False).items() if name in names}
    return _Text(compiled.string, names, fixed)
