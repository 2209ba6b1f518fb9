"""The `hubdepot` command. stdout carries only what a script needs; messages go to stderr."""

from __future__ import annotations

import click

from hubdepot.cli import admin, backup, mirror, seed, serve


@click.group()
def main() -> None:
    """hubdepot: a self-hosted GitHub-compatible server for repository files and releases."""


for command in (
    serve.serve,
    admin.user,
    admin.org,
    admin.token,
    admin.repo,
    admin.db,
    admin.storage,
    admin.fsck,
    mirror.mirror,
    backup.backup,
    seed.seed,
):
    main.add_command(command)
