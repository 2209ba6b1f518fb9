"""Bench plumbing: a hubdepot server, an nginx reference, the bare server's floor, wrk for load, RSS
sampling."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from tests.support import server as server_support

NGINX_CONF = """
{user}
worker_processes {workers};
daemon off;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {root}/body;
  proxy_temp_path {root}/proxy;
  fastcgi_temp_path {root}/fastcgi;
  uwsgi_temp_path {root}/uwsgi;
  scgi_temp_path {root}/scgi;
  client_max_body_size 0;
  sendfile on;
  server {{
    listen 127.0.0.1:{port};
    location / {{
      root {root}/www;
      default_type application/json;
      dav_methods PUT;
      create_full_put_path on;
    }}
  }}
}}
"""


@dataclasses.dataclass
class Load:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def need(binary: str) -> str:
    path = shutil.which(binary) or (f"/usr/sbin/{binary}" if os.path.exists(f"/usr/sbin/{binary}") else None)
    if not path:
        raise SystemExit(f"bench needs {binary}: run `make install-test` (it installs Debian's {binary})")
    return path


@contextlib.contextmanager
def hubdepot(workers: int = 1, env: dict | None = None) -> Iterator[server_support.Server]:
    root = Path(tempfile.mkdtemp(prefix="hubdepot-bench-"))
    srv = server_support.start(root / "data", extra_args=["--workers", str(workers)], env=env)
    try:
        yield srv
    finally:
        srv.stop()
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def nginx(workers: int = 1) -> Iterator[tuple[str, Path]]:
    """(origin, document root) of an nginx serving files and accepting PUTs to disk."""
    binary = need("nginx")
    root = Path(tempfile.mkdtemp(prefix="nginx-bench-"))
    (root / "www").mkdir()
    port = server_support.free_port()
    user = "user root root;" if os.geteuid() == 0 else ""  # workers write PUT bodies into our temp dir
    (root / "nginx.conf").write_text(NGINX_CONF.format(user=user, workers=workers, root=root, port=port))
    process = subprocess.Popen(
        [binary, "-c", str(root / "nginx.conf"), "-p", str(root)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        server_support._wait(f"http://127.0.0.1:{port}", process, root / "error.log", 10)
        yield f"http://127.0.0.1:{port}", root / "www"
    finally:
        process.terminate()
        process.wait(10)
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def bare_serving(bodies: dict[str, bytes], workers: int = 1) -> Iterator[str]:
    """The origin of bench/bare_app answering each of `bodies` (name -> bytes) at /name, on granian
    with uvloop and `workers` workers, as hubdepot serves (no code of ours in between)."""
    root = Path(tempfile.mkdtemp(prefix="bare-bench-"))
    for name, body in bodies.items():
        (root / name).write_bytes(body)
    port = server_support.free_port()
    log = root / "server.log"
    command = [sys.executable, "-m", "granian", "--interface", "asgi", "--loop", "uvloop", "--workers", str(workers)]
    command += ["--host", "127.0.0.1", "--port", str(port), "--no-ws", "bench.bare_app:app"]
    env = {**os.environ, "BENCH_BARE_ROOT": str(root)}
    with log.open("wb") as out:
        here = Path(__file__).parent.parent
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=here)
    try:
        server_support._wait(f"http://127.0.0.1:{port}", process, log, 20)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)
        shutil.rmtree(root, ignore_errors=True)


_LAT = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)


def wrk(url: str, *, connections: int = 64, seconds: int = 10, threads: int = 2, headers: dict | None = None) -> Load:
    cmd = [need("wrk"), f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    for name, value in (headers or {}).items():
        cmd[1:1] = ["-H", f"{name}: {value}"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = {p: float(v) * {"us": 0.001, "ms": 1, "s": 1000}[u] for p, v, u in _LAT.findall(out)}
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errs = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(bad.group(1)) if bad else 0) + (sum(map(int, errs.groups())) if errs else 0)
    return Load(rps, lat.get("50", 0.0), lat.get("99", 0.0), errors)


def rss_kib(pid: int) -> int:
    """Resident set of a process and its children (granian workers), in KiB."""
    total = 0
    for p in [pid] + _children(pid):
        with contextlib.suppress(FileNotFoundError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


def _children(pid: int) -> list[int]:
    out = []
    with contextlib.suppress(FileNotFoundError):
        for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
            out += [int(child)] + _children(int(child))
    return out


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def row(name: str, ours: float, reference: float, unit: str, goal: str, extra: str = "") -> str:
    ratio = ours / reference if reference else float("nan")
    return (
        f"{name:<44} hubdepot {ours:>10.1f} {unit:<6} reference {reference:>10.1f} {unit:<6} "
        f"ratio {ratio:5.2f}x  (goal {goal}) {extra}"
    )
