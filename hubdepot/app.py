"""create_app(settings): the one composition root. Nothing happens at import time."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager

from starlette.applications import Starlette
from starlette.convertors import IntegerConvertor, register_url_convertor
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hubdepot import errors
from hubdepot.config import Settings
from hubdepot.http import context, observe, render
from hubdepot.http.edge import Edge, error_request_id
from hubdepot.http.observe import Observe
from hubdepot.hub import Hub, create_hub
from hubdepot.pages import status
from hubdepot.surfaces import surface_map


async def _error(request: Request, exc: Exception) -> Response:
    """Every error a route raises, rendered as its surface answers errors (http/render)."""
    if isinstance(exc, HTTPException):
        exc = errors.NotFound() if exc.status_code in (404, 405) else errors.BadRequest(exc.detail)
    scope = request.scope
    status, body, headers = render.render(
        context.of(scope).surface, exc, context.reply(scope).docs, error_request_id(scope)
    )
    return Response(body, status_code=status, headers=headers)


class _Id(IntegerConvertor):
    """{x:int} path parameters are database ids: at most 18 digits, so they fit every integer column;
    a longer number matches no route and is GitHub's 404."""

    regex = "[0-9]{1,18}"


def _lifespan(hub: Hub, deliver: bool) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    """While the app serves: the webhook delivery task of this process (hubdepot/events/worker.py) and,
    on PostgreSQL, its ear for the other hosts' writes (db/coherence.py)."""

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        listener = None
        if not hub.db.is_sqlite and hub.db.generation is not None:
            from hubdepot.db.coherence import Listener

            listener = Listener(hub.settings.database, hub.db.generation)
            listener.start()
        if hub.settings.metrics != "off":
            observe.flush_every_second(hub)
        deliverer = None
        if deliver:
            from hubdepot.events.worker import Deliverer

            deliverer = Deliverer(hub)
            deliverer.start()
        try:
            yield
        finally:
            if deliverer is not None:
                await deliverer.stop()
            if listener is not None:
                listener.stop()
            observe.stop_flushing()

    return lifespan


def create_app(settings: Settings | None = None, hub: Hub | None = None, deliver: bool = True) -> Starlette:
    register_url_convertor("int", _Id())  # before the routes compile their patterns
    hub = hub or create_hub(settings or Settings.load())
    surfaces = surface_map()
    app = Starlette(
        routes=[Route("/status", status.status, methods=["GET"])]
        + ([Route("/metrics", status.metrics, methods=["GET"])] if hub.settings.metrics == "on" else [])
        + surfaces.routes,
        exception_handlers={Exception: _error, HTTPException: _error, errors.HubdepotError: _error},
        lifespan=_lifespan(hub, deliver),
    )
    app.state.hub = hub
    app.add_middleware(Edge, hub=hub, surface_for=surfaces.surface_for)
    if hub.settings.ephemeral:  # test mode: the journal, faults and /_hubdepot/ (docs/testing.md)
        from hubdepot.testing.middleware import TestMode

        app.add_middleware(TestMode, hub=hub)
    app.add_middleware(Observe, hub=hub)
    return app


def app_from_env() -> Starlette:
    """Entry point for the ASGI server's worker processes (granian --factory)."""
    return create_app(Settings.load())
