"""GitHub's REST surface: the whole route table, built from each resource module's ROUTES, and the
upload host's; hubdepot/surfaces.py mounts them (at /api/v3 and /api/uploads).

Every route under /repos/{owner}/{repo} is served under /repositories/{repository_id} too.
"""

from __future__ import annotations

from hubdepot.api import (
    archives,
    assets,
    collaborators,
    contents,
    downloads,
    git_data,
    hooks,
    installations,
    openapi,
    rate_limit,
    releases,
    repos,
    uploads,
    users,
)
from hubdepot.api._base import Table

REPO_PREFIX = "/repos/{owner}/{repo}"

# paths under /api/v3
V3: Table = [
    (("GET",), "/", users.root),
    (("GET",), "/meta", users.meta),
    (("GET",), "/user", users.me),
    (("GET",), "/user/repos", users.my_repos),
    (("POST",), "/user/repos", repos.create_for_user),
    (("GET",), "/users/{login}", users.user),
    (("POST",), "/orgs/{org}/repos", repos.create_for_org),
    (("GET",), REPO_PREFIX, repos.get),
    (("PATCH",), REPO_PREFIX, repos.update),
    (("DELETE",), REPO_PREFIX, repos.delete),
    (("GET",), REPO_PREFIX + "/branches", repos.branches),
    (("GET",), REPO_PREFIX + "/tags", repos.tags),
    *collaborators.ROUTES,
    *contents.ROUTES,
    *git_data.ROUTES,
    *archives.ROUTES,
    *releases.ROUTES,
    *assets.ROUTES,
    *downloads.ROUTES,
    *hooks.ROUTES,
    *openapi.ROUTES,
    *rate_limit.ROUTES,
    *installations.ROUTES,
]


def _by_id(path: str) -> str | None:
    if path == REPO_PREFIX or path.startswith(REPO_PREFIX + "/"):
        return "/repositories/{repository_id:int}" + path[len(REPO_PREFIX) :]
    return None


def _post_as_patch(table: Table) -> Table:
    """GitHub's v3 rule: POST is accepted wherever PATCH is (python-semantic-release updates releases
    with POST), unless the path has a POST of its own."""
    posted = {path for methods, path, _ in table if "POST" in methods}
    return [
        (methods + ("POST",) if "PATCH" in methods and path not in posted else methods, path, handler)
        for methods, path, handler in table
    ]


def _with_aliases(table: Table) -> Table:
    out: Table = []
    for methods, path, handler in table:
        out.append((methods, path, handler))
        alias = _by_id(path)
        if alias:
            out.append((methods, alias, handler))
    return out


def v3_routes() -> Table:
    """The REST API's routes, paths under /api/v3."""
    return _with_aliases(_post_as_patch(V3))


def upload_routes() -> Table:
    """The upload host's routes, paths under /api/uploads."""
    return _with_aliases(uploads.ROUTES)
