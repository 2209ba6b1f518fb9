"""Releases: 1 GiB asset upload and download vs nginx (with server RSS growth), GET /releases/latest
vs nginx static JSON, and one page of the release list with 10 vs 10,000 releases."""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import httpx

from bench.common import hubdepot, nginx, row, rss_kib, wrk


class PeakRss:
    """Samples a process tree's RSS every 20 ms while a transfer runs."""

    def __init__(self, pid: int):
        self.pid, self.base, self.peak = pid, rss_kib(pid), 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_kib(self.pid))
            time.sleep(0.02)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    @property
    def growth_mib(self) -> float:
        return max(0, self.peak - self.base) / 1024


def _curl(*args: str) -> float:
    start = time.perf_counter()
    subprocess.run(["curl", "-sS", "-f", "-o", "/dev/null", *args], check=True)
    return time.perf_counter() - start


def _big_file(size: int) -> Path:
    path = Path(tempfile.mkdtemp(prefix="hubdepot-bench-")) / "big.bin"
    with open(path, "wb") as f:
        block = os.urandom(1024 * 1024)
        for _ in range(size // len(block)):
            f.write(block)
    return path


TRIES = 3  # transfers each way, the best kept (one 1 GiB transfer varies by a tenth from run to run)


def _recycled_pages(size: int) -> None:
    """Write and remove `size` bytes first, so that what is measured next writes into memory just
    freed, whoever ran before it. On a virtual machine whose host takes freed memory back, a page
    written for the first time since costs a fault in the host: a GiB written took 0.2 s or 1.7 s
    by that alone (seen here), and the side measured after another's files were removed had the cheap
    pages."""
    with tempfile.TemporaryFile() as scratch:
        block = bytes(1024 * 1024)
        for _ in range(size // len(block)):
            scratch.write(block)
        scratch.flush()


def _transfer(srv, big: Path) -> tuple[float, float, float, float, str]:
    auth = {"Authorization": f"token {srv.token}"}
    httpx.post(srv.api + "/user/repos", json={"name": "r", "auto_init": True}, headers=auth).raise_for_status()
    release = httpx.post(srv.api + "/repos/admin/r/releases", json={"tag_name": "v1"}, headers=auth).json()
    hdr = ["-H", f"Authorization: token {srv.token}", "-H", "Content-Type: application/octet-stream"]
    _recycled_pages(TRIES * big.stat().st_size)
    with PeakRss(srv.process.pid) as up_rss:
        up = min(
            _curl(*hdr, "-X", "POST", "-T", str(big), release["upload_url"].split("{")[0] + f"?name=big{i}.bin")
            for i in range(TRIES)
        )
    assets = httpx.get(srv.api + f"/repos/admin/r/releases/{release['id']}/assets", headers=auth).json()
    with PeakRss(srv.process.pid) as down_rss:
        down = min(_curl(*hdr[:2], "-H", "Accept: application/octet-stream", "-L", a["url"]) for a in assets)
    return up, up_rss.growth_mib, down, down_rss.growth_mib, srv.api + "/repos/admin/r/releases/latest"


def _release_page(srv, count: int) -> float:
    """p50 ms of GET /releases?per_page=10 on a repository with `count` releases (rows made in one go): the
    same 10 releases on the page whatever the count, so only the repository's size differs."""
    import datetime as dt

    from hubdepot.app import create_hub
    from hubdepot.config import Settings
    from hubdepot.db.tables import releases

    auth = {"Authorization": f"token {srv.token}"}
    repo = httpx.post(srv.api + "/user/repos", json={"name": f"many{count}", "auto_init": True}, headers=auth).json()
    hub = create_hub(Settings.load(data_dir=srv.data_dir, public_url=srv.url))
    stamp = dt.datetime.now(dt.UTC)
    rows = [
        dict(
            repository_id=repo["id"],
            tag_name=f"v{i}",
            target_commitish="main",
            name=f"r{i}",
            body="",
            draft=False,
            prerelease=False,
            immutable=False,
            latest_pinned=False,
            latest_excluded=False,
            author_id=1,
            created_at=stamp,
            updated_at=stamp,
            published_at=stamp,
        )
        for i in range(count)
    ]
    with hub.db.write() as conn:
        conn.execute(releases.insert(), rows)
    hub.db.dispose()
    times = []
    with httpx.Client(headers=auth, timeout=30) as c:
        for _ in range(100):
            start = time.perf_counter()
            c.get(srv.api + f"/repos/admin/many{count}/releases", params={"per_page": 10}).raise_for_status()
            times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def run(seconds: int, workers: int, size: int = 1024**3) -> list[str]:
    big = _big_file(size)
    try:
        with hubdepot(workers, env={"HUBDEPOT_UPLOAD_MAX_BYTES": str(2 * size)}) as srv:  # best of TRIES each way
            up, up_mib, down, down_mib, latest_url = _transfer(srv, big)
            auth = {"Authorization": f"token {srv.token}"}
            latest_body = httpx.get(latest_url, headers=auth).content
            latest = wrk(latest_url, seconds=seconds, headers=auth)
        with hubdepot(workers, env={"HUBDEPOT_READ_CACHE": "0"}) as srv:  # the query itself, not the cache
            page10, page10k = _release_page(srv, 10), _release_page(srv, 10_000)
        with nginx(workers) as (origin, www):
            _recycled_pages(TRIES * size)
            ref_up = min(_curl("-T", str(big), origin + f"/up/big{i}.bin") for i in range(TRIES))
            ref_down = min(_curl(origin + f"/up/big{i}.bin") for i in range(TRIES))
            target = www / "api/v3/repos/admin/r/releases/latest"
            target.parent.mkdir(parents=True)
            target.write_bytes(latest_body)
            ref_latest = wrk(origin + "/api/v3/repos/admin/r/releases/latest", seconds=seconds, headers=auth)
    finally:
        big.unlink()
    gib = size / 1024**3
    return [
        row(
            "upload 1 GiB asset (MiB/s)",
            size / up / 2**20,
            size / ref_up / 2**20,
            "MiB/s",
            ">= 0.45x nginx PUT",
            f"server RSS growth {up_mib:.1f} MiB (goal < 32)",
        ),
        row(
            "download 1 GiB asset (MiB/s)",
            size / down / 2**20,
            size / ref_down / 2**20,
            "MiB/s",
            ">= 0.7x nginx",
            f"server RSS growth {down_mib:.1f} MiB (goal < 16)",
        ),
        row(
            "GET /releases/latest requests/s @64",
            latest.rps,
            ref_latest.rps,
            "req/s",
            ">= 0.25x nginx",
            f"p99 {latest.p99_ms:.1f} ms (goal < 20 ms), errors={latest.errors}",
        ),
        f"{'release list page, 10 vs 10,000 releases':<44} p50 {page10:.1f} ms vs {page10k:.1f} ms: "
        f"{page10k / page10:.2f}x (goal within 1.2x; read cache off); transfer size {gib:.2f} GiB",
    ]
