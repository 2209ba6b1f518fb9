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

from bench.common import hubdepot, row
from bench.releases import PeakRss
from tests.support import server as server_support


def _env(home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(HOME=str(home), GIT_CONFIG_NOSYSTEM="1", GIT_TERMINAL_PROMPT="0", GIT_AUTHOR_NAME="b",
               GIT_AUTHOR_EMAIL="b@example.com", GIT_COMMITTER_NAME="b", GIT_COMMITTER_EMAIL="b@example.com")
    return env


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
    proc = subprocess.Popen(["git", "daemon", "--reuseaddr", f"--base-path={root}", "--export-all",
                             "--enable=receive-pack", f"--port={port}", "--listen=127.0.0.1", str(root)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server_support._wait(f"http://127.0.0.1:{port}", proc, root / "none.log", 10)
    return proc, f"git://127.0.0.1:{port}"


def _timed(env, *args, cwd=None) -> float:
    start = time.perf_counter()
    _git(env, *args, cwd=cwd)
    return time.perf_counter() - start


def run(seconds: int = 8, workers: int = 1):
    full = seconds >= 30
    files, size = (20_000, 5_250) if full else (2_000, 5_250)
    tmp = Path(tempfile.mkdtemp(prefix="hubdepot-bench-git-"))
    env = _env(tmp)
    try:
        source = tmp / "source.git"
        total = make_repo(source, files, size, env) / 1e6
        daemon_root = tmp / "daemon"
        daemon_root.mkdir()
        _git(env, "init", "-q", "--bare", str(daemon_root / "r.git"))
        daemon, origin = _daemon(daemon_root)
        try:
            ref_push = _timed(env, f"--git-dir={source}", "push", "-q", f"{origin}/r.git", "main")
            ref_clone = _timed(env, "clone", "-q", "--bare", f"{origin}/r.git", str(tmp / "ref-clone.git"))
        finally:
            daemon.terminate()
            daemon.wait(10)
        with hubdepot(workers) as srv:
            auth = {"Authorization": f"token {srv.token}"}
            httpx.post(srv.api + "/user/repos", json={"name": "big"}, headers=auth).raise_for_status()
            url = f"http://x:{srv.token}@{srv.url.removeprefix('http://')}/admin/big.git"
            with PeakRss(srv.process.pid) as push_rss:
                push = _timed(env, f"--git-dir={source}", "push", "-q", url, "main")
            with PeakRss(srv.process.pid) as clone_rss:
                clone = _timed(env, "clone", "-q", "--bare", url, str(tmp / "our-clone.git"))
        label = f"{files:,} files / {total:.0f} MB"
        yield row(f"git clone ({label})", total / clone, total / ref_clone, "MB/s", ">= 0.9x",
                  f"server RSS growth {clone_rss.growth_mib:.1f} MiB (goal < 64)")
        yield row(f"git push ({label})", total / push, total / ref_push, "MB/s", ">= 0.9x",
                  f"server RSS growth {push_rss.growth_mib:.1f} MiB")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
