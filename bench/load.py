"""Load: two hubdepot processes on one PostgreSQL and one data dir, 64 clients mixing reads, asset
uploads and file commits. Checks that no write is lost and nothing answers 5xx; reports p50/p99."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import random
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx

from tests.support import server as server_support
from tests.support.pg import private_postgres


@dataclasses.dataclass
class Stats:
    latencies: dict = dataclasses.field(default_factory=dict)  # op -> [seconds]
    statuses: dict = dataclasses.field(default_factory=dict)  # status -> count
    commits: int = 0
    uploads: dict = dataclasses.field(default_factory=dict)  # name -> size

    def record(self, op: str, status: int, seconds: float) -> None:
        self.latencies.setdefault(op, []).append(seconds)
        self.statuses[status] = self.statuses.get(status, 0) + 1

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)


async def _client(i: int, urls: list[str], token: str, release_upload: str, stop: float, stats: Stats) -> None:
    headers = {"Authorization": f"token {token}"}
    rng = random.Random(i)
    sha = None
    async with httpx.AsyncClient(headers=headers, timeout=60) as c:
        n = 0
        while time.monotonic() < stop:
            api = urls[(i + n) % len(urls)] + "/api/v3/repos/admin/load"
            op = rng.choice(["repo", "contents", "releases", "releases", "commit", "upload"])
            start = time.monotonic()
            if op == "repo":
                r = await c.get(api)
            elif op == "contents":
                r = await c.get(api + "/contents/README.md")
            elif op == "releases":
                r = await c.get(api + "/releases", params={"per_page": 10})
            elif op == "commit":
                body = {"message": f"c{i}-{n}", "content": base64.b64encode(f"{i} {n}\n".encode()).decode()}
                if sha:
                    body["sha"] = sha
                r = await c.put(api + f"/contents/load/{i}.txt", json=body)
                if r.status_code in (200, 201):
                    stats.commits += 1
                    sha = r.json()["content"]["sha"]
            else:
                name = f"a{i}-{n}.bin"
                data = rng.randbytes(rng.randint(1, 256 * 1024))
                r = await c.post(
                    release_upload.replace(urls[0], urls[(i + n) % len(urls)]),
                    params={"name": name},
                    content=data,
                    headers={"Content-Type": "application/octet-stream"},
                )
                if r.status_code == 201:
                    stats.uploads[name] = len(data)
            stats.record(op, r.status_code, time.monotonic() - start)
            n += 1


def _setup(url: str, token: str) -> str:
    with httpx.Client(base_url=url + "/api/v3", headers={"Authorization": f"token {token}"}, timeout=30) as c:
        c.post("/user/repos", json={"name": "load", "auto_init": True}).raise_for_status()
        release = c.post("/repos/admin/load/releases", json={"tag_name": "v1"})
        release.raise_for_status()
        return release.json()["upload_url"].split("{")[0]


def _verify(url: str, token: str, stats: Stats) -> list[str]:
    """Everything that answered success is there: every commit in the history, every asset listed."""
    problems = []
    with httpx.Client(
        base_url=url + "/api/v3/repos/admin/load", headers={"Authorization": f"token {token}"}, timeout=60
    ) as c:
        releases = c.get("/releases/tags/v1").json()
        listed, page = {}, 1
        while True:
            chunk = c.get(f"/releases/{releases['id']}/assets", params={"per_page": 100, "page": page}).json()
            listed.update({a["name"]: a["size"] for a in chunk})
            if len(chunk) < 100:
                break
            page += 1
        for name, size in stats.uploads.items():
            if listed.get(name) != size:
                problems.append(f"asset {name}: listed {listed.get(name)} bytes, uploaded {size}")
    return problems


def run(seconds: int = 60, workers: int = 1, clients: int = 64, processes: int = 2) -> list[str]:
    root = Path(tempfile.mkdtemp(prefix="hubdepot-load-"))
    servers = []
    with private_postgres() as pg:
        try:
            for _ in range(processes):
                servers.append(server_support.start(root / "data", pg.url, extra_args=["--workers", str(workers)]))
            urls, token = [s.url for s in servers], servers[0].token
            upload = _setup(urls[0], token)
            stats = Stats()
            stop = time.monotonic() + seconds
            _in_own_thread(lambda: asyncio.run(_gather(clients, urls, token, upload, stop, stats)))
            problems = _verify(urls[0], token, stats)
            problems += _check_history(root / "data", stats)
        finally:
            for s in servers:
                s.stop()
            shutil.rmtree(root, ignore_errors=True)
    return _report(stats, problems, seconds, clients, processes)


def _in_own_thread(work) -> None:
    """Run an event loop where none runs: a caller (pytest with Playwright's sync API) may have one."""
    failure: list[BaseException] = []

    def body() -> None:
        try:
            work()
        except BaseException as exc:  # carried back to the caller's thread
            failure.append(exc)

    thread = threading.Thread(target=body, name="load-clients")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


async def _gather(clients, urls, token, upload, stop, stats) -> None:
    await asyncio.gather(*(_client(i, urls, token, upload, stop, stats) for i in range(clients)))


def _check_history(data_dir: Path, stats: Stats) -> list[str]:
    import pygit2

    repo = pygit2.Repository(str(next((data_dir / "repositories").glob("*.git"))))
    count = sum(1 for _ in repo.walk(repo.head.target)) - 1  # minus the initial commit
    return [] if count == stats.commits else [f"history has {count} commits, {stats.commits} answered success"]


def _report(stats: Stats, problems: list[str], seconds: int, clients: int, processes: int) -> list[str]:
    total = sum(stats.statuses.values())
    lines = [
        f"load: {processes} processes, one PostgreSQL, {clients} clients, {seconds} s: {total} requests "
        f"({total / seconds:.0f}/s), statuses {dict(sorted(stats.statuses.items()))}, 5xx {stats.server_errors}, "
        f"commits {stats.commits}, uploads {len(stats.uploads)}, lost writes {len(problems)}"
    ]
    for op, values in sorted(stats.latencies.items()):
        values.sort()
        p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
        lines.append(
            f"  {op:<9} n={len(values):<6} p50 {statistics.median(values) * 1000:7.1f} ms   p99 {p99 * 1000:7.1f} ms"
        )
    return lines + [f"  PROBLEM {p}" for p in problems]
