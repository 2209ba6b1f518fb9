"""Helpers for the release and asset tests: whole expected bodies, commits in a bare repo, uploads."""

from __future__ import annotations

import base64
import time
from urllib.parse import quote

import pygit2


def node(kind: str, ident) -> str:
    return base64.b64encode(f"0{len(kind)}:{kind}{ident}".encode()).decode()


def expected_user(origin: str, login: str, account_id: int, site_admin: bool = False) -> dict:
    api = f"{origin}/api/v3/users/{login}"
    return {
        "login": login,
        "id": account_id,
        "node_id": node("User", account_id),
        "avatar_url": f"{origin}/avatars/u/{account_id}?v=4",
        "gravatar_id": "",
        "url": api,
        "html_url": f"{origin}/{login}",
        "followers_url": f"{api}/followers",
        "following_url": f"{api}/following{{/other_user}}",
        "gists_url": f"{api}/gists{{/gist_id}}",
        "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{api}/subscriptions",
        "organizations_url": f"{api}/orgs",
        "repos_url": f"{api}/repos",
        "events_url": f"{api}/events{{/privacy}}",
        "received_events_url": f"{api}/received_events",
        "type": "User",
        "user_view_type": "public",
        "site_admin": site_admin,
    }


def expected_release(
    origin: str,
    full_name: str,
    got: dict,
    author: dict,
    *,
    tag: str,
    target: str,
    name=None,
    body=None,
    draft=False,
    prerelease=False,
    immutable=False,
    assets=None,
) -> dict:
    """The whole release body we expect; ids and timestamps are taken from `got`."""
    rid = got["id"]
    url = f"{origin}/api/v3/repos/{full_name}/releases/{rid}"
    url_tag = got["html_url"].rsplit("/releases/tag/", 1)[1] if draft else quote(tag, safe="/")
    if draft:
        assert url_tag.startswith("untagged-") and len(url_tag) == len("untagged-") + 20
    return {
        "url": url,
        "assets_url": f"{url}/assets",
        "upload_url": f"{origin}/api/uploads/repos/{full_name}/releases/{rid}/assets{{?name,label}}",
        "html_url": f"{origin}/{full_name}/releases/tag/{url_tag}",
        "id": rid,
        "author": author,
        "node_id": node("Release", rid),
        "tag_name": tag,
        "target_commitish": target,
        "name": name,
        "draft": draft,
        "immutable": immutable,
        "prerelease": prerelease,
        "created_at": got["created_at"],
        "updated_at": got["updated_at"],
        "published_at": None if draft else got["published_at"],
        "assets": assets or [],
        "tarball_url": None if draft else f"{origin}/api/v3/repos/{full_name}/tarball/{quote(tag, safe='/')}",
        "zipball_url": None if draft else f"{origin}/api/v3/repos/{full_name}/zipball/{quote(tag, safe='/')}",
        "body": body,
    }


def expected_asset(
    origin: str,
    full_name: str,
    got: dict,
    uploader: dict,
    *,
    url_tag: str,
    name: str,
    size: int,
    digest: str,
    content_type: str,
    label=None,
    download_count: int = 0,
) -> dict:
    aid = got["id"]
    return {
        "url": f"{origin}/api/v3/repos/{full_name}/releases/assets/{aid}",
        "id": aid,
        "node_id": node("ReleaseAsset", aid),
        "name": name,
        "label": label,
        "uploader": uploader,
        "content_type": content_type,
        "state": "uploaded",
        "size": size,
        "digest": f"sha256:{digest}",
        "download_count": download_count,
        "created_at": got["created_at"],
        "updated_at": got["updated_at"],
        "browser_download_url": f"{origin}/{full_name}/releases/download/{url_tag}/{quote(name, safe='')}",
    }


def commit_file(hub, repo_id: int, path: str, data: bytes, message: str, branch: str = "main") -> str:
    """A commit on `branch` of the bare repository adding `path` (test setup, like a push)."""
    from hubdepot.git import repos as git_repos

    repo = pygit2.Repository(str(git_repos.git_dir(hub.settings.repos_dir, repo_id)))
    parent = repo.references[f"refs/heads/{branch}"].peel(pygit2.Commit)
    builder = repo.TreeBuilder(parent.tree)
    builder.insert(path, repo.create_blob(data), pygit2.enums.FileMode.BLOB)
    sig = pygit2.Signature("Test Author", "author@example.com", int(time.time()), 0)
    oid = repo.create_commit(f"refs/heads/{branch}", sig, sig, message, builder.write(), [parent.id])
    return str(oid)


def tag_sha(hub, repo_id: int, tag: str) -> str | None:
    from hubdepot.git import repos as git_repos

    repo = pygit2.Repository(str(git_repos.git_dir(hub.settings.repos_dir, repo_id)))
    ref = repo.references.get(f"refs/tags/{tag}")
    return str(ref.peel(pygit2.Commit).id) if ref else None


def upload_url(release: dict, **query) -> str:
    base = release["upload_url"].split("{", 1)[0]
    return base + ("?" + "&".join(f"{k}={quote(str(v), safe='')}" for k, v in query.items()) if query else "")


def upload(client, release: dict, name: str, data: bytes, content_type: str = "application/octet-stream", **extra):
    return client.post(upload_url(release, name=name, **extra), content=data, headers={"content-type": content_type})


def settled_count(client, url: str) -> int:
    """download_count once the post-response counting has landed (it runs after the last byte is sent)."""
    deadline = time.monotonic() + 5
    while True:
        count = client.get(url).json()["download_count"]
        time.sleep(0.2)
        again = client.get(url).json()["download_count"]
        if count == again or time.monotonic() > deadline:
            return again
