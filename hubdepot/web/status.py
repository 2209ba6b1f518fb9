"""GET /status: 200 `ok` when this host can serve, 503 with the reasons when not (services/health)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse

from hubdepot.services import health

_HEADERS = {"cache-control": "no-store"}


async def status(request: Request) -> PlainTextResponse:
    found = await run_in_threadpool(health.problems, request.app.state.hub)
    if found:
        return PlainTextResponse("\n".join(found) + "\n", status_code=503, headers=_HEADERS)
    return PlainTextResponse("ok\n", headers=_HEADERS)
