"""Releases, write side: create, update (publish, rename the tag), delete, the latest pointer,
generated notes and the repository's immutable-releases setting.

Creates and updates hold the repository's lock (git.lock, it may make a tag) around their
transaction, and every write takes the repository row's lock first (FOR UPDATE on PostgreSQL;
SQLite's write transactions are serial already), so "one published release per tag" holds under
races. Events (hubdepot.events) are written in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from hubdepot import errors, events
from hubdepot.db.session import inserted_id
from hubdepot.db.tables import releases, repositories
from hubdepot.git import log as git_log
from hubdepot.git import tags as git_tags
from hubdepot.hub import Hub
from hubdepot.services import Actor, RepoAccess, Row, now
from hubdepot.services import refs as ref_service
from hubdepot.services import releases as reads
from hubdepot.services.refs import RefUpdate
from hubdepot.services.repos import require

LATEST_MODES = ("true", "false", "legacy")
NAME_MAX = 255  # characters of tag_name and target_commitish (their columns)
BODY_MAX = 125000  # GitHub's limit on a release's notes
_LOCKED = ("tag_name", "target_commitish", "draft", "prerelease", "make_latest")


def _invalid_tag() -> errors.ValidationFailed:
    return errors.ValidationFailed(
        [
            {"resource": "Release", "code": "custom", "field": "tag_name", "message": "tag_name is not a valid tag"},
            {"resource": "Release", "code": "custom", "message": "Published releases must have a valid tag"},
            {"resource": "Release", "code": "invalid", "field": "target_commitish"},
        ]
    )


def _lock_repo(conn: sa.Connection, repo_id: int) -> bool:
    """Serialise release writes of one repository; returns its immutable_releases setting."""
    query = sa.select(repositories.c.immutable_releases).where(repositories.c.id == repo_id).with_for_update()
    value = conn.execute(query).scalar()
    if value is None:
        raise errors.NotFound()
    return bool(value)


def check_fields(values: Mapping[str, Any]) -> None:
    """The rules every release row keeps, whoever writes it (the API, the mirror)."""
    tag = values.get("tag_name")
    if "tag_name" in values and (not isinstance(tag, str) or not git_tags.valid_tag_name(tag) or len(tag) > NAME_MAX):
        raise _invalid_tag()
    target = values.get("target_commitish", "")
    if not isinstance(target, str) or len(target) > NAME_MAX:
        raise errors.ValidationFailed.one("Release", "target_commitish", "invalid")
    if len(values.get("name") or "") > NAME_MAX * 4:
        raise errors.ValidationFailed.one("Release", "name", "invalid", "name is too long (maximum is 1020 characters)")
    if len(values.get("body") or "") > BODY_MAX:
        raise errors.ValidationFailed.one(
            "Release", "body", "custom", f"body is too long (maximum is {BODY_MAX} characters)"
        )


def insert(conn: sa.Connection, access: RepoAccess, values: Mapping[str, Any]) -> int:
    """The one way a releases row is made (the API's create and the mirror): its fields checked,
    the row inserted (not yet latest-pinned). The caller calls announce() once the row is complete."""
    check_fields(values)
    row = {"latest_pinned": False, "latest_excluded": False, **values, "repository_id": access.id}
    release_id: int = inserted_id(conn.execute(releases.insert().values(**row)))
    return release_id


def write(conn: sa.Connection, access: RepoAccess, release_id: int, values: Mapping[str, Any]) -> None:
    """The one way a releases row changes (the API's update and the mirror)."""
    check_fields(values)
    conn.execute(
        releases.update().where(releases.c.id == release_id, releases.c.repository_id == access.id).values(**values)
    )


def announce(
    conn: sa.Connection, hub: Hub, access: RepoAccess, actor: Actor | None, release_id: int, old: Row | None = None
) -> reads.ReleaseView:
    """The release's view now, and its webhook events: created (+ published) for a new row, or
    what changed since `old` (GitHub's edited/published/unpublished/released actions)."""
    view = reads.views(conn, access, [reads.row_by_id(conn, access, release_id)])[0]
    edits: dict[str, Any]
    if old is None:
        kind = "prereleased" if view.row.prerelease else "released"
        actions, edits = ["created", *([] if view.row.draft else ["published", kind])], {}
    else:
        actions, edits = _update_actions(old, view.row)
    events.release_changed(conn, hub, access, actor, actions, view, edits)
    return view


def remove(conn: sa.Connection, hub: Hub, access: RepoAccess, actor: Actor | None, row: Row) -> None:
    """The one way a release goes (its assets' rows with it): release.deleted written."""
    view = reads.views(conn, access, [row])[0]
    conn.execute(releases.delete().where(releases.c.id == row.id))
    events.release_changed(conn, hub, access, actor, ["deleted"], view)


def _check_tag_free(conn: sa.Connection, repo_id: int, tag: str, release_id: int | None) -> None:
    other = reads.published_by_tag(conn, repo_id, tag)
    if other is not None and other.id != release_id:
        raise errors.ValidationFailed.one("Release", "tag_name", "already_exists")


def _check_target(access: RepoAccess, tag: str, target: str) -> None:
    """A release's target must resolve (unless its tag exists already), before anything is written;
    drafts too, though no tag is made for them yet."""
    if len(target) > NAME_MAX:
        raise errors.ValidationFailed.one("Release", "target_commitish", "invalid")
    if not git_tags.tag_commit(access.git_dir, tag) and git_tags.resolve_target(access.git_dir, target) is None:
        raise errors.ValidationFailed.one("Release", "target_commitish", "invalid")


def _publish_tag(access: RepoAccess, tag: str, target: str) -> list[RefUpdate]:
    """Make sure the git tag exists: use it when it does, else create it at `target`. The tag made
    (if any) is returned, for services.refs.record() once the transaction is over."""
    if not git_tags.valid_tag_name(tag):
        raise _invalid_tag()
    if git_tags.tag_commit(access.git_dir, tag):
        return []
    sha = git_tags.resolve_target(access.git_dir, target)
    if sha is None:
        raise errors.ValidationFailed.one("Release", "target_commitish", "invalid")
    made = git_tags.ensure_tag(access.git_dir, tag, sha)
    return [made] if made else []


def _apply_latest(conn: sa.Connection, repo_id: int, release_id: int, mode: str, eligible: bool) -> None:
    """make_latest: "true" pins this release (unpinning the others once it is published and not a
    prerelease), "false" excludes it, "legacy" leaves the choice to creation date."""
    if eligible and mode in ("true", "legacy"):
        conn.execute(
            releases.update()
            .where(releases.c.repository_id == repo_id, releases.c.id != release_id, releases.c.draft.is_(False))
            .values(latest_pinned=False)
        )
    conn.execute(
        releases.update()
        .where(releases.c.id == release_id)
        .values(latest_pinned=mode == "true", latest_excluded=mode == "false")
    )


def _notes_into(hub: Hub, access: RepoAccess, spec: dict[str, Any]) -> dict[str, Any]:
    """generate_release_notes: the generated name unless one is given; a given body comes first."""
    notes = _notes(hub, access, spec["tag_name"], spec.get("target_commitish"), None)
    out = dict(spec)
    if not spec.get("name"):
        out["name"] = notes["name"]
    out["body"] = f"{spec['body']}\n\n{notes['body']}" if spec.get("body") else notes["body"]
    return out


def create(hub: Hub, actor: Actor | None, access: RepoAccess, spec: dict[str, Any]) -> reads.ReleaseView:
    """spec: tag_name (required), target_commitish, name, body, draft, prerelease, make_latest,
    generate_release_notes — already type-checked by the API layer."""
    require(access, actor, "push")
    assert actor is not None, "require() lets no anonymous caller push"
    tag = spec["tag_name"]
    check_fields({"tag_name": tag})
    if spec.get("generate_release_notes"):
        spec = _notes_into(hub, access, spec)
    draft, stamp = bool(spec.get("draft")), now()
    target = spec.get("target_commitish") or access.repo.default_branch
    _check_target(access, tag, target)
    with hub.db.write() as conn:
        immutable = _lock_repo(conn, access.id)
        if not draft:
            _check_tag_free(conn, access.id, tag, None)
        values = dict(
            tag_name=tag,
            target_commitish=target,
            name=spec.get("name"),
            body=spec.get("body"),
            draft=draft,
            prerelease=bool(spec.get("prerelease")),
            immutable=immutable and not draft,
            author_id=actor.id,
            created_at=stamp,
            updated_at=stamp,
            published_at=None if draft else stamp,
        )
        release_id = insert(conn, access, values)
        made = _publish_tag(access, tag, target) if not draft else []
        ref_service.record(hub, access, actor, made, conn)
        eligible = not draft and not values["prerelease"]
        _apply_latest(conn, access.id, release_id, spec.get("make_latest") or "true", eligible)
        return announce(conn, hub, access, actor, release_id)


def _check_immutable(row: Row, changes: Mapping[str, Any]) -> None:
    current = {
        "tag_name": row.tag_name,
        "target_commitish": row.target_commitish,
        "draft": False,
        "prerelease": bool(row.prerelease),
    }
    for key in _LOCKED:
        if key in changes and changes[key] != current.get(key, object()):
            raise errors.ValidationFailed.one(
                "Release", key, "custom", "Cannot modify an immutable release. Only the title and notes can be changed."
            )


def _update_values(
    access: RepoAccess,
    row: Row,
    changes: Mapping[str, Any],
    immutable_repo: bool,
    conn: sa.Connection,
    made: list[RefUpdate],
) -> dict[str, Any]:
    values = {k: changes[k] for k in ("name", "body", "prerelease", "target_commitish", "tag_name") if k in changes}
    tag = changes.get("tag_name", row.tag_name)
    check_fields(values)
    draft = changes.get("draft", bool(row.draft))
    publishing = bool(row.draft) and not draft
    if not draft and (publishing or tag != row.tag_name):
        _check_tag_free(conn, access.id, tag, row.id)
        made += _publish_tag(access, tag, changes.get("target_commitish", row.target_commitish))
    elif draft and "target_commitish" in changes:
        _check_target(access, tag, changes["target_commitish"])
    values["draft"] = draft
    if publishing:
        values.update(published_at=now(), immutable=immutable_repo)
    elif draft and not row.draft:
        values.update(published_at=None, immutable=False)
    values["updated_at"] = now()
    return values


def update(
    hub: Hub, actor: Actor | None, access: RepoAccess, release_id: int, changes: Mapping[str, Any]
) -> reads.ReleaseView:
    """changes: any of tag_name, target_commitish, name, body, draft, prerelease, make_latest."""
    require(access, actor, "push")
    if changes.get("target_commitish") == "":
        raise errors.ValidationFailed.one("Release", "target_commitish", "custom", "Invalid target_commitish parameter")
    with hub.db.write() as conn:
        immutable_repo = _lock_repo(conn, access.id)
        row = reads.row_by_id(conn, access, release_id)
        if row.immutable and not row.draft:
            _check_immutable(row, changes)
        made: list[RefUpdate] = []
        values = _update_values(access, row, changes, immutable_repo, conn, made)
        ref_service.record(hub, access, actor, made, conn)
        write(conn, access, row.id, values)
        eligible = not values["draft"] and not values.get("prerelease", row.prerelease)
        if "make_latest" in changes:
            _apply_latest(conn, access.id, row.id, changes["make_latest"], eligible)
        elif row.draft and not values["draft"]:
            mode = "true" if row.latest_pinned else "false" if row.latest_excluded else "legacy"
            _apply_latest(conn, access.id, row.id, mode, eligible)
        return announce(conn, hub, access, actor, row.id, old=row)


def _update_actions(old: Row, new: Row) -> tuple[list[str], dict[str, dict[str, Any]]]:
    """The release events of an update (GitHub's): edited (with the name/body it had), then
    published + released/prereleased, unpublished, or released/prereleased for a flag flip."""
    edits = {
        key: {"from": getattr(old, key) or ""} for key in ("name", "body") if getattr(old, key) != getattr(new, key)
    }
    fields = ("name", "body", "tag_name", "target_commitish")
    actions = ["edited"] if any(getattr(old, k) != getattr(new, k) for k in fields) else []
    kind = "prereleased" if new.prerelease else "released"
    if old.draft and not new.draft:
        actions += ["published", kind]
    elif new.draft and not old.draft:
        actions.append("unpublished")
    elif not new.draft and bool(old.prerelease) != bool(new.prerelease):
        actions.append(kind)
    return actions, edits


def delete(hub: Hub, actor: Actor | None, access: RepoAccess, release_id: int) -> None:
    """Delete the release and its assets' rows; the git tag stays (as on GitHub), blobs go to gc."""
    require(access, actor, "push")
    with hub.db.write() as conn:
        _lock_repo(conn, access.id)
        remove(conn, hub, access, actor, reads.row_by_id(conn, access, release_id))


def _previous_tag(conn: sa.Connection, access: RepoAccess, tag: str) -> str | None:
    rows = conn.execute(
        sa.select(releases.c.tag_name)
        .where(
            releases.c.repository_id == access.id,
            releases.c.draft.is_(False),
            releases.c.tag_name != tag,
        )
        .order_by(releases.c.created_at.desc(), releases.c.id.desc())
        .limit(20)
    ).scalars()
    return next((t for t in rows if git_tags.tag_commit(access.git_dir, t)), None)


def generate_notes(
    hub: Hub, actor: Actor | None, access: RepoAccess, tag: str, target: str | None, previous: str | None
) -> dict[str, str]:
    """GitHub's generated notes: the commits since the previous release's tag (or `previous`)."""
    require(access, actor, "push")
    return _notes(hub, access, tag, target, previous)


def _notes(hub: Hub, access: RepoAccess, tag: str, target: str | None, previous: str | None) -> dict[str, str]:
    head = git_tags.tag_commit(access.git_dir, tag) or git_tags.resolve_target(
        access.git_dir, target or access.repo.default_branch
    )
    if head is None:
        raise errors.ValidationFailed.one("Release", "target_commitish", "invalid")
    if previous is None:
        with hub.db.read() as conn:
            previous = _previous_tag(conn, access, tag)
    base = git_tags.tag_commit(access.git_dir, previous) if previous else None
    if previous and base is None:
        raise errors.ValidationFailed.one("Release", "previous_tag_name", "invalid")
    commits = git_log.commits_between(access.git_dir, head, base)
    lines = [f"* {c.subject} by {c.author_name} in {hub.urls.commit_html(access.full_name, c.sha)}" for c in commits]
    urls, full_name = hub.urls, access.full_name
    changelog = urls.compare_html(full_name, previous, tag) if previous else urls.commits_html(full_name, tag)
    body = "## What's Changed\n" + "\n".join(lines) + ("\n" if lines else "") + f"\n\n**Full Changelog**: {changelog}"
    return {"name": tag, "body": body}


def immutable_setting(hub: Hub, actor: Actor | None, access: RepoAccess) -> bool:
    require(access, actor, "admin")
    return bool(access.repo.immutable_releases)


def set_immutable(hub: Hub, actor: Actor | None, access: RepoAccess, enabled: bool) -> None:
    require(access, actor, "admin")
    with hub.db.write() as conn:
        conn.execute(
            repositories.update()
            .where(repositories.c.id == access.id)
            .values(immutable_releases=enabled, updated_at=now())
        )
