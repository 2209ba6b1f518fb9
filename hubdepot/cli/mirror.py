"""`hubdepot mirror SOURCE` and `hubdepot mirror --all`: copy repositories, releases and assets from
github.com or any GitHub-compatible server into the local data dir and database."""

from __future__ import annotations

import dataclasses
import json
import signal
import sys
from types import FrameType
from typing import TYPE_CHECKING, NoReturn

import click

from hubdepot import errors
from hubdepot.cli.common import data_options, hub_from

if TYPE_CHECKING:
    from hubdepot.hub import Hub
    from hubdepot.mirror.report import Plain
    from hubdepot.mirror.sync import Options, Summary

Failure = dict[str, str | bool]  # {"source", "error"} and "interrupted": True when cut short


def _token(token_file: str | None, token_env: str | None) -> str | None:
    if token_file:
        with open(token_file) as f:
            return f.read().strip() or None
    return (token_env or "").strip() or None


def _terminate(signum: int, frame: FrameType | None) -> NoReturn:
    raise KeyboardInterrupt


@click.command()
@click.argument("source", required=False, metavar="SOURCE")
@click.option("--as", "as_name", metavar="OWNER/NAME", help="Name of the copy here (default: the source's)")
@click.option("--token-file", type=click.Path(exists=True, dir_okay=False), help="File holding the source's token")
@click.option("--token", "token_env", envvar="HUBDEPOT_MIRROR_TOKEN", hidden=True, default=None)
@click.option("--releases-only", is_flag=True, help="Copy releases and assets, not the git repository")
@click.option("--since", metavar="TAG", help="Only releases created at or after the release of TAG")
@click.option("--include-drafts", is_flag=True, help="Also copy draft releases (the token needs push access)")
@click.option("--concurrency", type=click.IntRange(1, 32), default=4, show_default=True, help="Asset downloads at once")
@click.option("--all", "all_", is_flag=True, help="Re-sync every mirrored repository (for cron/systemd timers)")
@click.option("--json", "json_output", is_flag=True, help="Print a machine-readable summary")
@data_options
def mirror(
    source: str | None,
    as_name: str | None,
    token_file: str | None,
    token_env: str | None,
    releases_only: bool,
    since: str | None,
    include_drafts: bool,
    concurrency: int,
    all_: bool,
    json_output: bool,
    data_dir: str | None,
    database_url: str | None,
) -> None:
    """Mirror SOURCE (https://github.com/OWNER/NAME or https://HOST/OWNER/NAME) with its releases and assets."""
    from hubdepot.mirror import report as reports
    from hubdepot.mirror.sync import Options

    if bool(source) == bool(all_):
        raise click.UsageError("give either SOURCE or --all")
    if as_name and (all_ or as_name.count("/") != 1 or not all(as_name.split("/"))):
        raise click.UsageError("--as takes OWNER/NAME (and a single SOURCE)")
    signal.signal(signal.SIGTERM, _terminate)
    token = _token(token_file, token_env)
    hub = hub_from(data_dir, database_url)
    if all_:
        from hubdepot.services import mirror as mirror_service

        runs = [
            (m.source_url, Options(concurrency=concurrency, as_name=m.full_name, **m.options))
            for m in mirror_service.mirrored(hub)
        ]
    else:
        assert source, "SOURCE or --all, checked above"
        runs = [(source, Options(releases_only, since, include_drafts, concurrency, as_name))]
    report = reports.reporter(json_output)
    report.start(len(runs))
    summaries, failures = _run_all(hub, runs, token, report)
    report.close()
    _print(summaries, failures, json_output)
    if failures:
        sys.exit(130 if any(f.get("interrupted") for f in failures) else 1)


def _run_all(
    hub: Hub, runs: list[tuple[str, Options]], token: str | None, report: Plain
) -> tuple[list[Summary], list[Failure]]:
    from hubdepot.mirror.source import MirrorError
    from hubdepot.mirror.sync import mirror as mirror_one

    summaries: list[Summary] = []
    failures: list[Failure] = []
    for url, options in runs:
        try:
            summaries.append(mirror_one(hub, url, token, options, report))
        except MirrorError as exc:
            failures.append({"source": url, "error": str(exc)})
        except errors.StorageFull:
            hub.storage.drop_partials("")  # no asset bytes kept for a later run: the room is needed now
            failures.append({"source": url, "error": "disk full: no room left for the mirror's data"})
        except errors.HubdepotError as exc:
            failures.append({"source": url, "error": exc.message})
        except KeyboardInterrupt:
            failures.append({"source": url, "error": "interrupted (run again to resume)", "interrupted": True})
            break
        finally:
            report.repository_done()
    return summaries, failures


def _print(summaries: list[Summary], failures: list[Failure], json_output: bool) -> None:
    if json_output:
        body = {"repositories": [dataclasses.asdict(s) for s in summaries], "errors": failures}
        click.echo(json.dumps(body, indent=2))
    else:
        for s in summaries:
            click.echo(
                f"{s.full_name}: {s.refs_updated} refs updated; releases {s.releases_created} new, "
                f"{s.releases_updated} changed, {s.releases_deleted} deleted, {s.releases_unchanged} unchanged; "
                f"assets {s.assets_downloaded} downloaded ({s.bytes} bytes), {s.assets_updated} changed, "
                f"{s.assets_deleted} deleted, {s.assets_unchanged} unchanged; "
                f"{s.requests} requests ({s.not_modified} not modified) in {s.seconds:.1f}s"
            )
    for failure in failures:
        click.echo(f"hubdepot mirror: {failure['source']}: {failure['error']}", err=True)
