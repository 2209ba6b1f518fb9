"""The surface map: every surface hubdepot serves, listed once with its named routes in the order
routing tries them, and the question the edge asks before routing: which surface is this request for?
(The surface decides how errors look, whether a wrong token is refused, what the edge adds.)

A surface with a prefix (the API, at /api) is mounted there: every path under it is the surface's,
a 404 included. The surfaces at the root of the origin (git's smart HTTP, the raw and codeload
paths, the S3 POST endpoint) have the paths their routes match, for the methods those routes take;
the last surface (the web: pages and browser downloads) has everything else.

Routes are named after their handler's module and function under hubdepot (`api.releases.latest`,
`pages.repo.blob`; the upload host's `uploads:api.uploads.upload`): one name for a handler serving
several paths, told apart by their parameters as Starlette's `url_path_for` does."""

from __future__ import annotations

import dataclasses
import inspect
import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, NamedTuple

from starlette._utils import get_route_path
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Mount, Route, Router
from starlette.types import Receive, Scope, Send

from hubdepot import api, git_http, graphql, pages
from hubdepot.files import archives, downloads, raw, releases, s3post
from hubdepot.http import context, render
from hubdepot.http.edge import Early
from hubdepot.urls import API, GRAPHQL, UPLOADS, V3

# (methods, path under the surface's prefix, handler[, name])
Row = tuple[tuple[str, ...], str, Callable[..., Any]] | tuple[tuple[str, ...], str, Callable[..., Any], str]
_GROUP = re.compile(r"\(\?P<[^>]+>")  # a named group in a route's compiled path
_FOUND_MAX, _FOUND_PATH = 4096, 512


@dataclasses.dataclass(frozen=True)
class Surface:
    name: str  # http/render: API, GIT, RAW, S3, WEB
    prefix: str  # where it is mounted; "" at the origin's root
    routes: tuple[Route, ...]
    early: Early | None = None  # its answers from what it keeps, sent by the edge before routing


def route_name(handler: Callable[..., Any]) -> str:
    """`handler`'s module under hubdepot and its name: api.releases.list for api/releases.list_."""
    return f"{handler.__module__.removeprefix('hubdepot.')}.{handler.__name__.rstrip('_')}"


def mounted(name: str, prefix: str, rows: Iterable[Row], early: Early | None = None) -> Surface:
    routes = []
    for methods, path, handler, *named in rows:
        label = named[0] if named else route_name(handler)
        routes.append(Route(prefix + path, handler, methods=list(methods), name=label))
    return Surface(name, prefix, tuple(routes), early)


def surface_map(root: Iterable[Row] = ()) -> SurfaceMap:
    """hubdepot's surfaces (build after create_app registers its path convertors); `root`: the
    operator's routes at the origin's root (/status, /metrics), tried before the web's own."""
    uploads = [(m, p, h, "uploads:" + route_name(h)) for m, p, h in api.upload_routes()]
    return SurfaceMap(
        [
            mounted(
                render.API,
                API,
                [
                    *((m, V3 + p, h) for m, p, h in api.v3_routes()),
                    *((m, UPLOADS + p, h, n) for m, p, h, n in uploads),
                    *((m, GRAPHQL + p, h) for m, p, h in graphql.ROUTES),
                ],
            ),
            mounted(render.GIT, "", git_http.ROUTES),
            mounted(render.RAW, "", [*raw.ROUTES, *archives.ROUTES], early=raw.early),
            mounted(render.S3, "", s3post.ROUTES),
            mounted(render.WEB, "", [*root, *releases.ROUTES, *downloads.ROUTES, *pages.ROUTES]),
        ]
    )


class SurfaceMap:
    """The surfaces in routing order; the last one has every path the others do not."""

    def __init__(self, surfaces: Sequence[Surface]):
        self.surfaces = tuple(surfaces)
        self.rest = self.surfaces[-1].name
        self.early = {s.name: s.early for s in self.surfaces if s.early is not None}
        self.router = SurfaceRouter(self.surfaces)
        self.routes: list[BaseRoute] = [self.router]
        self._prefixes = tuple((s.prefix + "/", s.name) for s in self.surfaces if s.prefix)
        self._patterns = _patterns([s for s in self.surfaces[:-1] if not s.prefix])

    def surface_for(self, path: str, method: str) -> str:
        """The surface of a request for `path`, before routing: a prefix check, then one regex."""
        for prefix, name in self._prefixes:
            if path.startswith(prefix):
                return name
        pattern = self._patterns.get(method)
        found = pattern.fullmatch(path) if pattern is not None else None
        return found.lastgroup or self.rest if found is not None else self.rest

    async def dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        """An HTTP request to its route (the edge's way in: the surface is named already)."""
        await self.router.handle(scope, receive, send)


class SurfaceRouter(Mount):
    """Every surface's routes as one entry of the app's route table, in routing order (`routes`,
    for url_path_for and the URL test). A request is matched against the routes of its own surface
    only, the one the edge named (a raw file is not tried against the API's few hundred routes first)."""

    def __init__(self, surfaces: Sequence[Surface]):
        super().__init__("", routes=[route for surface in surfaces for route in surface.routes])
        self._routers = {surface.name: IndexedRouter(routes=list(surface.routes)) for surface in surfaces}

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        return (Match.FULL, {}) if scope["type"] == "http" else (Match.NONE, {})

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._routers[context.of(scope).surface].app(scope, receive, send)


class IndexedRouter(Router):
    """Starlette's router, finding a request's route with one regex per method instead of trying the
    routes one by one: the alternation of every route's path that takes the method, in table order,
    so the first that matches is the route Starlette's own loop would take. A request no route of its
    method takes goes to Starlette's loop (405 for another method's path, trailing-slash redirect, 404)."""

    def __init__(self, routes: Sequence[BaseRoute]):
        super().__init__(routes=list(routes))
        paths: dict[str, list[str]] = {}
        self._named: dict[str, Route] = {}
        self._direct: dict[str, Callable[[Request], Awaitable[Response]]] = {}
        for i, route in enumerate(self.routes):
            if isinstance(route, Route):
                self._named[f"r{i}"] = route
                if inspect.iscoroutinefunction(route.endpoint):
                    self._direct[f"r{i}"] = route.endpoint
                for method in route.methods or ():
                    paths.setdefault(method, []).append(f"(?P<r{i}>{_bare(route)})")
        self._index = {method: re.compile("|".join(found)) for method, found in paths.items()}
        self._found: dict[tuple[str, str], _Found | None] = {}  # (method, path) -> its route, once matched

    def _match(self, method: str, path: str, scope: Scope) -> _Found | None:
        """The route taking `method` on `path`, with the path's parameters, or None. The alternation
        tries each route in turn (up to a few µs for one far down the table) and the route's own
        match converts the parameters: a path's answer is kept, for a few thousand short paths."""
        key = (method, path)
        if key in self._found:
            return self._found[key]
        answer = self._matched(method, path, scope)
        if len(path) <= _FOUND_PATH:  # (at most a few MB however hostile the paths)
            if len(self._found) >= _FOUND_MAX:
                self._found.clear()
            self._found[key] = answer
        return answer

    def _matched(self, method: str, path: str, scope: Scope) -> _Found | None:
        index = self._index.get(method)
        found = index.fullmatch(path) if index is not None else None
        if found is None or not found.lastgroup:
            return None
        route = self._named[found.lastgroup]
        match, child = route.matches(scope)
        return _Found(route, self._direct.get(found.lastgroup), child["path_params"]) if match is Match.FULL else None

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = self._match(scope["method"], get_route_path(scope), scope) if scope["type"] == "http" else None
        if found is None:
            return await super().app(scope, receive, send)
        scope.setdefault("router", self)
        scope["route"], scope["endpoint"], scope["path_params"] = found.route, found.route.endpoint, dict(found.params)
        if found.direct is None:
            return await found.route.handle(scope, receive, send)
        # what Starlette's request_response does, less its wrapper for exception handlers (none are
        # mounted: the edge renders errors)
        response = await found.direct(Request(scope, receive, send))
        await response(scope, receive, send)


class _Found(NamedTuple):
    """A path's route, as IndexedRouter keeps it."""

    route: Route
    direct: Callable[[Request], Awaitable[Response]] | None  # a coroutine endpoint, called as is
    params: dict[str, Any]  # the path's parameters, converted (copied into each request's scope)


def _bare(route: Route) -> str:
    """The route's path regex without anchors or named groups (to sit in an alternation)."""
    return _GROUP.sub("(?:", route.path_regex.pattern.removeprefix("^").removesuffix("$"))


def _patterns(surfaces: Sequence[Surface]) -> dict[str, re.Pattern[str]]:
    """method -> one regex of the paths of every route of `surfaces` that takes the method, a named
    group per surface (the one that matched is `lastgroup`), tried in the surfaces' order."""
    paths: dict[str, dict[str, list[str]]] = {}
    for surface in surfaces:
        for route in surface.routes:
            for method in route.methods or ():
                paths.setdefault(method, {}).setdefault(surface.name, []).append(_bare(route))
    return {
        method: re.compile("|".join(f"(?P<{name}>{'|'.join(found)})" for name, found in by_surface.items()))
        for method, by_surface in paths.items()
    }
