"""Whether this host can serve (GET /status, the load balancer's health check) and its drain flag.

A host can serve when its database answers, its repositories directory (a shared volume in a
cluster) can be read and written, and its blob storage answers. While `hubdepot serve` drains
after SIGTERM it says no, so the load balancer sends new requests elsewhere before it stops.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import sqlalchemy as sa

from hubdepot.db.tables import webhook_deliveries as webhook_deliveries_table
from hubdepot.hub import Hub
from hubdepot.storage import key_for

PROBE_KEY = key_for("0" * 64)  # a blob never written (the hash of no content we store): asking reaches storage


def drain_flag(data_dir: Path, server_pid: int) -> Path:
    """The file whose presence says the serve process `server_pid` is draining. Its workers are its
    children, so they find it by their parent's pid."""
    return data_dir / f"draining-{server_pid}"


def draining(hub: Hub) -> bool:
    return drain_flag(hub.settings.data_dir, os.getppid()).exists()


def problems(hub: Hub) -> list[str]:
    """What keeps this host from serving, one short line each; empty when it can."""
    if draining(hub):
        return ["draining"]
    found = []
    for name, check in (("database", _database), ("repositories", _repositories), ("storage", _storage)):
        try:
            check(hub)
        except Exception as exc:  # a probe: whatever fails is the answer, never a 500
            found.append(f"{name}: {type(exc).__name__}")
    return found


def _database(hub: Hub) -> None:
    with hub.db.read() as conn:
        conn.exec_driver_sql("SELECT 1").scalar()


def _repositories(hub: Hub) -> None:
    root = hub.settings.repos_dir
    root.mkdir(parents=True, exist_ok=True)
    probe = root / f".status-{uuid.uuid4().hex}"
    fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, b"ok")
    finally:
        os.close(fd)
        probe.unlink()
    if not os.access(root, os.R_OK | os.X_OK):  # (listable: a stat, not a listing of every repository)
        raise PermissionError(str(root))


def _storage(hub: Hub) -> None:
    hub.storage.exists(PROBE_KEY)


def webhook_deliveries(hub: Hub) -> list[tuple[str, int, int]]:
    """(state, status code, count) of the webhook deliveries kept, for /metrics."""
    column = webhook_deliveries_table.c
    query = sa.select(column.state, column.status_code, sa.func.count()).group_by(column.state, column.status_code)
    with hub.db.read() as conn:
        return [(state, int(code), int(n)) for state, code, n in conn.execute(query)]
