"""git's smart HTTP protocol on the public origin: /{owner}/{repo}[.git]/info/refs, git-upload-pack,
git-receive-pack. Handlers parse, ask services/pushes.py, and stream git's bytes both ways."""

from hubdepot.git_http.routes import ROUTES

__all__ = ["ROUTES"]
