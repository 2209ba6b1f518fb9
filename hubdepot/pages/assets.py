"""The stylesheet and script (content-hashed names, cached for a year, gzipped ahead of time) and
avatars: /avatars/u/{id}, the avatar_url every user object carries, a deterministic identicon in SVG."""

from __future__ import annotations

import functools
import hashlib

from starlette.requests import Request
from starlette.responses import Response

from hubdepot import errors
from hubdepot.pages.render import static_files

_TYPES = {
    "css": "text/css; charset=utf-8",
    "js": "text/javascript; charset=utf-8",
    "svg": "image/svg+xml",
    "png": "image/png",
    "ico": "image/x-icon",
}
_IMMUTABLE = "public, max-age=31536000, immutable"
AVATAR_HEADERS = {
    "cache-control": "public, max-age=86400",
    "content-security-policy": "default-src 'none'",
    "x-content-type-options": "nosniff",
    "access-control-allow-origin": "*",
}


@functools.lru_cache(maxsize=1)
def _by_hashed_name() -> dict[str, tuple[str, bytes, bytes]]:
    return {hashed: (name, data, gz) for name, (hashed, data, gz) in static_files().items()}


async def static(request: Request) -> Response:
    found = _by_hashed_name().get(request.path_params["name"])
    if found is None:
        raise errors.NotFound()
    name, data, gz = found
    headers = {
        "cache-control": _IMMUTABLE,
        "x-content-type-options": "nosniff",
        "vary": "Accept-Encoding",
        "etag": f'"{request.path_params["name"]}"',
    }
    if "gzip" in request.headers.get("accept-encoding", ""):
        data, headers["content-encoding"] = gz, "gzip"
    return Response(data, headers=headers, media_type=_TYPES.get(name.rpartition(".")[2], "application/octet-stream"))


@functools.lru_cache(maxsize=4096)
def identicon(seed: str) -> bytes:
    """A 5x5 mirrored pattern in one colour on a light ground, from the sha256 of `seed` (GitHub's look);
    the margin keeps the pattern whole inside the circle pages crop avatars to."""
    digest = hashlib.sha256(seed.encode()).digest()
    hue = int.from_bytes(digest[:2], "big") % 360
    colour = f"hsl({hue},55%,45%)"
    cells = []
    for row in range(5):
        for col in range(3):
            if digest[2 + row * 3 + col] % 2:
                for x in {col, 4 - col}:
                    cells.append(f'<rect x="{70 + x * 56}" y="{70 + row * 56}" width="56" height="56"/>')
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 420 420" width="420" height="420">'
        f'<rect width="420" height="420" fill="#f0f0f0"/><g fill="{colour}">{"".join(cells)}</g></svg>'
    ).encode()


async def avatar(request: Request) -> Response:
    """/avatars/u/{id}: any ?s= or ?v= is accepted (the image scales; the pattern depends on the id only)."""
    return Response(identicon(f"u:{request.path_params['ident']}"), headers=AVATAR_HEADERS, media_type="image/svg+xml")
