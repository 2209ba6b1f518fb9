"""Webhooks of a repository (admin) or an organisation (owner): create, read, update, delete, ping,
test, the deliveries log and redelivery. Events themselves are written by hubdepot.events."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa

from hubdepot import errors, events
from hubdepot.db.session import inserted_id
from hubdepot.db.tables import hooks, webhook_deliveries, webhook_events
from hubdepot.events import outbox
from hubdepot.git import refs as git_refs
from hubdepot.hub import Hub
from hubdepot.services import Actor, RepoAccess, Row, now
from hubdepot.services.accounts import by_login, org_role
from hubdepot.services.repos import require

# GitHub's webhook event names (what `events` may list, besides "*")
_FLAGS: dict[float, str] = {0: "0", 1: "1"}  # insecure_ssl given as a number
EVENT_NAMES = frozenset(
    [
        "branch_protection_configuration",
        "branch_protection_rule",
        "check_run",
        "check_suite",
        "code_scanning_alert",
        "commit_comment",
        "create",
        "custom_property",
        "custom_property_values",
        "delete",
        "dependabot_alert",
        "deploy_key",
        "deployment",
        "deployment_protection_rule",
        "deployment_review",
        "deployment_status",
        "discussion",
        "discussion_comment",
        "fork",
        "github_app_authorization",
        "gollum",
        "installation",
        "installation_repositories",
        "installation_target",
        "issue_comment",
        "issues",
        "label",
        "marketplace_purchase",
        "member",
        "membership",
        "merge_group",
        "meta",
        "milestone",
        "org_block",
        "organization",
        "package",
        "page_build",
        "personal_access_token_request",
        "ping",
        "project",
        "project_card",
        "project_column",
        "projects_v2",
        "projects_v2_item",
        "public",
        "pull_request",
        "pull_request_review",
        "pull_request_review_comment",
        "pull_request_review_thread",
        "push",
        "registry_package",
        "release",
        "repository",
        "repository_advisory",
        "repository_dispatch",
        "repository_import",
        "repository_ruleset",
        "repository_vulnerability_alert",
        "secret_scanning_alert",
        "secret_scanning_alert_location",
        "security_advisory",
        "security_and_analysis",
        "sponsorship",
        "star",
        "status",
        "team",
        "team_add",
        "watch",
        "workflow_dispatch",
        "workflow_job",
        "workflow_run",
    ]
)


@dataclasses.dataclass(frozen=True)
class Scope:
    """Whose hooks: a repository's (repo set) or an organisation's (repo None)."""

    owner: Any  # the repository's owner, or the organisation (an accounts row)
    repo: RepoAccess | None

    @property
    def where(self) -> sa.ColumnElement[bool]:
        if self.repo is not None:
            return hooks.c.repository_id == self.repo.id
        org_id: int = self.owner.id
        return hooks.c.org_id == org_id


def repo_scope(actor: Actor | None, access: RepoAccess) -> Scope:
    require(access, actor, "admin")
    return Scope(access.owner, access)


def org_scope(hub: Hub, actor: Actor | None, login: str) -> Scope:
    """An organisation whose owner (or a site admin) is calling; GitHub's 404 for everyone else."""
    if actor is None:
        raise errors.Unauthenticated()
    org = by_login(hub, login)
    if org.type != "Organization":
        raise errors.NotFound()
    with hub.db.read() as conn:
        role = org_role(conn, org.id, actor.id)
    if role != "admin" and not actor.account.site_admin:
        raise errors.NotFound() if role is None else errors.Forbidden("Must have admin rights to Organization.")
    return Scope(org, None)


# -- checking what a caller sends ------------------------------------------------------------------
def _invalid(message: str, field: str = "config") -> errors.ValidationFailed:
    return errors.ValidationFailed.one("Hook", field, "custom", message)


def _config_values(config: Mapping[str, Any], current: Row | None = None) -> dict[str, object]:
    """The hooks columns for a `config` object (merged over the current hook's)."""
    values: dict[str, object] = {}
    if "url" in config or current is None:
        url = config.get("url")
        parts = urlsplit(url) if isinstance(url, str) else None
        if (
            not isinstance(url, str)
            or not parts
            or parts.scheme not in ("http", "https")
            or not parts.hostname
            or len(url) > 2000
        ):
            raise _invalid("Config is invalid: url is not supported" if url else "Config must have a url")
        values["url"] = url
    if "content_type" in config:
        kind = config["content_type"]
        kind = (
            {"application/json": "json", "application/x-www-form-urlencoded": "form"}.get(kind, kind)
            if isinstance(kind, str)
            else None
        )
        if kind not in ("json", "form"):
            raise _invalid("Config is invalid: content_type must be json or form")
        values["content_type"] = kind
    if "insecure_ssl" in config:
        flag = config["insecure_ssl"]  # "0" | "1", or a number (the schema allows both)
        flag = _FLAGS.get(flag) if isinstance(flag, (int, float)) and not isinstance(flag, bool) else flag
        if flag not in ("0", "1"):
            raise _invalid("Config is invalid: insecure_ssl must be 0 or 1")
        values["insecure_ssl"] = flag
    if "secret" in config:
        secret = config["secret"]
        if secret is not None and (not isinstance(secret, str) or len(secret) > 255):
            raise _invalid("Config is invalid: secret must be a string")
        values["secret"] = secret or None
    return values


def _events(names: object, field: str = "events") -> list[str]:
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise _invalid("events must be a list of event names", field)
    unknown = [n for n in names if n != "*" and n not in EVENT_NAMES]
    if unknown:
        raise _invalid(f"{', '.join(unknown)} is not a valid event name", field)
    return list(dict.fromkeys(names))


# -- hooks ---------------------------------------------------------------------------------------
def list_hooks(hub: Hub, scope: Scope, offset: int, limit: int) -> tuple[Sequence[Row], int]:
    with hub.db.read() as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(hooks).where(scope.where)).scalar_one()
        rows = conn.execute(sa.select(hooks).where(scope.where).order_by(hooks.c.id).offset(offset).limit(limit)).all()
    return rows, total


def _row(conn: sa.Connection, scope: Scope, hook_id: int) -> Row:
    row = conn.execute(sa.select(hooks).where(scope.where, hooks.c.id == hook_id)).first()
    if row is None:
        raise errors.NotFound()
    return row


def get_hook(hub: Hub, scope: Scope, hook_id: int) -> Row:
    with hub.db.read() as conn:
        return _row(conn, scope, hook_id)


def create_hook(hub: Hub, actor: Actor, scope: Scope, spec: Mapping[str, Any]) -> Row:
    """spec: name, config, events, active (types checked by the API layer). A ping goes out at once."""
    if spec.get("name", "web") != "web":
        raise _invalid("Name must be web", "name")
    values = {"content_type": "form", "insecure_ssl": "0", "secret": None} | _config_values(spec.get("config") or {})
    stamp = now()
    values.update(
        events=json.dumps(_events(spec.get("events", ["push"]))),
        active=spec.get("active", True),
        last_status="unused",
        created_at=stamp,
        updated_at=stamp,
        repository_id=scope.repo.id if scope.repo else None,
        org_id=None if scope.repo else scope.owner.id,
    )
    with hub.db.write() as conn:
        clash = conn.execute(sa.select(hooks.c.id).where(scope.where, hooks.c.url == values["url"])).first()
        if clash is not None:
            raise _invalid(f"Hook already exists on this {'repository' if scope.repo else 'organization'}", "hook")
        hook_id = inserted_id(conn.execute(hooks.insert().values(**values)))
        row = _row(conn, scope, hook_id)
        if row.active:
            events.ping(conn, hub, actor, scope.owner, scope.repo, row)
    return row


def update_hook(hub: Hub, scope: Scope, hook_id: int, changes: Mapping[str, Any]) -> Row:
    """changes: config, events, add_events, remove_events, active."""
    with hub.db.write() as conn:
        row = _row(conn, scope, hook_id)
        values = _config_values(changes["config"], row) if changes.get("config") is not None else {}
        names = _events(changes["events"]) if "events" in changes else json.loads(row.events)
        names = names + [n for n in _events(changes.get("add_events", []), "add_events") if n not in names]
        drop = set(_events(changes.get("remove_events", []), "remove_events"))
        values["events"] = json.dumps([n for n in names if n not in drop])
        if "active" in changes:
            values["active"] = changes["active"]
        values["updated_at"] = now()
        conn.execute(hooks.update().where(hooks.c.id == row.id).values(**values))
        return _row(conn, scope, hook_id)


def update_config(hub: Hub, scope: Scope, hook_id: int, config: Mapping[str, Any]) -> Row:
    with hub.db.write() as conn:
        row = _row(conn, scope, hook_id)
        conn.execute(hooks.update().where(hooks.c.id == row.id).values(**_config_values(config, row), updated_at=now()))
        return _row(conn, scope, hook_id)


def delete_hook(hub: Hub, scope: Scope, hook_id: int) -> None:
    with hub.db.write() as conn:
        row = _row(conn, scope, hook_id)
        conn.execute(hooks.delete().where(hooks.c.id == row.id))


def ping(hub: Hub, actor: Actor, scope: Scope, hook_id: int) -> None:
    with hub.db.write() as conn:
        events.ping(conn, hub, actor, scope.owner, scope.repo, _row(conn, scope, hook_id))


def test_push(hub: Hub, actor: Actor, scope: Scope, hook_id: int) -> None:
    """POST …/tests: the latest push to the default branch, again, to this hook if it takes push events."""
    access = scope.repo
    assert access is not None, "tests is a repository hook's route"
    tip = next((b.sha for b in git_refs.branches(access.git_dir) if b.name == access.repo.default_branch), None)
    with hub.db.write() as conn:
        row = _row(conn, scope, hook_id)
        if tip is None or not outbox.wants(row, "push"):
            return
        update = events.RefUpdate(f"refs/heads/{access.repo.default_branch}", tip, tip)
        outbox.put(conn, [row], "push", None, access.id, lambda: events.push_payload(hub, access, actor, update))


# -- deliveries ----------------------------------------------------------------------------------
_ITEM = (
    webhook_deliveries.c.id,
    webhook_deliveries.c.guid,
    webhook_deliveries.c.delivered_at,
    webhook_deliveries.c.created_at,
    webhook_deliveries.c.redelivery,
    webhook_deliveries.c.duration,
    webhook_deliveries.c.status,
    webhook_deliveries.c.status_code,
    webhook_deliveries.c.event_id,
    webhook_events.c.event,
    webhook_events.c.action,
    webhook_events.c.repository_id,
)


def deliveries(hub: Hub, scope: Scope, hook_id: int, before: int | None, limit: int) -> tuple[Sequence[Row], bool]:
    """A page of the hook's deliveries, newest first, with ids below `before`; and whether more follow."""
    d = webhook_deliveries
    query = sa.select(*_ITEM).join(webhook_events, webhook_events.c.id == d.c.event_id).where(d.c.hook_id == hook_id)
    if before is not None:
        query = query.where(d.c.id < before)
    with hub.db.read() as conn:
        _row(conn, scope, hook_id)
        rows = conn.execute(query.order_by(d.c.id.desc()).limit(limit + 1)).all()
    return rows[:limit], len(rows) > limit


def delivery(hub: Hub, scope: Scope, hook_id: int, delivery_id: int) -> Row:
    d = webhook_deliveries
    query = (
        sa.select(
            *_ITEM, d.c.request_headers, d.c.response_headers, d.c.response_body, webhook_events.c.payload, hooks.c.url
        )
        .join(webhook_events, webhook_events.c.id == d.c.event_id)
        .join(hooks, hooks.c.id == d.c.hook_id)
        .where(d.c.hook_id == hook_id, d.c.id == delivery_id)
    )
    with hub.db.read() as conn:
        _row(conn, scope, hook_id)
        row = conn.execute(query).first()
    if row is None:
        raise errors.NotFound()
    return row


def redeliver(hub: Hub, scope: Scope, hook_id: int, delivery_id: int) -> None:
    with hub.db.write() as conn:
        _row(conn, scope, hook_id)
        row = conn.execute(
            sa.select(webhook_deliveries.c.event_id, webhook_deliveries.c.guid).where(
                webhook_deliveries.c.hook_id == hook_id, webhook_deliveries.c.id == delivery_id
            )
        ).first()
        if row is None:
            raise errors.NotFound()
        outbox.redeliver(conn, row.event_id, hook_id, row.guid)
