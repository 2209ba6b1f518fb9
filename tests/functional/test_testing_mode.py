"""`hubdepot serve --ephemeral` (docs/testing.md): a real process started as a test suite starts it,
its printed variables, its temporary data dir (gone after SIGINT and SIGTERM), loopback only, --tls auto."""

from __future__ import annotations

import os
import re
import signal
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support.server import ROOT, family

EXPORT = re.compile(r"^export ([A-Z_]+)=(\S+)$")


class Ephemeral:
    """`hubdepot serve --ephemeral ARGS`: its process, the variables it printed, its data dir."""

    def __init__(self, *args: str):
        cmd = [sys.executable, "-m", "hubdepot", "serve", "--ephemeral", "--port", "0", *args]
        self.process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
        self.env: dict[str, str] = {}
        for line in self.process.stdout or ():
            match = EXPORT.match(line.strip())
            assert match, f"not an export line: {line!r}; stderr: {self._stderr()}"
            self.env[match[1]] = match[2]
            if "GITHUB_TOKEN" in self.env and ("SSL_CERT_FILE" in self.env or "--tls" not in args):
                break
        assert "GITHUB_API_URL" in self.env, self._stderr()

    def _stderr(self) -> str:
        if self.process.poll() is None:
            self.process.kill()
        return (self.process.stderr.read() if self.process.stderr else "")[-3000:]

    def client(self) -> httpx.Client:
        verify: ssl.SSLContext | bool = True
        if "SSL_CERT_FILE" in self.env:
            verify = ssl.create_default_context(cafile=self.env["SSL_CERT_FILE"])
        headers = {"authorization": f"token {self.env['GITHUB_TOKEN']}"}
        return httpx.Client(base_url=self.env["GITHUB_API_URL"], headers=headers, verify=verify, timeout=30)

    def wait_ready(self) -> None:
        with self.client() as c:
            for _ in range(200):
                try:
                    c.get("/meta")
                    return
                except httpx.TransportError:
                    if self.process.poll() is not None:
                        raise AssertionError(self._stderr()) from None
                    time.sleep(0.05)
        raise AssertionError("no answer in 10 s")

    def stop(self, sig=signal.SIGTERM) -> tuple[int, str]:
        if self.process.poll() is None:
            if sig == signal.SIGKILL:  # the worker too: it would hold the pipes open
                self.kill()
            self.process.send_signal(sig)
        try:
            _, err = self.process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()
            _, err = self.process.communicate(timeout=30)
        return self.process.returncode, err

    def kill(self) -> None:
        for pid in family(self.process.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _data_dir(stderr: str) -> Path:
    match = re.search(r"data in (\S+)\)", stderr)
    assert match, stderr
    return Path(match[1])


@pytest.fixture
def ephemeral():
    started: list[Ephemeral] = []

    def start(*args: str) -> Ephemeral:
        server = Ephemeral(*args)
        started.append(server)
        server.wait_ready()
        return server

    yield start
    for server in started:
        server.stop()


def test_prints_the_variables_clients_read_and_serves_as_admin(ephemeral):
    server = ephemeral()
    origin = server.env["GITHUB_SERVER_URL"]
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", origin)
    assert server.env["GITHUB_API_URL"] == origin + "/api/v3"
    assert server.env["GH_HOST"] == origin.removeprefix("http://")
    assert server.env["GH_ENTERPRISE_TOKEN"] == server.env["GITHUB_TOKEN"]
    assert "SSL_CERT_FILE" not in server.env
    with server.client() as c:
        me = c.get("/user")
        assert me.status_code == 200 and me.json()["login"] == "admin"
        assert c.post("/user/repos", json={"name": "w", "auto_init": True}).status_code == 201


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_leaves_no_files_behind(ephemeral, sig):
    server = ephemeral()
    with server.client() as c:
        assert c.post("/user/repos", json={"name": "w", "auto_init": True}).status_code == 201
    code, err = server.stop(sig)
    data = _data_dir(err)
    assert data.name.startswith("hubdepot-ephemeral-")
    assert not data.exists(), list(data.rglob("*"))[:10]
    assert code in (0, 130), err


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.1"])
def test_refuses_a_non_loopback_address_unless_told(host):
    done = subprocess.run(
        [sys.executable, "-m", "hubdepot", "serve", "--ephemeral", "--host", host],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert f"{host} is not" in done.stderr and "--allow-remote" in done.stderr


def test_refuses_a_data_dir(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "hubdepot", "serve", "--ephemeral", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 2 and "--data-dir does not go with --ephemeral" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_tls_auto_makes_a_ca_clients_can_trust(ephemeral):
    server = ephemeral("--tls", "auto")
    assert server.env["GITHUB_API_URL"].startswith("https://127.0.0.1:")
    ca = Path(server.env["SSL_CERT_FILE"])
    assert ca.is_file() and ca.parent.name.startswith("hubdepot-ephemeral-")
    with server.client() as c:
        assert c.get("/user").json()["login"] == "admin"
    with pytest.raises(httpx.ConnectError):  # only with that CA
        httpx.get(server.env["GITHUB_API_URL"] + "/meta", timeout=10)
    server.stop(signal.SIGINT)
    assert not ca.exists()


def test_seed_file_and_the_built_in_receiver_as_default_webhook_url(ephemeral, tmp_path):
    (tmp_path / "seed.yaml").write_text("""
users: [{login: alice, tokens: [ghp_fixedvalue000000000000000000000001]}]
repositories:
  - {owner: alice, name: widgets, files: {README.md: hi}, webhooks: [{events: [release]}]}
""")
    server = ephemeral("--seed", str(tmp_path / "seed.yaml"))
    with server.client() as c:
        c.headers["authorization"] = "token ghp_fixedvalue000000000000000000000001"
        assert c.get("/user").json()["login"] == "alice"
        (hook,) = c.get("/repos/alice/widgets/hooks").json()
        assert hook["config"]["url"] == server.env["GITHUB_SERVER_URL"] + "/_hubdepot/webhooks"


def test_a_bad_seed_is_one_line_and_leaves_nothing(tmp_path):
    (tmp_path / "seed.yaml").write_text("repositories: [{owner: nobody, name: r}]\n")
    done = subprocess.run(
        [sys.executable, "-m", "hubdepot", "serve", "--ephemeral", "--seed", str(tmp_path / "seed.yaml")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.strip().splitlines()[-1] == (
        "Error: seed.yaml: repositories[0].owner: no user or organization 'nobody' (list it under users or orgs)"
    )
