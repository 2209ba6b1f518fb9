"""Every URL hubdepot emits resolves to one of its routes.

The data: the page tests' site (tests/support/site.py: files, a branch with a slash, releases with
assets, a legacy download, a private repository), and a repository and an organisation with hooks
delivering to a real receiver (a push, a branch, a published release with an asset, a legacy download).
The walk: from the API's answers (REST and GraphQL) and pages about that data, every URL on the
server's origin found in JSON strings, Location and Link headers and HTML href/src/action (and other
attribute values holding one) is followed with GET when it can be, until nothing new turns up; the
webhook payloads the receiver got are walked too.

A URL resolves when a route of the app (hubdepot.app.create_app on the server's own settings: the
route table the server runs) matches its path for GET (a form's action: for its method), else for
another method; if that route takes GET, the server must also answer GET with something else than 404
(it names something that exists). URI templates are expanded with values that exist ({/sha} with a
commit's sha ...; {?name,label} dropped) and, like the links an author wrote in rendered markdown
(which may name what their commit lacks), checked against the routes only. GITHUB_ONLY lists what
GitHub serves and hubdepot does not; ANSWERS_404, where a 404 is the right answer."""

from __future__ import annotations

import base64
import html.parser
import re
from urllib.parse import unquote, urljoin, urlsplit

import httpx
import pytest
from starlette.routing import Match, Mount

from tests.conftest import unique
from tests.support import site as site_support
from tests.support.receivers import PyReceiver
from tests.support.releases import upload
from tests.support.server import CheckedClient

SECRET = "url walk"
CRAWL_LIMIT = 3000  # GETs; the walk must end well before

# (the path of URLs hubdepot emits but does not serve, why); a pattern no URL matches fails the test too
GITHUB_ONLY = [
    (
        r"/api/v3/repos/[^/]+/[^/]+/(?:assignees|comments|commits/\w+/comments|contributors|deployments|events|forks|"
        r"issues|keys|labels|languages|merges|milestones|notifications|pulls|stargazers|statuses|subscribers|"
        r"subscription|teams)(?:/.*)?",
        "a repository's links to features hubdepot does not have (issues, pulls, comments, stars, teams, forks...)",
    ),
    (r"/api/v3/repos/[^/]+/[^/]+/branches/.+/protection", "branch protection"),
    (
        r"/api/v3/users/[^/]+/(?:followers|following|gists|starred|subscriptions|orgs|repos|events|received_events)"
        r"(?:/.*)?",
        "a user's links to GitHub's social API and to lists of another account's repositories and organizations",
    ),
    (
        r"/api/v3/orgs/[^/]+(?:/(?:events|issues|members|public_members|teams)(?:/.*)?)?",
        "an organization's own resource and its links but its hooks and repository creation",
    ),
    (
        r"/api/v3/(?:authorizations|emojis|events|feeds|gists(?:/.*)?|hub|issues|notifications|search/\w+|"
        r"user/(?:emails|followers|following(?:/.*)?|keys|orgs|starred(?:/.*)?))|/settings/connections/applications/.*",
        "GitHub's index of its whole API (GET /api/v3/): search, gists, notifications, emojis, OAuth...",
    ),
    (r"/[^/]+/[^/]+/compare/.+", "the compare page (the API's compare answers the same question)"),
]
# (path, why its route answers GET with 404 for this data)
ANSWERS_404 = [(r"/api/v3/rate_limit", "GitHub Enterprise Server's answer while rate limiting is off (the default)")]


@pytest.fixture(scope="module")
def site(hub, server):
    return site_support.build(hub, server)


@pytest.fixture(scope="module")
def routes(hub):
    from hubdepot.app import create_app

    return create_app(hub=hub, deliver=False).router.routes


def test_every_url_emitted_resolves_to_a_route(server, hub, site, routes):
    with CheckedClient(base_url=server.api, headers={"Authorization": f"token {site.token}"}) as api:
        with PyReceiver(secret=SECRET) as receiver:
            repo, org = _seed(hub, api, site, receiver)
        walk = Walk(server.url, site.token, routes, _samples(api, site, repo, org))
        walk.found_in_json(site.answers, "the site's answers")
        walk.found_in_json([d.payload for d in receiver.received], "webhook payloads")
        walk.found_in_json(_graphql(server, site, repo), "GraphQL")
        walk.run(_starts(server.url, api, site, repo, org))
    assert walk.crawled < CRAWL_LIMIT, "the walk did not end"
    assert walk.unresolved == {}, "emitted URLs no route serves:\n" + _listed(walk.unresolved)
    assert walk.not_found == {}, "emitted URLs answering 404:\n" + _listed(walk.not_found)
    unused = [pattern for pattern, _ in GITHUB_ONLY + ANSWERS_404 if pattern not in walk.excepted]
    assert unused == [], f"exceptions no emitted URL needs any more: {unused}"
    assert len(walk.checked) > 500, len(walk.checked)


def _listed(found: dict[str, str]) -> str:
    return "\n".join(f"  {url}  (in {where})" for url, where in sorted(found.items()))


def _put(api, repo: str, path: str, text: str, branch: str | None = None) -> None:
    body = {"message": f"write {path}", "content": base64.b64encode(text.encode()).decode()}
    r = api.put(f"/repos/{repo}/contents/{path}", json=body | ({"branch": branch} if branch else {}))
    assert r.status_code in (200, 201), r.text


def _seed(hub, api, site, receiver) -> tuple[str, str]:
    """A repository and an organisation (with a repository) of the site's user, each with a hook to
    `receiver`, and writes that send it a push, a branch and tag creation, a release with an asset."""
    from hubdepot.services import accounts

    org = unique("org")
    accounts.create_account(hub, org, "Organization")
    accounts.add_member(hub, org, site.login, "admin")
    hook = {"config": {"url": receiver.url, "content_type": "json", "secret": SECRET}, "events": ["*"]}
    assert api.post(f"/orgs/{org}/hooks", json=hook).status_code == 201
    assert api.post(f"/orgs/{org}/repos", json={"name": "tools", "auto_init": True}).status_code == 201
    repo = f"{site.login}/{unique('walk')}"
    assert api.post("/user/repos", json={"name": repo.split("/")[1], "auto_init": True}).status_code == 201
    assert api.post(f"/repos/{repo}/hooks", json=hook).status_code == 201
    _put(api, repo, "docs/a b#1.md", "# Notes\n\nSee [the tool](../src/tool.py).\n")
    _put(api, repo, "src/tool.py", "print('hi')\n")
    _put(api, f"{org}/tools", "a.txt", "a")
    main = api.get(f"/repos/{repo}/git/ref/heads/main").json()["object"]["sha"]
    assert api.post(f"/repos/{repo}/git/refs", json={"ref": "refs/heads/topic/x", "sha": main}).status_code == 201
    _put(api, repo, "topic.txt", "on a branch", branch="topic/x")
    release = api.post(f"/repos/{repo}/releases", json={"tag_name": "v1.0", "name": "One", "body": "b"}).json()
    assert upload(api, release, "tool linux.tar.gz", b"bytes").status_code == 201
    site_support._legacy_download(api, repo)
    want = {"ping", "push", "create", "release"}
    receiver.wait_for(lambda got: want <= {d.event for d in got} and len(got) >= 8)
    return repo, org


def _samples(api, site, repo: str, org: str) -> dict[str, str]:
    """A value for each URI template variable hubdepot's URLs hold (for matching the routes)."""
    sha = api.get(f"/repos/{repo}/commits/main").json()["sha"]
    release_id = str(site.release["id"])
    owner, name = repo.split("/")
    words = dict(archive_format="tarball", ref="main", branch="main", base="main", head="main", privacy="public")
    people = dict.fromkeys(("user", "collaborator", "member", "other_user", "target", "owner"), owner)
    numbers = dict.fromkeys(("number", "key_id", "gist_id", "repository_id"), "1")
    other = dict(sha=sha, id=release_id, name="bug", path="README.md", repo=name, org=org, query="q", client_id="c")
    return words | people | numbers | other


def _graphql(server, site, repo: str) -> dict:
    owner, name = repo.split("/")
    query = """query($owner: String!, $name: String!) {
      viewer { url avatarUrl organizations(first: 5) { nodes { url avatarUrl } } }
      repository(owner: $owner, name: $name) {
        url owner { url avatarUrl }
        releases(first: 5) { nodes { url author { url avatarUrl }
          releaseAssets(first: 5) { nodes { url downloadUrl uploadedBy { url } } } } }
      }
    }"""
    r = httpx.post(
        f"{server.url}/api/graphql",
        json={"query": query, "variables": {"owner": owner, "name": name}},
        headers={"Authorization": f"bearer {site.token}"},
    )
    assert r.status_code == 200 and "errors" not in r.json(), r.text
    return r.json()


def _starts(origin: str, client, site, repo: str, org: str) -> list[str]:
    """Where the walk starts: the API's lists and the pages about the data."""
    api = f"{origin}/api/v3"
    found = [f"{api}/", f"{api}/user", f"{api}/user/repos", f"{api}/users/{site.login}", f"{api}/meta"]
    found += [f"{api}/rate_limit", f"{api}/orgs/{org}/hooks", f"{origin}/", f"{origin}/login", f"{origin}/{org}"]
    for name in (repo, site.repo, site.private, f"{org}/tools"):
        ident = client.get(f"/repos/{name}").json()["id"]
        for base in (f"{api}/repos/{name}", f"{api}/repositories/{ident}"):
            found += [base, f"{base}/contents/", f"{base}/commits", f"{base}/branches", f"{base}/tags"]
            found += [f"{base}/releases", f"{base}/downloads", f"{base}/hooks", f"{base}/branches/main"]
            found += [f"{base}/git/matching-refs/", f"{base}/compare/main...main", f"{base}/readme"]
        found += [f"{origin}/{name}"] + [f"{origin}/{name}/{p}" for p in ("releases", "downloads", "tags", "commits")]
    latest = [f"{api}/repos/{name}/releases/latest" for name in (repo, site.repo)]  # (the others have none)
    return found + latest + [f"{api}/repos/{repo}/compare/main...topic/x"]


class Walk:
    """Every URL found, where it was first found, and what became of it."""

    def __init__(self, origin: str, token: str, routes, samples: dict[str, str]):
        self.origin, self.routes, self.samples = origin, routes, samples
        self.client = httpx.Client(headers={"Authorization": f"token {token}"}, timeout=60)
        self.sources: dict[str, str] = {}  # url -> where it was found first
        self.how: dict[str, tuple[str, bool]] = {}  # url -> (method, whether it must answer GET)
        self.todo: list[str] = []
        self.checked: set[str] = set()
        self.unresolved: dict[str, str] = {}
        self.not_found: dict[str, str] = {}
        self.excepted: set[str] = set()
        self.crawled = 0

    def found(self, url: str, where: str, method: str = "GET", live: bool = True) -> None:
        url = url.split("#", 1)[0]
        ours = url == self.origin or url.startswith(self.origin + "/")
        if ours and url not in self.sources:
            self.sources[url], self.how[url] = where, (method, live)
            self.todo.append(url)

    def found_in_json(self, value, where: str) -> None:
        if isinstance(value, str):
            self.found(value, where)
        elif isinstance(value, dict):
            for item in value.values():
                self.found_in_json(item, where)
        elif isinstance(value, list):
            for item in value:
                self.found_in_json(item, where)

    def run(self, starts: list[str]) -> None:
        for url in starts:
            self.found(url, "the walk's start")
        while self.todo and self.crawled < CRAWL_LIMIT:
            url = self.todo.pop()
            self.check(url)

    def check(self, url: str) -> None:
        (method, live), templated = self.how[url], "{" in url
        path = unquote(urlsplit(expand(url, self.samples) if templated else url).path)
        self.checked.add(url)
        pattern = next((p for p, _ in GITHUB_ONLY if re.fullmatch(p, path)), None)
        if pattern is not None:
            self.excepted.add(pattern)
            return
        route = route_of(self.routes, path, method)
        if route is None:
            self.unresolved[url] = self.sources[url]
        elif method == "GET" and "GET" in (route.methods or ()) and not templated:
            self.follow(url, path, live)

    def follow(self, url: str, path: str, live: bool) -> None:
        self.crawled += 1
        r = self.client.get(url)
        if r.status_code == 404:
            pattern = next((p for p, _ in ANSWERS_404 if re.fullmatch(p, path)), None)
            if pattern is not None:
                self.excepted.add(pattern)
            elif live:
                self.not_found[url] = self.sources[url]
            return
        where = f"GET {url}"
        for link in re.findall(r"<([^>]+)>", r.headers.get("link", "")) + [r.headers.get("location", "")]:
            if link:
                self.found(urljoin(url, link), where)
        kind = r.headers.get("content-type", "")
        if "json" in kind:
            self.found_in_json(r.json(), where)
        elif kind.startswith("text/html"):
            for link, method, authored in Links.of(r.text):
                self.found(urljoin(url, link), where, method, not authored)


def expand(url: str, samples: dict[str, str]) -> str:
    """A URI template (RFC 6570, the forms GitHub uses) filled in: {x} and {+x} with the sample,
    {/x} as /sample, query forms ({?x,y} {&x}) dropped."""

    def one(match: re.Match) -> str:
        operator, names = match[1], match[2].split(",")
        if operator in ("?", "&"):
            return ""
        values = [samples[name] for name in names]
        return "".join("/" + v for v in values) if operator == "/" else ",".join(values)

    return re.sub(r"\{([/?&+]?)([^}]*)\}", one, url)


def route_of(routes, path: str, method: str = "GET", scope: dict | None = None):
    """The route serving `method` on `path` (as the router picks it), else the first whose path matches."""
    scope = scope or {"type": "http", "path": path, "root_path": "", "method": method, "headers": []}
    partial = None
    for route in routes:
        match, child = route.matches(scope)
        if match is Match.FULL and isinstance(route, Mount):
            return route_of(route.routes, path, method, {**scope, **child})
        if match is Match.FULL:
            return route
        if match is Match.PARTIAL and partial is None:
            partial = route
    return partial


class Links(html.parser.HTMLParser):
    """(value, method, in rendered markdown) of each href, src and form action of a page, and of any
    other attribute value that is a URL (the clone URL's input)."""

    def __init__(self):
        super().__init__()
        self.links: list[tuple[str, str, bool]] = []
        self.markdown = 0  # depth in <article class="markdown-body">: links its author wrote

    @classmethod
    def of(cls, page: str) -> list[tuple[str, str, bool]]:
        parser = cls()
        parser.feed(page)
        return parser.links

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        if tag == "article" and (self.markdown or "markdown-body" in (found.get("class") or "")):
            self.markdown += 1
        method = (found.get("method") or "get").upper() if tag == "form" else "GET"
        for name, value in attrs:
            if value and (name in ("href", "src", "action") or value.startswith(("http://", "https://"))):
                self.links.append((value, method if name == "action" else "GET", self.markdown > 0))

    def handle_endtag(self, tag):
        if tag == "article" and self.markdown:
            self.markdown -= 1
