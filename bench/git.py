"""git over smart HTTP vs `git daemon` on the same repository: clone and push throughput, and the
server's RSS growth during the clone. Bounded run: 2,000 files / ~10 MB; --full: 20,000 files / ~105 MB."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

from bench.common import _children, hubdepot, row
from bench.releases import PeakRss
from tests.support import server as server_support
from tests.support.clients import git_env

ROUNDS = 3  # best of: the machine is shared, single runs are noisy


class ServerRss(PeakRss):
    """Peak RSS growth of the server's own processes (those alive before the transfer), leaving out
    the git children (upload-pack, pack-objects, index-pack: git's memory, as under git daemon, and
    a just-forked child would count the parent's shared pages twice)."""

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, _rss(self.pids))
            time.sleep(0.02)

    def __enter__(self):
        self.pids = [self.pid] + _children(self.pid)
        self.base = _rss(self.pids)
        return super().__enter__()


def _rss(pids: list[int]) -> int:
    total = 0
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


def _git(env, *args, cwd=None) -> None:
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


def make_repo(path: Path, files: int, file_size: int, env: dict) -> int:
    """A bare repository with one commit of `files` random (incompressible) files; returns its bytes."""
    _git(env, "init", "-q", "--bare", "-b", "main", str(path))
    proc = subprocess.Popen(["git", f"--git-dir={path}", "fast-import", "--quiet"], stdin=subprocess.PIPE, env=env)
    out = proc.stdin
    out.write(b"commit refs/heads/main\ncommitter b <b@example.com> 1700000000 +0000\ndata 5\nbulk\n")
    for i in range(files):
        data = os.urandom(file_size)
        out.write(f"M 644 inline d{i % 100:02d}/f{i:05d}.bin\ndata {len(data)}\n".encode() + data + b"\n")
    out.write(b"\n")
    out.close()
    assert proc.wait() == 0
    return files * file_size


def _daemon(root: Path):
    port = server_support.free_port()
    proc = subprocess.Popen(
        [
            "git",
            "daemon",
            "--reuseaddr",
            f"--base-path={root}",
            "--export-all",
            "--enable=receive-pack",
            f"--port={port}",
            "--listen=127.0.0.1",
            str(root),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server_support._wait(f"http://127.0.0.1:{port}", proc, root / "none.log", 10)
    return proc, f"git://127.0.0.1:{port}"


def _timed(env, *args, cwd=None) -> float:
    start = time.perf_counter()
    _git(env, *args, cwd=cwd)
    return time.perf_counter() - start


def run(seconds: int = 8, workers: int = 1):
    """Both servers up at once, rounds interleaved (who goes first alternates), best of ROUNDS: the
    machine is shared, so the two sides see the same background load."""
    full = seconds >= 30
    files, size = (20_000, 5_250) if full else (2_000, 5_250)
    tmp = Path(tempfile.mkdtemp(prefix="hubdepot-bench-git-"))
    env = git_env(tmp)
    root = tmp / "daemon"
    root.mkdir()
    times = {k: [] for k in ("push", "clone", "ref_push", "ref_clone")}
    push_rss = clone_rss = git_rss = 0.0
    try:
        source = tmp / "source.git"
        total = make_repo(source, files, size, env) / 1e6
        daemon, origin = _daemon(root)
        try:
            with hubdepot(workers) as srv:
                auth = {"Authorization": f"token {srv.token}"}
                base = f"http://x:{srv.token}@{srv.url.removeprefix('http://')}/admin"
                for i in range(ROUNDS):
                    _git(env, "init", "-q", "--bare", str(root / f"r{i}.git"))
                    # the same checks on both sides: hubdepot's receive-pack verifies every object, as GitHub's
                    _git(env, "--git-dir", str(root / f"r{i}.git"), "config", "receive.fsckObjects", "true")
                    httpx.post(srv.api + "/user/repos", json={"name": f"big{i}"}, headers=auth).raise_for_status()
                    sides = [("ref_", f"{origin}/r{i}.git", None), ("", f"{base}/big{i}.git", srv)]
                    for prefix, remote, server in sides if i % 2 == 0 else sides[::-1]:  # who goes first alternates
                        push_rss, clone_rss, git_rss = _round(
                            env, source, tmp, prefix, remote, server, times, (push_rss, clone_rss, git_rss)
                        )
        finally:
            daemon.terminate()
            daemon.wait(10)
        label = f"{files:,} files / {total:.0f} MB"
        yield row(
            f"git clone ({label}, best of {ROUNDS})",
            total / min(times["clone"]),
            total / min(times["ref_clone"]),
            "MB/s",
            ">= 0.9x",
            f"server RSS growth {clone_rss:.1f} MiB (goal < 64; with git's own processes {git_rss:.1f} MiB)",
        )
        yield row(
            f"git push ({label}, best of {ROUNDS})",
            total / min(times["push"]),
            total / min(times["ref_push"]),
            "MB/s",
            ">= 0.9x",
            f"server RSS growth {push_rss:.1f} MiB",
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _round(env, source: Path, tmp: Path, prefix: str, remote: str, server, times: dict, peaks: tuple):
    """Push `source` to the empty `remote`, then clone it back (bare); peak RSS on hubdepot's side."""
    if server is None:
        times[prefix + "push"].append(_timed(env, f"--git-dir={source}", "push", "-q", remote, "main"))
        times[prefix + "clone"].append(_timed(env, "clone", "-q", "--bare", remote, str(tmp / "c.git")))
        shutil.rmtree(tmp / "c.git")
        return peaks
    push_rss, clone_rss, git_rss = peaks
    with ServerRss(server.process.pid) as rss:
        times["push"].append(_timed(env, f"--git-dir={source}", "push", "-q", remote, "main"))
    push_rss = max(push_rss, rss.growth_mib)
    with ServerRss(server.process.pid) as rss, PeakRss(server.process.pid) as whole:
        times["clone"].append(_timed(env, "clone", "-q", "--bare", remote, str(tmp / "c.git")))
    shutil.rmtree(tmp / "c.git")
    return push_rss, max(clone_rss, rss.growth_mib), max(git_rss, whole.growth_mib)
