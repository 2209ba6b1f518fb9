"""Shared CLI plumbing: settings from flags + environment, the hub, one-line errors."""

from __future__ import annotations

import functools

import click

from hubdepot import errors
from hubdepot.config import Settings, SettingsError


def settings_from(**overrides) -> Settings:
    try:
        return Settings.load(**{k: v for k, v in overrides.items() if v is not None})
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def hub_from(data_dir=None, database_url=None):
    from hubdepot.db import revision
    from hubdepot.hub import create_hub

    hub = create_hub(settings_from(data_dir=data_dir, database_url=database_url))
    if not revision.at_head(hub.db):
        from hubdepot.db import migrate

        migrate.upgrade(hub.db)
    return hub


def data_options(fn):
    fn = click.option("--database-url", default=None, help="Database URL (default: SQLite in the data dir)")(fn)
    fn = click.option("--data-dir", type=click.Path(), default=None, help="Data directory")(fn)
    return fn


def friendly(fn):
    """Domain errors become one line on stderr and exit status 1."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except errors.ValidationFailed as exc:
            detail = "; ".join(f"{e.get('field')}: {e.get('message') or e.get('code')}" for e in exc.errors)
            raise click.ClickException(detail) from None
        except errors.HubdepotError as exc:
            raise click.ClickException(exc.message) from None

    return wrapper
