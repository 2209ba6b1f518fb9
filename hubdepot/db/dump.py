"""A portable, engine-neutral copy of every table: what `hubdepot backup` keeps of the database.

dump() reads every table inside ONE read-only transaction that is a snapshot (REPEATABLE READ on
PostgreSQL, which is what pg_dump itself uses; a deferred read transaction on SQLite, which on a WAL
database sees one commit point until it ends), in dependency order, each table as JSON lines: a
header line (table, columns), then one JSON array per row in primary-key order, so an unchanged
table dumps to the same bytes. load() puts such a dump into a database whose schema is at the
dump's revision (the caller migrates to it first, then to head): any engine into any engine.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import orjson
import sqlalchemy as sa

from hubdepot.db import tables
from hubdepot.db.revision import HEAD
from hubdepot.db.session import Database

VERSION_TABLE = "alembic_version"
BATCH = 1000


@dataclasses.dataclass
class Table:
    """One table of a dump: its name and whatever the sink made of its lines (a stored file)."""

    name: str
    rows: int
    stored: Any


@contextlib.contextmanager
def snapshot(db: Database) -> Iterator[sa.Connection]:
    """A read-only transaction that sees one commit point of the whole database until it ends."""
    with db.engine.connect() as conn:
        if db.is_sqlite:
            conn.info["begin_mode"] = ""  # BEGIN (deferred): the snapshot starts at the first read
            with conn.begin():
                yield conn
            return
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")
            yield conn


def _encode(value: object) -> dict[str, str]:
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$bytes": base64.b64encode(bytes(value)).decode()}
    raise TypeError(f"cannot dump {type(value).__name__}")


def _lines(
    conn: sa.Connection, table: sa.Table, seen: Callable[[str, Mapping[str, Any]], None], count: list[int]
) -> Iterator[bytes]:
    columns = [c.name for c in table.columns]
    yield orjson.dumps({"table": table.name, "columns": columns}) + b"\n"
    order = list(table.primary_key.columns) or list(table.columns)
    result = conn.execution_options(yield_per=BATCH).execute(sa.select(table).order_by(*order))
    for row in result:
        values = row._mapping
        seen(table.name, values)  # type: ignore[arg-type]
        count[0] += 1
        yield orjson.dumps(list(row), default=_encode, option=orjson.OPT_NAIVE_UTC) + b"\n"


def dump(
    db: Database,
    sink: Callable[[str, Iterator[bytes]], object],
    seen: Callable[[str, Mapping[str, Any]], None] = lambda table, row: None,
) -> tuple[str | None, list[Table]]:
    """(schema revision, tables): every table's lines handed to sink(name, lines) in dependency
    order, all inside one snapshot; seen(table, row) is shown each row on the way."""
    with snapshot(db) as conn:
        revision = _revision(conn)
        meta = tables.metadata  # (what the schema is at head: tests check the migrations agree)
        if revision != HEAD:
            meta = sa.MetaData()
            meta.reflect(conn)
        out = []
        for table in meta.sorted_tables:
            if table.name == VERSION_TABLE:
                continue
            count = [0]
            stored = sink(table.name, _lines(conn, table, seen, count))
            out.append(Table(table.name, count[0], stored))
    return revision, out


def _revision(conn: sa.Connection) -> str | None:
    if not sa.inspect(conn).has_table(VERSION_TABLE):
        return None
    return conn.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()


def _decoder(column: sa.Column[Any]) -> Callable[[Any], Any]:
    if isinstance(column.type, sa.DateTime):
        return lambda v: v if v is None else _utc(dt.datetime.fromisoformat(v))
    if isinstance(column.type, sa.LargeBinary):
        return lambda v: v if v is None else base64.b64decode(v["$bytes"])
    return lambda v: v


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def load(db: Database, tables: Iterable[Iterator[bytes]]) -> int:
    """Insert the dumped tables (each an iterator of its lines) into the empty tables of `db`, in one
    transaction; PostgreSQL's id sequences then continue after the highest id. Rows inserted."""
    total = 0
    with db.write() as conn:
        meta = sa.MetaData()
        meta.reflect(conn)
        for lines in tables:
            total += _load_table(conn, meta, lines)
        if not db.is_sqlite:
            _advance_sequences(conn, meta)
    return total


def _load_table(conn: sa.Connection, meta: sa.MetaData, lines: Iterator[bytes]) -> int:
    header = orjson.loads(next(lines))
    table = meta.tables.get(header["table"])
    if table is None:
        raise ValueError(f"the dump has table {header['table']}, the database has none")
    columns = header["columns"]
    decoders = [_decoder(table.c[name]) for name in columns]
    batch, count = [], 0
    for line in lines:
        values = orjson.loads(line)
        batch.append({name: decode(v) for name, decode, v in zip(columns, decoders, values, strict=True)})
        if len(batch) >= BATCH:
            conn.execute(table.insert(), batch)
            count, batch = count + len(batch), []
    if batch:
        conn.execute(table.insert(), batch)
    return count + len(batch)


def _advance_sequences(conn: sa.Connection, meta: sa.MetaData) -> None:
    for table in meta.sorted_tables:
        if "id" in table.c and table.c.id.primary_key:
            conn.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), COALESCE(MAX(id), 1), "
                    f"MAX(id) IS NOT NULL) FROM {table.name}"
                )
            ).all()


def is_empty(db: Database) -> bool:
    """No rows in any table (the schema's revision aside)."""
    with db.read() as conn:
        meta = sa.MetaData()
        meta.reflect(conn)
        for table in meta.sorted_tables:
            if (
                table.name != VERSION_TABLE
                and conn.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first()
            ):
                return False
    return True


def drop_all(db: Database) -> None:
    """Drop every table of the database (a restore with --force starts from nothing)."""
    with db.write() as conn:
        meta = sa.MetaData()
        meta.reflect(conn)
        meta.drop_all(conn)
