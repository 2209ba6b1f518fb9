"""Fixed-window counters in the database, so every host of a cluster counts the same requests
(rate limits, sign-in throttling) on PostgreSQL. Each call is one autocommit statement on the
engine, outside units of work: a count is not a write the caches need to hear about."""

from __future__ import annotations

import random
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from hubdepot.db.session import Database
from hubdepot.db.tables import counters

_c = counters.c


class Counters:
    def __init__(self, db: Database):
        self.db = db

    def _run(self, statement: sa.Executable) -> list[sa.Row[*tuple[Any, ...]]]:
        with self.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            result = conn.execute(statement)
            return list(result) if result.returns_rows else []

    def hit(self, key: str, now: int, window_seconds: int) -> tuple[int, int]:
        """Count one for `key` in its current window (a new one from `now` when the last has ended):
        (used, reset)."""
        if random.random() < 0.001:  # now and then, windows long over go
            self._run(sa.delete(counters).where(_c.reset < now - window_seconds))
        fresh = _c.reset <= now
        statement = (
            insert(counters)
            .values(key=key, reset=now + window_seconds, used=1)
            .on_conflict_do_update(
                index_elements=[_c.key],
                set_={
                    "used": sa.case((fresh, 1), else_=_c.used + 1),
                    "reset": sa.case((fresh, now + window_seconds), else_=_c.reset),
                },
            )
            .returning(_c.used, _c.reset)
        )
        used, reset = self._run(statement)[0]
        return int(used), int(reset)

    def count(self, key: str, now: int) -> int:
        rows = self._run(sa.select(_c.used).where(_c.key == key, _c.reset > now))
        return int(rows[0][0]) if rows else 0

    def take_back(self, key: str, now: int) -> None:
        self._run(sa.update(counters).where(_c.key == key, _c.reset > now, _c.used > 0).values(used=_c.used - 1))

    def forget(self, key: str) -> None:
        self._run(sa.delete(counters).where(_c.key == key))
