"""GET /status: 200 `ok` when this host can serve, 503 with the reasons when not (services/health).
GET /metrics: Prometheus' text format (hubdepot/metrics.py), with HUBDEPOT_METRICS=on."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client.core import GaugeMetricFamily
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from hubdepot import metrics as counted
from hubdepot.hub import Hub
from hubdepot.services import health

_HEADERS = {"cache-control": "no-store"}


async def status(request: Request) -> PlainTextResponse:
    found = await run_in_threadpool(health.problems, request.app.state.hub)
    if found:
        return PlainTextResponse("\n".join(found) + "\n", status_code=503, headers=_HEADERS)
    return PlainTextResponse("ok\n", headers=_HEADERS)


def webhook_gauges(hub: Hub) -> Callable[[], list[GaugeMetricFamily]]:
    """The webhook deliveries as the database has them, computed when /metrics is asked."""
    return lambda: counted.webhook_families(health.webhook_deliveries(hub))


def exposition(hub: Hub) -> bytes:
    """Every worker's counts, then the webhook deliveries as the database has them."""
    return counted.render(hub.settings.metrics_dir, webhook_gauges(hub))


async def metrics(request: Request) -> Response:
    counted.TALLY.flush()  # (on the event loop, which keeps the tally)
    body = await run_in_threadpool(exposition, request.app.state.hub)
    return Response(body, media_type=counted.CONTENT_TYPE, headers=_HEADERS)
