"""The git data API (git/blobs, git/trees, git/commits, git/refs, git/tags) and the commit views
(commits, commits/{ref}, compare/{base}...{head}, branches/{branch})."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterable
from typing import Any

from starlette.responses import Response, StreamingResponse

from hubdepot import errors
from hubdepot.api._base import Req, Table, endpoint, json_response, no_content, paged_response
from hubdepot.api._fields import field, person
from hubdepot.representations import git_data as rep
from hubdepot.services import RepoAccess
from hubdepot.services import git_data as service
from hubdepot.urls import Urls

DOCS = "https://docs.github.com/rest/git"
COMMITS_DOCS = "https://docs.github.com/rest/commits/commits"
REPO = "/repos/{owner}/{repo}"
BLOB_BODY_MAX = 140 * 1024**2  # 100 MB of base64


def _urls(req: Req) -> Urls:
    return req.hub.urls


# -- blobs ----------------------------------------------------------------------------------------
@endpoint(f"{DOCS}/blobs#get-a-blob")
def get_blob(req: Req) -> Response:
    access = req.repo()
    found = service.blob(access, req.params["sha"])
    if req.media.param == "raw":
        return Response(found.data, media_type="application/vnd.github.raw", headers={"etag": f'"{found.sha}"'})
    return json_response(req, rep.blob(_urls(req), access.full_name, access.id, found), etag=f'"{found.sha}"')


@endpoint(f"{DOCS}/blobs#create-a-blob", max_body=BLOB_BODY_MAX)
def create_blob(req: Req) -> Response:
    access, data = req.repo(), req.json()
    content = field(data, "content", str, required=True)
    encoding = field(data, "encoding", str, default="utf-8")
    sha = service.create_blob(req.hub, req.actor, access, content, encoding)
    body = rep.short_blob(_urls(req), access.full_name, sha)
    return json_response(req, body, status=201, headers={"location": body["url"]})


# -- trees ----------------------------------------------------------------------------------------
@endpoint(f"{DOCS}/trees#get-a-tree")
def get_tree(req: Req) -> Response:
    access = req.repo()
    recursive = req.query.get("recursive", "") not in ("", "0", "false")
    tree = service.tree(req.hub, access, req.params["tree_sha"], recursive)
    return json_response(req, rep.git_tree(_urls(req), access.full_name, tree))


def _spec(item: object) -> service.TreeSpec:
    if not isinstance(item, dict):
        raise errors.Unprocessable("Invalid request.\n\nFor 'items', is not an object.")
    path = field(item, "path", str, required=True)
    mode = field(item, "mode", str, required=True)
    kind = field(item, "type", str, default="tree" if mode == "040000" else "commit" if mode == "160000" else "blob")
    sha = field(item, "sha", str, nullable=True)
    content = field(item, "content", str)
    if sha is not None and content is not None:
        raise errors.Unprocessable("Invalid tree info: only one of sha or content may be given")
    return service.TreeSpec(
        path, mode, kind, sha, content.encode("utf-8", "surrogatepass") if content is not None else None
    )


@endpoint(f"{DOCS}/trees#create-a-tree", max_body=BLOB_BODY_MAX)
def create_tree(req: Req) -> Response:
    access, data = req.repo(), req.json()
    items = field(data, "tree", list, required=True)
    base = field(data, "base_tree", str)
    tree = service.create_tree(req.hub, req.actor, access, base, [_spec(i) for i in items])
    body = rep.git_tree(_urls(req), access.full_name, tree)
    return json_response(req, body, status=201, headers={"location": body["url"]})


# -- commits --------------------------------------------------------------------------------------
@endpoint(f"{DOCS}/commits#get-a-commit-object")
def get_git_commit(req: Req) -> Response:
    access = req.repo()
    info = service.git_commit(access, req.params["sha"])
    return json_response(req, rep.git_commit(_urls(req), access.full_name, access.id, info))


@endpoint(f"{DOCS}/commits#create-a-commit")
def create_git_commit(req: Req) -> Response:
    access, data = req.repo(), req.json()
    message = field(data, "message", str, required=True)
    tree = field(data, "tree", str, required=True)
    parents = field(data, "parents", list, default=[])
    if not all(isinstance(p, str) for p in parents):
        raise errors.Unprocessable("Invalid request.\n\nFor 'items', is not a string.")
    info = service.create_commit(
        req.hub,
        req.actor,
        access,
        message=message,
        tree_sha=tree,
        parents=parents,
        author=person(data, "author"),
        committer=person(data, "committer"),
    )
    body = rep.git_commit(_urls(req), access.full_name, access.id, info)
    return json_response(req, body, status=201, headers={"location": body["url"]})


# -- tags -----------------------------------------------------------------------------------------
@endpoint(f"{DOCS}/tags#get-a-tag")
def get_tag(req: Req) -> Response:
    access = req.repo()
    found = service.git_tag(access, req.params["sha"])
    return json_response(req, rep.git_tag(_urls(req), access.full_name, access.id, found))


@endpoint(f"{DOCS}/tags#create-a-tag-object")
def create_tag(req: Req) -> Response:
    access, data = req.repo(), req.json()
    found = service.create_tag(
        req.hub,
        req.actor,
        access,
        tag=field(data, "tag", str, required=True),
        message=field(data, "message", str, required=True),
        object_sha=field(data, "object", str, required=True),
        object_type=field(data, "type", str, required=True),
        tagger=person(data, "tagger"),
    )
    body = rep.git_tag(_urls(req), access.full_name, access.id, found)
    return json_response(req, body, status=201, headers={"location": body["url"]})


# -- refs -----------------------------------------------------------------------------------------
def _refs(req: Req, access: RepoAccess, views: Iterable[service.RefView]) -> list[dict[str, Any]]:
    return [rep.git_ref(_urls(req), access.full_name, access.id, v) for v in views]


@endpoint(f"{DOCS}/refs#get-a-reference")
def get_ref(req: Req) -> Response:
    access = req.repo()
    return json_response(req, _refs(req, access, [service.ref(access, req.params["ref"])])[0])


@endpoint(f"{DOCS}/refs#list-matching-references")
def matching_refs(req: Req) -> Response:
    access = req.repo()
    return json_response(req, _refs(req, access, service.refs(access, req.params.get("ref", ""))))


@endpoint(f"{DOCS}/refs#list-matching-references")
def legacy_refs(req: Req) -> Response:
    """GET git/refs[/{ref}]: the exact ref as an object, else the refs under it as a list (404 if none)."""
    access, name = req.repo(), req.params.get("ref", "")
    if name:
        try:
            return json_response(req, _refs(req, access, [service.ref(access, name)])[0])
        except errors.NotFound:
            pass
    found = service.refs(access, name.rstrip("/") + "/" if name else "")
    if not found:
        raise errors.NotFound()
    return json_response(req, _refs(req, access, found))


@endpoint(f"{DOCS}/refs#create-a-reference")
def create_ref(req: Req) -> Response:
    access, data = req.repo(), req.json()
    view = service.create_ref(
        req.hub, req.actor, access, field(data, "ref", str, required=True), field(data, "sha", str, required=True)
    )
    body = _refs(req, access, [view])[0]
    return json_response(req, body, status=201, headers={"location": body["url"]})


@endpoint(f"{DOCS}/refs#update-a-reference")
def update_ref(req: Req) -> Response:
    access, data = req.repo(), req.json()
    view = service.update_ref(
        req.hub,
        req.actor,
        access,
        req.params["ref"],
        field(data, "sha", str, required=True),
        field(data, "force", bool, default=False),
    )
    return json_response(req, _refs(req, access, [view])[0])


@endpoint(f"{DOCS}/refs#delete-a-reference")
def delete_ref(req: Req) -> Response:
    service.delete_ref(req.hub, req.actor, req.repo(), req.params["ref"])
    return no_content()


# -- commits, compare, branches ---------------------------------------------------------------------
def _date(req: Req, name: str) -> dt.datetime | None:
    value = req.query.get(name)
    if not value:
        return None
    try:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise errors.Unprocessable(f"Invalid request.\n\n{name} is not a valid ISO 8601 timestamp.") from None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


@endpoint(f"{COMMITS_DOCS}#list-commits")
def list_commits(req: Req) -> Response:
    access, page = req.repo(), req.page()
    views, total = service.commits(
        req.hub,
        access,
        sha=req.query.get("sha"),
        path=req.query.get("path"),
        author=req.query.get("author"),
        since=_date(req, "since"),
        until=_date(req, "until"),
        offset=page.offset,
        size=page.size,
    )
    items = [rep.commit(_urls(req), access.full_name, access.id, v) for v in views]
    return paged_response(req, items, total, page)


def _text(req: Req, chunks: AsyncIterator[bytes], param: str) -> Response:
    return StreamingResponse(chunks, media_type=f"application/vnd.github.{param}; charset=utf-8")


@endpoint(f"{COMMITS_DOCS}#get-a-commit")
def get_commit(req: Req) -> Response:
    access = req.repo()
    if req.media.param == "diff":
        return _text(req, service.diff_of(access, req.params["ref"]), "diff")
    if req.media.param == "patch":
        return _text(req, service.patch_of(access, req.params["ref"]), "patch")
    if req.media.param == "sha":  # the sha alone: no files, no authors
        sha = service.resolve_sha(access, req.params["ref"])
        return Response(sha, media_type="application/vnd.github.sha; charset=utf-8")
    view = service.commit(req.hub, access, req.params["ref"])
    return json_response(req, rep.commit(_urls(req), access.full_name, access.id, view))


@endpoint(f"{COMMITS_DOCS}#compare-two-commits")
def compare(req: Req) -> Response:
    access, page = req.repo(), req.page()
    basehead = req.params["basehead"]
    base, sep, head = basehead.partition("...")
    if not sep:
        base, sep, head = basehead.partition("..")
    if not sep or not base or not head:
        raise errors.NotFound()
    if req.media.param in ("diff", "patch"):
        return _text(req, service.compare_diff(access, base, head), req.media.param)
    cmp = service.compare(req.hub, access, base, head, page.offset, min(page.size, 250) if page.sent_per_page else 250)
    return json_response(req, rep.commit_comparison(_urls(req), access.full_name, access.id, base, head, cmp))


@endpoint("https://docs.github.com/rest/branches/branches#get-a-branch")
def get_branch(req: Req) -> Response:
    access, name = req.repo(), req.params["branch"]
    view = service.branch(req.hub, access, name)
    return json_response(req, rep.branch_with_protection(_urls(req), access.full_name, access.id, name, view))


ROUTES: Table = [
    (("GET",), REPO + "/git/blobs/{sha}", get_blob),
    (("POST",), REPO + "/git/blobs", create_blob),
    (("GET",), REPO + "/git/trees/{tree_sha:path}", get_tree),
    (("POST",), REPO + "/git/trees", create_tree),
    (("GET",), REPO + "/git/commits/{sha}", get_git_commit),
    (("POST",), REPO + "/git/commits", create_git_commit),
    (("GET",), REPO + "/git/tags/{sha}", get_tag),
    (("POST",), REPO + "/git/tags", create_tag),
    (("GET",), REPO + "/git/ref/{ref:path}", get_ref),
    (("GET",), REPO + "/git/matching-refs/{ref:path}", matching_refs),
    (("GET",), REPO + "/git/refs", legacy_refs),
    (("POST",), REPO + "/git/refs", create_ref),
    (("GET",), REPO + "/git/refs/{ref:path}", legacy_refs),
    (("PATCH",), REPO + "/git/refs/{ref:path}", update_ref),
    (("DELETE",), REPO + "/git/refs/{ref:path}", delete_ref),
    (("GET",), REPO + "/commits", list_commits),
    (("GET",), REPO + "/commits/{ref:path}", get_commit),
    (("GET",), REPO + "/compare/{basehead:path}", compare),
    (("GET",), REPO + "/branches/{branch:path}", get_branch),
]
