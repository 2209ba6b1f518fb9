"""`hubdepot backup create|list|verify|restore`: snapshots of a running hubdepot (docs/backup.md)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import click

from hubdepot.cli.common import data_options, friendly, hub_from, settings_from

DEST = click.argument("dest", type=click.Path(file_okay=False, path_type=Path))


@click.group()
def backup() -> None:
    """Online, incremental, verified snapshots: the database, the repositories and the blobs."""


@backup.command("create")
@DEST
@click.option("--keep", type=click.IntRange(min=1), default=None, help="Then keep only the newest N snapshots")
@click.option("--include-blobs", is_flag=True, help="Copy the blobs when they live in S3 (local ones always are)")
@data_options
@friendly
def create(dest: Path, keep: int | None, include_blobs: bool, data_dir: str | None, database_url: str | None) -> None:
    """Take a snapshot while the server runs; prints its name."""
    from hubdepot.backup import create as create_service

    manifest = create_service.create(hub_from(data_dir, database_url), dest, keep, include_blobs or None)
    for line in manifest["problems"]:
        click.echo(f"hubdepot: warning: {line}", err=True)
    for name in manifest.get("pruned", ()):
        click.echo(f"hubdepot: removed snapshot {name}", err=True)
    click.echo(manifest["name"])


@backup.command("list")
@DEST
@click.option("--json", "as_json", is_flag=True, help="One JSON array instead of a table")
@friendly
def list_(dest: Path, as_json: bool) -> None:
    """Snapshots, oldest first: files, size, bytes new since the one before, what changed."""
    from hubdepot.backup import report

    found = report.summaries(dest)
    if as_json:
        click.echo(json.dumps([dataclasses.asdict(s) for s in found], indent=1))
        return
    for s in found:
        warn = f" ({len(s.problems)} warnings)" if s.problems else ""
        click.echo(f"{s.name}  {s.files:>7} files  {_size(s.size):>10}  new {_size(s.new):>10}  {s.changes}{warn}")


def _size(count: int) -> str:
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"


@backup.command("verify")
@DEST
@click.option("--snapshot", default=None, help="Only this snapshot (default: all of them)")
@friendly
def verify(dest: Path, snapshot: str | None) -> None:
    """Re-read every file of the snapshots against its digest; exit 1 naming each bad one."""
    from hubdepot.backup import report

    problems, results = report.verify(dest, snapshot)
    for line in problems + results:
        click.echo(line)
    if problems:
        raise SystemExit(1)


@backup.command("restore")
@DEST
@click.option("--snapshot", default=None, help="The snapshot to restore (default: the newest)")
@click.option("--force", is_flag=True, help="Replace what the database and data dir hold")
@data_options
@friendly
def restore(dest: Path, snapshot: str | None, force: bool, data_dir: str | None, database_url: str | None) -> None:
    """Restore a snapshot into the configured database, data dir and blob storage (the server stopped)."""
    from hubdepot.backup import restore as restore_service
    from hubdepot.hub import create_hub

    hub = create_hub(settings_from(data_dir=data_dir, database_url=database_url))
    manifest = restore_service.restore(hub, dest, snapshot, force)
    click.echo(f"hubdepot: restored {manifest['name']}", err=True)
