"""create_app(settings): the one composition root. Nothing happens at import time."""

from __future__ import annotations

import contextlib
import os
import secrets

from starlette.applications import Starlette
from starlette.convertors import IntegerConvertor, register_url_convertor
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hubdepot import api, errors, pages, web
from hubdepot.config import Settings
from hubdepot.db.generation import Generation
from hubdepot.db.session import Database
from hubdepot.http import render
from hubdepot.http.edge import Edge, error_request_id
from hubdepot.services import Hub
from hubdepot.services.signing import Signer
from hubdepot.storage import open_storage
from hubdepot.urls import Urls


def secret_key(settings: Settings) -> bytes:
    """The URL-signing key: from settings, else a random one kept (mode 0600) in the data dir."""
    if settings.secret_key:
        return settings.secret_key.encode()
    path = settings.data_dir / "secret.key"
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def create_hub(settings: Settings) -> Hub:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.database, Generation(settings.data_dir / "generation"))
    return Hub(
        settings=settings,
        db=db,
        storage=open_storage(settings),
        urls=Urls(settings.public),
        signer=Signer(secret_key(settings)),
    )


async def _error(request: Request, exc: Exception) -> Response:
    """Every error a route raises, rendered as its surface answers errors (http/render)."""
    if isinstance(exc, HTTPException):
        exc = errors.NotFound() if exc.status_code in (404, 405) else errors.BadRequest(exc.detail)
    scope = request.scope
    status, body, headers = render.render(
        scope.get("hubdepot.surface", render.API), exc, scope.get("hubdepot.docs"), error_request_id(scope)
    )
    return Response(body, status_code=status, headers=headers)


class _Id(IntegerConvertor):
    """{x:int} path parameters are database ids: at most 18 digits, so they fit every integer column;
    a longer number matches no route and is GitHub's 404."""

    regex = "[0-9]{1,18}"


def _lifespan(hub: Hub, deliver: bool):
    """While the app serves: the webhook delivery task of this process (hubdepot/events/worker.py)."""

    @contextlib.asynccontextmanager
    async def lifespan(_app):
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

    return lifespan


def create_app(settings: Settings | None = None, hub: Hub | None = None, deliver: bool = True) -> Starlette:
    register_url_convertor("int", _Id())  # before the routes compile their patterns
    hub = hub or create_hub(settings or Settings.load())
    app = Starlette(
        routes=api.routes() + [Route(path, h, methods=list(m)) for m, path, h in web.ROUTES + pages.ROUTES],
        exception_handlers={Exception: _error, HTTPException: _error, errors.HubdepotError: _error},
        lifespan=_lifespan(hub, deliver),
    )
    app.state.hub = hub
    app.add_middleware(Edge, hub=hub)
    return app


def app_from_env() -> Starlette:
    """Entry point for the ASGI server's worker processes (granian --factory)."""
    return create_app(Settings.load())
