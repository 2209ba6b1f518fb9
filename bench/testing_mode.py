"""Test mode (docs/testing.md): `serve --ephemeral`'s start to its first answer vs a normal `serve`'s
(what it is without test mode); a reset vs one GET; the `github` fixture's cost per test, and 100
tests that each create a repository, a release and an uploaded asset and assert on the journal, vs
the same number of empty tests (pytest's own cost). Best of 3 where single runs are noisy."""

from __future__ import annotations

import re
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import httpx

from bench.common import row
from tests.support.server import ROOT, free_port

EMPTY = """
import pytest

@pytest.mark.parametrize("i", range(100))
def test_nothing(i):
    pass
"""
FIXTURE_ONLY = EMPTY.replace("def test_nothing(i):", "def test_nothing(i, github):")
WORKLOAD = """
import httpx
import pytest

@pytest.mark.parametrize("i", range(100))
def test_release_with_an_asset(i, github):
    with httpx.Client(base_url=github.api_url, headers={"authorization": f"token {github.token}"}) as c:
        c.post("/user/repos", json={"name": f"r{i}", "auto_init": True}).raise_for_status()
        release = c.post(f"/repos/admin/r{i}/releases", json={"tag_name": "v1"}).json()
        upload = release["upload_url"].split("{")[0]
        c.post(upload, params={"name": "a.bin"}, content=b"x" * 4096).raise_for_status()
    assert [(r.method, r.status) for r in github.requests] == [("POST", 201)] * 3
    assert github.requests[-1].response_body["size"] == 4096
"""


def _first_answer(cmd: list[str], url_of) -> float:
    """Seconds from starting `cmd` to the first 200 from its /api/v3/meta."""
    started = time.perf_counter()
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT)
    try:
        url = url_of(process)
        while True:
            try:
                if httpx.get(url + "/api/v3/meta", timeout=5).status_code == 200:
                    return time.perf_counter() - started
            except httpx.TransportError:
                time.sleep(0.005)
    finally:
        process.terminate()
        process.wait(30)


def _ephemeral_url(process) -> str:
    for line in process.stdout:
        if line.startswith("export GITHUB_SERVER_URL="):
            return line.strip().split("=", 1)[1]
    raise RuntimeError("no GITHUB_SERVER_URL")


def start_rows() -> list[str]:
    ephemeral = [sys.executable, "-m", "hubdepot", "serve", "--ephemeral"]
    ours = min(_first_answer(ephemeral, _ephemeral_url) for _ in range(3))
    times = []
    for _ in range(3):
        port = free_port()
        with tempfile.TemporaryDirectory() as data:
            cmd = [sys.executable, "-m", "hubdepot", "serve", "--workers", "1", "--port", str(port), "--data-dir", data]
            times.append(_first_answer(cmd, lambda _p, port=port: f"http://127.0.0.1:{port}"))
    return [row("ephemeral start -> first answer (normal serve)", ours * 1000, min(times) * 1000, "ms", "< 1000 ms")]


def _pytest(tmp: Path, body: str) -> float:
    (tmp / "test_bench.py").write_text(textwrap.dedent(body))
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", "test_bench.py"]
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0 or not re.search(r"\b100 passed\b", done.stdout):
        raise RuntimeError(done.stdout[-3000:])
    return elapsed


def _resets() -> tuple[float, float]:
    """Median ms of a reset after a repository, release and asset were made, and of a GET /user."""
    from hubdepot.testing.plugin import Server

    server = Server()
    try:
        api = f"{server.env['GITHUB_API_URL']}"
        c = httpx.Client(base_url=api, headers={"authorization": f"token {server.env['GITHUB_TOKEN']}"}, timeout=30)
        resets, gets = [], []
        for i in range(20):
            c.post("/user/repos", json={"name": f"r{i}", "auto_init": True}).raise_for_status()
            release = c.post(f"/repos/admin/r{i}/releases", json={"tag_name": "v1"}).json()
            c.post(release["upload_url"].split("{")[0], params={"name": "a"}, content=b"x").raise_for_status()
            start = time.perf_counter()
            server.call("POST", "reset")
            resets.append(time.perf_counter() - start)
            start = time.perf_counter()
            c.get("/user").raise_for_status()
            gets.append(time.perf_counter() - start)
        c.close()
        return statistics.median(resets) * 1000, statistics.median(gets) * 1000
    finally:
        server.stop()


def run(seconds: int = 8, workers: int = 1):
    yield from start_rows()
    reset, get = _resets()
    yield row("reset to a clean state (GET /user)", reset, get, "ms", "< 100 ms")
    with tempfile.TemporaryDirectory() as tmp:
        empty = min(_pytest(Path(tmp), EMPTY) for _ in range(2))
        fixture = min(_pytest(Path(tmp), FIXTURE_ONLY) for _ in range(2))
        work = _pytest(Path(tmp), WORKLOAD)
    per_test = (fixture - empty) / 100 * 1000
    yield row("github fixture per test, startup included", per_test, empty / 100 * 1000, "ms", "< 50 ms")
    yield row("100 tests: repo+release+asset+journal (empty)", work, empty, "s", "< 30 s")
