"""`hubdepot serve`: migrate, make sure an admin exists, then run granian."""

from __future__ import annotations

import os
import shutil
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from hubdepot.cli.common import create_admin, settings_from
from hubdepot.config import Settings, to_env

if TYPE_CHECKING:
    from hubdepot.hub import Hub


@click.command()
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1)")
@click.option("--port", type=int, default=None, help="Port (default 8000)")
@click.option("--data-dir", type=click.Path(), default=None, help="Data directory (default ./hubdepot-data)")
@click.option("--database-url", default=None, help="sqlite:///path or postgresql://...")
@click.option("--public-url", default=None, help="Origin clients reach us at (default from host and port)")
@click.option("--tls-cert", default=None, help="PEM certificate chain (serves https)")
@click.option("--tls-key", default=None, help="PEM private key")
@click.option("--workers", type=int, default=None, help="Worker processes (default: one per CPU)")
@click.option("--storage", default=None, help="Blob storage: empty for the data dir, or s3://bucket/prefix")
@click.option("--log-format", type=click.Choice(["text", "json"]), default=None, help="Log lines (default text)")
@click.option("--ephemeral", is_flag=True, help="Test mode: data in a temporary directory removed on exit")
@click.option("--seed", type=click.Path(exists=True, dir_okay=False), default=None, help="With --ephemeral: load FILE")
@click.option("--tls", type=click.Choice(["auto"]), default=None, help="With --ephemeral: a throwaway CA (https)")
@click.option("--allow-remote", is_flag=True, help="With --ephemeral: allow a non-loopback --host")
def serve(ephemeral: bool, seed: str | None, tls: str | None, allow_remote: bool, **options: object) -> None:
    """Run the server (REST at /api/v3, uploads at /api/uploads, GraphQL at /api/graphql)."""
    if ephemeral:  # (docs/testing.md)
        from hubdepot.testing import ephemeral as test_mode

        return test_mode.serve(options, seed=seed, tls=tls, allow_remote=allow_remote, run=_run)
    if seed or tls or allow_remote:
        raise click.UsageError("--seed, --tls and --allow-remote go with --ephemeral (else: hubdepot seed FILE)")
    settings = settings_from(**options)
    from hubdepot.db import migrate
    from hubdepot.hub import create_hub, dispose

    hub = create_hub(settings)
    try:
        migrate.upgrade(hub.db)
    except Exception as exc:  # the database is unreachable or broken: one line, not a traceback
        raise click.ClickException(f"cannot migrate the database at {settings.database}: {exc}") from None
    _first_start(hub)
    _repair(hub)
    dispose(hub)  # granian forks its workers from this process: they open their own
    _run(settings)


def _preload(settings: Settings) -> None:
    """What every worker loads, loaded once here before granian forks them (shared, not loaded per
    worker; after _metrics: prometheus_client reads its directory on import). A test server
    (--ephemeral) skips what it may never use (GraphQL, the webhook client) to start sooner; it loads
    those at their first use."""
    import hubdepot.app

    if not settings.ephemeral:
        import hubdepot.events.sender
        import hubdepot.graphql.resolvers  # noqa: F401


def _repair(hub: Hub) -> None:
    """What writers killed with the last server left (ref lock files, push quarantines) would block
    their branches: remove them now, as `hubdepot fsck --repair` does, in every repository whose lock is
    free (one a running mirror or push holds is skipped, not waited for: start-up never waits on it)."""
    from hubdepot.services import fsck

    for line in fsck.repair(hub, wait=False):
        click.echo(f"hubdepot: {line}", err=True)


def _first_start(hub: Hub) -> None:
    """On first start: user `admin` and one token, saved with mode 0600 in the data dir."""
    from hubdepot import errors
    from hubdepot.services import accounts

    path = hub.settings.data_dir / "admin-token"
    try:
        accounts.by_login(hub, "admin")
        if path.exists():
            click.echo(f"admin token: {path}", err=True)
        return
    except errors.NotFound:
        pass
    token = create_admin(hub, "created on first start")
    api = f"{hub.settings.public}/api/v3"
    host = hub.settings.public.split("://", 1)[1]
    click.echo(f"""
hubdepot: created user 'admin' with this token (also saved in {path}):

    {token}

PyGithub:
    from github import Github, Auth
    gh = Github(base_url="{api}", auth=Auth.Token("{token}"))
gh (needs https: start with --tls-cert/--tls-key):
    GH_HOST={host} GH_ENTERPRISE_TOKEN={token} gh release list -R {host}/OWNER/REPO
curl:
    curl -H "Authorization: token {token}" {api}/user
""")


def _tls_key(settings: Settings) -> str:
    """granian wants PKCS#8; convert other PEM keys into the data dir."""
    data = Path(settings.tls_key).read_bytes()
    if b"BEGIN PRIVATE KEY" in data:
        return settings.tls_key
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(data, password=None)
    out = settings.data_dir / "tls-key.pkcs8.pem"
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    return str(out)


def _server_class(settings: Settings) -> type[Any]:
    """granian's process manager, draining on SIGTERM or SIGINT: the drain flag makes /status answer
    503 (services/health), the load balancer has `drain_delay` seconds to notice, then granian stops
    accepting and gives in-flight requests `drain_timeout` seconds. A second signal stops at once."""
    from granian.server import MPServer

    from hubdepot.services import health

    class DrainingServer(MPServer):
        draining = False

        def signal_handler_interrupt(self, *args: object, **kwargs: object) -> None:
            if self.draining or not settings.drain_delay:
                stop: Callable[..., None] = super().signal_handler_interrupt  # (unannotated in granian)
                stop(*args, **kwargs)
                return
            self.draining = True
            health.drain_flag(settings.data_dir, os.getpid()).touch()
            click.echo(f"hubdepot: draining, stopping in {settings.drain_delay} s", err=True)
            timer = threading.Timer(settings.drain_delay, super().signal_handler_interrupt)
            timer.daemon = True
            timer.start()

    return DrainingServer


def _metrics(settings: Settings) -> None:
    """Worker processes count into a fresh shared directory (prometheus_client's multiprocess mode);
    with HUBDEPOT_METRICS=ADDRESS:PORT this process serves their sum there."""
    if settings.metrics == "off":
        return
    shutil.rmtree(settings.metrics_dir, ignore_errors=True)
    settings.metrics_dir.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(settings.metrics_dir)  # read by prometheus_client on import
    if settings.metrics != "on":
        from prometheus_client import multiprocess, start_http_server

        from hubdepot import metrics
        from hubdepot.hub import create_hub
        from hubdepot.pages.status import webhook_gauges

        address, _, port = settings.metrics.rpartition(":")
        asked = webhook_gauges(create_hub(settings))
        start_http_server(int(port), address.strip("[]"), metrics.registry(settings.metrics_dir, asked))
        mark_dead: Callable[[int], object] = multiprocess.mark_process_dead  # (unannotated in prometheus_client)
        mark_dead(os.getpid())  # this process counts nothing: no gauge of its own


def _run(settings: Settings) -> None:
    from granian.constants import Interfaces, Loops
    from granian.log import LogLevels

    _metrics(settings)  # before prometheus_client is imported: granian forks its workers from this process
    _preload(settings)
    from hubdepot import logs
    from hubdepot.services import health

    os.environ.update(to_env(settings))
    flag = health.drain_flag(settings.data_dir, os.getpid())
    flag.unlink(missing_ok=True)
    tls: dict[str, Any] = {}
    if settings.tls_cert:
        tls = {"ssl_cert": Path(settings.tls_cert), "ssl_key": Path(_tls_key(settings))}
    click.echo(f"hubdepot: serving {settings.public} (data in {settings.data_dir.resolve()})", err=True)
    sys.stderr.flush()
    server = _server_class(settings)(
        "hubdepot.app:app_from_env",
        factory=True,
        address=settings.host,
        port=int(settings.port),
        interface=Interfaces.ASGI,
        loop=Loops.uvloop,  # 1.5x the requests/s of asyncio's loop on small answers (bench/profile.py)
        workers=settings.worker_count,
        log_level=LogLevels(settings.log_level),
        log_access=False,
        log_dictconfig=logs.log_config(settings),
        workers_kill_timeout=settings.drain_timeout or None,
        **tls,
    )
    try:
        server.serve()
    finally:
        flag.unlink(missing_ok=True)
