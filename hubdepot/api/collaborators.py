"""Repository collaborators: check one, add one or change its permission, remove one."""

from __future__ import annotations

from starlette.responses import Response

from hubdepot import errors
from hubdepot.api._base import Req, Table, endpoint, no_content
from hubdepot.api._fields import field
from hubdepot.services import collaborators as collaborator_service
from hubdepot.services import repos as repo_service

DOCS = "https://docs.github.com/rest/collaborators/collaborators"
PATH = "/repos/{owner}/{repo}/collaborators/{login}"


@endpoint(f"{DOCS}#check-if-a-user-is-a-repository-collaborator")
def check(req: Req) -> Response:
    access = req.repo()
    req.need_actor()
    if not repo_service.is_collaborator(req.hub, access, req.params["login"]):
        raise errors.NotFound()
    return no_content()


@endpoint(f"{DOCS}#add-a-repository-collaborator")
def put(req: Req) -> Response:
    permission = field(req.json(), "permission", str, default="push")
    collaborator_service.put(req.hub, req.actor, req.repo(), req.params["login"], permission)
    return no_content()


@endpoint(f"{DOCS}#remove-a-repository-collaborator")
def remove(req: Req) -> Response:
    collaborator_service.remove(req.hub, req.actor, req.repo(), req.params["login"])
    return no_content()


ROUTES: Table = [
    (("GET",), PATH, check),
    (("PUT",), PATH, put),
    (("DELETE",), PATH, remove),
]
