"""Settings: typed, frozen, read from HUBDEPOT_* environment variables and CLI overrides.

This module is the only reader of os.environ in hubdepot.
"""

from __future__ import annotations

import dataclasses
import functools
import ipaddress
import os
import re
from pathlib import Path
from typing import Any


class SettingsError(ValueError):
    """A setting has a value hubdepot cannot use; the message is one line for the user."""


_SIZE_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


def parse_size(text: str) -> int:
    """'2G', '512m', '1048576' -> bytes."""
    raw = text.strip().lower().removesuffix("b").removesuffix("i")
    unit = raw[-1:] if raw[-1:] in _SIZE_UNITS and not raw[-1:].isdigit() else ""
    number = raw[: len(raw) - len(unit)]
    try:
        value = int(float(number) * _SIZE_UNITS[unit])
    except ValueError:
        raise SettingsError(f"not a size: {text!r} (use e.g. 2G, 512M, 1048576)") from None
    if value <= 0:
        raise SettingsError(f"size must be positive: {text!r}")
    return value


def _bool(text: str) -> bool:
    low = text.strip().lower()
    if low in {"1", "true", "yes", "on"}:
        return True
    if low in {"0", "false", "no", "off", ""}:
        return False
    raise SettingsError(f"not a boolean: {text!r}")


_HOSTNAME = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)(\.(?!-)[a-z0-9_-]{1,63}(?<!-))*")


@dataclasses.dataclass(frozen=True)
class HostList:
    """Hostnames (matched exactly, any case) and networks: "ci.internal,10.1.0.0/16"."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()

    @classmethod
    def parse(cls, text: str) -> HostList:
        hosts, networks = set(), []
        for item in filter(None, (part.strip().lower().rstrip(".") for part in text.split(","))):
            if "/" in item or ":" in item or item.replace(".", "").isdigit():
                networks.append(ipaddress.ip_network(item))  # a host address is a /32 (/128); host bits set: refused
            elif _HOSTNAME.fullmatch(item) and len(item) <= 253:
                hosts.add(item)
            else:
                raise ValueError(f"not a hostname or a network: {item!r} (use e.g. ci.internal,10.1.0.0/16)")
        return cls(frozenset(hosts), tuple(networks))

    def __str__(self) -> str:
        return ",".join([*sorted(self.hosts), *map(str, self.networks)])


@dataclasses.dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("./hubdepot-data")
    database_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = ""
    tls_cert: str = ""
    tls_key: str = ""
    workers: int = 0  # 0: one per CPU (what serves a machine best, bench/repos.py --workers)
    storage: str = ""  # "" = local dir in data_dir; "s3://bucket/prefix" for S3
    s3_endpoint_url: str = ""
    s3_region: str = "us-east-1"
    s3_access_key_id: str = ""
    s3_secret_access_key: str = ""
    s3_download: str = "auto"  # auto | proxy | redirect
    upload_max_bytes: int = 2 * 1024**3
    rate_limit_authenticated: int = 0  # requests per window per token; 0 = off (GHES's default)
    rate_limit_anonymous: int = 0  # per client IP; 0 = off
    rate_limit_window: int = 3600
    read_cache: bool = True  # the edge's cache of GET answers (http/cache.py); exact for processes sharing data_dir
    secret_key: str = ""  # signs short-lived URLs; generated into data_dir when empty
    ephemeral: bool = False  # test mode (`serve --ephemeral`): the /_hubdepot/ namespace, journal and faults
    log_level: str = "info"
    log_format: str = "text"  # text | json (one JSON object a line: each request, each error with its traceback)
    repositories_dir: str = ""  # bare repositories; "" = DATA_DIR/repositories (a shared volume for a cluster)
    drain_delay: int = 5  # seconds /status answers 503 after SIGTERM before the server stops accepting
    drain_timeout: int = 60  # seconds in-flight requests (pushes, uploads) then have to finish
    metrics: str = "on"  # GET /metrics: on | off | ADDRESS:PORT (served there instead, by the serve process)
    graphql_timeout_ms: int = 10000  # a GraphQL query's execution is stopped after this, as GitHub's (10 s)
    # webhooks (hubdepot/events): the delivery task of every serve process
    webhook_timeout: int = 10  # seconds per delivery, as GitHub
    webhook_payload_max_bytes: int = 25 * 1024**2  # bigger payloads are not delivered (GitHub's cap)
    webhook_retention_hours: int = 72  # delivery history kept, then pruned
    webhook_retry_hours: int = 8  # a failing delivery is retried, with backoff, for this long
    webhook_backoff_ms: int = 10000  # the first retry's delay; each next one doubles (capped at 2 h)
    webhook_lease_seconds: int = 30  # a process's claim on a hook; a dead process's expires
    webhook_poll_ms: int = 1000  # how often an idle process looks for due deliveries
    webhook_concurrency: int = 16  # hooks delivered at once by one process
    webhook_forbid_private: bool = False  # refuse loopback/private/link-local targets (GHES allows them)
    webhook_allow: HostList = HostList()  # with webhook_forbid_private: the internal hosts and networks allowed

    # -- derived ---------------------------------------------------------
    @property
    def scheme(self) -> str:
        return "https" if self.tls_cert else "http"

    @functools.cached_property
    def public(self) -> str:
        """The origin every URL we emit starts with, without a trailing slash."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        if ":" in host:
            host = f"[{host}]"
        return f"{self.scheme}://{host}:{self.port}"

    @property
    def worker_count(self) -> int:
        return int(self.workers) or os.cpu_count() or 1

    @property
    def rate_limited(self) -> bool:
        return bool(self.rate_limit_authenticated or self.rate_limit_anonymous)

    @property
    def database(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'hubdepot.db').resolve()}"

    @functools.cached_property  # (asked per request: a Path costs a few µs)
    def repos_dir(self) -> Path:
        return Path(self.repositories_dir) if self.repositories_dir else self.data_dir / "repositories"

    @functools.cached_property
    def metrics_dir(self) -> Path:
        """Where granian's worker processes keep their metrics for /metrics (hubdepot/metrics.py)."""
        return self.data_dir / "metrics"

    @functools.cached_property
    def blobs_dir(self) -> Path:
        return self.data_dir / "blobs"

    # -- construction ----------------------------------------------------
    @classmethod
    def load(cls, env: dict[str, str] | None = None, **overrides: object) -> Settings:
        """Read HUBDEPOT_* from env (os.environ by default); overrides win when not None."""
        env = dict(os.environ if env is None else env)
        values: dict[str, Any] = {}  # each field's converted value
        for field in dataclasses.fields(cls):
            key = f"HUBDEPOT_{field.name.upper()}"
            if overrides.get(field.name) is not None:
                value = overrides[field.name]
                values[field.name] = _convert(field, value, f"--{field.name}") if isinstance(value, str) else value
            elif key in env:
                values[field.name] = _convert(field, env[key], key)
        settings = cls(**values)
        settings.validate()
        return settings

    def validate(self) -> None:
        if not 0 < int(self.port) < 65536:
            raise SettingsError(f"port out of range: {self.port}")
        if bool(self.tls_cert) != bool(self.tls_key):
            raise SettingsError("--tls-cert and --tls-key go together")
        for path in (self.tls_cert, self.tls_key):
            if path and not Path(path).is_file():
                raise SettingsError(f"TLS file not found: {path}")
        if self.database_url and not self.database_url.startswith(("sqlite", "postgresql")):
            raise SettingsError(f"unsupported database URL (sqlite:/// or postgresql://): {self.database_url}")
        if self.storage and not self.storage.startswith(("s3://", "file://", "memory://")):
            raise SettingsError(f"unsupported storage (s3://bucket/prefix): {self.storage}")
        if self.s3_download not in ("auto", "proxy", "redirect"):
            raise SettingsError("s3_download must be auto, proxy or redirect")
        if self.public_url and not self.public_url.startswith(("http://", "https://")):
            raise SettingsError(f"public URL must start with http:// or https://: {self.public_url}")
        if (
            min(
                int(self.webhook_timeout),
                int(self.webhook_lease_seconds),
                int(self.webhook_poll_ms),
                int(self.webhook_concurrency),
                int(self.webhook_retention_hours),
                int(self.webhook_backoff_ms),
            )
            < 1
        ):
            raise SettingsError("webhook timeout, lease, poll, concurrency and retention must be positive")
        if int(self.webhook_lease_seconds) <= int(self.webhook_timeout):
            raise SettingsError("webhook_lease_seconds must be longer than webhook_timeout")
        if int(self.workers) < 0:
            raise SettingsError("workers must be at least 1 (0: one per CPU)")
        if self.log_level not in ("critical", "error", "warning", "info", "debug"):
            raise SettingsError(f"log level must be critical, error, warning, info or debug: {self.log_level}")
        if self.log_format not in ("text", "json"):
            raise SettingsError(f"log format must be text or json: {self.log_format}")
        if min(int(self.drain_delay), int(self.drain_timeout)) < 0:
            raise SettingsError("drain delay and timeout cannot be negative")
        if self.metrics not in ("on", "off") and not re.fullmatch(r"\[?[0-9A-Za-z.:-]+\]?:[0-9]{1,5}", self.metrics):
            raise SettingsError(f"metrics must be on, off or ADDRESS:PORT: {self.metrics}")


def _convert(field: dataclasses.Field[object], text: str, key: str) -> object:
    kind = field.type
    try:
        if kind in ("int", int):
            return parse_size(text) if field.name.endswith("_bytes") else int(text)
        if kind in ("bool", bool):
            return _bool(text)
        if kind in ("Path", Path):
            return Path(text)
        if kind in ("HostList", HostList):
            return HostList.parse(text)
    except ValueError as exc:
        raise SettingsError(f"{key}: {exc}") from None
    return text


def to_env(settings: Settings) -> dict[str, str]:
    """The HUBDEPOT_* variables that reproduce `settings` (for worker processes)."""
    out = {}
    for field in dataclasses.fields(settings):
        value = getattr(settings, field.name)
        out[f"HUBDEPOT_{field.name.upper()}"] = str(int(value) if isinstance(value, bool) else value)
    return out
