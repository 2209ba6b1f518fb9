"""Concurrent writes through the contents API: on the session server (threads of one process) and
on a `hubdepot serve --workers 2` server (two processes sharing the repository lock)."""

from __future__ import annotations

import base64
import concurrent.futures
import subprocess
import threading

import httpx
import pytest

from tests.conftest import unique
from tests.support import server as server_support


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory):
    srv = server_support.start(tmp_path_factory.mktemp("two-workers"), extra_args=["--workers", "2"])
    yield srv
    srv.stop()


def _git(git_dir, *args: str) -> str:
    return subprocess.run(["git", f"--git-dir={git_dir}", *args], capture_output=True, text=True, check=True).stdout


def _repo(base_url: str, token: str, data_dir) -> tuple[str, object]:
    """A fresh auto-initialised repository of the token's user: ('owner/name', its git dir)."""
    with httpx.Client(base_url=base_url, headers={"authorization": f"token {token}"}) as api:
        made = api.post("/user/repos", json={"name": unique("race"), "auto_init": True}).json()
    return made["full_name"], data_dir / "repositories" / f"{made['id']}.git"


def _storm(base_url: str, token: str, requests: list[tuple[str, dict]]) -> list[httpx.Response]:
    """Send all PUTs at once (a barrier lines the threads up)."""
    barrier = threading.Barrier(len(requests))
    limits = httpx.Limits(max_connections=len(requests), max_keepalive_connections=len(requests))
    with httpx.Client(base_url=base_url, headers={"authorization": f"token {token}"}, timeout=60, limits=limits) as c:

        def one(item):
            path, body = item
            barrier.wait()
            return c.put(path, json=body)

        with concurrent.futures.ThreadPoolExecutor(len(requests)) as pool:
            return list(pool.map(one, requests))


def _same_file_race(base_url: str, token: str, data_dir) -> None:
    repo, git_dir = _repo(base_url, token, data_dir)
    sha = _git(git_dir, "rev-parse", "main:README.md").strip()
    before = int(_git(git_dir, "rev-list", "--count", "main"))
    requests = [
        (f"/repos/{repo}/contents/README.md", {"message": f"writer {i}", "content": b64(f"{i}\n".encode()), "sha": sha})
        for i in range(50)
    ]
    responses = _storm(base_url, token, requests)
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] + [409] * 49, codes
    for r in responses:
        if r.status_code == 409:
            assert r.json()["message"] == f"README.md does not match {sha}"
    winner = next(r.json() for r in responses if r.status_code == 200)
    assert int(_git(git_dir, "rev-list", "--count", "main")) == before + 1
    assert _git(git_dir, "rev-parse", "main").strip() == winner["commit"]["sha"]
    assert _git(git_dir, "log", "-1", "--format=%s", "main").strip() == winner["commit"]["message"]


def _different_files(base_url: str, token: str, data_dir) -> None:
    repo, git_dir = _repo(base_url, token, data_dir)
    requests = [
        (f"/repos/{repo}/contents/files/f{i:02d}.txt", {"message": f"add {i}", "content": b64(b"x%d" % i)})
        for i in range(30)
    ]
    responses = _storm(base_url, token, requests)
    assert [r.status_code for r in responses] == [201] * 30
    assert int(_git(git_dir, "rev-list", "--count", "main")) == 31
    assert _git(git_dir, "rev-list", "--min-parents=2", "main") == ""  # linear history
    assert _git(git_dir, "ls-tree", "--name-only", "main", "files/").split() == [
        f"files/f{i:02d}.txt" for i in range(30)
    ]
    shas = {r.json()["commit"]["sha"] for r in responses}
    assert shas == set(_git(git_dir, "rev-list", "main").split()[:30])  # every acknowledged commit is on main
    _git(git_dir, "fsck", "--full", "--no-dangling")


def test_same_file_race(server, user):
    _same_file_race(server.api, user.token, server.data_dir)


def test_different_files_stay_linear(server, user):
    _different_files(server.api, user.token, server.data_dir)


def test_same_file_race_across_processes(two_workers):
    _same_file_race(two_workers.api, two_workers.token, two_workers.data_dir)


def test_different_files_across_processes(two_workers):
    _different_files(two_workers.api, two_workers.token, two_workers.data_dir)
