"""The schema revision this code needs, checked without loading alembic (0.15 s of a command's start):
commands run migrations only when the database is behind. tests/unit checks HEAD against alembic's."""

from __future__ import annotations

import sqlalchemy as sa

from hubdepot.db.session import Database

HEAD = "0008"


def at_head(db: Database) -> bool:
    try:
        with db.read() as conn:
            found = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
    except Exception:  # no table yet (a new database), or one we cannot read: let alembic decide
        return False
    return found == [HEAD]
