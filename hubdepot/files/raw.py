"""Raw file bytes (contents' download_url): /raw/{owner}/{repo}/{ref}/{path}.

Public repositories answer anyone. Private ones need the short-lived signed token that
download_url carries (bound to repository, ref and path), or a token in the Authorization header.

A public repository's small file kept since the last write (services/raw.kept) is answered by the
edge before routing (`early`), from the bytes and headers kept with it: no query, no thread hop, no
Request or Response object, as a static file server would (raw files are what installers and
config loaders fetch most).
"""

from __future__ import annotations

import dataclasses

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

from hubdepot.bounded import Bounded
from hubdepot.http import files
from hubdepot.http.auth import actor_of
from hubdepot.hub import Hub
from hubdepot.services import contents as content_service
from hubdepot.services import raw as raw_service

HEADERS = {
    "x-content-type-options": "nosniff",
    "access-control-allow-origin": "*",
    "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    "cache-control": "max-age=300",
}


def _lookup(hub: Hub, request: Request) -> raw_service.RawFile:
    p = request.path_params
    token = request.query_params.get("token")
    return raw_service.lookup(hub, actor_of(request), p["owner"], p["repo"], p["rest"], token)


def _bytes(found: raw_service.RawFile) -> bytes | None:
    """A file's bytes when they are in hand (None: stream them from git), a symlink's target."""
    node = found.found.node
    return found.found.data if node.kind == "file" else (node.target or "").encode()


async def raw(request: Request) -> Response:
    """What `early` did not answer (a file not kept): looked up in the thread pool."""
    found = await run_in_threadpool(_lookup, request.app.state.hub, request)
    node, data = found.found.node, _bytes(found)
    headers = dict(HEADERS, etag=found.etag)
    headers["content-length"] = str(node.size if data is None else len(data))
    body = data if data is not None else content_service.blob_stream(found.access, found.found)
    return files.stream(request, body, headers, found.media)


@dataclasses.dataclass(frozen=True)
class Answer:
    """A kept file's answer (raw() would make the same), made once per kept file."""

    file: raw_service.RawFile  # (the kept file it is for: an id may be reused)
    headers: list[tuple[bytes, bytes]]
    body: bytes
    etag: str


_answers: Bounded[Answer] = Bounded(4096, lambda _answer: 1)  # (the bytes are the kept file's own)


def early(hub: Hub, scope: Scope) -> Answer | None:
    """The answer to a GET or HEAD of a kept file, for the edge to send before routing; None: route it."""
    parts = scope["path"].split("/", 4)
    if scope["method"] not in ("GET", "HEAD") or len(parts) != 5 or parts[1] != "raw":
        return None
    found = raw_service.kept(hub, parts[2], parts[3], parts[4])
    data = _bytes(found) if found is not None else None
    if found is None or data is None:
        return None
    made = _answers.get(id(found))
    if made is None or made.file is not found:
        headers = dict(HEADERS, etag=found.etag, **{"content-length": str(len(data))})
        made = Answer(found, Response(data, headers=headers, media_type=found.media).raw_headers, data, found.etag)
        _answers.put(id(found), made)
    return made


ROUTES = [(("GET",), "/raw/{owner}/{repo}/{rest:path}", raw)]
