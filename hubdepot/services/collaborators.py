"""Repository collaborators: grant one, change its permission, remove it (GitHub's PUT and DELETE
/repos/{o}/{r}/collaborators/{login}, `hubdepot repo add-collaborator` and `remove-collaborator`); `write`
is the one writer of the collaborators table.

Permissions are decided per request from the database (services/repos.find), so a change is seen by
the next request on every surface; cached answers and logins are keyed to the data dir's write
generation, which this write moves (db/session.Database.write)."""

from __future__ import annotations

from hubdepot import errors
from hubdepot.db.tables import collaborators
from hubdepot.hub import Hub
from hubdepot.services import Actor, RepoAccess
from hubdepot.services.accounts import by_login
from hubdepot.services.repos import require

# GitHub's role names -> hubdepot's three levels (a role is never raised: triage reads, maintain pushes)
PERMISSIONS = {"pull": "pull", "triage": "pull", "push": "push", "maintain": "push", "admin": "admin"}


def put(hub: Hub, actor: Actor | None, access: RepoAccess, login: str, permission: str) -> None:
    """Give `login` `permission` on the repository, or change the one it has; admin rights needed.
    hubdepot sends no invitations: access is given at once (as GitHub does for managed users)."""
    require(access, actor, "admin")
    level = PERMISSIONS.get(permission)
    if level is None:
        raise errors.ValidationFailed.one("Repository", "permission", "invalid", f"{permission!r} is not a permission")
    user = by_login(hub, login)
    if user.type == "Organization":
        raise errors.ValidationFailed.one("Repository", "collaborator", "invalid", "only users can be collaborators")
    write(hub, access, user.id, level)


def remove(hub: Hub, actor: Actor | None, access: RepoAccess, login: str) -> None:
    """Take `login` off the repository's collaborators: admin rights needed, except to remove oneself.
    A user who is no collaborator is nothing to do (GitHub answers 204 too); an unknown one is NotFound."""
    if actor is None or actor.login.lower() != login.lower():
        require(access, actor, "admin")
    write(hub, access, by_login(hub, login).id, None)


def write(hub: Hub, access: RepoAccess, account_id: int, permission: str | None) -> None:
    """The account's row in the collaborators table: `permission`, or none at all when None."""
    with hub.db.write() as conn:
        conn.execute(
            collaborators.delete().where(
                collaborators.c.repository_id == access.id, collaborators.c.account_id == account_id
            )
        )
        if permission is not None:
            conn.execute(
                collaborators.insert().values(repository_id=access.id, account_id=account_id, permission=permission)
            )
