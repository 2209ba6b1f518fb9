"""The web route table (paths on the public origin, outside /api): (methods, path, handler)."""

from hubdepot import git_http
from hubdepot.web import archives, downloads, raw, releases, s3post

ROUTES: list = [*git_http.ROUTES, *raw.ROUTES, *archives.ROUTES, *releases.ROUTES, *downloads.ROUTES, *s3post.ROUTES]
