"""Webhook payloads in GitHub's shapes: the tests check every event and action against GitHub's
own description of its webhooks (@octokit/openapi-webhooks, generated/ghes-3.19.json).

Pure functions. They reuse the REST API's representations (hubdepot/representations), so a
user, release or asset in a payload is the one the API answers (user_view_type, a release's
immutable/updated_at, an asset's digest included, as GitHub sends them).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from hubdepot.git import Identity
from hubdepot.git.log import Pushed, PushedCommit
from hubdepot.git.refs import ZERO
from hubdepot.representations import releases as release_rep
from hubdepot.representations import repos as repo_rep
from hubdepot.representations.users import simple_user
from hubdepot.urls import Urls, node_id, q

if TYPE_CHECKING:  # (rows and views come from services; events sit below services)
    from hubdepot.services import Row
    from hubdepot.services.releases import ReleaseView

ZEN = "Design for failure."


def organization(urls: Urls, org: Row) -> dict[str, Any]:
    return {
        "login": org.login,
        "id": org.id,
        "node_id": node_id("Organization", org.id),
        **urls.org_links(org.login),
        "avatar_url": urls.avatar(org.id),
        "description": None,
    }


def repository(urls: Urls, repo: Row, owner: Row, push: bool = False) -> dict[str, Any]:
    """The repository object; a push event's has epoch-second created_at/pushed_at, stargazers and master_branch."""
    body = repo_rep.repository(urls, repo, owner)
    body["custom_properties"] = {}
    if push:
        body["created_at"] = _epoch(repo.created_at)
        body["pushed_at"] = _epoch(repo.pushed_at or repo.created_at)
        body["stargazers"] = 0
        body["master_branch"] = repo.default_branch
        if owner.type == "Organization":
            body["organization"] = owner.login
    return body


def _epoch(value: dt.datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return int(value.timestamp())


def envelope(urls: Urls, repo: Row, owner: Row, sender: Row, push: bool = False) -> dict[str, Any]:
    """repository, sender and (for an organisation's repository) organization."""
    body = {"repository": repository(urls, repo, owner, push), "sender": simple_user(urls, sender)}
    if owner.type == "Organization":
        body["organization"] = organization(urls, owner)
    return body


def release_event(
    urls: Urls,
    action: str,
    view: ReleaseView,
    repo: Row,
    owner: Row,
    sender: Row,
    changes: dict[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"action": action, "release": release_rep.release(urls, view)}
    if changes is not None:
        body["changes"] = changes
    return body | envelope(urls, repo, owner, sender)


def repository_event(
    urls: Urls, action: str, repo: Row, owner: Row, sender: Row, changes: dict[str, Any] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"action": action}
    if changes is not None:
        body["changes"] = changes
    return body | envelope(urls, repo, owner, sender)


def _short(ref: str) -> tuple[str, str]:
    """refs/heads/x -> (x, branch); refs/tags/x -> (x, tag)."""
    if ref.startswith("refs/tags/"):
        return ref.removeprefix("refs/tags/"), "tag"
    return ref.removeprefix("refs/heads/"), "branch"


def create_event(urls: Urls, ref: str, repo: Row, owner: Row, sender: Row) -> dict[str, Any]:
    name, kind = _short(ref)
    return {
        "ref": name,
        "ref_type": kind,
        "master_branch": repo.default_branch,
        "description": repo.description,
        "pusher_type": "user",
    } | envelope(urls, repo, owner, sender)


def delete_event(urls: Urls, ref: str, repo: Row, owner: Row, sender: Row) -> dict[str, Any]:
    name, kind = _short(ref)
    return {"ref": name, "ref_type": kind, "pusher_type": "user"} | envelope(urls, repo, owner, sender)


def _person(who: Identity, login: str | None = None) -> dict[str, str]:
    when = dt.datetime.fromtimestamp(who.time, dt.timezone(dt.timedelta(minutes=who.offset)))
    body = {"name": who.name, "email": who.email, "date": when.isoformat()}
    if login:
        body["username"] = login
    return body


def commit(urls: Urls, full_name: str, c: PushedCommit, logins: dict[str, str]) -> dict[str, Any]:
    author, committer = (
        _person(c.author, logins.get(c.author.email)),
        _person(c.committer, logins.get(c.committer.email)),
    )
    return {
        "id": c.sha,
        "tree_id": c.tree,
        "distinct": True,
        "message": c.message,
        "timestamp": author["date"],
        "url": urls.commit_html(full_name, c.sha),
        "author": author,
        "committer": committer,
        "added": list(c.added),
        "removed": list(c.removed),
        "modified": list(c.modified),
    }


def push_event(
    urls: Urls,
    ref: str,
    before: str,
    after: str,
    pushed: Pushed,
    repo: Row,
    owner: Row,
    sender: Row,
    logins: dict[str, str],
) -> dict[str, Any]:
    """`logins`: email -> login of the accounts we know, for commits' author.username."""
    full_name = f"{owner.login}/{repo.name}"
    created, deleted = before == ZERO, after == ZERO
    if created:
        compare = urls.compare_html(full_name, q(_short(ref)[0]))
    else:
        compare = urls.compare_html(full_name, before[:12], after[:12])
    return {
        "ref": ref,
        "before": before,
        "after": after,
        "created": created,
        "deleted": deleted,
        "forced": pushed.forced,
        "base_ref": None,
        "compare": compare,
        "commits": [commit(urls, full_name, c, logins) for c in pushed.commits],
        "head_commit": commit(urls, full_name, pushed.head, logins) if pushed.head else None,
        "pusher": {"name": sender.login, "email": sender.email},
    } | envelope(urls, repo, owner, sender, push=True)


def ping_event(
    urls: Urls, hook_body: dict[str, Any], hook_id: int, repo: Row | None, owner: Row, sender: Row
) -> dict[str, Any]:
    body: dict[str, Any] = {"zen": ZEN, "hook_id": hook_id, "hook": hook_body}
    if repo is not None:
        return body | envelope(urls, repo, owner, sender)
    body["sender"] = simple_user(urls, sender)
    body["organization"] = organization(urls, owner)
    return body
