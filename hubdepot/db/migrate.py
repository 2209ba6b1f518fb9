"""Alembic, driven from code: upgrade, downgrade, current revision, drift check."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from hubdepot.db.session import Database
from hubdepot.db.tables import metadata

_SCRIPTS = str(Path(__file__).resolve().parent.parent / "migrations")


def _config(connection: sa.Connection | None) -> Config:
    config = Config()
    config.set_main_option("script_location", _SCRIPTS)
    config.attributes["connection"] = connection
    return config


def upgrade(db: Database, revision: str = "head") -> None:
    with db.engine.begin() as conn:
        if db.is_sqlite:
            conn.info["begin_mode"] = "IMMEDIATE"
        command.upgrade(_config(conn), revision)


def downgrade(db: Database, revision: str) -> None:
    with db.engine.begin() as conn:
        command.downgrade(_config(conn), revision)


def current(db: Database) -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def known(revision: str) -> bool:
    """Whether this hubdepot's migrations include `revision` (a snapshot's schema can be rebuilt)."""
    try:
        return ScriptDirectory.from_config(_config(None)).get_revision(revision) is not None
    except Exception:  # alembic's "no such revision" errors
        return False


def heads() -> list[str]:
    return list(ScriptDirectory.from_config(_config(None)).get_heads())


def drift(db: Database) -> list[object]:
    """Differences between the live schema and hubdepot.db.tables (empty when they agree): alembic's
    diff tuples, for a person to read."""
    with db.engine.connect() as conn:
        diffs: list[object] = compare_metadata(MigrationContext.configure(conn), metadata)
        return diffs
