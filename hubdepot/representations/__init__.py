"""Pure functions named after GitHub's OpenAPI schemas: rows in, complete JSON-ready dicts out."""

from __future__ import annotations

import datetime as dt


def iso(value: dt.datetime | None) -> str | None:
    """GitHub's timestamp form: YYYY-MM-DDTHH:MM:SSZ (UTC), or None."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.isoformat(timespec="seconds") + "Z"
