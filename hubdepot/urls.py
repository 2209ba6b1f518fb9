"""Urls: builds every URL hubdepot emits, on GitHub Enterprise Server's one-origin layout.

The prefixes below are where hubdepot/surfaces.py mounts the API's routes; `PATHS` builds the same
URLs as root-relative paths, which is how pages link within the site. tests/functional/test_urls.py
checks that every URL the API, the pages and the webhook payloads carry resolves to a route."""

from __future__ import annotations

import base64
import re
from urllib.parse import quote

API, V3, UPLOADS, GRAPHQL = "/api", "/v3", "/uploads", "/graphql"  # the API surface's mount, its hosts under it

_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*")  # what quote() never changes
_UNRESERVED_PATH = re.compile(r"[A-Za-z0-9_.~/-]*")


def node_id(kind: str, ident: int | str) -> str:
    """GitHub's legacy global node id: base64 of '<len(kind)>:<kind><id>', e.g. MDc6UmVsZWFzZTE=."""
    return base64.b64encode(f"0{len(kind)}:{kind}{ident}".encode()).decode()


def q(segment: str) -> str:
    """Quote one path segment (slashes included)."""
    return segment if _UNRESERVED.fullmatch(segment) else quote(segment, safe="")


def qpath(path: str) -> str:
    """Quote a multi-segment path, keeping its slashes. (The fast path matters for 1,000-entry listings.)"""
    return path if _UNRESERVED_PATH.fullmatch(path) else quote(path, safe="/")


class Urls:
    def __init__(self, public: str):
        self.public = public.rstrip("/")
        self.api = f"{self.public}{API}{V3}"
        self.uploads = f"{self.public}{API}{UPLOADS}"
        self.graphql = f"{self.public}{API}{GRAPHQL}"

    # -- the site and its API ----------------------------------------------
    def home(self) -> str:
        return f"{self.public}/"

    def login(self, return_to: str | None = None) -> str:
        return f"{self.public}/login?return_to={q(return_to)}" if return_to else f"{self.public}/login"

    def session(self) -> str:
        return f"{self.public}/session"

    def logout(self) -> str:
        return f"{self.public}/logout"

    def s3_post(self) -> str:
        """The embedded S3 POST endpoint (a legacy download's s3_url)."""
        return f"{self.public}/"

    def api_index(self) -> dict[str, str]:
        """GET /api/v3/: GitHub's index of its API (URI templates; most name what only GitHub serves)."""
        return {key: (self.public if key in _SITE_INDEX else self.api) + tail for key, tail in _API_INDEX.items()}

    # -- accounts --------------------------------------------------------
    def user(self, login: str) -> str:
        return f"{self.api}/users/{q(login)}"

    def user_links(self, login: str) -> dict[str, str]:
        """A user object's links to GitHub's social API (hubdepot serves none of them)."""
        api = self.user(login)
        return {key: api + tail for key, tail in _USER_LINKS.items()}

    def user_html(self, login: str) -> str:
        return f"{self.public}/{q(login)}"

    def avatar(self, account_id: int, size: int | None = None) -> str:
        if size:
            return f"{self.public}/avatars/u/{account_id}?s={size}&v=4"
        return f"{self.public}/avatars/u/{account_id}?v=4"

    def org(self, login: str) -> str:
        return f"{self.api}/orgs/{q(login)}"

    def org_links(self, login: str) -> dict[str, str]:
        """An organization object's links (of these hubdepot serves the hooks, and POST to repos)."""
        api = self.org(login)
        return {key: api + tail for key, tail in _ORG_LINKS.items()}

    def org_hooks(self, login: str) -> str:
        return f"{self.org(login)}/hooks"

    # -- repositories ----------------------------------------------------
    def repo(self, full_name: str) -> str:
        return f"{self.api}/repos/{full_name}"

    def repo_links(self, full_name: str) -> dict[str, str]:
        """A repository object's URI templates, in GitHub's order (some name what only GitHub serves)."""
        api = self.repo(full_name)
        return {key: api + tail for key, tail in _REPO_LINKS.items()}

    def repo_html(self, full_name: str) -> str:
        return f"{self.public}/{full_name}"

    def branches_html(self, full_name: str) -> str:
        return f"{self.repo_html(full_name)}/branches"

    def tags_html(self, full_name: str) -> str:
        return f"{self.repo_html(full_name)}/tags"

    def commits_html(self, full_name: str, ref: str | None = None) -> str:
        url = f"{self.repo_html(full_name)}/commits"
        return f"{url}/{qpath(ref)}" if ref else url

    def repo_by_id(self, repo_id: int) -> str:
        return f"{self.api}/repositories/{repo_id}"

    def clone(self, full_name: str) -> str:
        return f"{self.public}/{full_name}.git"

    def host(self) -> str:
        return self.public.split("://", 1)[1].split("/", 1)[0]

    def tarball(self, full_name: str, ref: str) -> str:
        return f"{self.repo(full_name)}/tarball/{qpath(ref)}"

    def zipball(self, full_name: str, ref: str) -> str:
        return f"{self.repo(full_name)}/zipball/{qpath(ref)}"

    def commit(self, full_name: str, sha: str) -> str:
        return f"{self.repo(full_name)}/commits/{sha}"

    def commit_html(self, full_name: str, sha: str) -> str:
        return f"{self.repo_html(full_name)}/commit/{sha}"

    def commit_comments(self, full_name: str, sha: str) -> str:
        return f"{self.commit(full_name, sha)}/comments"

    def compare(self, full_name: str, base: str, head: str) -> str:
        return f"{self.repo(full_name)}/compare/{base}...{head}"

    def compare_html(self, full_name: str, base: str, head: str | None = None) -> str:
        """GitHub's compare view (/o/r/compare/main...topic, or /o/r/compare/topic for a new branch)."""
        html = self.repo_html(full_name)
        return f"{html}/compare/{base}...{head}" if head else f"{html}/compare/{base}"

    def branch(self, full_name: str, name: str) -> str:
        return f"{self.repo(full_name)}/branches/{qpath(name)}"

    def branch_protection(self, full_name: str, name: str) -> str:
        return f"{self.branch(full_name, name)}/protection"

    def git_commit(self, full_name: str, sha: str) -> str:
        return f"{self.repo(full_name)}/git/commits/{sha}"

    def git_tree(self, full_name: str, sha: str) -> str:
        return f"{self.repo(full_name)}/git/trees/{sha}"

    def git_blob(self, full_name: str, sha: str) -> str:
        return f"{self.repo(full_name)}/git/blobs/{sha}"

    def git_tag(self, full_name: str, sha: str) -> str:
        return f"{self.repo(full_name)}/git/tags/{sha}"

    def git_ref(self, full_name: str, ref: str) -> str:
        """The legacy ref URL GitHub puts in a ref object: …/git/refs/heads/main for refs/heads/main."""
        return f"{self.repo(full_name)}/git/{qpath(ref)}"

    def contents(self, full_name: str, path: str, ref: str | None = None) -> str:
        url = f"{self.repo(full_name)}/contents/{qpath(path)}"
        return f"{url}?ref={q(ref)}" if ref else url

    def blob_html(self, full_name: str, ref: str, path: str, kind: str = "blob") -> str:
        return f"{self.repo_html(full_name)}/{kind}/{qpath(ref)}/{qpath(path)}"

    def tree_html(self, full_name: str, ref: str, path: str = "") -> str:
        url = f"{self.repo_html(full_name)}/tree/{qpath(ref)}"
        return f"{url}/{qpath(path)}" if path else url

    def raw(self, full_name: str, ref: str, path: str = "") -> str:
        """The raw host's URL of a file (`ref` may hold the path too: /o/r/raw/<ref>/<path> redirects)."""
        url = f"{self.public}/raw/{full_name}/{qpath(ref)}"
        return f"{url}/{qpath(path)}" if path else url

    def raw_html(self, full_name: str, ref: str, path: str) -> str:
        """GitHub's /o/r/raw/<ref>/<path> (a page route that redirects to `raw`)."""
        return f"{self.repo_html(full_name)}/raw/{qpath(ref)}/{qpath(path)}"

    def codeload(self, full_name: str, fmt: str, ref: str) -> str:
        """Where GET /tarball|/zipball redirects (GHES layout: /_codeload/o/r/legacy.tar.gz/refs/heads/main)."""
        return f"{self.public}/_codeload/{full_name}/legacy.{fmt}/{qpath(ref)}"

    def archive_html(self, full_name: str, ref: str, fmt: str) -> str:
        """The web archive URL, e.g. /o/r/archive/refs/tags/v1.0.zip."""
        return f"{self.repo_html(full_name)}/archive/{qpath(ref)}.{fmt}"

    # -- releases --------------------------------------------------------
    def release(self, full_name: str, release_id: int) -> str:
        return f"{self.repo(full_name)}/releases/{release_id}"

    def releases_html(self, full_name: str) -> str:
        return f"{self.repo_html(full_name)}/releases"

    def release_html(self, full_name: str, tag: str) -> str:
        return f"{self.repo_html(full_name)}/releases/tag/{qpath(tag)}"

    def release_assets(self, full_name: str, release_id: int) -> str:
        return f"{self.release(full_name, release_id)}/assets"

    def upload(self, full_name: str, release_id: int) -> str:
        return f"{self.uploads}/repos/{full_name}/releases/{release_id}/assets{{?name,label}}"

    def asset(self, full_name: str, asset_id: int) -> str:
        return f"{self.repo(full_name)}/releases/assets/{asset_id}"

    def browser_download(self, full_name: str, tag: str, name: str) -> str:
        return f"{self.repo_html(full_name)}/releases/download/{qpath(tag)}/{q(name)}"

    # -- legacy downloads ------------------------------------------------
    def download(self, full_name: str, download_id: int) -> str:
        return f"{self.repo(full_name)}/downloads/{download_id}"

    def download_html(self, full_name: str, name: str) -> str:
        return f"{self.public}/downloads/{full_name}/{q(name)}"

    # -- webhooks --------------------------------------------------------
    def hooks(self, full_name: str) -> str:
        return f"{self.repo(full_name)}/hooks"

    @staticmethod
    def hook_links(hooks_url: str, hook_id: int) -> dict[str, str]:
        """url, test_url, ping_url and deliveries_url of hook `hook_id` of the collection `hooks_url`
        (`hooks` or `org_hooks`)."""
        url = f"{hooks_url}/{hook_id}"
        return {
            "url": url,
            "test_url": f"{url}/test",
            "ping_url": f"{url}/pings",
            "deliveries_url": f"{url}/deliveries",
        }


PATHS = Urls("")  # the same URLs as paths on this origin (/o/r/tree/main): what pages link to

# GitHub's hypermedia: (key, what follows the object's own API URL), in GitHub's order.
_USER_LINKS = {
    "followers_url": "/followers",
    "following_url": "/following{/other_user}",
    "gists_url": "/gists{/gist_id}",
    "starred_url": "/starred{/owner}{/repo}",
    "subscriptions_url": "/subscriptions",
    "organizations_url": "/orgs",
    "repos_url": "/repos",
    "events_url": "/events{/privacy}",
    "received_events_url": "/received_events",
}
_ORG_LINKS = {
    "url": "",
    "repos_url": "/repos",
    "events_url": "/events",
    "hooks_url": "/hooks",
    "issues_url": "/issues",
    "members_url": "/members{/member}",
    "public_members_url": "/public_members{/member}",
}
_REPO_LINKS = {
    "archive_url": "/{archive_format}{/ref}",
    "assignees_url": "/assignees{/user}",
    "blobs_url": "/git/blobs{/sha}",
    "branches_url": "/branches{/branch}",
    "collaborators_url": "/collaborators{/collaborator}",
    "comments_url": "/comments{/number}",
    "commits_url": "/commits{/sha}",
    "compare_url": "/compare/{base}...{head}",
    "contents_url": "/contents/{+path}",
    "contributors_url": "/contributors",
    "deployments_url": "/deployments",
    "downloads_url": "/downloads",
    "events_url": "/events",
    "forks_url": "/forks",
    "git_commits_url": "/git/commits{/sha}",
    "git_refs_url": "/git/refs{/sha}",
    "git_tags_url": "/git/tags{/sha}",
    "hooks_url": "/hooks",
    "issue_comment_url": "/issues/comments{/number}",
    "issue_events_url": "/issues/events{/number}",
    "issues_url": "/issues{/number}",
    "keys_url": "/keys{/key_id}",
    "labels_url": "/labels{/name}",
    "languages_url": "/languages",
    "merges_url": "/merges",
    "milestones_url": "/milestones{/number}",
    "notifications_url": "/notifications{?since,all,participating}",
    "pulls_url": "/pulls{/number}",
    "releases_url": "/releases{/id}",
    "stargazers_url": "/stargazers",
    "statuses_url": "/statuses/{sha}",
    "subscribers_url": "/subscribers",
    "subscription_url": "/subscription",
    "tags_url": "/tags",
    "teams_url": "/teams",
    "trees_url": "/git/trees{/sha}",
}
_SITE_INDEX = {"current_user_authorizations_html_url"}  # on the site; the others on the API
_SEARCH = "{&page,per_page,sort,order}"
_API_INDEX = {
    "current_user_url": "/user",
    "current_user_authorizations_html_url": "/settings/connections/applications{/client_id}",
    "authorizations_url": "/authorizations",
    "code_search_url": "/search/code?q={query}" + _SEARCH,
    "commit_search_url": "/search/commits?q={query}" + _SEARCH,
    "emails_url": "/user/emails",
    "emojis_url": "/emojis",
    "events_url": "/events",
    "feeds_url": "/feeds",
    "followers_url": "/user/followers",
    "following_url": "/user/following{/target}",
    "gists_url": "/gists{/gist_id}",
    "hub_url": "/hub",
    "issue_search_url": "/search/issues?q={query}" + _SEARCH,
    "issues_url": "/issues",
    "keys_url": "/user/keys",
    "label_search_url": "/search/labels?q={query}&repository_id={repository_id}{&page,per_page}",
    "notifications_url": "/notifications",
    "organization_url": "/orgs/{org}",
    "organization_repositories_url": "/orgs/{org}/repos{?type,page,per_page,sort}",
    "organization_teams_url": "/orgs/{org}/teams",
    "public_gists_url": "/gists/public",
    "rate_limit_url": "/rate_limit",
    "repository_url": "/repos/{owner}/{repo}",
    "repository_search_url": "/search/repositories?q={query}" + _SEARCH,
    "current_user_repositories_url": "/user/repos{?type,page,per_page,sort}",
    "starred_url": "/user/starred{/owner}{/repo}",
    "starred_gists_url": "/gists/starred",
    "topic_search_url": "/search/topics?q={query}{&page,per_page}",
    "user_url": "/users/{user}",
    "user_organizations_url": "/user/orgs",
    "user_repositories_url": "/users/{user}/repos{?type,page,per_page,sort}",
    "user_search_url": "/search/users?q={query}" + _SEARCH,
}
