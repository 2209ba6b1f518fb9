"""surfaces.IndexedRouter keeps a path's route once matched: the same route as matching anew, for
short paths only and a bounded number of them (hostile paths cannot grow it)."""

from __future__ import annotations

from starlette.responses import PlainTextResponse
from starlette.routing import Route

from hubdepot import surfaces


async def _ok(_request):
    return PlainTextResponse("ok")


def _router() -> surfaces.IndexedRouter:
    return surfaces.IndexedRouter(
        [
            Route("/repos/{owner}/{repo}", _ok, methods=["GET"]),
            Route("/repos/{owner}/{repo}/releases/latest", _ok, methods=["GET"]),
            Route("/repos/{owner}/{repo}/{rest:path}", _ok, methods=["GET", "POST"]),
        ]
    )


def test_a_kept_route_is_the_one_a_fresh_match_finds():
    kept, fresh = _router(), _router()
    for path in ("/repos/o/r", "/repos/o/r/releases/latest", "/repos/o/r/x/y", "/nowhere"):
        for method in ("GET", "POST", "DELETE"):
            first = kept._name(method, path)
            assert kept._name(method, path) == first == fresh._name(method, path), (method, path)
    assert kept._name("GET", "/repos/o/r/releases/latest") != kept._name("GET", "/repos/o/r")


def test_the_memo_stays_bounded_however_many_paths_come():
    router = _router()
    for i in range(surfaces._FOUND_MAX + 500):
        router._name("GET", f"/repos/o/r{i}")
    assert len(router._found) <= surfaces._FOUND_MAX
    long = "/repos/o/" + "r" * surfaces._FOUND_PATH
    assert router._name("GET", long) is not None and ("GET", long) not in router._found
