"""The outbox: an event is written in the transaction of the change that causes it, with one pending
delivery per hook that wants it. Nothing is sent here; the delivery task (events/worker.py) of
every serve process picks the rows up once the transaction commits. A rolled-back change leaves
no event; a committed one is delivered at least once.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

import orjson
import sqlalchemy as sa

from hubdepot.db.tables import hooks, webhook_deliveries, webhook_events
from hubdepot.services import now

_wakers: list[Callable[[], None]] = []


def on_commit_wake(waker: Callable[[], None]) -> Callable[[], None]:
    """Register a callable run after a transaction that wrote deliveries commits (the local worker's
    nudge); returns a function that unregisters it."""
    _wakers.append(waker)
    return lambda: _wakers.remove(waker)


def _wake_all() -> None:
    for waker in list(_wakers):
        waker()


def wants(hook, event: str) -> bool:
    names = json.loads(hook.events)
    return "*" in names or event in names


def targets(conn, repo_id: int | None, org_id: int | None) -> list:
    """The active hooks an event of this repository (and/or organisation) goes to. Private
    repositories' events go to that repository's hooks and its organisation's, as every event here."""
    clauses = []
    if repo_id is not None:
        clauses.append(hooks.c.repository_id == repo_id)
    if org_id is not None:
        clauses.append(hooks.c.org_id == org_id)
    if not clauses:
        return []
    query = sa.select(hooks.c.id, hooks.c.events).where(sa.or_(*clauses), hooks.c.active.is_(True)).order_by(hooks.c.id)
    return list(conn.execute(query))


def put(conn, hook_rows: list, event: str, action: str | None, repo_id: int | None,
        build: Callable[[], dict], always: bool = False) -> int:
    """Write `event` for those of `hook_rows` that want it (all of them: `always`); the payload is
    built only then. Returns the number of deliveries written."""
    chosen = [h for h in hook_rows if always or wants(h, event)]
    if not chosen:
        return 0
    stamp, guid = now(), str(uuid.uuid4())
    event_id = conn.execute(webhook_events.insert().values(
        guid=guid, event=event, action=action, repository_id=repo_id, payload=orjson.dumps(build()).decode(),
        created_at=stamp)).inserted_primary_key[0]
    conn.execute(webhook_deliveries.insert(), [_pending(event_id, h.id, guid, stamp) for h in chosen])
    _after_commit(conn)
    return len(chosen)


def _pending(event_id: int, hook_id: int, guid: str, stamp, redelivery: bool = False) -> dict:
    return dict(event_id=event_id, hook_id=hook_id, guid=guid, redelivery=redelivery, state="pending", attempts=0,
                next_at=stamp, status="Pending", status_code=0, created_at=stamp)


def redeliver(conn, event_id: int, hook_id: int, guid: str) -> int:
    """A new pending delivery of an event already sent (same GUID, redelivery=true)."""
    row = _pending(event_id, hook_id, guid, now(), redelivery=True)
    delivery_id = conn.execute(webhook_deliveries.insert().values(**row)).inserted_primary_key[0]
    _after_commit(conn)
    return delivery_id


def _after_commit(conn) -> None:
    callbacks = conn.info.setdefault("after_commit", [])
    if _wake_all not in callbacks:
        callbacks.append(_wake_all)
