"""Where deliveries may go when HUBDEPOT_WEBHOOK_FORBID_PRIVATE is on.

A hook's host is resolved once, when a connection to it is made; every address it resolves to is
checked, and the connection goes to one of those very addresses. Checking a name and then letting
the HTTP client resolve it again would let a name that answers a public address first and
127.0.0.1 next (DNS rebinding) through. The check sits in httpcore's network backend, under the
connection pool: the request keeps the hook's hostname (Host header, TLS server name and the
certificate's name), pooled connections are per hostname as usual, and a connection kept alive was
checked when it was made. HUBDEPOT_WEBHOOK_ALLOW names the internal hosts and networks let through.
"""

from __future__ import annotations

import ipaddress
import socket
import typing

import httpcore
import httpx

from hubdepot.config import HostList


class Refused(Exception):
    """The target resolves to an internal address that is not allowed; the message is that address."""


def permitted(address: str, allow: HostList) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip in network for network in allow.networks):
        return True
    return ip.is_global and not ip.is_multicast


def addresses(host: str, port: int, allow: HostList) -> list[str]:
    """The addresses `host` resolves to now, each of them permitted (Refused otherwise)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:  # (unknown name, resolver away): no connection, retried later
        raise httpcore.ConnectError(f"{host}: {exc}") from exc
    found = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if host.lower().rstrip(".") not in allow.hosts:
        for address in found:
            if not permitted(address, allow):
                raise Refused(address)
    return found


class CheckedBackend(httpcore.SyncBackend):
    """httpcore's own sockets, opened to the addresses `addresses` checked, in the resolver's order."""

    def __init__(self, allow: HostList):
        self.allow = allow

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        failure: Exception = httpcore.ConnectError(f"{host}: no address")
        for address in addresses(host, port, self.allow):
            try:  # a numeric address: no second lookup
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        raise failure


def transport(*, verify: bool, limits: httpx.Limits, allow: HostList) -> httpx.HTTPTransport:
    """httpx's transport over a connection pool whose connections go through CheckedBackend (httpx
    does not take a network backend; its pool, httpcore's ConnectionPool, does)."""
    checked = httpx.HTTPTransport(verify=verify, limits=limits, trust_env=False)
    if not isinstance(checked._pool, httpcore.ConnectionPool):
        raise RuntimeError("httpx's HTTPTransport no longer keeps an httpcore.ConnectionPool in _pool")
    checked._pool = httpcore.ConnectionPool(
        ssl_context=httpx.create_ssl_context(verify=verify, trust_env=False),
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=CheckedBackend(allow),
    )
    return checked
