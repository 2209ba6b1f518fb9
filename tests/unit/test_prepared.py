"""db/prepared and db/native on a real SQLite file: the rows a prepared statement gives are the rows
SQLAlchemy gives, whichever way they were read (libsqlite3 keeping the GIL, sqlite3, SQLAlchemy), and
a read sees every write committed before it."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading

import pytest
import sqlalchemy as sa

from hubdepot.db import native
from hubdepot.db.generation import Generation
from hubdepot.db.prepared import Prepared
from hubdepot.db.session import Database

_meta = sa.MetaData()
things = sa.Table(
    "things",
    _meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("note", sa.Text),
    sa.Column("flag", sa.Boolean, nullable=False),
    sa.Column("at", sa.DateTime),
    sa.Column("size", sa.BigInteger),
    sa.Column("ratio", sa.Float),
)
blobs = sa.Table("blobs", _meta, sa.Column("id", sa.Integer, primary_key=True), sa.Column("data", sa.LargeBinary))

ROWS = [
    dict(id=1, name="x", note=None, flag=True, at=dt.datetime(2026, 12, 6, 8, 30, 1, 12), size=2**62, ratio=0.1 + 0.2),
    dict(id=2, name='quotes " \\ and \n lines', note="ünïcødé ✓ 🚀", flag=False, at=None, size=-1, ratio=None),
    dict(id=3, name="\t\x01 control", note="", flag=False, at=dt.datetime(1999, 1, 1), size=0, ratio=1e300),
]
_ALL_BUT_RATIO = [c for c in things.c if c.name != "ratio"]
BY_FLAG = Prepared(sa.select(*_ALL_BUT_RATIO).where(things.c.flag == sa.bindparam("flag")).order_by(things.c.id))
RATIO = Prepared(sa.select(things.c.id, things.c.ratio).where(things.c.id == sa.bindparam("id")))
BY_NAME = Prepared(sa.select(things.c.id, things.c.at).where(things.c.name == sa.bindparam("name")).limit(1))
BLOB = Prepared(sa.select(blobs).where(blobs.c.id == sa.bindparam("id")))


@pytest.fixture
def db(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'test.db'}")
    _meta.create_all(database.engine)
    with database.write() as conn:
        conn.execute(things.insert(), ROWS)
        conn.execute(blobs.insert(), [dict(id=1, data=b"\x00\xff binary")])
    yield database
    database.dispose()


def _expected(db: Database, statement: Prepared, params: dict) -> list[tuple]:
    with db.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(statement.statement, params).all()]


def test_the_event_loops_reads_run_on_libsqlite3_with_sqlalchemys_values(db):
    with db.read() as conn:
        reader = conn.info.get(native.READER)
        assert isinstance(reader, native.Reader), "the main thread's kept connection has a native reader"
        for flag in (True, False):
            rows = BY_FLAG.all(conn, {"flag": flag})
            assert [tuple(row) for row in rows] == _expected(db, BY_FLAG, {"flag": flag})
        found = BY_NAME.first(conn, {"name": ROWS[1]["name"]})
        assert found is not None and found.id == 2 and found.at is None
        assert BY_NAME.first(conn, {"name": "absent"}) is None
        assert rows[1].name == ROWS[2]["name"] and rows[0].note == ROWS[1]["note"]
        compiled = BY_FLAG._compiled
        assert compiled is not None and compiled.native is not None
        raw = reader.rows(compiled.native.sql, [1], one=False)
        assert raw is not None and len(raw) == 1, "the statement really ran on the native reader"


def test_values_json_cannot_carry_are_read_through_sqlite3(db):
    with db.read() as conn:
        for row in ROWS:
            found = RATIO.first(conn, {"id": row["id"]})
            assert found is not None and found.ratio == row["ratio"]
        assert RATIO._compiled is not None and RATIO._compiled.native is None, "a REAL's 17 digits: sqlite3's"
        reader = conn.info[native.READER]
        compiled = BLOB._compiled or BLOB._compile(conn.dialect)
        assert compiled.native is not None
        assert reader.rows(compiled.native.sql, [1], one=True) is None  # (a BLOB: json_array refuses it)
        row = BLOB.first(conn, {"id": 1})
        assert row is not None and row.data == b"\x00\xff binary"


def test_a_read_sees_what_was_committed_before_it(db):
    with db.read() as conn:
        assert len(BY_FLAG.all(conn, {"flag": True})) == 1
    with db.write() as conn:
        conn.execute(things.insert(), [dict(id=4, name="new", flag=True)])
    with db.read() as conn:
        assert [row.id for row in BY_FLAG.all(conn, {"flag": True})] == [1, 4]

    def write_elsewhere() -> None:
        with db.write() as conn:
            conn.execute(things.update().where(things.c.id == 4).values(flag=False))

    thread = threading.Thread(target=write_elsewhere)
    thread.start()
    thread.join()
    with db.read() as conn:
        assert [row.id for row in BY_FLAG.all(conn, {"flag": True})] == [1]


def test_other_threads_and_writes_read_through_sqlite3(db):
    seen: list[object] = []

    def read_in_a_thread() -> None:
        with db.read() as conn:
            seen.append(conn.info.get(native.READER))
            seen.append([tuple(row) for row in BY_FLAG.all(conn, {"flag": False})])

    thread = threading.Thread(target=read_in_a_thread)
    thread.start()
    thread.join()
    assert seen == [None, _expected(db, BY_FLAG, {"flag": False})]
    with db.read() as conn:
        reader = conn.info[native.READER]
    elsewhere: list[object] = []
    thread = threading.Thread(target=lambda: elsewhere.append(reader.rows("SELECT json_array(1)", [], one=True)))
    thread.start()
    thread.join()
    assert elsewhere == [None], "a reader answers on its own thread only"
    assert reader.rows("SELECT json_array(1)", [], one=True) == [[1]]
    with db.write() as conn:
        assert conn.info.get(native.READER) is None
        conn.execute(things.update().where(things.c.id == 1).values(flag=False))
        assert [row.id for row in BY_FLAG.all(conn, {"flag": False})] == [1, 2, 3], "its own write, uncommitted"


def test_the_library_is_the_one_sqlite3_loaded():
    path = native._sqlite3_library()
    assert path is not None and "libsqlite3" in path
    with open("/proc/self/maps") as maps:
        assert path in maps.read()


def test_dispose_closes_the_reader(db):
    with db.read() as conn:
        reader = conn.info[native.READER]
    db.dispose()
    assert reader._handle is None


def _other_write(db: Database, name: str) -> None:
    """A write committed on another connection (another thread's, another process's), with no move of
    the epoch: what a shared read transaction does not see until the loop's pass ends."""
    with db.engine.connect() as conn:
        conn.execute(things.update().where(things.c.id == 1).values(name=name))
        conn.commit()


def test_one_pass_of_the_loop_shares_a_read_until_a_write_ends(tmp_path):
    epoch = [0]
    database = Database(f"sqlite:///{tmp_path / 'shared.db'}")
    _meta.create_all(database.engine)
    with database.engine.begin() as conn:
        conn.execute(things.insert(), ROWS)
    sql = "SELECT json_array(name) FROM things WHERE id = ?"
    reader = native.open_reader(str(tmp_path / "shared.db"), lambda: epoch[0])
    assert reader is not None

    def name() -> str:
        rows = reader.rows(sql, [1], one=True)
        assert rows is not None
        return str(rows[0][0])

    async def passes() -> list[str]:
        seen = [name()]
        _other_write(database, "second")
        seen.append(name())  # (the same pass: the same state of the database)
        await asyncio.sleep(0)
        seen.append(name())  # (the next pass reads anew)
        _other_write(database, "third")
        epoch[0] += 1  # (a write that ended moves the epoch: the pass's reads see it at once)
        seen.append(name())
        epoch[0] = -1  # (incoherent: nothing is shared)
        _other_write(database, "fourth")
        seen.append(name())
        _other_write(database, "fifth")
        seen.append(name())
        return seen

    try:
        assert asyncio.run(passes()) == ["x", "x", "second", "third", "fourth", "fifth"]
        _other_write(database, "outside")
        assert name() == "outside"  # (no running loop: each statement reads on its own)
    finally:
        reader.close()
        database.dispose()


def test_a_write_on_the_loops_thread_ends_its_shared_read(tmp_path):
    generation = Generation(tmp_path / "generation")
    database = Database(f"sqlite:///{tmp_path / 'gen.db'}", generation)
    _meta.create_all(database.engine)
    with database.write() as conn:
        conn.execute(things.insert(), ROWS)

    async def read_write_read() -> tuple[str, str, str]:
        with database.read() as conn:
            before = BY_NAME.first(conn, {"name": "x"})
        _other_write(database, "unseen")  # (no epoch move: the shared read does not see it)
        with database.read() as conn:
            hidden = BY_NAME.first(conn, {"name": "x"})
        with database.write() as conn:
            conn.execute(things.update().where(things.c.id == 2).values(name="written"))
        with database.read() as conn:
            after = BY_NAME.first(conn, {"name": "written"})
        return str(before.id), str(hidden.id if hidden else None), str(after.id if after else None)

    try:
        assert asyncio.run(read_write_read()) == ("1", "1", "2")
    finally:
        database.dispose()
