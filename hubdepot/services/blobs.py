"""Blob bookkeeping across resources: which blobs rows reference, releasing one, garbage collection.

Blobs are content-addressed and may be shared (the same bytes as an asset and a download), so a
blob goes only when no row references it. Writers commit the blob first and insert the row after;
gc therefore never deletes a blob younger than its grace period, and re-checks age and references
of each candidate right before deleting it.
"""

from __future__ import annotations

import logging
import time

import sqlalchemy as sa

from hubdepot import errors
from hubdepot.db.tables import downloads, release_assets
from hubdepot.hub import Hub

log = logging.getLogger("hubdepot")
TEMPORARY_GRACE = 6 * 3600  # a writer's temporaries (S3 multipart uploads) may live this long
_REFERENCES = (release_assets.c.blob_key, downloads.c.blob_key)


def referenced_keys(hub: Hub) -> set[str]:
    with hub.db.read() as conn:
        return {
            key
            for column in _REFERENCES
            for key in conn.execute(sa.select(column).where(column.is_not(None)).distinct()).scalars()
        }


def is_referenced(hub: Hub, key: str) -> bool:
    with hub.db.read() as conn:
        return any(
            conn.execute(sa.select(sa.literal(1)).where(column == key).limit(1)).first() for column in _REFERENCES
        )


def release(hub: Hub, key: str | None) -> bool:
    """Delete the blob `key` now if no row references it any more (after a row was deleted)."""
    if not key or is_referenced(hub, key):
        return False
    try:
        hub.storage.delete(key)
    except errors.HubdepotError:
        log.warning("could not delete blob %s; `hubdepot storage gc` will", key, exc_info=True)
        return False
    return True


def _old_enough(hub: Hub, key: str, grace_seconds: float) -> bool:
    modified = hub.storage.modified(key)
    return modified is not None and time.time() - modified >= grace_seconds


def gc(hub: Hub, grace_seconds: float) -> int:
    """Remove blobs no release asset or download references and older than grace_seconds; their count."""
    candidates = list(hub.storage.keys())  # listed before the references are read
    keep = referenced_keys(hub)
    removed = 0
    for key in candidates:
        if key in keep or not _old_enough(hub, key, grace_seconds) or is_referenced(hub, key):
            continue
        hub.storage.delete(key)
        removed += 1
    sweep = getattr(hub.storage, "sweep", None)  # backends that keep temporaries of their own (S3)
    if sweep is not None:
        sweep(max(grace_seconds, TEMPORARY_GRACE))
    return removed
