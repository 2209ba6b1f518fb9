"""Faults during contents writes: a ref lock file left by a killed writer, and SIGKILL of the whole
server (main process and workers) while PUTs are under way, five times over. After each restart the
repository is intact (git fsck), the branch is a commit that descends from the one before the kill,
and every acknowledged write is in its history."""

from __future__ import annotations

import base64
import concurrent.futures
import os
import random
import subprocess
import threading
import time

import httpx

from tests.support import server as server_support


def _git(git_dir, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["git", f"--git-dir={git_dir}", *args], capture_output=True, text=True, check=check)


def test_stale_ref_lock_is_never_removed_by_a_writer_and_fsck_repairs_it(server, user, repo):
    """A ref lock file is someone's: a write fails cleanly (409) rather than delete it; `hubdepot fsck`
    reports it once its writer is gone, `hubdepot fsck --repair` removes it, and writes go on."""
    import sys

    repo_id = user.api.get(f"/repos/{repo}").json()["id"]
    git_dir = server.data_dir / "repositories" / f"{repo_id}.git"
    before = _git(git_dir, "rev-parse", "main").stdout.strip()
    (git_dir / "refs" / "heads" / "main.lock").write_text("left by a writer that was killed\n")
    r = user.api.put(f"/repos/{repo}/contents/after.txt", json={"message": "m", "content": "eA=="})
    assert r.status_code == 409 and "locked" in r.json()["message"]
    assert (git_dir / "refs" / "heads" / "main.lock").exists()
    assert _git(git_dir, "rev-parse", "main").stdout.strip() == before

    def fsck(*args):
        return subprocess.run(
            [sys.executable, "-m", "hubdepot", "fsck", "--data-dir", str(server.data_dir), *args],
            capture_output=True,
            text=True,
            timeout=120,
            env=server.env,
        )

    found = fsck()
    assert f"(id {repo_id}): stale refs/heads/main.lock" in found.stdout
    repaired = fsck("--repair")
    assert f"{repo_id}.git: removed stale refs/heads/main.lock" in repaired.stdout
    assert not (git_dir / "refs" / "heads" / "main.lock").exists()
    r = user.api.put(f"/repos/{repo}/contents/after.txt", json={"message": "m", "content": "eA=="})
    assert r.status_code == 201
    assert _git(git_dir, "rev-parse", "main").stdout.strip() == r.json()["commit"]["sha"]


def test_a_restarted_server_removes_what_killed_writers_left(tmp_path):
    """A server killed inside a ref update leaves the branch's lock file; the next start removes it (its
    writer is gone: nothing holds the repository lock), so the branch takes writes again at once."""
    srv = server_support.start(tmp_path / "data")
    auth = {"Authorization": f"token {srv.token}"}
    made = httpx.post(f"{srv.api}/user/repos", json={"name": "r", "auto_init": True}, headers=auth).json()
    git_dir = srv.data_dir / "repositories" / f"{made['id']}.git"
    srv.crash()
    (git_dir / "refs" / "heads" / "main.lock").write_text("left by a writer that was killed\n")
    srv = server_support.start(tmp_path / "data")
    try:
        assert "removed stale refs/heads/main.lock" in srv.log.read_text()
        r = httpx.put(
            f"{srv.api}/repos/admin/r/contents/after.txt", json={"message": "m", "content": "eA=="}, headers=auth
        )
        assert r.status_code == 201, r.text
        assert _git(git_dir, "rev-parse", "main").stdout.strip() == r.json()["commit"]["sha"]
    finally:
        srv.stop()


def _kill_all(srv) -> None:
    srv.crash()


def _writer(srv, repo: str, worker: int, stop: threading.Event, acked: list, lock: threading.Lock) -> None:
    """PUT new files until the server dies; remember the commits it acknowledged."""
    n = 0
    with httpx.Client(base_url=srv.api, headers={"authorization": f"token {srv.token}"}, timeout=10) as c:
        while not stop.is_set():
            data = base64.b64encode(os.urandom(64 * 1024)).decode()
            try:
                r = c.put(
                    f"/repos/{repo}/contents/w{worker}/{time.time_ns()}-{n}.bin",
                    json={"message": f"w{worker} #{n}", "content": data},
                )
            except httpx.HTTPError:
                return
            if r.status_code == 201:
                with lock:
                    acked.append(r.json()["commit"]["sha"])
            n += 1


def test_sigkill_during_writes_never_corrupts(tmp_path):
    data_dir = tmp_path / "data"
    srv = server_support.start(data_dir, extra_args=["--workers", "2"])
    try:
        with httpx.Client(base_url=srv.api, headers={"authorization": f"token {srv.token}"}) as api:
            made = api.post("/user/repos", json={"name": "crash", "auto_init": True}).json()
        git_dir = data_dir / "repositories" / f"{made['id']}.git"
        rng = random.Random(7)
        for round_ in range(5):
            before = _git(git_dir, "rev-parse", "main").stdout.strip()
            stop, acked, lock = threading.Event(), [], threading.Lock()
            with concurrent.futures.ThreadPoolExecutor(6) as pool:
                for w in range(6):
                    pool.submit(_writer, srv, made["full_name"], w, stop, acked, lock)
                deadline = time.monotonic() + 20
                while len(acked) < 3 and time.monotonic() < deadline:  # writes are flowing...
                    time.sleep(0.01)
                time.sleep(rng.random() * 0.3)  # ...then the power goes, somewhere in the middle of some
                _kill_all(srv)
                stop.set()
            _check(git_dir, before, acked, round_)
            srv = server_support.start(data_dir, extra_args=["--workers", "2"])
        with httpx.Client(base_url=srv.api, headers={"authorization": f"token {srv.token}"}) as api:
            r = api.put(f"/repos/{made['full_name']}/contents/final.txt", json={"message": "after", "content": "eA=="})
            assert r.status_code == 201
    finally:
        _kill_all(srv)


def _check(git_dir, before: str, acked: list[str], round_: int) -> None:
    assert acked, f"round {round_}: no write was acknowledged before the kill"
    fsck = _git(git_dir, "fsck", "--full", "--strict", "--no-dangling", check=False)
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr
    tip = _git(git_dir, "rev-parse", "--verify", "main^{commit}").stdout.strip()
    assert _git(git_dir, "merge-base", "--is-ancestor", before, tip, check=False).returncode == 0
    for sha in acked:
        assert _git(git_dir, "merge-base", "--is-ancestor", sha, tip, check=False).returncode == 0, (round_, sha)
    assert _git(git_dir, "rev-list", "--min-parents=2", "main").stdout == ""
    _git(git_dir, "ls-tree", "-r", "main")  # the tip's whole tree is readable
