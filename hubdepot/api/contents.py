"""Repository contents: GET readme, GET/PUT/DELETE contents/{path}."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from typing import Any, TypedDict

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response, StreamingResponse

from hubdepot import markdown
from hubdepot.api._base import Req, Table, endpoint, json_response, not_modified, represented
from hubdepot.api._fields import field, large_string, person
from hubdepot.git.trees import Found
from hubdepot.representations import contents as rep
from hubdepot.services import RepoAccess
from hubdepot.services import contents as service
from hubdepot.services.contents import Person

DOCS = "https://docs.github.com/rest/repos/contents"
REPO = "/repos/{owner}/{repo}"
_MODES = {"raw": "raw", "html": "html", "object": "object"}
# GETs run on the event loop (inline=True): a lookup is ~0.2 ms of git reads on a cached repository
# handle, less than the thread hop; measured with bench/contents.py (1,060 -> 1,400 requests/s, p99
# 153 -> 94 ms at 64 connections). Files over 1 MB never load here: raw ones stream from git.


def _mode(req: Req) -> str:
    return _MODES.get(req.media.param or "", "json")


def _where(req: Req, access: RepoAccess, found: Found) -> rep.Where:
    ref = found.commit.name
    return rep.Where(req.hub.urls, access.full_name, ref, service.downloader(req.hub, access, ref), req.api_version)


def _etag(*parts: str) -> str:
    return '"' + hashlib.sha1("\n".join(parts).encode()).hexdigest() + '"'


def _raw(req: Req, access: RepoAccess, found: Found, data: bytes | None) -> Response:
    """Bytes with the requested media type echoed (GitHub: `<type>; charset=utf-8`), ETag = blob sha."""
    etag = f'"{found.node.sha}"'
    headers = {"etag": etag}
    if not_modified(req, etag):
        return Response(status_code=304, headers=headers)
    media = f"{req.media.requested}; charset=utf-8"
    if data is None and found.node.kind == "file":
        headers["content-length"] = str(found.node.size)
        if req.method == "HEAD":
            return Response(status_code=200, headers=headers, media_type=media)
        return StreamingResponse(service.blob_stream(access, found), headers=headers, media_type=media)
    return Response(data, headers=headers, media_type=media)


def _html(req: Req, found: Found, readme: bool) -> Response:
    """Rendered markup; the rendering (slow for big files) runs in the thread pool, off the event loop."""
    etag, media = f'"{found.node.sha}"', f"{req.media.requested}; charset=utf-8"
    if not_modified(req, etag):
        return Response(status_code=304, headers={"etag": etag})
    if req.method == "HEAD":
        return Response(status_code=200, headers={"etag": etag}, media_type=media)
    node, data = found.node, found.data or b""

    async def page() -> AsyncIterator[bytes]:
        yield (await run_in_threadpool(markdown.render_cached, node.path, node.sha, data, readme)).encode()

    return StreamingResponse(page(), headers={"etag": etag}, media_type=media)


def _render(req: Req, access: RepoAccess, found: Found, mode: str, readme: bool = False) -> Response:
    node = found.node
    if node.kind == "file":
        return _file(req, access, found, mode, readme)
    where = _where(req, access, found)
    if node.kind == "symlink":
        if mode == "raw":
            assert node.target is not None, "a symlink node carries its target"
            return _raw(req, access, found, node.target.encode("utf-8", "surrogateescape"))
        return json_response(req, rep.content_symlink(where, node), etag=f'"{node.sha}"')
    if node.kind == "submodule":
        return json_response(req, rep.content_submodule(where, node), etag=f'"{node.sha}"')
    etag = _etag(node.sha, access.full_name, where.ref, req.api_version, mode)
    if mode == "object":
        return json_response(req, rep.content_tree(where, node, found.entries), etag=etag)
    return json_response(req, rep.content_directory(where, found.entries), etag=etag)


def _file(req: Req, access: RepoAccess, found: Found, mode: str, readme: bool) -> Response:
    node, etag = found.node, f'"{found.node.sha}"'
    if mode == "raw":
        return _raw(req, access, found, found.data)
    if mode == "html":
        return _html(req, found, readme)

    def make() -> dict[str, Any]:  # (where it is: built only when the answer is not kept already)
        return rep.content_file(_where(req, access, found), node, found.data)

    if access.repo.private:  # (a private file's download_url is signed anew: not kept)
        return json_response(req, make(), etag=etag)
    return represented(req, ("content", access.full_name, found.commit.name, node, req.api_version), make, etag=etag)


@endpoint(f"{DOCS}#get-repository-content", inline=True)
def get(req: Req) -> Response:
    access, mode = req.repo(), _mode(req)
    found = service.read(access, req.params.get("path", ""), req.query.get("ref"), mode)
    return _render(req, access, found, mode)


@endpoint(f"{DOCS}#get-a-repository-readme", inline=True)
def readme(req: Req) -> Response:
    access, mode = req.repo(), _mode(req)
    found = service.readme(access, None, req.query.get("ref"), mode)
    return _render(req, access, found, mode, readme=True)


@endpoint(f"{DOCS}#get-a-repository-readme-for-a-directory", inline=True)
def readme_in(req: Req) -> Response:
    access, mode = req.repo(), _mode(req)
    found = service.readme(access, req.params["dir"], req.query.get("ref"), mode)
    return _render(req, access, found, mode, readme=True)


def _file_commit(req: Req, done: service.FileWrite) -> dict[str, Any]:
    access = done.access
    where = rep.Where(req.hub.urls, access.full_name, done.branch, done.download_url)
    content = rep.content_commit_file(where, done.node) if done.node is not None else None
    return rep.file_commit(content, rep.git_commit(req.hub.urls, access.full_name, access.id, done.commit))


class _CommitFields(TypedDict):
    message: str
    branch: str | None
    author: Person | None
    committer: Person | None
    timezone: str | None


def _commit_fields(req: Req, data: dict[str, Any]) -> _CommitFields:
    """What PUT and DELETE both take to make their commit: message, branch, author, committer, zone."""
    return {
        "message": field(data, "message", str, required=True),
        "branch": field(data, "branch", str),
        "author": person(data, "author"),
        "committer": person(data, "committer"),
        "timezone": req.request.headers.get("time-zone"),
    }


@endpoint(f"{DOCS}#create-or-update-file-contents", max_body=140 * 1024**2)  # 100 MB of base64
def put(req: Req) -> Response:
    access, data = req.repo(), req.json(large="content")  # a large file's base64 stays in the body
    path = req.params.get("path", "")
    common = _commit_fields(req, data)  # "message" is checked before "content", as GitHub does
    done = service.put_file(
        req.hub,
        req.need_actor(),
        access,
        path,
        content=large_string(data, "content"),
        sha=field(data, "sha", str),
        **common,
    )
    return json_response(req, _file_commit(req, done), status=201 if done.created else 200)


@endpoint(f"{DOCS}#delete-a-file")
def delete(req: Req) -> Response:
    access, data = req.repo(), req.json()
    path = req.params.get("path", "")
    common = _commit_fields(req, data)
    done = service.delete_file(
        req.hub, req.need_actor(), access, path, sha=field(data, "sha", str, required=True), **common
    )
    return json_response(req, _file_commit(req, done))


ROUTES: Table = [
    (("GET",), REPO + "/readme", readme),
    (("GET",), REPO + "/readme/{dir:path}", readme_in),
    (("GET",), REPO + "/contents", get),
    (("GET",), REPO + "/contents/{path:path}", get),
    (("PUT",), REPO + "/contents/{path:path}", put),
    (("DELETE",), REPO + "/contents/{path:path}", delete),
]
