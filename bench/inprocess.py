"""python -m bench.inprocess [--no-cache] [--path repo|latest|contents|raw] [--requests N] [--profile]:
microseconds one request costs hubdepot's own code, the ASGI app driven in this process with no
server, socket or client in between (best of 5 rounds). A diagnostic beside bench/reads.py's ratios:
it moves with our code only, where a load test also moves with the machine. --profile prints
cProfile's top functions by their own time."""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import hubdepot
from bench.profile import PATHS, seed

ROUNDS = 5


def _scope(path: str, token: str | None) -> dict[str, Any]:
    headers = [(b"host", b"127.0.0.1"), (b"accept", b"*/*")]
    if token:
        headers.append((b"authorization", f"token {token}".encode()))
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 5555),
        "server": ("127.0.0.1", 80),
    }


async def _measure(app: Any, path: str, token: str | None, requests: int) -> float:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    reader = app.state.hub.db  # (its main-thread reader shares a read transaction for a loop's pass)

    async def one() -> int:
        sent: list[dict[str, Any]] = []

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await app(_scope(path, token), receive, send)
        reader.end_shared()  # (each request as if in a pass of its own: the dearest case)
        return int(sent[0]["status"])

    async with app.router.lifespan_context(app):
        status = await one()
        if status != 200:
            raise SystemExit(f"GET {path} answered {status}")
        for _ in range(200):  # warm
            await one()
        best = float("inf")
        for _ in range(ROUNDS):
            started = time.perf_counter()
            for _ in range(requests):
                await one()
            best = min(best, (time.perf_counter() - started) / requests)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.inprocess")
    parser.add_argument("--path", choices=sorted(PATHS), default="repo")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--no-cache", action="store_true", help="HUBDEPOT_READ_CACHE=0: the uncached path")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--sort", default="tottime", help="--profile's order: tottime, cumtime, ncalls...")
    parser.add_argument("--top", type=int, default=25, help="--profile's lines")
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="hubdepot-inprocess-")) / "data"
    try:
        with hubdepot(1) as srv:  # a server makes the data (admin, token, the bench repository), then stops
            seed(srv.api, {"Authorization": f"token {srv.token}"})
            token = srv.token
            shutil.copytree(srv.data_dir, data)
        cache = "0" if args.no_cache else "1"
        os.environ.update(HUBDEPOT_DATA_DIR=str(data), HUBDEPOT_METRICS="on", HUBDEPOT_READ_CACHE=cache)
        from hubdepot.app import create_app
        from hubdepot.http import edge

        edge.TOGETHER = False  # (one request at a time: no other answer to leave with)
        app = create_app(deliver=False)
        path = PATHS[args.path] if PATHS[args.path].startswith("/raw/") else "/api/v3" + PATHS[args.path]
        caller = None if path.startswith("/raw/") else token
        if args.profile:
            profile = cProfile.Profile()
            seconds = profile.runcall(asyncio.run, _measure(app, path, caller, args.requests))
            pstats.Stats(profile).sort_stats(args.sort).print_stats(args.top)
        else:
            seconds = asyncio.run(_measure(app, path, caller, args.requests))
        label = "no cache" if args.no_cache else "cache on"
        rate = f"{1 / seconds:,.0f}/s"
        print(f"GET {path} ({label}): {seconds * 1e6:.0f} us a request in process ({rate}), best of {ROUNDS}")
    finally:
        shutil.rmtree(data.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
