"""surfaces.IndexedRouter keeps a path's route (and its converted parameters) once matched: the same
as matching anew, for short paths only and a bounded number of them (hostile paths cannot grow it),
and each request gets its own copy of the parameters."""

from __future__ import annotations

import asyncio

from starlette.responses import PlainTextResponse
from starlette.routing import Route

from hubdepot import surfaces


async def _ok(request):
    request.path_params["owner"] = "changed"  # (a handler that changes its parameters changes its own)
    return PlainTextResponse("ok")


def _router() -> surfaces.IndexedRouter:
    return surfaces.IndexedRouter(
        [
            Route("/repos/{owner}/{repo}", _ok, methods=["GET"]),
            Route("/repos/{owner}/{repo}/releases/latest", _ok, methods=["GET"]),
            Route("/repositories/{repository_id:int}", _ok, methods=["GET"]),
            Route("/repos/{owner}/{repo}/{rest:path}", _ok, methods=["GET", "POST"]),
        ]
    )


def _scope(method: str, path: str) -> dict:
    return {"type": "http", "method": method, "path": path, "root_path": "", "headers": [], "query_string": b""}


def _kept(router: surfaces.IndexedRouter, method: str, path: str) -> surfaces._Found | None:
    return router._match(method, path, _scope(method, path))


def test_a_kept_route_is_the_one_a_fresh_match_finds():
    kept, fresh = _router(), _router()
    for path in ("/repos/o/r", "/repos/o/r/releases/latest", "/repositories/12", "/repos/o/r/x/y", "/nowhere"):
        for method in ("GET", "POST", "DELETE"):
            first = _kept(kept, method, path)
            again = fresh._matched(method, path, _scope(method, path))
            assert _kept(kept, method, path) == first == again, (method, path)
    assert _kept(kept, "GET", "/repos/o/r/releases/latest").route is not _kept(kept, "GET", "/repos/o/r").route
    assert _kept(kept, "GET", "/repositories/12").params == {"repository_id": 12}  # (converted)
    assert _kept(kept, "POST", "/repos/o/r") is None


def test_each_request_gets_its_own_parameters():
    router, scopes = _router(), []

    async def send(_message):
        pass

    async def twice():
        for _ in range(2):
            scope = _scope("GET", "/repos/o/r")
            await router.app(scope, None, send)
            scopes.append(scope)

    asyncio.run(twice())
    assert [s["path_params"] for s in scopes] == [{"owner": "changed", "repo": "r"}] * 2
    assert _kept(router, "GET", "/repos/o/r").params == {"owner": "o", "repo": "r"}


def test_the_memo_stays_bounded_however_many_paths_come():
    router = _router()
    for i in range(surfaces._FOUND_MAX + 500):
        _kept(router, "GET", f"/repos/o/r{i}")
    assert len(router._found) <= surfaces._FOUND_MAX
    long = "/repos/o/" + "r" * surfaces._FOUND_PATH
    assert _kept(router, "GET", long) is not None and ("GET", long) not in router._found
