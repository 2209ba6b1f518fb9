"""Web pages on GitHub's paths: profiles, repositories, files, commits, releases, tags, legacy
downloads, sign-in. Server-rendered (Jinja2), no script needed to read anything; the handlers call
the same services the API does (services/pages.py for the page-only reads).

ROUTES come last in hubdepot/surfaces.py's map: the git smart HTTP paths, raw files, archives, the S3
POST endpoint, release downloads and legacy download files are never shadowed by a page.
"""

from hubdepot.pages import account, assets, releases, repo
from hubdepot.pages.render import Endpoint

_R = "/{owner}/{repo}"

ROUTES: list[tuple[tuple[str, ...], str, Endpoint]] = [
    (("GET",), "/", account.home),
    (("GET",), "/login", account.login_form),
    (("POST",), "/session", account.session),
    (("POST",), "/logout", account.logout),
    (("GET",), "/_static/{name}", assets.static),
    (("GET",), "/avatars/u/{ident:int}", assets.avatar),
    (("GET",), "/{owner}", account.owner),
    (("GET",), _R, repo.home),
    (("GET",), _R + "/tree/{rest:path}", repo.tree),
    (("GET",), _R + "/blob/{rest:path}", repo.blob),
    (("GET",), _R + "/raw/{rest:path}", repo.raw_redirect),
    (("GET",), _R + "/branches", repo.branches),
    (("GET",), _R + "/commits", repo.commits),
    (("GET",), _R + "/commits/{ref:path}", repo.commits),
    (("GET",), _R + "/commit/{sha}", repo.commit),
    (("GET",), _R + "/releases", releases.listing),
    (("GET",), _R + "/releases/latest", releases.latest),
    (("GET",), _R + "/releases/tag/{tag:path}", releases.tag),
    (("GET",), _R + "/tags", releases.tags),
    (("GET",), _R + "/downloads", releases.downloads),
]
