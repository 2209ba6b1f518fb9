"""create_app(settings): the one composition root. Nothing happens at import time."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from starlette.applications import Starlette
from starlette.convertors import IntegerConvertor, register_url_convertor
from starlette.types import ASGIApp

from hubdepot.config import Settings
from hubdepot.http import observe
from hubdepot.http.edge import Edge
from hubdepot.http.observe import Observe
from hubdepot.hub import Hub, create_hub
from hubdepot.pages import status
from hubdepot.surfaces import Row, surface_map


class _Id(IntegerConvertor):
    """{x:int} path parameters are database ids: at most 18 digits, so they fit every integer column;
    a longer number matches no route and is GitHub's 404."""

    regex = "[0-9]{1,18}"


# The collector's first generation runs after this many more container objects were made than freed
# (Python's default: 700). Under load, the requests in flight hold more than 700 between them, so the
# default ran a collection every few requests, each scanning them all: A/B under wrk -c64, one worker,
# read cache off, medians of 4 (bench/reads' paths): contents +7.1% and +7.7%, /repos +6.1%, cache
# warm +4.7%; 100,000 gained nothing over 20,000. Cycles are still collected, 30 times less often.
GC_THRESHOLDS = (20_000, 50, 100)


def _lifespan(hub: Hub, deliver: bool) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    """While the app serves: the webhook delivery task of this process (hubdepot/events/worker.py) and,
    on PostgreSQL, its ear for the other hosts' writes (db/coherence.py)."""

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        gc.freeze()  # what start-up made lives as long as the process: never scanned again by the collector
        # (no collection first: it would cost a worker's start ~60 ms; start-up's little garbage stays)
        thresholds = gc.get_threshold()
        gc.set_threshold(*GC_THRESHOLDS)
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
            gc.set_threshold(*thresholds)

    return lifespan


def create_app(settings: Settings | None = None, hub: Hub | None = None, deliver: bool = True) -> Starlette:
    register_url_convertor("int", _Id())  # before the routes compile their patterns
    hub = hub or create_hub(settings or Settings.load())
    root: list[Row] = [(("GET",), "/status", status.status, "status")]
    if hub.settings.metrics == "on":
        root.append((("GET",), "/metrics", status.metrics, "metrics"))
    surfaces = surface_map(root)

    def outside(inner: ASGIApp) -> ASGIApp:
        """hubdepot's middleware in front of the surfaces' routes (the edge hands each request to its
        surface's router; `inner`, the application's router, has the lifespan): what the edge answers
        itself (the read cache, kept raw files, refusals) and every error page pass the same few layers."""
        app: ASGIApp = Edge(inner, hub, surfaces.surface_for, surfaces.dispatch, early=surfaces.early)
        if hub.settings.ephemeral:  # test mode: the journal, faults and /_hubdepot/ (docs/testing.md)
            from hubdepot.testing.middleware import TestMode

            app = TestMode(app, hub=hub)
        return Observe(app, hub=hub)

    app = _App(
        outside,
        routes=surfaces.routes,
        lifespan=_lifespan(hub, deliver),
    )
    app.state.hub = hub
    return app


class _App(Starlette):
    """Starlette's application (lifespan, state, the route table) with `outside` in front of its router
    in place of Starlette's middleware: the edge renders every error (http/edge)."""

    def __init__(self, outside: Callable[[ASGIApp], ASGIApp], **options: Any) -> None:
        self.outside = outside
        super().__init__(**options)

    def build_middleware_stack(self) -> ASGIApp:
        return self.outside(self.router)


def app_from_env() -> Starlette:
    """Entry point for the ASGI server's worker processes (granian --factory)."""
    return create_app(Settings.load())
