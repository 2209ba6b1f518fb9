"""`hubdepot mirror` of ~1 GiB of release assets from a local source hubdepot vs a plain curl of the
same files (same run, same disk, same parallelism), with the mirror's RSS sampled while it runs,
and the cost of a no-change re-sync."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from bench.common import hubdepot, need, row, rss_kib

ASSETS = 8
CONCURRENCY = int(os.environ.get("HUBDEPOT_BENCH_MIRROR_CONCURRENCY", 4))


def _seed(srv, size: int) -> list[str]:
    """Two releases with ASSETS assets of size/ASSETS random bytes in all; returns their API URLs."""
    auth = {"Authorization": f"token {srv.token}"}
    httpx.post(srv.api + "/user/repos", json={"name": "big", "auto_init": True}, headers=auth).raise_for_status()
    part = Path(tempfile.mkdtemp(prefix="mirror-bench-")) / "part.bin"
    urls = []
    try:
        for index in range(ASSETS):
            if index % (ASSETS // 2) == 0:
                release = httpx.post(
                    srv.api + "/repos/admin/big/releases", json={"tag_name": f"v{index}"}, headers=auth
                ).json()
            with open(part, "wb") as f:
                for _ in range(size // ASSETS // 2**20):
                    f.write(os.urandom(2**20))
            upload = release["upload_url"].split("{")[0] + f"?name=a{index}.bin"
            subprocess.run(
                [
                    "curl",
                    "-sS",
                    "-f",
                    "-o",
                    "/dev/null",
                    "-H",
                    f"Authorization: token {srv.token}",
                    "-H",
                    "Content-Type: application/octet-stream",
                    "-X",
                    "POST",
                    "-T",
                    str(part),
                    upload,
                ],
                check=True,
            )
        for rel in httpx.get(srv.api + "/repos/admin/big/releases", headers=auth).json():
            urls += [asset["url"] for asset in rel["assets"]]
    finally:
        shutil.rmtree(part.parent, ignore_errors=True)
    return urls


def _curl(srv, urls: list[str], into: Path) -> float:
    args = [
        need("curl"),
        "-sS",
        "-f",
        "--no-progress-meter",
        "--parallel",
        "--parallel-max",
        str(CONCURRENCY),
        "-H",
        f"Authorization: token {srv.token}",
        "-H",
        "Accept: application/octet-stream",
    ]
    for i, url in enumerate(urls):
        args += ["-o", str(into / f"{i}.bin"), url]
    start = time.perf_counter()
    subprocess.run(args, check=True)
    return time.perf_counter() - start


def _reference(srv, urls: list[str], root: Path) -> tuple[float, float]:
    """(curl's seconds, curl's seconds plus an fsync of its files: durable as the mirror's blobs are)."""
    (root / "curl").mkdir()
    try:
        seconds = _curl(srv, urls, root / "curl")
        start = time.perf_counter()
        subprocess.run(["sync", *map(str, (root / "curl").iterdir())], check=True)
        return seconds, seconds + time.perf_counter() - start
    finally:
        shutil.rmtree(root / "curl")


def _mirror(srv, data_dir: Path) -> tuple[float, dict, list[int]]:
    """(seconds, JSON summary, RSS samples in KiB every 50 ms) of one `hubdepot mirror` run."""
    env = {**os.environ, "HUBDEPOT_MIRROR_TOKEN": srv.token}
    env.pop("HUBDEPOT_DATABASE_URL", None)
    cmd = [
        sys.executable,
        "-m",
        "hubdepot",
        "mirror",
        f"{srv.url}/admin/big",
        "--json",
        "--concurrency",
        str(CONCURRENCY),
        "--data-dir",
        str(data_dir),
    ]
    samples: list[int] = []
    start = time.perf_counter()
    process = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    done = threading.Event()

    def sample():
        while not done.is_set():
            samples.append(rss_kib(process.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = process.communicate()
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"hubdepot mirror failed: {out}")
    return seconds, json.loads(out)["repositories"][0], [s for s in samples if s]


def run(seconds: int = 0, workers: int = 1, size: int = int(os.environ.get("HUBDEPOT_BENCH_MIRROR_BYTES", 1024**3))):
    root = Path(tempfile.mkdtemp(prefix="mirror-bench-"))
    try:
        with hubdepot(workers, env={"HUBDEPOT_UPLOAD_MAX_BYTES": str(size)}) as srv:
            urls = _seed(srv, size)
            total = sum(int(httpx.get(u, headers={"Authorization": f"token {srv.token}"}).json()["size"]) for u in urls)
            before = _reference(srv, urls, root)
            ours, first, rss = _mirror(srv, root / "mirror")
            again, second, idle_rss = _mirror(srv, root / "mirror")
            after = _reference(srv, urls, root)  # curl before and after: the machine drifts
            ref, durable = (before[0] + after[0]) / 2, (before[1] + after[1]) / 2
    finally:
        shutil.rmtree(root, ignore_errors=True)
    assert first["bytes"] == total and second["assets_downloaded"] == 0
    peak, idle = max(rss) / 1024, max(idle_rss) / 1024
    mib = total / 2**20
    return [
        row(
            f"mirror {mib / 1024:.2f} GiB of assets (MiB/s)",
            mib / ours,
            mib / ref,
            "MiB/s",
            f">= 0.8x curl --parallel-max {CONCURRENCY}",
            f"mirror RSS peak {peak:.1f} MiB vs {idle:.1f} MiB for a run that downloads nothing "
            f"(flat: {peak - idle:+.1f} MiB for {mib / 1024:.2f} GiB)",
        ),
        row("  same, vs curl + fsync of its files", mib / ours, mib / durable, "MiB/s", "(durable as the mirror)"),
        f"{'':<44} (mirror's own timer: {mib / first['seconds']:.1f} MiB/s over {first['seconds']:.1f} s; "
        f"the rest is starting Python and the database)",
        f"{'no-change re-sync':<44} {again:.2f} s, {second['requests']} API requests "
        f"({second['not_modified']} answered 304), 0 assets downloaded",
    ]


if __name__ == "__main__":
    for line in run():
        print(line, flush=True)
