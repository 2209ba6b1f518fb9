"""Administration commands: users, organisations, tokens, repositories, database, storage."""

from __future__ import annotations

from typing import IO, TYPE_CHECKING

import click

from hubdepot.cli.common import F, data_options, friendly, hub_from
from hubdepot.services import SYSTEM, Actor, accounts, collaborators
from hubdepot.services import repos as repo_service

if TYPE_CHECKING:
    from hubdepot.hub import Hub


@click.group()
def user() -> None:
    """Manage users."""


def password_options(fn: F) -> F:
    fn = click.option(
        "--password-file",
        type=click.File("r"),
        default=None,
        help="Read the web sign-in password from this file (first line)",
    )(fn)
    fn = click.option("--password-stdin", is_flag=True, help="Read the web sign-in password from standard input")(fn)
    return fn


def _password(password_stdin: bool, password_file: IO[str] | None) -> str | None:
    """The password from stdin or a file (its first line, without the line break); None when neither."""
    if password_stdin and password_file:
        raise click.UsageError("--password-stdin and --password-file are exclusive")
    # click 8.5 serves the deprecated get_text_stream from a module __getattr__ typed `object`
    source: IO[str] | None = click.get_text_stream("stdin") if password_stdin else password_file  # type: ignore[operator]
    if source is None:
        return None
    return source.readline().rstrip("\r\n")


@user.command("create")
@click.argument("login")
@click.option("--admin", is_flag=True, help="Site administrator")
@click.option("--email", default=None)
@click.option("--name", default=None)
@password_options
@data_options
@friendly
def user_create(
    login: str,
    admin: bool,
    email: str | None,
    name: str | None,
    password_stdin: bool,
    password_file: IO[str] | None,
    data_dir: str | None,
    database_url: str | None,
) -> None:
    from hubdepot.services import sessions  # (argon2: loaded by the commands that hash)

    password = _password(password_stdin, password_file)
    if password is not None:
        sessions.check_password(password)
    hub = hub_from(data_dir, database_url)
    row = accounts.create_account(hub, login, "User", name=name, email=email, site_admin=admin)
    if password is not None:
        sessions.set_password(hub, row.login, password)
    click.echo(row.login)


@user.command("passwd")
@click.argument("login")
@password_options
@data_options
@friendly
def user_passwd(
    login: str, password_stdin: bool, password_file: IO[str] | None, data_dir: str | None, database_url: str | None
) -> None:
    """Set LOGIN's password for the web sign-in form."""
    from hubdepot.services import sessions

    password = _password(password_stdin, password_file)
    if password is None:
        raise click.UsageError("give the password with --password-stdin or --password-file")
    sessions.set_password(hub_from(data_dir, database_url), login, password)


@click.group()
def org() -> None:
    """Manage organisations."""


@org.command("create")
@click.argument("login")
@data_options
@friendly
def org_create(login: str, data_dir: str | None, database_url: str | None) -> None:
    hub = hub_from(data_dir, database_url)
    click.echo(accounts.create_account(hub, login, "Organization").login)


@org.command("add-member")
@click.argument("org_login")
@click.argument("login")
@click.option("--role", type=click.Choice(["member", "admin"]), default="member")
@data_options
@friendly
def org_add_member(org_login: str, login: str, role: str, data_dir: str | None, database_url: str | None) -> None:
    accounts.add_member(hub_from(data_dir, database_url), org_login, login, role)


@click.group()
def token() -> None:
    """Manage personal access tokens."""


@token.command("create")
@click.argument("login")
@click.option("--scopes", default=",".join(accounts.DEFAULT_SCOPES), help="Comma-separated scopes")
@click.option("--note", default=None)
@data_options
@friendly
def token_create(login: str, scopes: str, note: str | None, data_dir: str | None, database_url: str | None) -> None:
    wanted = tuple(s.strip() for s in scopes.split(",") if s.strip())
    click.echo(accounts.create_token(hub_from(data_dir, database_url), login, wanted, note))


@token.command("revoke")
@click.argument("token_value", metavar="TOKEN")
@data_options
@friendly
def token_revoke(token_value: str, data_dir: str | None, database_url: str | None) -> None:
    if not accounts.revoke_token(hub_from(data_dir, database_url), token_value):
        raise click.ClickException("no such token")


@click.group()
def repo() -> None:
    """Manage repositories."""


@repo.command("create")
@click.argument("full_name", metavar="OWNER/NAME")
@click.option("--private", is_flag=True)
@click.option("--description", default=None)
@click.option("--default-branch", default="main")
@click.option("--auto-init", is_flag=True, help="Commit a README.md on the default branch")
@data_options
@friendly
def repo_create(
    full_name: str,
    private: bool,
    description: str | None,
    default_branch: str,
    auto_init: bool,
    data_dir: str | None,
    database_url: str | None,
) -> None:
    hub = hub_from(data_dir, database_url)
    owner_login, _, name = full_name.partition("/")
    owner = accounts.by_login(hub, owner_login)
    is_org = owner.type == "Organization"
    actor = SYSTEM if is_org else Actor(account=owner, scopes=accounts.DEFAULT_SCOPES, token_id=0)
    access = repo_service.create(
        hub,
        actor,
        owner_login if is_org else None,
        name,
        description=description,
        private=private,
        default_branch=default_branch,
        auto_init=auto_init,
    )
    click.echo(access.full_name)


@repo.command("add-collaborator")
@click.argument("full_name", metavar="OWNER/NAME")
@click.argument("login")
@click.option("--permission", type=click.Choice(["pull", "push", "admin"]), default="push")
@data_options
@friendly
def repo_add_collaborator(
    full_name: str, login: str, permission: str, data_dir: str | None, database_url: str | None
) -> None:
    hub = hub_from(data_dir, database_url)
    owner_login, _, name = full_name.partition("/")
    access = repo_service.find(hub, SYSTEM, owner_login, name)
    repo_service.add_collaborator(hub, access, login, permission)


@repo.command("remove-collaborator")
@click.argument("full_name", metavar="OWNER/NAME")
@click.argument("login")
@data_options
@friendly
def repo_remove_collaborator(full_name: str, login: str, data_dir: str | None, database_url: str | None) -> None:
    """Take LOGIN's access to OWNER/NAME away (every server process refuses it from the next request)."""
    hub = hub_from(data_dir, database_url)
    owner_login, _, name = full_name.partition("/")
    collaborators.remove(hub, SYSTEM, repo_service.find(hub, SYSTEM, owner_login, name), login)


@click.group()
def db() -> None:
    """Database schema migrations."""


def _plain_hub(data_dir: str | None, database_url: str | None) -> Hub:
    from hubdepot.cli.common import settings_from
    from hubdepot.hub import create_hub

    return create_hub(settings_from(data_dir=data_dir, database_url=database_url))


@db.command("upgrade")
@click.argument("revision", default="head")
@data_options
def db_upgrade(revision: str, data_dir: str | None, database_url: str | None) -> None:
    from hubdepot.db import migrate

    migrate.upgrade(_plain_hub(data_dir, database_url).db, revision)


@db.command("current")
@data_options
def db_current(data_dir: str | None, database_url: str | None) -> None:
    from hubdepot.db import migrate

    click.echo(migrate.current(_plain_hub(data_dir, database_url).db) or "")


@db.command("check")
@data_options
def db_check(data_dir: str | None, database_url: str | None) -> None:
    """Exit 1 unless the database is at the head revision and matches the schema."""
    from hubdepot.db import migrate

    hub = _plain_hub(data_dir, database_url)
    current, heads = migrate.current(hub.db), migrate.heads()
    if current not in heads:
        raise click.ClickException(f"database at {current}, head is {', '.join(heads)}: run `hubdepot db upgrade`")
    diff = migrate.drift(hub.db)
    if diff:
        raise click.ClickException(f"schema drift: {diff}")
    click.echo(current)


@click.group()
def storage() -> None:
    """Blob storage maintenance."""


@storage.command("gc")
@click.option("--grace", default=3600, help="Keep unreferenced blobs younger than this many seconds")
@data_options
def storage_gc(grace: int, data_dir: str | None, database_url: str | None) -> None:
    """Remove blobs that no asset or download references."""
    from hubdepot.services import blobs

    removed = blobs.gc(hub_from(data_dir, database_url), grace_seconds=grace)
    click.echo(removed)


@click.command()
@click.option("--deep", is_flag=True, help="Also re-hash every blob and compare digests")
@click.option("--repair", is_flag=True, help="First remove ref lock files and push quarantines left by dead writers")
@data_options
def fsck(deep: bool, repair: bool, data_dir: str | None, database_url: str | None) -> None:
    """Check rows against blobs against git refs; exit 1 when something is wrong."""
    from hubdepot.services import fsck as fsck_service

    hub = hub_from(data_dir, database_url)
    if repair:
        for line in fsck_service.repair(hub):
            click.echo(line)
    problems = fsck_service.check(hub, deep=deep)
    for line in problems:
        click.echo(line)
    if problems:
        raise SystemExit(1)
