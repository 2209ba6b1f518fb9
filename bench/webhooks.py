"""Webhooks: deliveries per second to a local receiver (1 hook, and 10 hooks in parallel) against the
same receiver fed directly by httpx with the same payloads; and the latency of creating a release
in a repository with 10 hooks against one with none."""

from __future__ import annotations

import contextlib
import os
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from bench.common import hubdepot, need, row
from tests.support import server as server_support
from tests.support.receivers import PyReceiver

_NGINX = """
{user}
worker_processes 1;
daemon off;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log {root}/access.log;
  client_body_temp_path {root}/body;
  server {{
    listen 127.0.0.1:{port};
    location / {{ return 200 "ok"; }}
  }}
}}
"""


@contextlib.contextmanager
def nginx_receiver() -> Iterator[tuple[str, Path]]:
    """A receiver that costs next to no CPU (nginx answering 200 to every POST): (url, access log)."""
    root = Path(tempfile.mkdtemp(prefix="nginx-hooks-"))
    port = server_support.free_port()
    user = "user root root;" if os.geteuid() == 0 else ""
    (root / "nginx.conf").write_text(_NGINX.format(user=user, root=root, port=port))
    process = subprocess.Popen(
        [need("nginx"), "-c", str(root / "nginx.conf"), "-p", str(root)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        server_support._wait(f"http://127.0.0.1:{port}", process, root / "error.log", 10)
        yield f"http://127.0.0.1:{port}/hook", root / "access.log"
    finally:
        process.terminate()
        process.wait(10)
        shutil.rmtree(root, ignore_errors=True)


def _wait_lines(path: Path, count: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_bytes().count(b"\n") >= count:
            return
        time.sleep(0.02)
    raise TimeoutError(f"{count} deliveries did not arrive")


FAST = {"HUBDEPOT_WEBHOOK_POLL_MS": "50"}


def _enqueue(srv, repo_id: int, hook_ids: list[int], count: int) -> None:
    """`count` release events for each hook, written straight into the outbox (one transaction)."""
    from hubdepot.app import create_hub
    from hubdepot.config import Settings
    from hubdepot.db.tables import hooks
    from hubdepot.events import outbox

    hub = create_hub(Settings.load(data_dir=srv.data_dir, public_url=srv.url))
    payload = {"action": "published", "release": {"tag_name": "v1", "body": "x" * 2000}, "n": 0}
    try:
        with hub.db.write() as conn:
            rows = [r for r in conn.execute(hooks.select()) if r.id in hook_ids]
            for i in range(count):
                outbox.put(conn, rows, "release", "published", repo_id, lambda i=i: payload | {"n": i}, always=True)
    finally:
        hub.db.dispose()


def _delivered_per_second(srv, c: httpx.Client, repo: str, hooks_n: int, count: int) -> float:
    with PyReceiver() as rec:
        ids = [
            c.post(
                f"/repos/{repo}/hooks",
                json={"config": {"url": f"{rec.url}?h={h}", "content_type": "json"}, "events": ["release"]},
            ).json()["id"]
            for h in range(hooks_n)
        ]
        rec.wait_for(lambda got: len(got) >= hooks_n)  # pings
        repo_id = c.get(f"/repos/{repo}").json()["id"]
        _enqueue(srv, repo_id, ids, count)
        start = time.perf_counter()  # from the commit (the server polls every 50 ms)
        rec.wait_for(lambda got: len(got) >= hooks_n * (count + 1), timeout=300)
        elapsed = time.perf_counter() - start
        for hook_id in ids:
            c.delete(f"/repos/{repo}/hooks/{hook_id}")
    return hooks_n * count / elapsed


def _direct_per_second(parallel: int, count: int) -> float:
    """The receiver fed by `parallel` httpx clients, one POST after another each (the reference)."""
    body = ('{"action":"published","release":{"tag_name":"v1","body":"' + "x" * 2000 + '"}}').encode()
    with PyReceiver() as rec:

        def feed():
            with httpx.Client() as client:
                for _ in range(count):
                    client.post(
                        rec.url, content=body, headers={"Content-Type": "application/json", "X-GitHub-Event": "release"}
                    )

        threads = [threading.Thread(target=feed) for _ in range(parallel)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return parallel * count / (time.perf_counter() - start)


def _create(c: httpx.Client, repo: str, tag: str) -> float:
    start = time.perf_counter()
    r = c.post(f"/repos/{repo}/releases", json={"tag_name": tag, "name": "n", "body": "b"})
    assert r.status_code == 201, r.text
    return time.perf_counter() - start


def _p50(xs: list[float]) -> float:
    return statistics.median(xs) * 1000


def _latency_rows(c: httpx.Client, rounds: int) -> list[str]:
    """Release create p50 in a repository with 10 hooks vs one with none: with the deliveries drained
    between two creates (the request's own added cost: building payloads, writing the outbox rows),
    and back to back (the same process also delivering 50 events per release meanwhile). The
    receiver is nginx, so the deliveries' cost is the server's alone."""
    for name in ("plain", "hooked"):
        c.post("/user/repos", json={"name": name, "auto_init": True}).raise_for_status()
    per_release = 5 * 10  # created, published, released, create (tag), push (tag) x 10 hooks
    with nginx_receiver() as (url, log):
        for h in range(10):
            c.post(
                "/repos/admin/hooked/hooks",
                json={"config": {"url": f"{url}?h={h}", "content_type": "json"}, "events": ["*"]},
            ).raise_for_status()
        _wait_lines(log, 10)
        plain, hooked, plain_busy, hooked_busy = [], [], [], []
        for i in range(10 * rounds):  # interleaved, so both see the same machine
            plain.append(_create(c, "admin/plain", f"p{i}"))
            hooked.append(_create(c, "admin/hooked", f"h{i}"))
            _wait_lines(log, 10 + per_release * (i + 1))
            time.sleep(0.2)  # and the outcomes recorded
        for i in range(10 * rounds):
            plain_busy.append(_create(c, "admin/plain", f"pb{i}"))
            hooked_busy.append(_create(c, "admin/hooked", f"hb{i}"))
        _wait_lines(log, 10 + per_release * 20 * rounds)
    return [
        row(
            "release create p50, 10 hooks vs none",
            _p50(hooked),
            _p50(plain),
            "ms",
            "< 1.10x",
            f"({per_release} deliveries each, drained between creates)",
        ),
        row(
            "  same, back to back while delivering",
            _p50(hooked_busy),
            _p50(plain_busy),
            "ms",
            "report",
            "(the serve process also sends 50 deliveries per release)",
        ),
    ]


def run(seconds: int = 8, workers: int = 1) -> list[str]:
    count = 300 if seconds < 30 else 1000
    lines = []
    with hubdepot(workers, env=FAST) as srv:
        c = httpx.Client(base_url=srv.api, headers={"Authorization": f"token {srv.token}"}, timeout=60)
        c.post("/user/repos", json={"name": "bench", "auto_init": True}).raise_for_status()
        one = _delivered_per_second(srv, c, "admin/bench", 1, count)
        ten = _delivered_per_second(srv, c, "admin/bench", 10, count // 2)
        lines.append(row("deliveries/s, 1 hook vs direct httpx", one, _direct_per_second(1, count), "ev/s", "report"))
        lines.append(
            row(
                "deliveries/s, 10 hooks vs 10 direct clients", ten, _direct_per_second(10, count // 2), "ev/s", "report"
            )
        )
        lines += _latency_rows(c, 6 if seconds < 30 else 20)
    return lines
