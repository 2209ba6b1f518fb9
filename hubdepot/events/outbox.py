"""The outbox: an event is written in the transaction of the change that causes it, with one pending
delivery per hook that wants it. Nothing is sent here; the delivery task (events/worker.py) of
every serve process picks the rows up once the transaction commits. A rolled-back change leaves
no event; a committed one is delivered at least once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import orjson
import sqlalchemy as sa

from hubdepot.db import now
from hubdepot.db.session import HookTarget, inserted_id, unit_of
from hubdepot.db.tables import hooks, webhook_deliveries, webhook_events

if TYPE_CHECKING:  # (services hand hooks rows in; events sit below services)
    from hubdepot.services import Row

_wakers: list[Callable[[], object]] = []


def on_commit_wake(waker: Callable[[], object]) -> Callable[[], None]:
    """Register a callable run after a transaction that wrote deliveries commits (the local worker's
    nudge); returns a function that unregisters it."""
    _wakers.append(waker)
    return lambda: _wakers.remove(waker)


def _wake_all() -> None:
    for waker in list(_wakers):
        waker()


@dataclasses.dataclass(frozen=True)
class Target:
    id: int
    events: frozenset[str]


def wants(hook: HookTarget | Row, event: str) -> bool:
    """Whether a hook (a cached target, or a hooks row with its JSON list of events) takes `event`."""
    names = json.loads(hook.events) if isinstance(hook, sa.Row) else hook.events
    return "*" in names or event in names


_TARGETS = (
    sa.select(hooks.c.id, hooks.c.events)
    .where(
        sa.or_(hooks.c.repository_id == sa.bindparam("repo_id"), hooks.c.org_id == sa.bindparam("org_id")),
        hooks.c.active.is_(True),
    )
    .order_by(hooks.c.id)
)
_EVENTS = webhook_events.insert().returning(webhook_events.c.id, sort_by_parameter_order=True)


def targets(conn: sa.Connection, repo_id: int | None, org_id: int | None) -> list[HookTarget]:
    """The active hooks an event of this repository (and/or organisation) goes to. Private
    repositories' events go to that repository's hooks and its organisation's, as every event here."""
    if repo_id is None and org_id is None:
        return []
    cache = unit_of(conn).targets  # one query per transaction and repository
    if (repo_id, org_id) not in cache:
        rows = conn.execute(
            _TARGETS, {"repo_id": -1 if repo_id is None else repo_id, "org_id": -1 if org_id is None else org_id}
        )
        cache[repo_id, org_id] = [Target(row.id, frozenset(json.loads(row.events))) for row in rows]
    return cache[repo_id, org_id]


def put(
    conn: sa.Connection,
    hook_rows: Sequence[HookTarget | Row],
    event: str,
    action: str | None,
    repo_id: int | None,
    build: Callable[[], dict[str, Any]],
    always: bool = False,
) -> int:
    """Write `event` for those of `hook_rows` that want it (all of them: `always`); the payload is
    built only then. The rows are buffered and inserted together (a statement or two) as the
    transaction's last work, in the order put() was called. Returns the number of deliveries."""
    chosen = [h.id for h in hook_rows if always or wants(h, event)]
    if not chosen:
        return 0
    stamp = now()
    row = dict(
        guid=str(uuid.uuid4()),
        event=event,
        action=action,
        repository_id=repo_id,
        payload=orjson.dumps(build()).decode(),
        created_at=stamp,
    )
    unit = unit_of(conn)
    unit.run_before_commit(_flush)
    unit.run_after_commit(_wake_all)
    unit.outbox.append((row, chosen))
    return len(chosen)


def _fan_out() -> sa.Insert:
    """INSERT … SELECT: one pending delivery per (event, hook) of the given ids, made by the database
    (50 rows for a release's 5 events to 10 hooks cost one short statement, not 50 parameter sets)."""
    e, h = webhook_events, hooks
    select = (
        sa.select(
            e.c.id,
            h.c.id,
            e.c.guid,
            sa.false(),
            sa.literal("pending"),
            sa.literal(0),
            e.c.created_at,
            sa.literal("Pending"),
            sa.literal(0),
            e.c.created_at,
        )
        .select_from(e.join(h, sa.true()))
        .where(e.c.id.in_(sa.bindparam("events", expanding=True)), h.c.id.in_(sa.bindparam("hooks", expanding=True)))
        .order_by(e.c.id, h.c.id)
    )
    return webhook_deliveries.insert().from_select(
        [
            "event_id",
            "hook_id",
            "guid",
            "redelivery",
            "state",
            "attempts",
            "next_at",
            "status",
            "status_code",
            "created_at",
        ],
        select,
    )


_FAN_OUT = _fan_out()


def _flush(conn: sa.Connection) -> None:
    unit = unit_of(conn)
    pending, unit.outbox = unit.outbox, []
    if not pending:
        return
    ids = conn.execute(_EVENTS, [row for row, _ in pending]).scalars().all()
    runs: list[tuple[list[int], list[int]]] = []  # consecutive events going to the same hooks, in order
    for event_id, (_row, chosen) in zip(ids, pending, strict=False):
        if runs and runs[-1][1] == chosen:
            runs[-1][0].append(event_id)
        else:
            runs.append(([event_id], chosen))
    for event_ids, chosen in runs:
        conn.execute(_FAN_OUT, {"events": event_ids, "hooks": chosen})


def _pending(event_id: int, hook_id: int, guid: str, stamp: dt.datetime, redelivery: bool = False) -> dict[str, Any]:
    return dict(
        event_id=event_id,
        hook_id=hook_id,
        guid=guid,
        redelivery=redelivery,
        state="pending",
        attempts=0,
        next_at=stamp,
        status="Pending",
        status_code=0,
        created_at=stamp,
    )


def redeliver(conn: sa.Connection, event_id: int, hook_id: int, guid: str) -> int:
    """A new pending delivery of an event already sent (same GUID, redelivery=true)."""
    row = _pending(event_id, hook_id, guid, now(), redelivery=True)
    delivery_id = inserted_id(conn.execute(webhook_deliveries.insert().values(**row)))
    unit_of(conn).run_after_commit(_wake_all)
    return delivery_id
