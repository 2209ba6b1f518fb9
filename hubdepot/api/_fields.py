"""Reading body fields with GitHub's 422 'Invalid request.' messages for missing or mistyped ones."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, overload

import orjson

from hubdepot import errors
from hubdepot.services.contents import Person

T = TypeVar("T")
D = TypeVar("D")

_MISSING = object()
_TYPE_NAMES = {str: "string", bool: "boolean", int: "integer", dict: "object", list: "array"}


_SHOWN_DEPTH = 200  # orjson encodes 255 levels; its parser reads 1,024


def shown(value: object) -> str:
    """A body value as GitHub's 422 messages quote it: a string in quotes, anything else as JSON,
    with what lies deeper than _SHOWN_DEPTH levels shown as "..." (never an encoder's error)."""
    if isinstance(value, str):
        return f'"{value}"'
    try:
        return orjson.dumps(value).decode()
    except orjson.JSONEncodeError:
        return orjson.dumps(_clipped(value, _SHOWN_DEPTH)).decode()


def _clipped(value: object, depth: int) -> object:
    if not isinstance(value, (list, dict)):
        return value
    if depth == 0:
        return "..."
    if isinstance(value, list):
        return [_clipped(item, depth - 1) for item in value]
    return {key: _clipped(item, depth - 1) for key, item in value.items()}


@overload
def field(
    data: Mapping[str, Any], name: str, kind: type[T], *, required: Literal[True], nullable: Literal[False] = ...
) -> T: ...
@overload
def field(
    data: Mapping[str, Any], name: str, kind: type[T], *, required: bool = ..., nullable: bool = ...
) -> T | None: ...
@overload
def field(
    data: Mapping[str, Any],
    name: str,
    kind: type[T],
    *,
    required: bool = ...,
    nullable: Literal[False] = ...,
    default: D,
) -> T | D: ...
@overload
def field(
    data: Mapping[str, Any], name: str, kind: type[T], *, required: bool = ..., nullable: bool = ..., default: D
) -> T | D | None: ...
def field(
    data: Mapping[str, Any],
    name: str,
    kind: type[Any],
    *,
    required: bool = False,
    nullable: bool = False,
    default: object = None,
) -> Any:
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
        raise errors.Unprocessable(
            f"Invalid request.\n\nFor 'properties/{name}', {shown(value)} is not {_article(kind)}."
        )
    return value


def large_string(data: Mapping[str, Any], name: str) -> str | memoryview:
    """A required string field that Req.json(large=name) may have left in the body (a memoryview)."""
    value = data.get(name)
    return value if isinstance(value, memoryview) else field(data, name, str, required=True)


def _article(kind: type[Any]) -> str:
    name = _TYPE_NAMES.get(kind, kind.__name__)
    return ("an " if name[0] in "aeiou" else "a ") + name


def person(data: Mapping[str, Any], key: str) -> Person | None:
    """An author/committer object (name, email, optional date) as (name, email, date); None when absent."""
    value = field(data, key, dict)
    if value is None:
        return None
    return (
        field(value, "name", str, required=True),
        field(value, "email", str, required=True),
        field(value, "date", str),
    )
