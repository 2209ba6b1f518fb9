"""python -m bench.profile [--no-cache] [--path repo|latest|contents|PAGE] [--seconds N] [--connections N]:
where a read's time goes (PAGE: repo-page, blob-page or release-page of bench/pages, signed in).
Starts hubdepot (one worker), loads one read with wrk, samples the worker with py-spy, and prints the
functions holding the most samples (self, and inclusive)."""

from __future__ import annotations

import argparse
import base64
import collections
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import httpx

from bench import pages
from bench.common import hubdepot, need, wrk

PATHS = {
    "repo": "/repos/admin/bench",
    "latest": "/repos/admin/bench/releases/latest",
    "contents": "/repos/admin/bench/contents/README.md",
    "meta": "/meta",  # no database: the framework floor every API request pays
    "raw": "/raw/admin/bench/main/README.md",  # GitHub's raw host path (on the origin, not under /api/v3)
}
PAGES = {
    "repo-page": "repository page",
    "blob-page": "blob page, 5,000 lines",
    "release-page": "release page, 1,000 assets",
}


def seed(api: str, auth: dict) -> None:
    with httpx.Client(base_url=api, headers=auth, timeout=30) as c:
        c.post("/user/repos", json={"name": "bench", "auto_init": True}).raise_for_status()
        readme = c.get("/repos/admin/bench/contents/README.md").json()
        text = base64.b64encode(b"# bench\n" + b"words " * 1705).decode()  # 10 KiB
        c.put(
            "/repos/admin/bench/contents/README.md", json={"message": "longer", "content": text, "sha": readme["sha"]}
        ).raise_for_status()
        for i in range(3):
            c.post("/repos/admin/bench/releases", json={"tag_name": f"v{i}", "body": "notes"}).raise_for_status()


def top(raw: Path, n: int = 15) -> list[str]:
    own: collections.Counter = collections.Counter()
    inclusive: collections.Counter = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():  # (a frame's name with a line break in it: the rest of that line)
            continue
        frames = [
            f.split(" (")[0] + " (" + f.split(" (")[-1].split(":")[0].rsplit("/", 2)[-1]
            for f in stack.split(";")
            if f and not f.startswith("process ")
        ]
        weight = int(count)
        if not frames:  # the process frame alone: the worker was idle
            continue
        total += weight
        own[frames[-1]] += weight
        for frame in set(frames):
            inclusive[frame] += weight
    lines = [f"{total} samples; self:"]
    lines += [f"  {100 * c / total:5.1f}%  {f}" for f, c in own.most_common(n)]
    lines.append("inclusive:")
    busy = [(f, c) for f, c in inclusive.most_common() if c < 0.9 * total]  # below the event loop's frames
    lines += [f"  {100 * c / total:5.1f}%  {f}" for f, c in busy[:n]]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.profile")
    parser.add_argument("--path", choices=sorted(PATHS) + sorted(PAGES), default="repo")
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--no-cache", action="store_true", help="HUBDEPOT_READ_CACHE=0: the uncached path")
    args = parser.parse_args()
    local = Path(sys.executable).with_name("py-spy")
    spy = str(local) if local.exists() else need("py-spy")
    env = {"HUBDEPOT_READ_CACHE": "0"} if args.no_cache else {}
    with hubdepot(1, env=env) as srv, tempfile.TemporaryDirectory() as tmp:
        auth = {"Authorization": f"token {srv.token}"}
        if args.path in PAGES:
            url = pages.setup(srv)[PAGES[args.path]]
            auth = {"Cookie": pages.session(srv), "Accept-Encoding": "gzip"}
        else:
            seed(srv.api, auth)
            url = (srv.url if PATHS[args.path].startswith("/raw/") else srv.api) + PATHS[args.path]
        raw = Path(tmp) / "profile.txt"
        record = [
            spy,
            "record",
            "--pid",
            str(srv.process.pid),
            "--subprocesses",
            "--format",
            "raw",
            "--rate",
            "200",
            "--duration",
            str(args.seconds),
            "--output",
            str(raw),
            "--nonblocking",
        ]
        sampler = threading.Thread(target=subprocess.run, args=(record,), kwargs={"capture_output": True})
        sampler.start()
        connections = args.connections
        load = wrk(url, connections=connections, threads=min(2, connections), seconds=args.seconds, headers=auth)
        sampler.join()
        print(
            f"GET {url} ({'no cache' if args.no_cache else 'cache on'}): {load.rps:.0f} req/s, "
            f"p50 {load.p50_ms:.1f} ms, p99 {load.p99_ms:.1f} ms"
        )
        print("\n".join(top(raw)))


if __name__ == "__main__":
    main()
