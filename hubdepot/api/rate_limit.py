"""GET /rate_limit, as GitHub Enterprise Server answers it: 404 "Rate limiting is not enabled." while
limits are off (GHES's default), else the caller's window for every resource (core is the one we count).
"""

from __future__ import annotations

import time
from typing import Any

from starlette.responses import Response

from hubdepot import errors
from hubdepot.api._base import Req, Table, endpoint, json_response
from hubdepot.http import context

DOCS = "https://docs.github.com/rest/rate-limit/rate-limit#get-rate-limit-status-for-the-authenticated-user"
_RESOURCES = (
    "core",
    "search",
    "graphql",
    "integration_manifest",
    "source_import",
    "code_scanning_upload",
    "actions_runner_registration",
    "scim",
    "dependency_snapshots",
    "code_search",
)


@endpoint(DOCS, inline=True)
def get(req: Req) -> Response:
    settings = req.hub.settings
    if not settings.rate_limited:
        raise errors.NotFound("Rate limiting is not enabled.")
    rate = context.of(req.request.scope).rate
    window = rate.window if rate is not None else None
    limit = settings.rate_limit_authenticated if req.actor is not None else settings.rate_limit_anonymous
    reset = int(time.time()) + settings.rate_limit_window
    core = (
        {"limit": window.limit, "used": window.used, "remaining": window.remaining, "reset": window.reset}
        if window is not None
        else {"limit": limit, "used": 0, "remaining": limit, "reset": reset}
    )
    others = {"limit": limit, "used": 0, "remaining": limit, "reset": reset}
    body: dict[str, Any] = {"resources": {name: dict(core if name == "core" else others) for name in _RESOURCES}}
    if req.api_version < "2026-03-10":  # the 2026-03-10 version drops the deprecated top-level `rate`
        body["rate"] = dict(core)
    return json_response(req, body)


ROUTES: Table = [(("GET",), "/rate_limit", get)]
