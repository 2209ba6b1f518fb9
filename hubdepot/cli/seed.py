"""`hubdepot seed FILE`: load a seed file (docs/testing.md) into a server's data, as the API would."""

from __future__ import annotations

from pathlib import Path

import click

from hubdepot.cli.common import data_options, friendly, hub_from


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@data_options
@friendly
def seed(file: str, data_dir: str | None, database_url: str | None) -> None:
    """Load FILE (YAML or JSON): users, organisations, tokens, repositories, releases, webhooks."""
    from hubdepot.hub import dispose
    from hubdepot.testing import seed as seeding

    hub = hub_from(data_dir, database_url)
    try:
        for line in seeding.load_file(hub, Path(file)):
            click.echo(f"hubdepot: made {line}", err=True)
    except seeding.SeedError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        dispose(hub)  # (on PostgreSQL also the lock pool and the notification connection)
