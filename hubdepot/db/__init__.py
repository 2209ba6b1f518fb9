"""Metadata store: SQLAlchemy Core on SQLite (default) or PostgreSQL. The only importer of sqlalchemy."""

from __future__ import annotations

import datetime as dt


def now() -> dt.datetime:
    """The time a write stamps on its rows (UTC, whole seconds, as GitHub's timestamps)."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0)
