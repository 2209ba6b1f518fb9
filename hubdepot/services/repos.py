"""Repositories: lookup with the caller's permission, create, update, delete, collaborators."""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import sqlalchemy as sa

from hubdepot import errors, events, git
from hubdepot.db.prepared import Prepared
from hubdepot.db.session import inserted_id
from hubdepot.db.tables import accounts, collaborators, memberships, repositories
from hubdepot.git import commits as git_commits
from hubdepot.git import refs as git_refs
from hubdepot.git import repos as git_repos
from hubdepot.hub import Hub
from hubdepot.services import RANK as _RANK
from hubdepot.services import SYSTEM, Actor, RepoAccess, Row, now
from hubdepot.services import refs as ref_service
from hubdepot.services.accounts import by_login, org_role

_NAME = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
_BRANCH = re.compile(r"^(?!/|.*(?:\.\.|//|@\{|\\|\.lock$|/$|\.$))[^\x00-\x20~^:?*\[\x7f]+$")


def _decide(actor: Actor | None, repo: Row, owner: _Owner, collab: str | None, role: str | None) -> str | None:
    if actor is not None:
        if actor.account.site_admin or actor.id == owner.id:
            return "admin"
        found = max(collab, {"admin": "admin", "member": "push", None: None}[role], key=_RANK.__getitem__)
        if found:
            return found
    return None if repo.private else "pull"


_owner = accounts.alias("owner")
# the owner as a repository's answers show it (never its password hash, nor the lookup key)
_OWNER_COLS = [c.label(f"owner__{c.name}") for c in _owner.c if c.name not in ("password_hash", "login_key")]
_ACTOR = sa.bindparam("actor_id", type_=sa.Integer)
_COLLAB = (
    sa.select(collaborators.c.permission)
    .where(collaborators.c.repository_id == repositories.c.id, collaborators.c.account_id == _ACTOR)
    .scalar_subquery()
)
_ROLE = (
    sa.select(memberships.c.role)
    .where(memberships.c.org_id == _owner.c.id, memberships.c.user_id == _ACTOR)
    .scalar_subquery()
)
_LOOKUP = sa.select(repositories, *_OWNER_COLS, _COLLAB.label("collab"), _ROLE.label("role")).join(
    _owner, _owner.c.id == repositories.c.owner_id
)
_BY = {  # how a path names a repository: {owner}/{repo} (case-insensitive), or {repository_id}
    "name": sa.and_(_owner.c.login_key == sa.bindparam("owner"), repositories.c.name_key == sa.bindparam("name")),
    "id": repositories.c.id == sa.bindparam("repo_id"),
}
_FIND = {by: Prepared(_LOOKUP.where(where)) for by, where in _BY.items()}  # (every repository-scoped request)
LOOKUP_WIDTH = len(_LOOKUP.selected_columns)  # a lookup row's first columns are the repository's own
_AFFILIATED = _LOOKUP.where(
    sa.or_(repositories.c.owner_id == _ACTOR, _COLLAB.is_not(None), _ROLE.is_not(None))
).order_by(repositories.c.id)


class _Owner(NamedTuple):  # (made at every repository lookup: a tuple is made faster than a frozen dataclass)
    id: int
    login: str
    type: str
    name: str | None
    email: str | None
    site_admin: bool
    created_at: object
    updated_at: object


_OWNER_OF = operator.attrgetter(*(f"owner__{f}" for f in _Owner._fields))


def _access(hub: Hub, actor: Actor | None, row: Row) -> RepoAccess | None:
    """A row of _LOOKUP as the caller's RepoAccess, or None when the caller cannot see it."""
    owner = _Owner(*_OWNER_OF(row))
    permission = _decide(actor, row, owner, row.collab, row.role)
    if permission is None:
        return None
    return RepoAccess(row, owner, permission, git_repos.git_dir(hub.settings.repos_dir, row.id))


def _lookup(hub: Hub, actor: Actor | None, by: str, **params: object) -> RepoAccess:
    """One query: the repository, its owner and the caller's grants; NotFound when invisible."""
    with hub.db.read() as conn:
        row = _FIND[by].first(conn, lookup_params(actor, by, params))
    return access_of(hub, actor, row)


def lookup_params(actor: Actor | None, by: str, named: Mapping[str, object]) -> dict[str, object]:
    """A lookup's parameters for a path's `owner`/`name` or `repo_id` (`by`, as in `looking_up`)."""
    actor_id = actor.id if actor else -1
    if by == "name":
        return {"actor_id": actor_id, "owner": str(named["owner"]).lower(), "name": str(named["name"]).lower()}
    return {"actor_id": actor_id, "repo_id": named["repo_id"]}


def access_of(hub: Hub, actor: Actor | None, row: Row | None) -> RepoAccess:
    """A lookup's row (find's, or a `looking_up` statement's first) as the caller's RepoAccess;
    NotFound when there is none or the caller may not see it."""
    access = _access(hub, actor, row) if row is not None else None
    if access is None:
        raise errors.NotFound()
    return access


def looking_up(
    by: str, columns: Sequence[sa.ColumnElement[Any]], joined: Callable[[sa.Select[Any]], sa.Select[Any]]
) -> Prepared:
    """find's query (the repository by `by`: "name" or "id") with more `columns` from what `joined`
    joins to it: a service reads a repository and what it wants of it in one statement. Each row's
    first LOOKUP_WIDTH columns are the lookup's (access_of reads them); the permission is still
    decided here, from them."""
    return Prepared(joined(_LOOKUP.add_columns(*columns)).where(_BY[by]))


def find(hub: Hub, actor: Actor | None, owner: str, name: str) -> RepoAccess:
    """The repository `owner/name` (case-insensitive), or NotFound when absent or invisible."""
    return _lookup(hub, actor, "name", owner=owner, name=name)


def find_by_id(hub: Hub, actor: Actor | None, repo_id: int) -> RepoAccess:
    return _lookup(hub, actor, "id", repo_id=repo_id)


def require(access: RepoAccess, actor: Actor | None, level: str) -> None:
    """Raise GitHub's answer when the caller lacks `level` on a repository it can see; a mirror
    refuses every "push"-level write (its contents come from `hubdepot mirror` only)."""
    if access.can(level):
        if level == "push":
            check_writable(access)
        return
    if actor is None:
        raise errors.Unauthenticated()
    if level == "admin":
        raise errors.Forbidden("Must have admin rights to Repository.")
    raise errors.NotFound()  # classic tokens without push access get 404 on writes


def check_writable(access: RepoAccess) -> None:
    """Mirrored repositories are read-only to everyone but the mirror (services/mirror/)."""
    source = getattr(access.repo, "mirror_url", None)
    if source:
        raise errors.Forbidden(
            f"{access.full_name} is a mirror of {source}: it is read-only here (changes come from `hubdepot mirror`)."
        )


def create(
    hub: Hub,
    actor: Actor,
    owner_login: str | None,
    name: str,
    *,
    description: str | None = None,
    homepage: str | None = None,
    private: bool = False,
    default_branch: str = "main",
    auto_init: bool = False,
) -> RepoAccess:
    owner = actor.account if owner_login is None else _org_for_create(hub, actor, owner_login)
    fields = dict(description=description, homepage=homepage, private=private, default_branch=default_branch)
    initial = functools.partial(_initial_commit, name=name, description=description, actor=actor)
    repo_id, first = insert(hub, actor, owner, name, fields, initial if auto_init else None)
    access = find_by_id(hub, actor, repo_id)
    if first is not None:
        # no pusher: the repository's own first commit is announced by repository.created, not a push
        ref_service.record(
            hub, access, None, [ref_service.RefUpdate(f"refs/heads/{default_branch}", ref_service.ZERO, first)]
        )
    return access


def insert(
    hub: Hub,
    actor: Actor,
    owner: Row,
    name: str,
    fields: Mapping[str, Any],
    initial: Callable[[Path, str], str] | None = None,
) -> tuple[int, str | None]:
    """The one way a repositories row is made (the API and the mirror): name, default branch and
    homepage checked, the bare repository made (with its first commit from `initial(path, branch)`),
    repository.created written to the outbox. Returns the id and the first commit's sha."""
    check_name(name)
    branch = fields.get("default_branch", "main")
    check_branch_name(branch, "default_branch")
    check_homepage(fields.get("homepage"))
    stamp = now()
    values = dict(
        owner_id=owner.id,
        name=name,
        name_key=name.lower(),
        description=fields.get("description"),
        homepage=fields.get("homepage") or None,
        private=bool(fields.get("private")),
        default_branch=branch,
        immutable_releases=False,
        created_at=stamp,
        updated_at=stamp,
        pushed_at=stamp if initial else None,
    )
    with hub.db.write(duplicate=_name_taken()) as conn:
        repo_id = inserted_id(conn.execute(repositories.insert().values(**values)))
        path = git_repos.create(hub.settings.repos_dir, repo_id, branch)
        first = initial(path, branch) if initial else None
        row = conn.execute(sa.select(repositories).where(repositories.c.id == repo_id)).first()
        events.repository_changed(conn, hub, row, owner, actor, "created")
    return repo_id, first


def _name_taken() -> errors.ValidationFailed:
    return errors.ValidationFailed.one("Repository", "name", "custom", "name already exists on this account")


def _initial_commit(path: Path, branch: str, *, name: str, description: str | None, actor: Actor) -> str:
    readme = f"# {name}\n" + (f"{description}\n" if description else "")
    who = git.Identity(actor.account.name or actor.login, actor.account.email or f"{actor.login}@users.noreply")
    return git_commits.initial_commit(path, branch, {"README.md": readme.encode()}, "Initial commit", who)


def _org_for_create(hub: Hub, actor: Actor, org_login: str) -> Row:
    org = by_login(hub, org_login)
    if org.type != "Organization":
        raise errors.NotFound()
    with hub.db.read() as conn:
        role = org_role(conn, org.id, actor.id)
    if role is None and not actor.account.site_admin:
        raise errors.Forbidden("You need admin access to the organization before adding a repository to it.")
    return org


def check_name(name: object) -> None:
    if not isinstance(name, str) or not _NAME.match(name) or name in (".", "..") or name.lower().endswith(".git"):
        raise errors.ValidationFailed.one("Repository", "name", "custom", "name is invalid")


def check_homepage(homepage: str | None) -> None:
    """Empty, or an absolute URL (the schema says format: uri)."""
    if not homepage:
        return
    parts = urlsplit(homepage)
    if (
        not parts.scheme
        or not parts.netloc
        or any(ord(ch) < 33 or ord(ch) == 127 for ch in homepage)
        or not homepage.isascii()
    ):
        raise errors.ValidationFailed.one("Repository", "homepage", "invalid", "homepage must be a URL")


def check_branch_name(branch: object, field: str) -> None:
    if not isinstance(branch, str) or not _BRANCH.match(branch) or len(branch) > 255:
        raise errors.ValidationFailed.one("Repository", field, "invalid")


def update(hub: Hub, actor: Actor | None, access: RepoAccess, changes: Mapping[str, Any]) -> RepoAccess:
    require(access, actor, "admin")
    values = {k: changes[k] for k in ("description", "homepage", "private") if k in changes}
    check_homepage(values.get("homepage"))
    if "name" in changes and changes["name"] != access.repo.name:
        check_name(changes["name"])
        values.update(name=changes["name"], name_key=changes["name"].lower())
    if "default_branch" in changes:
        branch = changes["default_branch"]
        check_branch_name(branch, "default_branch")
        names = {ref.name for ref in git_refs.branches(access.git_dir)}
        if names and branch not in names:
            raise errors.ValidationFailed.one(
                "Repository",
                "default_branch",
                "invalid",
                f"The branch {branch} was not found. Please push that ref first or create it via the Git Data API.",
            )
        git_repos.set_head(access.git_dir, branch)
        values["default_branch"] = branch
    values["updated_at"] = now()
    with hub.db.write(duplicate=_name_taken()) as conn:
        conn.execute(repositories.update().where(repositories.c.id == access.id).values(**values))
        row = conn.execute(sa.select(repositories).where(repositories.c.id == access.id)).first()
        if row is None:  # deleted meanwhile
            raise errors.NotFound()
        for action, change in _repository_actions(access.repo, row):
            events.repository_changed(conn, hub, row, access.owner, actor, action, change)
    return find_by_id(hub, actor, access.id)


def _repository_actions(old: Row, new: Row) -> list[tuple[str, dict[str, Any] | None]]:
    """GitHub's repository events for an update: renamed, edited, privatized/publicized."""
    out: list[tuple[str, dict[str, Any] | None]] = []
    if old.name != new.name:
        out.append(("renamed", {"repository": {"name": {"from": old.name}}}))
    edited = {
        k: {"from": getattr(old, k)}
        for k in ("description", "homepage", "default_branch")
        if getattr(old, k) != getattr(new, k)
    }
    if edited:
        out.append(("edited", edited))
    if bool(old.private) != bool(new.private):
        out.append(("privatized" if new.private else "publicized", None))
    return out


def delete(hub: Hub, actor: Actor | None, access: RepoAccess) -> None:
    require(access, actor, "admin")
    with hub.db.write() as conn:
        events.repository_changed(conn, hub, access.repo, access.owner, actor, "deleted")
        conn.execute(repositories.delete().where(repositories.c.id == access.id))
    git_repos.remove(hub.settings.repos_dir, access.id)


def add_collaborator(hub: Hub, access: RepoAccess, login: str, permission: str) -> None:
    """services/collaborators.put as the administrator (`hubdepot repo add-collaborator`)."""
    from hubdepot.services import collaborators as collaborator_service  # (it builds on this module)

    collaborator_service.put(hub, SYSTEM, access, login, permission)


def is_collaborator(hub: Hub, access: RepoAccess, login: str) -> bool:
    """True when `login` is a collaborator, or has push access or more (owner, org member)."""
    try:
        user = by_login(hub, login)
    except errors.NotFound:
        return False
    probe = Actor(account=user, scopes=(), token_id=0)
    with hub.db.read() as conn:
        row = _FIND["id"].first(conn, {"actor_id": user.id, "repo_id": access.id})
    seen = _access(hub, probe, row) if row is not None else None
    return row is not None and (row.collab is not None or (seen is not None and seen.can("push")))


def count_for_owner(hub: Hub, owner_id: int) -> tuple[int, int]:
    """(public, private) repository counts of an account."""
    with hub.db.read() as conn:
        rows = conn.execute(
            sa.select(repositories.c.private, sa.func.count())
            .where(repositories.c.owner_id == owner_id)
            .group_by(repositories.c.private)
        ).all()
    counts = {bool(private): n for private, n in rows}
    return counts.get(False, 0), counts.get(True, 0)


def list_for_actor(hub: Hub, actor: Actor) -> list[RepoAccess]:
    """Repositories the caller owns or collaborates on, or that belong to its organisations."""
    with hub.db.read() as conn:
        rows = conn.execute(_AFFILIATED, {"actor_id": actor.id}).all()
    return [access for access in (_access(hub, actor, row) for row in rows) if access is not None]


_OWNED = _LOOKUP.where(repositories.c.owner_id == sa.bindparam("owner_id")).order_by(
    repositories.c.updated_at.desc(), repositories.c.id.desc()
)


def list_for_owner(hub: Hub, actor: Actor | None, owner_id: int) -> list[RepoAccess]:
    """An account's repositories the caller may see, most recently updated first (its web profile)."""
    with hub.db.read() as conn:
        rows = conn.execute(_OWNED, {"actor_id": actor.id if actor else -1, "owner_id": owner_id}).all()
    return [access for access in (_access(hub, actor, row) for row in rows) if access is not None]
