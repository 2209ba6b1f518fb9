"""Alembic: one head; upgrade, downgrade and upgrade again on SQLite and PostgreSQL; no drift."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from hubdepot.db import migrate, revision
from hubdepot.db.session import Database
from tests.conftest import PG_URL, WORKER, scratch_database


def _scratch_pg() -> str:
    """A PostgreSQL database of its own, so the running test server's schema is left alone."""
    return scratch_database(f"hubdepot_migrations{WORKER}", fresh=True)


@pytest.fixture(params=["sqlite"] + (["postgresql"] if PG_URL else []))
def scratch_db(request, tmp_path):
    url = _scratch_pg() if request.param == "postgresql" else f"sqlite:///{tmp_path / 'm.db'}"
    db = Database(url)
    yield db
    db.dispose()


def test_single_head():
    assert migrate.heads() == [revision.HEAD]  # the revision commands check without alembic


def test_upgrade_downgrade_upgrade(scratch_db):
    assert not revision.at_head(scratch_db)  # a new database: commands run the migrations
    migrate.upgrade(scratch_db)
    assert migrate.current(scratch_db) == migrate.heads()[0] and revision.at_head(scratch_db)
    assert migrate.drift(scratch_db) == []
    tables = set(sa.inspect(scratch_db.engine).get_table_names())
    assert {"accounts", "tokens", "repositories", "releases", "release_assets", "downloads"} <= tables
    migrate.downgrade(scratch_db, "base")
    assert migrate.current(scratch_db) is None and not revision.at_head(scratch_db)
    assert set(sa.inspect(scratch_db.engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(scratch_db)
    assert migrate.drift(scratch_db) == []
