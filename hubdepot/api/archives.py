"""GET /repos/{o}/{r}/tarball[/{ref}] and /zipball[/{ref}]: a 302 to the archive on our own origin."""

from __future__ import annotations

from starlette.responses import Response

from hubdepot.api._base import Req, Table, endpoint
from hubdepot.services import archives as service

DOCS = "https://docs.github.com/rest/repos/contents"
REPO = "/repos/{owner}/{repo}"


def _redirect(req: Req, kind: str) -> Response:
    access = req.repo()
    location = service.link(req.hub, access, kind, req.params.get("ref") or None)
    return Response(
        b"",
        status_code=302,
        media_type="text/html;charset=utf-8",
        headers={"location": location, "cache-control": "public, must-revalidate, max-age=0"},
    )


@endpoint(f"{DOCS}#download-a-repository-archive-tar")
def tarball(req: Req) -> Response:
    return _redirect(req, "tarball")


@endpoint(f"{DOCS}#download-a-repository-archive-zip")
def zipball(req: Req) -> Response:
    return _redirect(req, "zipball")


ROUTES: Table = [
    (("GET",), REPO + "/tarball", tarball),
    (("GET",), REPO + "/tarball/{ref:path}", tarball),
    (("GET",), REPO + "/zipball", zipball),
    (("GET",), REPO + "/zipball/{ref:path}", zipball),
]
