"""Users, organisations, memberships and tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
import string
from collections.abc import Iterable

import sqlalchemy as sa

from hubdepot import errors
from hubdepot.db.session import inserted_id
from hubdepot.db.tables import accounts, memberships, tokens
from hubdepot.hub import Hub
from hubdepot.services import Actor, Row, now

_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")
_BOT = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,33}\[bot\]$")  # GitHub Apps' accounts (39 in all)
TYPES = ("User", "Organization", "Bot")
_ALPHABET = string.ascii_letters + string.digits
DEFAULT_SCOPES = ("repo", "read:org", "workflow", "admin:org", "delete_repo")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """GitHub's classic token format: ghp_ + 36 characters (30 random + 6-character checksum)."""
    body = "".join(secrets.choice(_ALPHABET) for _ in range(30))
    check = hashlib.sha256(body.encode()).hexdigest()
    return "ghp_" + body + "".join(_ALPHABET[int(check[i : i + 2], 16) % 62] for i in range(0, 12, 2))


def create_account(
    hub: Hub,
    login: str,
    type_: str = "User",
    *,
    name: str | None = None,
    email: str | None = None,
    site_admin: bool = False,
) -> Row:
    if type_ not in TYPES or not (_BOT if type_ == "Bot" else _LOGIN).match(login):
        raise errors.ValidationFailed.one("User", "login", "invalid", f"login {login!r} is not valid")
    for field, value in (("name", name), ("email", email)):
        if value is not None and (len(value) > 255 or "\x00" in value):  # (the columns' size; no NUL)
            raise errors.ValidationFailed.one("User", field, "invalid")
    stamp = now()
    row = dict(
        login=login,
        login_key=login.lower(),
        type=type_,
        name=name,
        email=email,
        site_admin=site_admin,
        created_at=stamp,
        updated_at=stamp,
    )
    with hub.db.write(duplicate=errors.ValidationFailed.one("User", "login", "already_exists")) as conn:
        new_id = inserted_id(conn.execute(accounts.insert().values(**row)))
        made = by_id(conn, new_id)
        assert made is not None, "inserted in this transaction"
        return made


def by_login(hub: Hub, login: str) -> Row:
    with hub.db.read() as conn:
        row = conn.execute(sa.select(accounts).where(accounts.c.login_key == login.lower())).first()
    if row is None:
        raise errors.NotFound()
    return row


def by_id(conn: sa.Connection, account_id: int) -> Row | None:
    return conn.execute(sa.select(accounts).where(accounts.c.id == account_id)).first()


def add_member(hub: Hub, org_login: str, user_login: str, role: str = "member") -> None:
    org, user = by_login(hub, org_login), by_login(hub, user_login)
    if org.type != "Organization" or user.type != "User":
        raise errors.ValidationFailed.one("Membership", "login", "invalid")
    with hub.db.write() as conn:
        conn.execute(memberships.delete().where(memberships.c.org_id == org.id, memberships.c.user_id == user.id))
        conn.execute(memberships.insert().values(org_id=org.id, user_id=user.id, role=role))


def org_role(conn: sa.Connection, org_id: int, user_id: int) -> str | None:
    role: str | None = conn.execute(
        sa.select(memberships.c.role).where(memberships.c.org_id == org_id, memberships.c.user_id == user_id)
    ).scalar()
    return role


_FIXED = re.compile(r"^[A-Za-z0-9_]{8,255}$")


def create_token(
    hub: Hub, login: str, scopes: Iterable[str] = DEFAULT_SCOPES, note: str | None = None, value: str | None = None
) -> str:
    """A new token for user `login`: a random one, or `value` (a seed file's fixed token)."""
    user = by_login(hub, login)
    if user.type != "User":
        raise errors.ValidationFailed.one("Token", "login", "invalid", "tokens belong to users")
    if value is not None and not _FIXED.match(value):
        raise errors.ValidationFailed.one("Token", "token", "invalid", "8 to 255 letters, digits or _")
    token = new_token() if value is None else value
    with hub.db.write() as conn:
        conn.execute(
            tokens.insert().values(
                account_id=user.id,
                digest=_digest(token),
                hint=token[-4:],
                scopes=",".join(scopes),
                note=note,
                created_at=now(),
            )
        )
    return token


def revoke_token(hub: Hub, token: str) -> bool:
    with hub.db.write() as conn:
        return conn.execute(tokens.delete().where(tokens.c.digest == _digest(token))).rowcount > 0


def authenticate(hub: Hub, token: str) -> Actor:
    """The token's owner, or BadCredentials. The lookup is by sha256 digest (an index probe)."""
    digest = _digest(token)
    with hub.db.read() as conn:
        row = conn.execute(
            sa.select(tokens.c.id, tokens.c.digest, tokens.c.scopes, tokens.c.expires_at, tokens.c.account_id).where(
                tokens.c.digest == digest
            )
        ).first()
        account = by_id(conn, row.account_id) if row is not None else None
    if row is None or account is None or not secrets.compare_digest(row.digest, digest):
        raise errors.BadCredentials()
    if row.expires_at is not None and row.expires_at.replace(tzinfo=None) < now().replace(tzinfo=None):
        raise errors.BadCredentials()
    return Actor(account=account, scopes=tuple(s for s in row.scopes.split(",") if s), token_id=row.id)


def organizations_of(hub: Hub, account_id: int) -> list[Row]:
    """The organizations `account_id` is a member of, by login."""
    with hub.db.read() as conn:
        return list(
            conn.execute(
                sa.select(accounts)
                .join(memberships, memberships.c.org_id == accounts.c.id)
                .where(memberships.c.user_id == account_id)
                .order_by(accounts.c.login_key)
            ).all()
        )
