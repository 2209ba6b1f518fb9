"""GET (and HEAD) /installation/repositories. Only a GitHub App installation token may list its
repositories; hubdepot has no apps, so every token is a person's and gets GitHub's 403 at once.
semantic-release's GitHub plugin asks this when `permissions.push` is false, to tell an
installation from a token that may not push (a 404 there would be retried for seconds)."""

from __future__ import annotations

from starlette.responses import Response

from hubdepot import errors
from hubdepot.api._base import Req, Table, endpoint

DOCS = "https://docs.github.com/rest/apps/installations#list-repositories-accessible-to-the-app-installation"


@endpoint(DOCS, inline=True)
def repositories(req: Req) -> Response:
    if req.actor is None:
        raise errors.Unauthenticated()
    raise errors.Forbidden(
        "You must authenticate with an installation access token in order to list repositories for an installation."
    )


ROUTES: Table = [(("GET",), "/installation/repositories", repositories)]
