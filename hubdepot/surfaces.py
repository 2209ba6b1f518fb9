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
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from starlette._utils import get_route_path
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


def surface_map() -> SurfaceMap:
    """hubdepot's surfaces (build after create_app registers its path convertors)."""
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
            mounted(render.WEB, "", [*releases.ROUTES, *downloads.ROUTES, *pages.ROUTES]),
        ]
    )


class SurfaceMap:
    """The surfaces in routing order; the last one has every path the others do not."""

    def __init__(self, surfaces: Sequence[Surface]):
        self.surfaces = tuple(surfaces)
        self.rest = self.surfaces[-1].name
        self.early = {s.name: s.early for s in self.surfaces if s.early is not None}
        self.routes: list[BaseRoute] = [SurfaceRouter(self.surfaces)]
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
        await self._routers[context.of(scope).surface](scope, receive, send)


class IndexedRouter(Router):
    """Starlette's router, trying only the routes that can match a path: a route whose template has
    no {…:path} parameter matches only paths with as many slashes as it has (its parameters hold no
    slash), so the routes are kept per slash count, with the {…:path} ones in every list, in table
    order. A path no route takes goes to Starlette's own loop (trailing-slash redirect, 404)."""

    def __init__(self, routes: Sequence[BaseRoute]):
        super().__init__(routes=list(routes))
        counts = {_slashes(route) for route in self.routes} - {None}
        self._by_slashes = {
            n: [route for route in self.routes if _slashes(route) in (n, None)] for n in counts if n is not None
        }
        self._anywhere = [route for route in self.routes if _slashes(route) is None]

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await super().app(scope, receive, send)
        scope.setdefault("router", self)
        partial: tuple[BaseRoute, Scope] | None = None
        for route in self._by_slashes.get(get_route_path(scope).count("/"), self._anywhere):
            match, child = route.matches(scope)
            if match is Match.FULL:
                scope["route"] = route
                scope.update(child)
                return await route.handle(scope, receive, send)
            if match is Match.PARTIAL and partial is None:
                partial = (route, child)
        if partial is None:
            return await super().app(scope, receive, send)
        scope["route"] = partial[0]
        scope.update(partial[1])
        await partial[0].handle(scope, receive, send)


def _slashes(route: BaseRoute) -> int | None:
    """How many slashes every path `route` matches has; None when that varies."""
    path = getattr(route, "path", None)
    if not isinstance(route, Route) or not isinstance(path, str) or ":path}" in path:
        return None
    return path.count("/")


def _patterns(surfaces: Sequence[Surface]) -> dict[str, re.Pattern[str]]:
    """method -> one regex of the paths of every route of `surfaces` that takes the method, a named
    group per surface (the one that matched is `lastgroup`), tried in the surfaces' order."""
    paths: dict[str, dict[str, list[str]]] = {}
    for surface in surfaces:
        for route in surface.routes:
            bare = _GROUP.sub("(?:", route.path_regex.pattern.removeprefix("^").removesuffix("$"))
            for method in route.methods or ():
                paths.setdefault(method, {}).setdefault(surface.name, []).append(bare)
    return {
        method: re.compile("|".join(f"(?P<{name}>{'|'.join(found)})" for name, found in by_surface.items()))
        for method, by_surface in paths.items()
    }
