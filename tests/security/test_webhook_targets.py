"""Webhook targets are checked at the address connected to: with HUBDEPOT_WEBHOOK_FORBID_PRIVATE=1 a
hook's host is resolved once, every address it resolves to is checked (HUBDEPOT_WEBHOOK_ALLOW lets
named hosts and networks through), and the delivery connects to the address checked, with the
hook's own hostname as Host, TLS server name and certificate name.

Names resolve the way they do in production: the hubdepot process asks its system resolver (glibc's
getaddrinfo), which asks a real DNS server, tests/support/dns.py's, on a loopback address of its
own. The server runs in a mount namespace of its own (`unshare --mount`, root only) whose
/etc/resolv.conf names that server, so nothing else on the machine sees these names; no test-only
setting exists in hubdepot. The DNS server counts lookups, so a name can answer one address to the
first lookup and another to the next: DNS rebinding itself, deterministic, with no clock to race."""

from __future__ import annotations

import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from tests.conftest import BASE_PG_URL, WORKER, scratch_database
from tests.support import server as server_support
from tests.support.dns import NameServer, namespaces_available
from tests.support.receivers import PyReceiver
from tests.support.server import free_port
from tests.support.tls import make_certs

PUBLIC = "192.0.0.9"  # a global address (IANA's Port Control Protocol anycast): nothing answers there in a test
GUARDED = {
    "HUBDEPOT_WEBHOOK_FORBID_PRIVATE": "1",
    "HUBDEPOT_WEBHOOK_BACKOFF_MS": "200",
    "HUBDEPOT_WEBHOOK_TIMEOUT": "1",
    "HUBDEPOT_WEBHOOK_LEASE_SECONDS": "3",
    "HUBDEPOT_WEBHOOK_POLL_MS": "100",
}
needs_namespaces = pytest.mark.skipif(
    not namespaces_available(), reason="needs root for `unshare --mount` (the server's own resolv.conf)"
)


def _start(tmp_path, backend: str, dns: NameServer, env: dict) -> server_support.Server:
    database = ""
    if backend == "postgresql":
        name = f"{BASE_PG_URL.rpartition('/')[2]}_hook_targets_{tmp_path.name[:20]}_{WORKER}"
        database = scratch_database(name, fresh=True)
    return server_support.start(tmp_path / "data", database, env=env, prefix=dns.isolated(tmp_path / "etc"))


def _client(srv) -> httpx.Client:
    return httpx.Client(base_url=srv.api, headers={"Authorization": f"token {srv.token}"}, timeout=30)


def _hook(c: httpx.Client, repo: str, url: str, **config) -> int:
    r = c.post(f"/repos/{repo}/hooks", json={"config": {"url": url, "content_type": "json", **config}})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _status(c: httpx.Client, repo: str, hook_id: int) -> str:
    items = c.get(f"/repos/{repo}/hooks/{hook_id}/deliveries").json()
    return items[0]["status"] if items else "Pending"


def _until(predicate, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


class TlsReceiver:
    """An HTTPS receiver on `address`: records the TLS server name and the Host header of each POST."""

    def __init__(self, address: str, certs):
        self.port, self.seen, self.names = free_port(), [], []
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certs.cert, certs.key)
        context.sni_callback = lambda sock, name, ctx: self.names.append(name)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("content-length", 0)))
                receiver.seen.append(self.headers["host"])
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer((address, self.port), Handler)
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@needs_namespaces
def test_a_name_that_rebinds_is_delivered_to_the_address_checked(tmp_path, backend):
    """`rebind.test` answers a public address, then 127.0.0.1, then the public one again (TTL 0), as
    an attacker's name server does. A check that resolves the name and a connection that resolves it
    again see two answers: the check passes on the public address and the payload goes to the
    receiver on 127.0.0.1. Resolving once and connecting to the address checked never reaches it:
    the first attempt goes to the public address (nothing answers there), the retry resolves
    127.0.0.1 and is refused, which the deliveries log says."""
    flip = {"rebind.test": lambda n: [PUBLIC] if n % 2 == 0 else ["127.0.0.1"]}
    with PyReceiver() as victim, NameServer(flip) as dns:
        srv = _start(tmp_path, backend, dns, GUARDED)
        try:
            c = _client(srv)
            assert c.post("/user/repos", json={"name": "rebind", "auto_init": True}).status_code == 201
            hook = _hook(c, "admin/rebind", f"http://rebind.test:{victim.port}/hook")
            _until(lambda: victim.received or _status(c, "admin/rebind", hook).startswith(("OK", "Not delivered")))
            status = _status(c, "admin/rebind", hook)
        finally:
            srv.stop()
    assert victim.received == [], "delivered to 127.0.0.1 through a name checked as public"
    assert status == "Not delivered: the URL's host is a private or loopback address (127.0.0.1)"
    assert dns.lookups["rebind.test"] == 2  # one lookup per attempt: public (unreachable), then loopback


@needs_namespaces
def test_the_allow_list_lets_through_the_internal_hosts_it_names(tmp_path, backend):
    """HUBDEPOT_WEBHOOK_ALLOW names a host (ci.internal, at 127.0.0.1) and a network (127.0.0.2/32,
    where secure.internal points). Those are delivered to (https with the hook's hostname as TLS server
    name and Host; a redirect answered is not followed); a host not named on the same address, a
    name resolving to a public and a loopback address, and a loopback literal are refused."""
    names = {
        "ci.internal": ["127.0.0.1"],
        "secure.internal": ["127.0.0.2"],
        "other.internal": ["127.0.0.1"],
        "mixed.example": [PUBLIC, "127.0.0.1"],
    }
    env = {**GUARDED, "HUBDEPOT_WEBHOOK_ALLOW": "CI.internal, 127.0.0.2/32"}
    tls = TlsReceiver("127.0.0.2", make_certs(tmp_path / "certs"))
    with PyReceiver() as rec, PyReceiver() as beyond, PyReceiver(status=302) as mover, NameServer(names) as dns:
        mover.headers["Location"] = f"http://ci.internal:{beyond.port}/hook"
        srv = _start(tmp_path, backend, dns, env)
        try:
            c = _client(srv)
            assert c.post("/user/repos", json={"name": "allowed", "auto_init": True}).status_code == 201
            listed = _hook(c, "admin/allowed", f"http://ci.internal:{rec.port}/hook")
            secure = _hook(c, "admin/allowed", f"https://secure.internal:{tls.port}/hook", insecure_ssl="1")
            moved = _hook(c, "admin/allowed", f"http://ci.internal:{mover.port}/hook")
            refused = [
                _hook(c, "admin/allowed", f"http://{host}:{rec.port}/hook")
                for host in ("other.internal", "mixed.example", "127.0.0.1")
            ]
            every = [listed, secure, moved, *refused]
            _until(lambda: all(_status(c, "admin/allowed", h) != "Pending" for h in every))
            statuses = [_status(c, "admin/allowed", h) for h in every]
            time.sleep(0.3)
        finally:
            srv.stop()
            tls.stop()
    assert statuses[:3] == ["OK", "OK", "Invalid HTTP Response: 302"]
    assert [d.payload["hook_id"] for d in rec.received] == [listed]
    assert tls.names == ["secure.internal"] and tls.seen == [f"secure.internal:{tls.port}"]
    assert mover.received and beyond.received == []  # (a 302 is a failure: tried again, never followed)
    assert statuses[3:] == [
        "Not delivered: the URL's host is a private or loopback address (127.0.0.1)",
        "Not delivered: the URL's host is a private or loopback address (127.0.0.1)",
        "Not delivered: the URL's host is a private or loopback address (127.0.0.1)",
    ]


@pytest.mark.parametrize("value", ["10.1.0.0/33", "10.1.0.1/16", "ci internal", "*.corp", "ci.internal;10.0.0.0/8"])
def test_a_bad_allow_list_stops_the_server_with_one_line(tmp_path, value):
    env = {"HUBDEPOT_WEBHOOK_ALLOW": value}
    try:
        srv = server_support.start(tmp_path / "data", env=env, wait=20)
    except RuntimeError:
        lines = (tmp_path / "data").glob("server-*.log").__next__().read_text().splitlines()
    else:
        srv.stop()
        pytest.fail(f"the server started with HUBDEPOT_WEBHOOK_ALLOW={value!r}")
    assert len(lines) == 1 and lines[0].startswith("Error: HUBDEPOT_WEBHOOK_ALLOW: "), lines
