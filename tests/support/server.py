"""A real hubdepot server process on a free port, and a checked HTTP client for it."""

from __future__ import annotations

import dataclasses
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from tests.support import schema

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclasses.dataclass
class Server:
    url: str  # origin, e.g. http://127.0.0.1:PORT
    data_dir: Path
    database_url: str
    token: str
    process: subprocess.Popen
    env: dict
    log: Path

    @property
    def api(self) -> str:
        return self.url + "/api/v3"

    def crash(self) -> None:
        """SIGKILL the server and its worker processes at once, as a power cut would."""
        for pid in family(self.process.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait(10)

    def stop(self, sig=signal.SIGTERM, timeout: float = 15) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def family(pid: int) -> list[int]:
    """`pid` and its descendants (granian's worker processes), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        todo += children.get(current, [])
    return out


def start(
    data_dir: Path,
    database_url: str = "",
    *,
    extra_args=(),
    env=None,
    port=None,
    scheme="http",
    wait: float = 30,
    prefix=(),
) -> Server:
    """`prefix`: a command the server runs under (it must exec the rest, so the pid stays the server's)."""
    port = port or free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **(env or {})}
    env.pop("HUBDEPOT_DATABASE_URL", None)
    env.setdefault("HUBDEPOT_WORKERS", "1")  # one worker unless a test asks for more (the default is one per CPU)
    env.setdefault("HUBDEPOT_DRAIN_DELAY", "0")  # stopped at once (the drain tests set their own delay)
    if database_url:
        env["HUBDEPOT_DATABASE_URL"] = database_url
    log = data_dir / f"server-{port}.log"
    serve = ["-m", "hubdepot", "serve", "--port", str(port), "--data-dir", str(data_dir), *extra_args]
    cmd = [*prefix, sys.executable, *serve]
    with open(log, "ab") as out:
        process = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    url = f"{scheme}://127.0.0.1:{port}"
    _wait(url, process, log, wait)
    token = (data_dir / "admin-token").read_text().strip()
    return Server(url, data_dir, database_url, token, process, env, log)


def _wait(url: str, process, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    host, port = urlsplit(url).hostname, urlsplit(url).port
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server did not start in {timeout}s:\n{log.read_text()[-3000:]}")


class CheckedClient(httpx.Client):
    """httpx.Client whose JSON responses under /api/v3 and /api/uploads are checked against GitHub's schema."""

    def __init__(self, *args, check_schema: bool = True, **kwargs):
        kwargs.setdefault("timeout", 60)
        super().__init__(*args, **kwargs)
        self.check_schema = check_schema
        self.checked = 0

    def send(self, request, **kwargs):
        response = super().send(request, **kwargs)
        if self.check_schema:
            self._check(request, response)
        return response

    def _check(self, request, response) -> None:
        path = request.url.path
        for prefix in ("/api/v3", "/api/uploads"):
            if path.startswith(prefix):
                api_path = path[len(prefix) :] or "/"
                break
        else:
            return
        content_type = response.headers.get("content-type", "")
        if "json" not in content_type or request.method == "HEAD" or ".raw" in content_type:
            return  # (raw+json media types carry the file's own bytes)
        response.read()
        if response.status_code >= 400:
            body = response.json()
            assert set(body) >= {"message", "documentation_url", "status"}, body
            assert body["status"] == str(response.status_code), body
            return
        api_path = _canonical(api_path)
        if schema.validate(
            request.method, api_path, response.status_code, response.json(), accept=request.headers.get("accept")
        ):
            self.checked += 1


def _canonical(api_path: str) -> str:
    """/repositories/{id}/... is checked as /repos/{owner}/{repo}/... (same operation)."""
    parts = api_path.split("/")
    if len(parts) > 2 and parts[1] == "repositories" and parts[2].isdigit():
        return "/repos/_/_" + "/".join([""] + parts[3:]) if len(parts) > 3 else "/repos/_/_"
    return api_path
