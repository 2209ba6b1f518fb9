"""Webhooks: deliveries per second to a local receiver (1 hook, and 10 hooks in parallel) against the
same receiver fed directly by httpx with the same payloads; and the latency of creating a release
in a repository with 10 hooks against one with none."""

from __future__ import annotations

import statistics
import threading
import time

import httpx

from bench.common import hubdepot, row
from tests.support.receivers import PyReceiver

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
        ids = [c.post(f"/repos/{repo}/hooks", json={"config": {"url": f"{rec.url}?h={h}", "content_type": "json"},
                                                    "events": ["release"]}).json()["id"] for h in range(hooks_n)]
        rec.wait_for(lambda got: len(got) >= hooks_n)  # pings
        repo_id = c.get(f"/repos/{repo}").json()["id"]
        start = time.perf_counter()
        _enqueue(srv, repo_id, ids, count)
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
                    client.post(rec.url, content=body, headers={"Content-Type": "application/json",
                                                                "X-GitHub-Event": "release"})

        threads = [threading.Thread(target=feed) for _ in range(parallel)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return parallel * count / (time.perf_counter() - start)


def _release_latency(c: httpx.Client, repo: str, n: int, tag: str) -> list[float]:
    out = []
    for i in range(n):
        start = time.perf_counter()
        r = c.post(f"/repos/{repo}/releases", json={"tag_name": f"{tag}{i}", "name": "n", "body": "b"})
        out.append(time.perf_counter() - start)
        assert r.status_code == 201, r.text
    return out


def _latency_rows(c: httpx.Client, rounds: int) -> list[str]:
    for name in ("plain", "hooked"):
        c.post("/user/repos", json={"name": name, "auto_init": True}).raise_for_status()
    with PyReceiver() as rec:
        for h in range(10):
            c.post("/repos/admin/hooked/hooks", json={"config": {"url": f"{rec.url}?h={h}", "content_type": "json"},
                                                      "events": ["*"]}).raise_for_status()
        plain, hooked = [], []
        for r in range(rounds):  # interleaved, so both see the same machine
            plain += _release_latency(c, "admin/plain", 10, f"p{r}-")
            hooked += _release_latency(c, "admin/hooked", 10, f"h{r}-")
        rec.wait_for(lambda got: len(got) >= 10 * (1 + 5 * 10 * rounds), timeout=120)
    p50_plain, p50_hooked = statistics.median(plain) * 1000, statistics.median(hooked) * 1000
    return [row("release create p50, 10 hooks vs none", p50_hooked, p50_plain, "ms", "< 1.10x",
                f"(each release: 5 events x 10 hooks = 50 deliveries; mean {statistics.mean(hooked) * 1000:.1f}"
                f" vs {statistics.mean(plain) * 1000:.1f} ms)")]


def run(seconds: int = 8, workers: int = 1) -> list[str]:
    count = 300 if seconds < 30 else 1000
    lines = []
    with hubdepot(workers, env=FAST) as srv:
        c = httpx.Client(base_url=srv.api, headers={"Authorization": f"token {srv.token}"}, timeout=60)
        c.post("/user/repos", json={"name": "bench", "auto_init": True}).raise_for_status()
        one = _delivered_per_second(srv, c, "admin/bench", 1, count)
        ten = _delivered_per_second(srv, c, "admin/bench", 10, count // 2)
        lines.append(row("deliveries/s, 1 hook vs direct httpx", one, _direct_per_second(1, count), "ev/s", "report"))
        lines.append(row("deliveries/s, 10 hooks vs 10 direct clients", ten, _direct_per_second(10, count // 2),
                         "ev/s", "report"))
        lines += _latency_rows(c, 3 if seconds < 30 else 10)
    return lines
