"""SIGKILL of the whole server (main process, workers and their git children) while git pushes are
under way, in a bounded loop: after every restart every acknowledged push is in place (each
acknowledged commit is in its branch's history), the repository passes `git fsck`, and `hubdepot
fsck` is clean once `--repair` has removed what killed writers left (ref lock files, quarantines).
make test runs HUBDEPOT_GIT_FAULT_ROUNDS (default 3); the issue's 20 rounds: set it to 20."""

from __future__ import annotations

import os
import random
import subprocess
import threading
import time

import httpx

from tests.support import server as server_support
from tests.support.clients import git_env


def _git(env, *args, cwd=None, timeout=30) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def _pusher(srv, work, branch: str, stop: threading.Event, acked: dict, env: dict) -> None:
    """Commit and push to its own branch until the server dies; remember what was acknowledged."""
    n = 0
    while not stop.is_set():
        n += 1
        (work / f"{branch}.txt").write_bytes(os.urandom(20_000).hex().encode())
        _git(env, "add", "-A", cwd=work)
        _git(env, "commit", "-q", "-m", f"{branch} #{n}", cwd=work)
        sha = _git(env, "rev-parse", "HEAD", cwd=work).stdout.strip()
        try:
            pushed = _git(env, "push", "-q", "origin", f"HEAD:refs/heads/{branch}", cwd=work)
        except subprocess.TimeoutExpired:
            return
        if pushed.returncode == 0:
            acked[branch] = sha
        elif "Could not resolve" in pushed.stderr or "Failed to connect" in pushed.stderr:
            return


def _check(srv, acked: dict, git_dir, env) -> list[str]:
    from hubdepot.app import create_hub
    from hubdepot.config import Settings
    from hubdepot.services import fsck

    hub = create_hub(Settings.load(data_dir=srv.data_dir, public_url=srv.url))
    try:
        repaired = fsck.repair(hub)
        assert fsck.check(hub) == []
    finally:
        hub.db.dispose()
    assert _git(env, f"--git-dir={git_dir}", "fsck", "--no-progress", "--connectivity-only").returncode == 0
    for branch, sha in acked.items():
        tip = _git(env, f"--git-dir={git_dir}", "rev-parse", f"refs/heads/{branch}").stdout.strip()
        ancestor = _git(env, f"--git-dir={git_dir}", "merge-base", "--is-ancestor", sha, tip)
        assert ancestor.returncode == 0, f"acknowledged {sha} of {branch} lost (tip {tip})"
    return repaired


def test_sigkill_during_pushes(tmp_path):
    rounds = int(os.environ.get("HUBDEPOT_GIT_FAULT_ROUNDS", "3"))
    data = tmp_path / "data"
    env = git_env(tmp_path)
    srv = server_support.start(data)
    auth = {"Authorization": f"token {srv.token}"}
    repo = httpx.post(srv.api + "/user/repos", json={"name": "p", "auto_init": True}, headers=auth).json()
    git_dir = data / "repositories" / f"{repo['id']}.git"
    acked: dict[str, str] = {}
    works = []
    for w in range(3):
        work = tmp_path / f"w{w}"
        assert (
            _git(
                env, "clone", "-q", f"http://x:{srv.token}@{srv.url.removeprefix('http://')}/admin/p.git", str(work)
            ).returncode
            == 0
        )
        works.append(work)
    rng, repaired = random.Random(11), []
    try:
        for _round in range(rounds):
            stop = threading.Event()
            for work in works:  # the restarted server listens on another port
                _git(
                    env,
                    "remote",
                    "set-url",
                    "origin",
                    f"http://x:{srv.token}@{srv.url.removeprefix('http://')}/admin/p.git",
                    cwd=work,
                )
                _git(env, "fetch", "-q", "origin", cwd=work)
            threads = [
                threading.Thread(target=_pusher, args=(srv, work, f"w{i}", stop, acked, env))
                for i, work in enumerate(works)
            ]
            for t in threads:
                t.start()
            time.sleep(rng.uniform(0.5, 1.5))
            srv.crash()
            stop.set()
            for t in threads:
                t.join(40)
            srv = server_support.start(data, port=None)
            repaired += _check(srv, acked, git_dir, env)
            for i, work in enumerate(works):  # the next round pushes on top of what the server has
                _git(
                    env,
                    "fetch",
                    "-q",
                    f"http://x:{srv.token}@{srv.url.removeprefix('http://')}/admin/p.git",
                    f"+refs/heads/w{i}:refs/remotes/origin/w{i}",
                    cwd=work,
                )
                _git(env, "reset", "-q", "--hard", f"origin/w{i}", cwd=work) if f"w{i}" in acked else None
        print(
            f"push faults injected and survived: {rounds}; branches acknowledged {len(acked)}; "
            f"leftovers repaired: {repaired}"
        )
        assert acked
    finally:
        srv.stop()
