"""Who is asking on a web route (outside /api, so the API middleware did not authenticate)."""

from __future__ import annotations

from starlette.requests import Request

from hubdepot import errors
from hubdepot.api._middleware import bearer
from hubdepot.services import accounts


def web_actor(hub, request: Request):
    """The caller named by an Authorization header (token, Bearer or Basic login:token), or None.
    A bad token counts as no token: web pages answer 404 for what an anonymous caller cannot see."""
    token = bearer(request.headers.get("authorization"))
    if not token:
        return None
    try:
        return accounts.authenticate(hub, token)
    except errors.Unauthenticated:
        return None
