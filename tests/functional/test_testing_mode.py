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
            if "HUBDEPOT_PID" in self.env:
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
    assert server.env["HUBDEPOT_PID"] == str(server.process.pid)
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


NAMESPACE = [
    ("GET", "/_hubdepot/requests"),
    ("DELETE", "/_hubdepot/requests"),
    ("GET", "/_hubdepot/faults"),
    ("POST", "/_hubdepot/faults"),
    ("DELETE", "/_hubdepot/faults"),
    ("POST", "/_hubdepot/reset"),
    ("POST", "/_hubdepot/seed"),
    ("GET", "/_hubdepot/webhooks"),
    ("POST", "/_hubdepot/webhooks"),
]


def test_the_test_namespace_does_not_exist_on_a_normal_server(server, client_for, tmp_path):
    admin = httpx.Client(base_url=server.url, headers={"authorization": f"token {server.token}"}, timeout=30)
    with admin:
        assert admin.post("/api/v3/user/repos", json={"name": "kept-" + tmp_path.name}).status_code == 201
        for method, path in NAMESPACE:
            assert admin.request(method, path, json={"route": "GET /user"}).status_code == 404, (method, path)
        assert admin.get(f"/api/v3/repos/admin/kept-{tmp_path.name}").status_code == 200  # no reset happened
        assert admin.get("/api/v3/user").status_code == 200  # no fault either


def test_the_namespace_is_for_the_site_administrator(ephemeral):
    server = ephemeral()
    origin = server.env["GITHUB_SERVER_URL"]
    with server.client() as c:
        assert c.delete(origin + "/_hubdepot/requests").status_code == 204
        assert c.post("/user/repos", json={"name": "w"}).status_code == 201
        c.base_url = httpx.URL(origin)
        for method, path in NAMESPACE:
            if path != "/_hubdepot/webhooks" or method != "POST":
                anonymous = httpx.request(method, origin + path, timeout=30)
                assert anonymous.status_code == 401, (method, path)
                assert anonymous.json()["message"] == "Requires authentication"
        bad = c.post("/_hubdepot/faults", json={"route": "FETCH /user"})
        assert bad.status_code == 422 and bad.json()["message"].startswith("route: 'FETCH /user' is not METHOD /path")
        assert c.post("/_hubdepot/faults", json={"route": "GET /user", "status": 200}).status_code == 422
        assert c.delete("/_hubdepot/faults/99").status_code == 404
        seeded = c.post("/_hubdepot/seed", content=b"users: [{login: bob, tokens: [ghp_bobbobbobbob]}]")
        assert seeded.status_code == 201 and seeded.json() == {"made": ["user bob"]}
        bob = httpx.Client(base_url=origin, headers={"authorization": "token ghp_bobbobbobbob"}, timeout=30)
        with bob:
            assert bob.get("/api/v3/user").json()["login"] == "bob"
            assert bob.get("/_hubdepot/requests").status_code == 403
            assert bob.post("/_hubdepot/reset").status_code == 403
        journal = c.get("/_hubdepot/requests").json()
        assert [(e["method"], e["path"], e["status"]) for e in journal] == [
            ("POST", "/user/repos", 201),
            ("GET", "/user", 200),
        ]
        assert journal[0]["request_headers"]["authorization"] == "token [redacted]"
        assert c.post("/_hubdepot/reset").status_code == 204
        assert c.get("/api/v3/repos/admin/w").status_code == 404
        after = [(e["method"], e["path"], e["status"]) for e in c.get("/_hubdepot/requests").json()]
        assert after == [("GET", "/repos/admin/w", 404)]
        with httpx.Client(base_url=origin, headers={"authorization": "token ghp_bobbobbobbob"}) as gone:
            assert gone.get("/api/v3/user").status_code == 401  # bob went with the reset
