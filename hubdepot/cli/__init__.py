"""The `hubdepot` command. stdout carries only what a script needs; messages go to stderr.

Each command's module is imported when that command runs (`hubdepot serve` does not load the admin,
backup and mirror commands, nor the services they import: a faster start, `serve --ephemeral`'s
first answer included)."""

from __future__ import annotations

import importlib

import click

# command -> (module under hubdepot.cli, attribute)
COMMANDS = {
    "serve": ("serve", "serve"),
    "user": ("admin", "user"),
    "org": ("admin", "org"),
    "token": ("admin", "token"),
    "repo": ("admin", "repo"),
    "db": ("admin", "db"),
    "storage": ("admin", "storage"),
    "fsck": ("admin", "fsck"),
    "mirror": ("mirror", "mirror"),
    "backup": ("backup", "backup"),
    "seed": ("seed", "seed"),
}


class _Commands(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = COMMANDS.get(cmd_name)
        if found is None:
            return None
        command: click.Command = getattr(importlib.import_module(f"hubdepot.cli.{found[0]}"), found[1])
        return command


@click.group(cls=_Commands)
def main() -> None:
    """hubdepot: a self-hosted GitHub-compatible server for repository files and releases."""
