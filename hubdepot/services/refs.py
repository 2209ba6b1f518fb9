"""The one place every ref change of a repository is recorded, whichever view made it.

Callers: contents API commits (services/contents.py), release tags (services/release_writes.py),
git pushes (services/pushes.py) and the git data API (services/git_data.py). Each moves refs
under the repository lock with a compare-and-swap (git/refs.py update(), or git receive-pack's own
for pushes), releases the lock, then calls record() with what changed. record():

* moves `pushed_at` (and `updated_at`),
* makes the first pushed branch the default one when the default branch does not exist (GitHub's
  rule for a push to an empty repository),
* turns published releases whose tag was deleted into drafts (what GitHub does),
* and is THE call site for push/create/delete webhook events (_emit: one call per record(), inside
  the transaction that moves pushed_at, so the outbox and the repository row agree).

The refs have already moved when record() runs (a crash in between loses only pushed_at and the
events, never a ref); record() runs after the repository lock is released, so two records of one
repository may come in either order.
"""

from __future__ import annotations

import sqlalchemy as sa

from hubdepot import errors, events
from hubdepot.db.tables import releases, repositories
from hubdepot.git import refs as git_refs
from hubdepot.git import repos as git_repos
from hubdepot.git.refs import ZERO, RefUpdate
from hubdepot.hub import Hub
from hubdepot.services import Actor, RepoAccess, now

__all__ = ["ZERO", "RefUpdate", "check_protected", "protected", "record"]


def record(
    hub: Hub, access: RepoAccess, actor: Actor | None, updates: list[RefUpdate], conn: sa.Connection | None = None
) -> None:
    """Record ref changes that already happened (each one compare-and-swapped under the lock), in a
    transaction of its own or in the caller's (`conn`: a release's tag, recorded before the release's
    own events so that receivers hear of the tag first)."""
    if not updates:
        return
    if conn is None:
        with hub.db.write() as conn:
            _record(conn, hub, access, actor, updates)
    else:
        _record(conn, hub, access, actor, updates)


def _record(conn: sa.Connection, hub: Hub, access: RepoAccess, actor: Actor | None, updates: list[RefUpdate]) -> None:
    stamp = now()
    values: dict[str, object] = {"updated_at": stamp, "pushed_at": stamp}
    branch = _new_default(access, updates)
    if branch is not None:
        git_repos.set_head(access.git_dir, branch)
        values["default_branch"] = branch
    deleted_tags = [u.ref.removeprefix("refs/tags/") for u in updates if u.deleted and u.ref.startswith("refs/tags/")]
    conn.execute(repositories.update().where(repositories.c.id == access.id).values(**values))
    if deleted_tags:
        conn.execute(
            releases.update()
            .where(
                releases.c.repository_id == access.id,
                releases.c.tag_name.in_(deleted_tags),
                releases.c.draft.is_(False),
            )
            .values(draft=True, immutable=False, updated_at=stamp)
        )
    _emit(conn, hub, access, actor, updates)


def _new_default(access: RepoAccess, updates: list[RefUpdate]) -> str | None:
    """GitHub: when the default branch does not exist, the first branch pushed becomes the default."""
    default = access.repo.default_branch
    created = [u.ref.removeprefix("refs/heads/") for u in updates if u.ref.startswith("refs/heads/") and not u.deleted]
    if not created or default in created:
        return None
    names = {ref.name for ref in git_refs.branches(access.git_dir)}
    if default in names:
        return None
    return next((name for name in created if name in names), None)


def _emit(conn: sa.Connection, hub: Hub, access: RepoAccess, actor: Actor | None, updates: list[RefUpdate]) -> None:
    """Webhooks: the push (one per ref, with before/after; forced worked out from history), create and
    delete events are written here, into the outbox, in the same transaction as pushed_at (conn).
    `actor` is the pusher (every ref change needs push access, so never anonymous)."""
    if actor is not None:
        events.ref_changes(conn, hub, access, actor, updates)


def protected(hub: Hub, access: RepoAccess) -> list[str]:
    """Refs no write may move or delete: the tags of published immutable releases."""
    with hub.db.read() as conn:
        tags = (
            conn.execute(
                sa.select(releases.c.tag_name).where(
                    releases.c.repository_id == access.id, releases.c.draft.is_(False), releases.c.immutable.is_(True)
                )
            )
            .scalars()
            .all()
        )
    return sorted({f"refs/tags/{tag}" for tag in tags})


def check_protected(hub: Hub, access: RepoAccess, ref: str) -> None:
    if ref in protected(hub, access):
        raise errors.ValidationFailed.one(
            "Reference", "ref", "custom", f"{ref} belongs to an immutable release: it cannot be moved or deleted"
        )
