"""Pure functions named after GitHub's OpenAPI schemas: rows in, complete JSON-ready dicts out."""

from __future__ import annotations

import datetime as dt

from hubdepot.git import Identity


def iso(value: dt.datetime | None) -> str | None:
    """GitHub's timestamp form: YYYY-MM-DDTHH:MM:SSZ (UTC), or None."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.isoformat(timespec="seconds") + "Z"


UNSIGNED = {"verified": False, "reason": "unsigned", "signature": None, "payload": None, "verified_at": None}
"""A commit's or tag's `verification`: hubdepot checks no signatures."""


def when(who: Identity) -> str:
    """A git signature's time in GitHub's form."""
    return dt.datetime.fromtimestamp(who.time, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def person(who: Identity) -> dict[str, str]:
    """A git signature as GitHub's {name, email, date}."""
    return {"name": who.name, "email": who.email, "date": when(who)}
