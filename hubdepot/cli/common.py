"""Shared CLI plumbing: settings from flags + environment, the hub, one-line errors."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import click

from hubdepot import errors
from hubdepot.config import Settings, SettingsError

if TYPE_CHECKING:
    from hubdepot.hub import Hub

P = ParamSpec("P")
R = TypeVar("R")
F = TypeVar("F", bound=Callable[..., Any])


def settings_from(**overrides: object) -> Settings:
    try:
        return Settings.load(None, **{k: v for k, v in overrides.items() if v is not None})
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def hub_from(data_dir: str | None = None, database_url: str | None = None) -> Hub:
    from hubdepot.db import revision
    from hubdepot.hub import create_hub

    hub = create_hub(settings_from(data_dir=data_dir, database_url=database_url))
    if not revision.at_head(hub.db):
        from hubdepot.db import migrate

        migrate.upgrade(hub.db)
    return hub


def data_options(fn: F) -> F:
    fn = click.option("--database-url", default=None, help="Database URL (default: SQLite in the data dir)")(fn)
    fn = click.option("--data-dir", type=click.Path(), default=None, help="Data directory")(fn)
    return fn


def friendly(fn: Callable[P, R]) -> Callable[P, R]:
    """Domain errors become one line on stderr and exit status 1."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except errors.ValidationFailed as exc:
            detail = "; ".join(f"{e.get('field')}: {e.get('message') or e.get('code')}" for e in exc.errors)
            raise click.ClickException(detail) from None
        except errors.HubdepotError as exc:
            raise click.ClickException(exc.message) from None

    return wrapper


def create_admin(hub: Hub, note: str) -> str:
    """User `admin` (a site administrator) and one token, saved with mode 0600 as the data dir's
    `admin-token` (a first start, an ephemeral server)."""
    from hubdepot.services import accounts

    accounts.create_account(hub, "admin", "User", name="Administrator", site_admin=True)
    token = accounts.create_token(hub, "admin", note=note)
    fd = os.open(hub.settings.data_dir / "admin-token", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(token + "\n")
    return token
