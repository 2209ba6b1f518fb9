"""The outermost ASGI middleware: what each request concerns and how it went.

It names the repository a request's writes concern (db/generation.WRITE_SCOPE: the read cache then
keeps other repositories' answers across them).
"""

from __future__ import annotations

import re

from hubdepot.db.generation import WRITE_SCOPE
from hubdepot.http.cache import repository_of

# outside /api: git's smart HTTP and release asset downloads (a download is counted)
_WEB_REPOSITORY = re.compile(r"^/([^/]+)/([^/]+?)(?:\.git)?/(?:info/refs|git-upload-pack|git-receive-pack|releases/)")


def written_repository(path: str) -> str | None:
    """The repository ("owner/repo", lower case) every write of a request to `path` concerns, or None
    when they may concern anything."""
    if path.startswith("/api/"):
        return repository_of(path)
    found = _WEB_REPOSITORY.match(path)
    return f"{found[1]}/{found[2]}".lower() if found else None


class Observe:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        token = WRITE_SCOPE.set(written_repository(scope["path"]))
        try:
            await self.app(scope, receive, send)
        finally:
            WRITE_SCOPE.reset(token)
