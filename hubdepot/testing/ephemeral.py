"""`hubdepot serve --ephemeral`: a server for test suites. Its data lives in a temporary directory
removed when the server stops (also after SIGINT or SIGTERM); it listens on loopback only unless
told otherwise; it prints, on stdout and at once, the `export NAME=value` lines clients read."""

from __future__ import annotations

import contextlib
import ipaddress
import os
import shlex
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, NoReturn

import click

from hubdepot.cli.common import create_admin, settings_from
from hubdepot.config import Settings

if TYPE_CHECKING:
    from hubdepot.hub import Hub


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def free_port(host: str) -> int:
    """A port nobody listens on now (the kernel's pick), for `--port 0`."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as s:
        s.bind((host.strip("[]"), 0))
        return int(s.getsockname()[1])


def _refuse(options: Mapping[str, Any], allow_remote: bool) -> None:
    host = options.get("host") or "127.0.0.1"
    if not is_loopback(host) and not allow_remote:
        raise click.UsageError(
            f"--ephemeral listens on loopback only; {host} is not (add --allow-remote to listen there anyway)"
        )
    for name in ("data_dir", "database_url", "storage", "tls_cert", "tls_key"):
        if options.get(name):
            raise click.UsageError(f"--{name.replace('_', '-')} does not go with --ephemeral (its data is temporary)")


def _settings(options: Mapping[str, Any], data_dir: Path, tls: str | None) -> Settings:
    host = options.get("host") or "127.0.0.1"
    port = options.get("port")
    overrides = dict(options, data_dir=str(data_dir), database_url="", storage="", repositories_dir="")
    overrides.update(host=host, port=port or free_port(host), ephemeral=True, workers=1, drain_delay=0)
    if tls == "auto":
        from hubdepot.testing import tls as tls_certs

        certs = tls_certs.make(data_dir, host)
        overrides.update(tls_cert=str(certs.cert), tls_key=str(certs.key))
    return settings_from(**overrides)


def bootstrap(hub: Hub) -> str:
    """User `admin` (a site administrator) and its token, kept in the data dir as a normal start does."""
    return create_admin(hub, "ephemeral server")


def exports(settings: Settings, token: str) -> list[str]:
    """What clients read: Actions' variables, gh's and, under TLS, the CA every TLS stack trusts."""
    origin = settings.public
    values = {
        "GITHUB_SERVER_URL": origin,
        "GITHUB_API_URL": f"{origin}/api/v3",
        "GITHUB_GRAPHQL_URL": f"{origin}/api/graphql",
        "GH_HOST": origin.split("://", 1)[1],
        "GH_ENTERPRISE_TOKEN": token,
        "GITHUB_TOKEN": token,
    }
    if settings.tls_cert:
        values["SSL_CERT_FILE"] = str((settings.data_dir / "ca.pem").resolve())
    values["HUBDEPOT_PID"] = str(os.getpid())  # what to signal to stop it (it then removes its data)
    return [f"export {name}={shlex.quote(value)}" for name, value in values.items()]


def receiver_url(settings: Settings) -> str:
    """The built-in webhook receiver (hubdepot/testing/middleware.py)."""
    return f"{settings.public}/_hubdepot/webhooks"


def _interrupt(_signum: int, _frame: FrameType | None) -> NoReturn:
    raise KeyboardInterrupt


@contextlib.contextmanager
def temporary_data() -> Iterator[Path]:
    """A fresh directory, removed on the way out whatever the way: SIGTERM is made an interrupt
    until the server takes its signals over (it then stops and returns, and this removes it)."""
    previous = signal.signal(signal.SIGTERM, _interrupt)
    path = Path(tempfile.mkdtemp(prefix="hubdepot-ephemeral-"))
    try:
        yield path
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    finally:
        shutil.rmtree(path, ignore_errors=True)
        signal.signal(signal.SIGTERM, previous)


def _prepare(settings: Settings, seed: str | None) -> str:
    """Migrate, make the admin, load the seed; returns the admin's token."""
    from hubdepot.db import migrate
    from hubdepot.hub import create_hub, dispose

    hub = create_hub(settings)
    try:
        migrate.upgrade(hub.db)
        token = bootstrap(hub)
        if seed:
            from hubdepot.testing import seed as seeding

            try:
                made = seeding.load_file(hub, Path(seed), receiver=receiver_url(settings))
            except seeding.SeedError as exc:
                raise click.ClickException(str(exc)) from None
            click.echo(f"hubdepot: seeded {len(made)} things from {seed}", err=True)
        return token
    finally:
        dispose(hub)


def serve(
    options: Mapping[str, Any],
    *,
    seed: str | None,
    tls: str | None,
    allow_remote: bool,
    run: Callable[[Settings], None],
) -> None:
    _refuse(options, allow_remote)
    with temporary_data() as data_dir:
        settings = _settings(options, data_dir, tls)
        token = _prepare(settings, seed)
        if settings.tls_cert:
            click.echo(f"hubdepot: CA certificate {(data_dir / 'ca.pem').resolve()}", err=True)
        sys.stdout.flush()
        out = _Announcement(os.dup(1))
        os.dup2(2, 1)  # the server's own lines go to stderr; stdout is only the export lines
        threading.Thread(target=out.send, args=(settings, exports(settings, token)), daemon=True).start()
        run(settings)


class _Announcement:
    """stdout, kept from the worker processes (they are forked: each closes its copy at once), so
    its reader sees EOF once the export lines are written."""

    def __init__(self, fd: int):
        self.fd: int | None = fd
        os.register_at_fork(after_in_child=self.close)

    def close(self) -> None:
        fd, self.fd = self.fd, None
        if fd is not None:
            os.close(fd)

    def send(self, settings: Settings, lines: list[str]) -> None:
        """Once the server's socket accepts connections (a request made then is answered)."""
        address = (settings.host.strip("[]"), int(settings.port))
        while True:
            try:
                socket.create_connection(address, timeout=1).close()
                break
            except OSError:
                time.sleep(0.01)
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.write(self.fd, ("\n".join(lines) + "\n").encode())
            self.close()
