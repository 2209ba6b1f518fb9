"""A cluster's read path: two hubdepot hosts on one PostgreSQL (private instance), one repositories
directory. Cached GET /repos/{o}/{r} through host A vs nginx serving the same bytes; the same while
host B writes to another repository 50 times a second (per-repository invalidation); the CPU a host
spends per cached request, in the cluster vs a lone SQLite host; how long a write through B leaves
A's cached answer stale."""

from __future__ import annotations

import contextlib
import os
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from bench.common import Load, hubdepot, nginx, row, wrk
from tests.support import server as server_support
from tests.support.pg import private_postgres


def run(seconds: int, workers: int) -> list[str]:
    with _cluster(workers) as (a, b):
        auth = {"Authorization": f"token {a.token}"}
        for name in ("bench", "other"):
            httpx.post(a.api + "/user/repos", json={"name": name, "auto_init": True}, headers=auth).raise_for_status()
        url = a.api + "/repos/admin/bench"
        body = httpx.get(url, headers=auth).content
        quiet, cpu = _cpu_per_request(a, lambda: wrk(url, seconds=seconds, headers=auth))
        with _writes(b.api + "/repos/admin/other", auth, per_second=50) as written:
            busy, busy_cpu = _cpu_per_request(a, lambda: wrk(url, seconds=seconds, headers=auth))
        hits = _cache_results(a)
        stale = _staleness(a, b, auth)
    with hubdepot(workers) as single:
        single_auth = {"Authorization": f"token {single.token}"}
        httpx.post(single.api + "/user/repos", json={"name": "bench"}, headers=single_auth).raise_for_status()
        target = single.api + "/repos/admin/bench"
        _, single_cpu = _cpu_per_request(single, lambda: wrk(target, seconds=seconds, headers=single_auth))
    with nginx(workers) as (origin, www):
        (www / "api/v3/repos/admin").mkdir(parents=True)
        (www / "api/v3/repos/admin/bench").write_bytes(body)
        ref = wrk(origin + "/api/v3/repos/admin/bench", seconds=seconds, headers=auth)
    name = "cluster GET /repos/{o}/{r}"
    return [
        row(f"{name} req/s @64", quiet.rps, ref.rps, "req/s", ">= 0.4x nginx", f"p99 {quiet.p99_ms:.1f} ms"),
        row(f"{name} + writes elsewhere", busy.rps, quiet.rps, "req/s", ">= 0.9x quiet", f"p99 {busy.p99_ms:.1f} ms"),
        row(
            "  its CPU per cached request", busy_cpu * 1e6, cpu * 1e6, "us", "1x quiet", f"{written[0]} writes, {hits}"
        ),
        row("cluster CPU per cached request", cpu * 1e6, single_cpu * 1e6, "us", "<= 1.2x a lone SQLite host"),
        f"{'cluster write on B -> A fresh':<44} p50 {stale[0]:.1f} ms  p99 {stale[1]:.1f} ms  (goal p99 < 50 ms)",
    ]


@contextlib.contextmanager
def _cluster(workers: int) -> Iterator[tuple[server_support.Server, server_support.Server]]:
    root = Path(tempfile.mkdtemp(prefix="hubdepot-cluster-bench-"))
    env = {"HUBDEPOT_REPOSITORIES_DIR": str(root / "repositories"), "HUBDEPOT_SECRET_KEY": "bench-cluster-key"}
    env["HUBDEPOT_WORKERS"] = str(workers)
    try:
        with private_postgres() as pg:
            a = server_support.start(root / "a", pg.url, env=env)
            (root / "b").mkdir()
            shutil.copy(root / "a" / "admin-token", root / "b" / "admin-token")
            b = server_support.start(root / "b", pg.url, env=env)
            try:
                yield a, b
            finally:
                a.stop()
                b.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _cpu_seconds(pid: int) -> float:
    total = 0
    for p in server_support.family(pid):
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def _cpu_per_request(srv: server_support.Server, load) -> tuple[Load, float]:
    before = _cpu_seconds(srv.process.pid)
    started = time.monotonic()
    result = load()
    spent = _cpu_seconds(srv.process.pid) - before
    return result, spent / max(1.0, result.rps * (time.monotonic() - started))


@contextlib.contextmanager
def _writes(url: str, auth: dict, per_second: int) -> Iterator[list[int]]:
    """Writes to `url`, `per_second` at most, while the block runs; yields [how many so far]."""
    stop, count = threading.Event(), [0]

    def write() -> None:
        with httpx.Client(headers=auth, timeout=30) as client:
            while not stop.wait(1 / per_second):
                count[0] += 1
                client.patch(url, json={"description": f"write {count[0]}"})

    thread = threading.Thread(target=write)
    thread.start()
    try:
        yield count
    finally:
        stop.set()
        thread.join(30)


def _cache_results(srv) -> str:
    time.sleep(1.2)  # each worker adds its tally every second
    lines = httpx.get(srv.url + "/metrics").text.splitlines()
    found = [
        line.split("{", 1)[1].replace('result="', "").replace('"} ', "=")
        for line in lines
        if line.startswith("hubdepot_read_cache_total")
    ]
    return "read cache " + " ".join(found)


def _staleness(a, b, auth: dict, rounds: int = 100) -> tuple[float, float]:
    """Milliseconds from a write's answer on B until A's cached answer is fresh (polled)."""
    url = "/repos/admin/bench"
    delays = []
    with httpx.Client(headers=auth, timeout=30) as client:
        for n in range(rounds):
            client.get(a.api + url)  # cached on A
            client.patch(b.api + url, json={"description": f"fresh {n}"}).raise_for_status()
            written = time.monotonic()
            while client.get(a.api + url).json()["description"] != f"fresh {n}":
                time.sleep(0.0005)
            delays.append((time.monotonic() - written) * 1000)
    delays.sort()
    return statistics.median(delays), delays[int(len(delays) * 0.99) - 1]
