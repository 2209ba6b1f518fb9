"""Reading body fields with GitHub's 422 'Invalid request.' messages for missing or mistyped ones."""

from __future__ import annotations

import orjson

from hubdepot import errors

_MISSING = object()
_TYPE_NAMES = {str: "string", bool: "boolean", int: "integer", dict: "object", list: "array"}


def _shown(value) -> str:
    return orjson.dumps(value).decode() if not isinstance(value, str) else f'"{value}"'


def field(data: dict, name: str, kind: type, *, required: bool = False, nullable: bool = False, default=None):
    """data[name] checked against `kind`; `default` when absent (or GitHub's 422 when required)."""
    value = data.get(name, _MISSING)
    if value is _MISSING:
        if required:
            raise errors.Unprocessable(f'Invalid request.\n\n"{name}" wasn\'t supplied.')
        return default
    if value is None and nullable:
        return None
    ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if not ok:
        shown = _shown(value)
        raise errors.Unprocessable(f"Invalid request.\n\nFor 'properties/{name}', {shown} is not {_article(kind)}.")
    return value


def _article(kind: type) -> str:
    name = _TYPE_NAMES.get(kind, kind.__name__)
    return ("an " if name[0] in "aeiou" else "a ") + name


def person(data: dict, key: str) -> tuple | None:
    """An author/committer object (name, email, optional date) as (name, email, date); None when absent."""
    value = field(data, key, dict)
    if value is None:
        return None
    return (
        field(value, "name", str, required=True),
        field(value, "email", str, required=True),
        field(value, "date", str),
    )
