"""Webhooks: events written into an outbox in the transaction of the change, delivered by a task in
every serve process (worker.py), signed and retried (sender.py), payloads in GitHub's shapes
(payloads.py, which reuses hubdepot/representations).

The entry points services call, each inside their open write transaction (`conn` from
hub.db.write()), so that the event commits with the change or not at all:

* ref_changes(conn, hub, access, actor, updates) -- THE one entry point for ref moves, whatever
  moved them (contents API commits, release tags, git push): push, and create/delete, events.
* release_changed(conn, hub, access, actor, actions, view, changes=None) -- release events.
* repository_changed(conn, hub, repo, owner, actor, action, changes=None) -- repository events.

ref_changes is called by one function only, services/refs.py record(), which every ref change goes
through (contents API commits, release tags, git pushes, the git data API): after the refs moved
(compare-and-swapped under the repository lock), record() moves pushed_at and writes these events in
one transaction, with git/refs.RefUpdate (whether a push was forced is worked out from history).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from hubdepot.events import outbox, payloads
from hubdepot.git import log as git_log
from hubdepot.git.refs import ZERO, RefUpdate
from hubdepot.representations import hooks as hook_rep

if TYPE_CHECKING:  # (services hand these in; events sit below services)
    from hubdepot.hub import Hub
    from hubdepot.services import Actor, RepoAccess, Row
    from hubdepot.services.releases import ReleaseView

__all__ = ["ZERO", "RefUpdate", "ping", "push_payload", "ref_changes", "release_changed", "repository_changed"]


def _org_id(owner: Row) -> int | None:
    org_id: int = owner.id
    return org_id if owner.type == "Organization" else None


def _sender(actor: Actor | None) -> Row:
    """Who made the change: an event's sender (services let no anonymous caller change anything)."""
    assert actor is not None, "an event needs the actor who caused it"
    account: Row = actor.account
    return account


def ref_changes(conn: sa.Connection, hub: Hub, access: RepoAccess, actor: Actor, updates: Iterable[RefUpdate]) -> int:
    """push events for every update, plus create (new ref) or delete (removed ref). `access` is the
    services.repos.RepoAccess of the repository; `actor` the pusher. Returns deliveries written."""
    hooks = outbox.targets(conn, access.id, _org_id(access.owner))
    if not hooks:
        return 0
    repo, owner, sender, urls = access.repo, access.owner, actor.account, hub.urls
    written = 0
    for update in updates:
        if update.before == ZERO:
            written += outbox.put(
                conn,
                hooks,
                "create",
                None,
                access.id,
                functools.partial(payloads.create_event, urls, update.ref, repo, owner, sender),
            )
        elif update.after == ZERO:
            written += outbox.put(
                conn,
                hooks,
                "delete",
                None,
                access.id,
                functools.partial(payloads.delete_event, urls, update.ref, repo, owner, sender),
            )
        written += outbox.put(
            conn, hooks, "push", None, access.id, functools.partial(push_payload, hub, access, actor, update)
        )
    return written


def push_payload(hub: Hub, access: RepoAccess, actor: Actor, update: RefUpdate) -> dict[str, Any]:
    pushed = git_log.pushed(access.git_dir, update.ref, update.before, update.after)  # forced: from history
    sender = actor.account
    logins = {f"{sender.id}+{sender.login}@users.noreply.{hub.urls.host().rsplit(':', 1)[0].strip('[]')}": sender.login}
    if sender.email:
        logins[sender.email] = sender.login
    return payloads.push_event(
        hub.urls, update.ref, update.before, update.after, pushed, access.repo, access.owner, sender, logins
    )


def release_changed(
    conn: sa.Connection,
    hub: Hub,
    access: RepoAccess,
    actor: Actor | None,
    actions: Iterable[str],
    view: ReleaseView,
    changes: dict[str, Any] | None = None,
) -> int:
    """release events, one per action (created, published, released, prereleased, edited, unpublished,
    deleted); `view` is the services.releases.ReleaseView as it now is (as it was, for deleted)."""
    hooks = outbox.targets(conn, access.id, _org_id(access.owner))
    if not hooks:
        return 0
    shared: dict[str, Any] = {}  # the release and repository objects, built once for every action

    def build(action: str) -> dict[str, Any]:
        if not shared:
            shared.update(payloads.release_event(hub.urls, "", view, access.repo, access.owner, _sender(actor)))
        body = {**shared, "action": action}
        if action == "edited":
            body["changes"] = changes or {}
        return body

    return sum(
        outbox.put(conn, hooks, "release", action, access.id, functools.partial(build, action)) for action in actions
    )


def repository_changed(
    conn: sa.Connection,
    hub: Hub,
    repo: Row | None,  # (None never comes: services/repos.create passes .first() of the row it inserted)
    owner: Row,
    actor: Actor | None,
    action: str,
    changes: dict[str, Any] | None = None,
) -> int:
    """repository events (created, deleted, edited, renamed, publicized, privatized); `repo` is the
    repositories row as it now is (as it was, for deleted)."""
    assert repo is not None, "the repositories row the change wrote"
    hooks = outbox.targets(conn, repo.id, _org_id(owner))
    return outbox.put(
        conn,
        hooks,
        "repository",
        action,
        repo.id,
        lambda: payloads.repository_event(hub.urls, action, repo, owner, _sender(actor), changes),
    )


def ping(conn: sa.Connection, hub: Hub, actor: Actor, owner: Row, access: RepoAccess | None, hook_row: Row) -> int:
    """A ping to this one hook (on creation, and POST …/pings); `access` None for an organisation's hook."""
    if access is not None:
        body = hook_rep.hook(hub.urls, access.full_name, hook_row)
    else:
        body = hook_rep.org_hook(hub.urls, owner.login, hook_row)
    repo = access.repo if access is not None else None
    return outbox.put(
        conn,
        [hook_row],
        "ping",
        None,
        access.id if access is not None else None,
        lambda: payloads.ping_event(hub.urls, body, hook_row.id, repo, owner, actor.account),
        always=True,
    )
