"""The delivery side of the outbox, in SQL: claim hooks with due deliveries, read them in order,
record each outcome, give the hook back, prune old history.

A hook is delivered by one process at a time: the process leases it (hooks.lease_owner/lease_until;
on PostgreSQL the claim is `FOR UPDATE SKIP LOCKED`, on SQLite write transactions are serial), so
one hook's deliveries go out one after the other in outbox (commit) order. The lease is renewed
with every recorded outcome; a process that dies leaves it to expire, and its deliveries, still
pending, go out again from another process (at least once). A failed delivery waits with
exponential backoff without holding back the hook's later ones.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import TYPE_CHECKING, Any

import orjson
import sqlalchemy as sa

from hubdepot.db.tables import hooks, webhook_deliveries, webhook_events
from hubdepot.events.delivery import Outcome, Target

if TYPE_CHECKING:  # (the delivery task is handed the Hub; events sit below services)
    from hubdepot.hub import Hub

MAX_DELAY = 7200.0  # backoff cap between two attempts (seconds)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclasses.dataclass(frozen=True)
class Due:
    id: int
    guid: str
    event: str
    payload: bytes
    attempts: int
    created_at: dt.datetime


def claim(hub: Hub, owner: str, limit: int) -> list[int]:
    """Lease up to `limit` hooks that have due deliveries and no live lease; their ids."""
    stamp = _now()
    due_hooks = (
        sa.select(webhook_deliveries.c.hook_id)
        .where(webhook_deliveries.c.state == "pending", webhook_deliveries.c.next_at <= stamp)
        .distinct()
    )
    free = sa.or_(hooks.c.lease_until.is_(None), hooks.c.lease_until < stamp)
    query = sa.select(hooks.c.id).where(hooks.c.id.in_(due_hooks), free).order_by(hooks.c.id).limit(limit)
    with hub.db.read() as conn:  # an idle poll takes no write lock
        if conn.execute(query).first() is None:
            return []
    with hub.db.write() as conn:
        ids = list(conn.execute(query.with_for_update(skip_locked=True)).scalars())
        if ids:
            until = stamp + dt.timedelta(seconds=hub.settings.webhook_lease_seconds)
            conn.execute(hooks.update().where(hooks.c.id.in_(ids)).values(lease_owner=owner, lease_until=until))
    return ids


def due(hub: Hub, hook_id: int, limit: int = 20) -> tuple[Target | None, list[Due]]:
    """The hook's delivery settings (None once deleted) and its next due deliveries, oldest first."""
    d, e = webhook_deliveries, webhook_events
    with hub.db.read() as conn:
        hook = conn.execute(sa.select(hooks).where(hooks.c.id == hook_id)).first()
        if hook is None:
            return None, []
        rows = conn.execute(
            sa.select(d.c.id, d.c.guid, d.c.attempts, d.c.created_at, e.c.event, e.c.payload)
            .join(e, e.c.id == d.c.event_id)
            .where(d.c.hook_id == hook_id, d.c.state == "pending", d.c.next_at <= _now())
            .order_by(d.c.id)
            .limit(limit)
        ).all()
    kind, target_id = ("repository", hook.repository_id) if hook.repository_id else ("organization", hook.org_id)
    target = Target(
        hook.id, hook.url, hook.content_type, hook.secret, hook.insecure_ssl == "1", kind, target_id, hub.urls.host()
    )
    return target, [Due(r.id, r.guid, r.event, r.payload.encode(), r.attempts, _aware(r.created_at)) for r in rows]


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _next_try(hub: Hub, delivery: Due, outcome: Outcome) -> dt.datetime | None:
    """When to try again, or None: delivered, not worth retrying, or retried for long enough."""
    if outcome.ok or not outcome.retry:
        return None
    delay = min(hub.settings.webhook_backoff_ms / 1000 * 2**delivery.attempts, MAX_DELAY)
    at = _now() + dt.timedelta(seconds=delay)
    if at > delivery.created_at + dt.timedelta(hours=hub.settings.webhook_retry_hours):
        return None
    return at


def record(hub: Hub, hook_id: int, owner: str, results: list[tuple[Due, Outcome]]) -> bool:
    """Store outcomes (pending again with a later next_at, or done) in one transaction, and renew the
    hook's lease. False when this process no longer holds the lease (another took over)."""
    stamp = _now()
    rows = [_outcome_values(hub, delivery, outcome, stamp) for delivery, outcome in results]
    d = webhook_deliveries
    update = (
        d.update()
        .where(d.c.id == sa.bindparam("_id"))
        .values(attempts=d.c.attempts + 1, **{k: sa.bindparam(k) for k in rows[0] if k != "_id"})
    )
    last = results[-1][1]
    until = stamp + dt.timedelta(seconds=hub.settings.webhook_lease_seconds)
    with hub.db.write() as conn:
        conn.execute(update, rows)
        held = conn.execute(
            hooks.update()
            .where(hooks.c.id == hook_id, hooks.c.lease_owner == owner)
            .values(
                lease_until=until,
                last_code=last.status_code or None,
                last_status="active" if last.ok else "failed",
                last_message=last.status[:255],
            )
        ).rowcount
    return bool(held)


def _outcome_values(hub: Hub, delivery: Due, outcome: Outcome, stamp: dt.datetime) -> dict[str, Any]:
    retry_at = _next_try(hub, delivery, outcome)
    return dict(
        _id=delivery.id,
        delivered_at=stamp,
        duration=outcome.duration,
        status=outcome.status[:255],
        status_code=outcome.status_code,
        request_headers=orjson.dumps(outcome.request_headers).decode(),
        response_headers=orjson.dumps(outcome.response_headers).decode()
        if outcome.response_headers is not None
        else None,
        response_body=outcome.response_body,
        state="pending" if retry_at else "done",
        next_at=retry_at or stamp,
    )


def release(hub: Hub, hook_id: int, owner: str) -> None:
    with hub.db.write() as conn:
        conn.execute(
            hooks.update()
            .where(hooks.c.id == hook_id, hooks.c.lease_owner == owner)
            .values(lease_owner=None, lease_until=None)
        )


def prune(hub: Hub) -> int:
    """Forget finished deliveries older than the retention time, and events none refers to any more."""
    cutoff = _now() - dt.timedelta(hours=hub.settings.webhook_retention_hours)
    d, e = webhook_deliveries, webhook_events
    with hub.db.write() as conn:
        gone = conn.execute(d.delete().where(d.c.state == "done", d.c.created_at < cutoff)).rowcount
        conn.execute(e.delete().where(e.c.created_at < cutoff, ~sa.exists().where(d.c.event_id == e.c.id)))
    return gone
