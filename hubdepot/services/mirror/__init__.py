"""`hubdepot mirror`, write side for repositories: the local copy of a source repository (owner and
repository made when missing, marked as a mirror), its metadata, its refs, and the sync state
(ETags of the source's pages, links from source ids to local rows).

The mirror writes as the system (no permission check: the administrator runs it); everyone else
meets a mirrored repository read-only (services.repos.check_writable). Release and asset rows are
in releases.py beside this module.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from hubdepot import errors
from hubdepot.db.tables import accounts, mirror_links, mirrors, repositories
from hubdepot.git import fetch as git_fetch
from hubdepot.git import refs as git_refs
from hubdepot.hub import Hub
from hubdepot.services import SYSTEM, RepoAccess, Row, now
from hubdepot.services import accounts as account_service
from hubdepot.services import refs as ref_service
from hubdepot.services import repos as repo_service


@dataclasses.dataclass
class MirrorState:
    """What the previous runs left: ETags per source URL and links per (kind, source id)."""

    etags: dict[str, Any]  # [etag, data] per URL; the run's options under "options"
    links: dict[tuple[str, int], tuple[int, str]]  # (kind, source id) -> (local id, fingerprint)


@dataclasses.dataclass(frozen=True)
class Mirrored:
    full_name: str
    source_url: str
    options: dict[str, Any]


def ensure_account(hub: Hub, login: str, type_: str = "User") -> Row:
    """The local account `login`, created when missing as an Organization, a Bot (GitHub Apps'
    `name[bot]` accounts) or a User, by the API's login rules (ValidationFailed when it breaks them)."""
    try:
        return account_service.by_login(hub, login)
    except errors.NotFound:
        pass
    kind = "Bot" if login.endswith("[bot]") else type_ if type_ in ("Organization", "Bot") else "User"
    try:
        return account_service.create_account(hub, login, kind)
    except errors.ValidationFailed as exc:
        try:
            return account_service.by_login(hub, login)  # made meanwhile by another run
        except errors.NotFound:
            raise exc from None


def valid_homepage(value: object) -> bool:
    """What the API would take as a repository's homepage."""
    try:
        repo_service.check_homepage(value if isinstance(value, str) else "-")
    except errors.ValidationFailed:
        return False
    return True


def valid_branch(value: object) -> bool:
    try:
        repo_service.check_branch_name(value, "default_branch")
    except errors.ValidationFailed:
        return False
    return True


def ensure_repository(
    hub: Hub,
    owner_login: str,
    owner_type: str,
    name: str,
    meta: Mapping[str, Any],
    source_url: str,
    api_url: str,
    options: Mapping[str, object],
) -> RepoAccess:
    """The local copy `owner/name`, made when missing; an existing repository that is not a mirror
    of the same source is refused."""
    try:
        access = repo_service.find(hub, SYSTEM, owner_login, name)
    except errors.NotFound:
        access = _create(hub, ensure_account(hub, owner_login, owner_type), name, meta)
    current = access.repo.mirror_url
    if current is None and not _is_blank(access):
        raise errors.Conflict(f"{access.full_name} already exists and is not a mirror: choose another name with --as")
    if current is not None and current.rstrip("/") != source_url.rstrip("/"):
        raise errors.Conflict(f"{access.full_name} is a mirror of {current}, not of {source_url}")
    with hub.db.write() as conn:
        conn.execute(repositories.update().where(repositories.c.id == access.id).values(mirror_url=source_url))
        found = conn.execute(sa.select(mirrors.c.repository_id).where(mirrors.c.repository_id == access.id)).first()
        values = dict(source_url=source_url, api_url=api_url, options=json.dumps(options, sort_keys=True))
        if found is None:
            conn.execute(mirrors.insert().values(repository_id=access.id, etags="{}", **values))
        else:
            conn.execute(mirrors.update().where(mirrors.c.repository_id == access.id).values(**values))
    return repo_service.find_by_id(hub, SYSTEM, access.id)


def _is_blank(access: RepoAccess) -> bool:
    """No ref at all: a repository made for the copy (or never written), which the mirror may take."""
    return not git_refs.snapshot(access.git_dir)


def _create(hub: Hub, owner: Row, name: str, meta: Mapping[str, Any]) -> RepoAccess:
    """Through the API's funnel (services.repos.insert), private until the first run completes
    (update_metadata then applies the source's visibility): a run that fails leaves nothing public."""
    fields = {key: meta.get(key) for key in ("description", "homepage")}
    fields.update(private=True, default_branch=meta.get("default_branch") or "main")
    try:
        repo_id, _ = repo_service.insert(hub, SYSTEM, owner, name, fields)
    except errors.ValidationFailed as exc:
        try:  # made meanwhile by another run
            return repo_service.find(hub, SYSTEM, owner.login, name)
        except errors.NotFound:
            raise exc from None  # a name the API refuses: its own message, not "Not Found"
    return repo_service.find_by_id(hub, SYSTEM, repo_id)


def update_metadata(hub: Hub, access: RepoAccess, meta: Mapping[str, Any]) -> RepoAccess:
    """description, homepage, visibility and (once the branch exists here) the default branch,
    through the API's own update (its checks and its repository events)."""
    values = {
        "description": meta.get("description"),
        "homepage": meta.get("homepage") or None,
        "private": bool(meta.get("private")),
    }
    branch = meta.get("default_branch")
    if branch and branch != access.repo.default_branch:
        names = {ref.name for ref in git_refs.branches(access.git_dir)}
        if branch in names or not names:
            values["default_branch"] = branch
    changes = {k: v for k, v in values.items() if getattr(access.repo, k) != v}
    if not changes:
        return access
    return repo_service.update(hub, SYSTEM, access, changes)


def fetch_refs(hub: Hub, access: RepoAccess, clone_url: str, token: str | None) -> int:
    """Every branch and tag of the source, pruned; the changes recorded like a push. Returns how
    many refs moved."""
    updates = git_fetch.fetch(access.git_dir, clone_url, token)
    ref_service.record(hub, access, SYSTEM, updates)
    return len(updates)


def state(hub: Hub, access: RepoAccess) -> MirrorState:
    with hub.db.read() as conn:
        etags = conn.execute(sa.select(mirrors.c.etags).where(mirrors.c.repository_id == access.id)).scalar()
        rows = conn.execute(sa.select(mirror_links).where(mirror_links.c.repository_id == access.id)).all()
    links = {(row.kind, int(row.source_id)): (int(row.local_id), row.fingerprint) for row in rows}
    return MirrorState(json.loads(etags or "{}"), links)


def stored_etag(hub: Hub, source_url: str, url: str) -> list[Any] | None:
    """[etag, data] kept for `url` by the last complete run of the mirror of `source_url`, if any."""
    with hub.db.read() as conn:
        etags = conn.execute(sa.select(mirrors.c.etags).where(mirrors.c.source_url == source_url)).scalar()
    kept: list[Any] | None = json.loads(etags).get(url) if etags else None
    return kept


def save_etags(hub: Hub, access: RepoAccess, etags: Mapping[str, object]) -> None:
    """Remember the source's ETags once everything they vouch for is copied (a run cut short saves none)."""
    with hub.db.write() as conn:
        conn.execute(
            mirrors.update()
            .where(mirrors.c.repository_id == access.id)
            .values(etags=json.dumps(etags, sort_keys=True), synced_at=now())
        )


def mirrored(hub: Hub) -> list[Mirrored]:
    """Every mirrored repository, for `hubdepot mirror --all`."""
    with hub.db.read() as conn:
        rows = conn.execute(
            sa.select(accounts.c.login, repositories.c.name, mirrors.c.source_url, mirrors.c.options)
            .join(repositories, repositories.c.id == mirrors.c.repository_id)
            .join(accounts, accounts.c.id == repositories.c.owner_id)
            .order_by(repositories.c.id)
        ).all()
    return [Mirrored(f"{row.login}/{row.name}", row.source_url, json.loads(row.options)) for row in rows]
