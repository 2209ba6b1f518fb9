"""Running several hosts: /status for the load balancer, draining on SIGTERM, and (with PostgreSQL)
hosts sharing one database and one repositories directory."""

from __future__ import annotations

import base64
import collections
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.conftest import PG_URL, WORKER
from tests.support import server as server_support
from tests.support.receivers import PyReceiver


def _slow_body(chunks: int, pause: float, sent: threading.Event):
    for i in range(chunks):
        yield b"x" * 1024
        if i == 0:
            sent.set()
        time.sleep(pause)


def test_status_answers_ok_then_503_when_the_repositories_dir_is_gone(tmp_path):
    repos = tmp_path / "shared-repositories"
    srv = server_support.start(tmp_path / "data", env={"HUBDEPOT_REPOSITORIES_DIR": str(repos)})
    try:
        ok = httpx.get(srv.url + "/status")
        assert (ok.status_code, ok.text) == (200, "ok\n")
        r = httpx.post(srv.api + "/user/repos", json={"name": "here", "auto_init": True}, headers=_auth(srv))
        assert r.status_code == 201, r.text
        assert (repos / f"{r.json()['id']}.git" / "HEAD").is_file()  # the repository is in the setting's dir
        shutil.rmtree(repos)
        repos.write_text("not a directory")
        down = httpx.get(srv.url + "/status")
        assert down.status_code == 503 and down.text.startswith("repositories:"), down.text
        repos.unlink()
        assert httpx.get(srv.url + "/status").status_code == 200
    finally:
        srv.stop()


def test_sigterm_drains_status_503_then_in_flight_upload_finishes_and_exit_0(tmp_path):
    srv = server_support.start(tmp_path / "data", env={"HUBDEPOT_DRAIN_DELAY": "1"})
    auth = _auth(srv)
    repo = httpx.post(srv.api + "/user/repos", json={"name": "drained", "auto_init": True}, headers=auth).json()
    release = httpx.post(f"{srv.api}/repos/{repo['full_name']}/releases", json={"tag_name": "v1"}, headers=auth)
    upload = f"{srv.url}/api/uploads/repos/{repo['full_name']}/releases/{release.json()['id']}/assets?name=a.bin"
    sent, result = threading.Event(), {}

    def slow_upload():
        headers = {**auth, "Content-Type": "application/octet-stream", "Content-Length": str(40 * 1024)}
        result["r"] = httpx.post(upload, content=_slow_body(40, 0.05, sent), headers=headers, timeout=30)

    uploader = threading.Thread(target=slow_upload)
    uploader.start()
    assert sent.wait(10)
    started = time.monotonic()
    srv.process.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    assert httpx.get(srv.url + "/status").status_code == 503  # still accepting, telling the balancer to go
    assert httpx.get(srv.api + "/meta").status_code == 200
    uploader.join(30)
    assert result["r"].status_code == 201, result["r"].text  # in flight across the stop: finished
    assert srv.process.wait(30) == 0
    assert time.monotonic() - started >= 1  # the drain delay was waited
    assert not list((tmp_path / "data").glob("draining-*"))


def test_metrics_count_the_requests_sent_across_workers_and_json_logs_say_one_line_each(tmp_path):
    from prometheus_client.parser import text_string_to_metric_families

    env = {"HUBDEPOT_WORKERS": "2", "HUBDEPOT_LOG_FORMAT": "json"}
    srv = server_support.start(tmp_path / "data", env=env)
    auth = _auth(srv)
    try:
        with httpx.Client(headers=auth, timeout=30) as client:
            repo = client.post(srv.api + "/user/repos", json={"name": "counted", "auto_init": True}).json()
            for _ in range(20):  # new connections: both workers answer some
                assert httpx.get(f"{srv.api}/repos/{repo['full_name']}", headers=auth).status_code == 200
            assert client.get(srv.api + "/repos/nobody/nothing").status_code == 404
        time.sleep(1.5)  # each worker adds its tally every second
        page = httpx.get(srv.url + "/metrics")
    finally:
        srv.stop()
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/plain; version=")
    families = {f.name: f for f in text_string_to_metric_families(page.text)}
    requests = {
        (s.labels["route"], s.labels["status"]): s.value
        for s in families["hubdepot_requests"].samples
        if s.name == "hubdepot_requests_total"
    }
    repo_route = "/api/v3/repos/{owner}/{repo}"
    assert requests[(repo_route, "200")] + requests.get(("(read cache)", "200"), 0) == 20
    assert requests[(repo_route, "404")] == 1 and requests[("/api/v3/user/repos", "201")] == 1
    cache = {s.labels["result"]: s.value for s in families["hubdepot_read_cache"].samples if s.name.endswith("_total")}
    assert cache["hit"] == requests[("(read cache)", "200")] >= 10  # two workers, one miss each at least
    latency = [s for s in families["hubdepot_request_duration_seconds"].samples if s.name.endswith("_count")]
    assert sum(s.value for s in latency if s.labels["surface"] == "api") == 22
    assert "hubdepot_webhook_queue_depth" in families and "hubdepot_db_pool_checked_out" in families
    lines = [json.loads(line) for line in srv.log.read_text().splitlines() if line.startswith("{")]
    answered = [line for line in lines if line["logger"] == "hubdepot.request" and line["surface"] == "api"]
    assert len(answered) == 22 and all(len(line["request_id"]) == 32 for line in answered)
    assert {line["actor_id"] for line in answered} == {1} and answered[-1]["status"] == 404
    assert {"route", "duration_ms", "bytes_in", "bytes_out", "time", "level"} <= set(answered[0])


def _auth(srv) -> dict:
    return {"Authorization": f"token {srv.token}"}


# -- three hosts on one PostgreSQL, one repositories directory, one S3 bucket ---------------------------

PASSWORD = "cluster-pass-123"
HAPROXY_BIN = shutil.which("haproxy") or "/usr/sbin/haproxy"
HAPROXY = """global
    maxconn 512
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout check 2s
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response
    option http-server-close
frontend hubdepot
    bind 127.0.0.1:{port}
    default_backend hosts
backend hosts
    balance roundrobin
    option httpchk GET /status
    http-check expect status 200
{servers}
"""


class Cluster:
    def __init__(self, tmp: Path, database_url: str, env: dict):
        self.tmp, self.database_url, self.env = tmp, database_url, env
        self.hosts: list = []
        self.balancer: subprocess.Popen | None = None
        self.url = ""

    def start_host(self, index: int):
        data_dir = self.tmp / f"host-{index}"
        data_dir.mkdir(exist_ok=True)
        if index and not (data_dir / "admin-token").exists():  # the first host made the admin
            shutil.copy(self.tmp / "host-0" / "admin-token", data_dir / "admin-token")
        port = int(self.hosts[index].url.rsplit(":", 1)[1]) if index < len(self.hosts) else None
        host = server_support.start(data_dir, self.database_url, env=self.env, port=port)  # a restart: same port
        if index < len(self.hosts):
            self.hosts[index] = host
        else:
            self.hosts.append(host)
        return host

    def start_balancer(self) -> str:
        """haproxy in front of the hosts, checking /status every 200 ms (out after two failures); a
        refused connection is retried on another host. Returns its URL."""
        if self.balancer is None:
            port = server_support.free_port()
            servers = "\n".join(
                f"    server h{i} 127.0.0.1:{h.url.rsplit(':', 1)[1]} check inter 200ms fall 2 rise 2"
                for i, h in enumerate(self.hosts)
            )
            config = self.tmp / "haproxy.cfg"
            config.write_text(HAPROXY.format(port=port, servers=servers))
            log = open(self.tmp / "haproxy.log", "wb")  # noqa: SIM115 (open while haproxy runs)
            self.balancer = subprocess.Popen([HAPROXY_BIN, "-db", "-f", str(config)], stdout=log, stderr=log)
            server_support._wait(f"http://127.0.0.1:{port}", self.balancer, self.tmp / "haproxy.log", 10)
            self.url = f"http://127.0.0.1:{port}"
            time.sleep(1)  # every host checked up
        return self.url

    def hub(self):
        from hubdepot.config import Settings
        from hubdepot.hub import create_hub

        env = {k: v for k, v in self.env.items() if k.startswith("HUBDEPOT_")}
        return create_hub(Settings.load(env=env, data_dir=self.tmp / "tools", database_url=self.database_url))


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    from tests.conftest import scratch_database
    from tests.support import s3

    tmp = tmp_path_factory.mktemp("cluster")
    env = {
        "HUBDEPOT_REPOSITORIES_DIR": str(tmp / "shared-repositories"),
        "HUBDEPOT_SECRET_KEY": "one-key-for-every-host-of-the-cluster",
        "HUBDEPOT_DRAIN_DELAY": "1",
        **s3.server_env(tmp_path_factory),
    }
    c = Cluster(tmp, scratch_database(f"hubdepot_cluster{WORKER}", fresh=True), env)
    c.start_host(0)  # migrates the database
    for index in (1, 2):
        c.start_host(index)
    yield c
    if c.balancer is not None:
        c.balancer.terminate()
        c.balancer.wait(10)
    for host in c.hosts:
        host.stop()


needs_postgres = pytest.mark.skipif(not PG_URL, reason="needs HUBDEPOT_TEST_DATABASE_URL (PostgreSQL)")


def _fresh_after(client, url: str, field: str, value, written: float, stale: list) -> float:
    """Seconds from `written` until a read of `url` that answers `value` in `field` was sent (polled;
    fails after a second): 0 when the first read already did. `stale` counts the reads that did not."""
    sent = written
    while client.get(url).json()[field] != value:
        stale.append(url)
        assert time.monotonic() - written < 1, f"{url} still stale after a second"
        time.sleep(0.001)
        sent = time.monotonic()
    return sent - written


@needs_postgres
def test_read_your_writes_across_hosts(cluster):
    """A write through A ends B's and C's cached answers as soon as PostgreSQL has delivered its
    notification (goal: p99 under 50 ms; the bound asserted is looser, for loaded machines)."""
    a, b, c = cluster.hosts
    auth = _auth(a)
    repo = httpx.post(a.api + "/user/repos", json={"name": "ryw", "auto_init": True}, headers=auth).json()
    other = httpx.post(a.api + "/user/repos", json={"name": "ryw-other"}, headers=auth).json()
    url = f"/repos/{repo['full_name']}/releases/" + str(
        httpx.post(f"{a.api}/repos/{repo['full_name']}/releases", json={"tag_name": "v1"}, headers=auth).json()["id"]
    )
    delays: list[float] = []
    stale: list[str] = []
    with httpx.Client(headers=auth) as client:
        for i in range(25):
            for host in (b, c):  # cached on both other hosts
                assert client.get(host.api + url).json()["body"] == (f"edit {i - 1}" if i else None)
            client.patch(a.api + url, json={"body": f"edit {i}"}).raise_for_status()
            written = time.monotonic()
            delays += [_fresh_after(client, host.api + url, "body", f"edit {i}", written, stale) for host in (b, c)]
            client.patch(f"{a.api}/repos/{other['full_name']}", json={"description": f"d{i}"}).raise_for_status()
            written = time.monotonic()
            other_url = f"{c.api}/repos/{other['full_name']}"
            delays.append(_fresh_after(client, other_url, "description", f"d{i}", written, stale))
    delays.sort()
    p99 = delays[int(len(delays) * 0.99) - 1]
    print(f"\ncross-host reads after a write: {len(delays)}, stale {len(stale)}, stale for p99 {p99 * 1000:.1f} ms")
    assert p99 < 0.25


def _race(hosts, path: str, sha: str, auth: dict, round_: int) -> list[int]:
    """One PUT of `path` on top of `sha` through each host at the same moment: their statuses."""
    barrier, answers = threading.Barrier(len(hosts)), []

    def commit(host, n: int) -> None:
        content = base64.b64encode(f"{round_}-{n}".encode()).decode()
        body = {"message": f"r{round_} from {n}", "content": content, "sha": sha}
        barrier.wait()
        answers.append(httpx.put(host.api + path, json=body, headers=auth, timeout=30).status_code)

    threads = [threading.Thread(target=commit, args=(h, n)) for n, h in enumerate(hosts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return answers


@needs_postgres
def test_concurrent_contents_commits_through_different_hosts_one_wins(cluster):
    auth = _auth(cluster.hosts[0])
    repo = httpx.post(cluster.hosts[0].api + "/user/repos", json={"name": "race", "auto_init": True}, headers=auth)
    path = f"/repos/{repo.json()['full_name']}/contents/README.md"
    for round_ in range(5):
        sha = httpx.get(cluster.hosts[round_ % 3].api + path, headers=auth).json()["sha"]
        assert sorted(_race(cluster.hosts, path, sha, auth, round_)) == [200, 409, 409]


@needs_postgres
def test_signing_out_on_one_host_ends_the_session_on_another(cluster):
    from hubdepot.services import accounts, sessions

    hub = cluster.hub()
    login = f"signer{uuid.uuid4().hex[:6]}"
    accounts.create_account(hub, login, "User")
    sessions.set_password(hub, login, PASSWORD)
    token = accounts.create_token(hub, login)
    hub.db.dispose()
    a, b, _ = cluster.hosts
    httpx.post(
        a.api + "/user/repos", json={"name": "secret", "private": True}, headers={"Authorization": f"token {token}"}
    )
    with httpx.Client(base_url=a.url, timeout=30) as browser:
        csrf = re.search(r'authenticity_token" value="([^"]+)"', browser.get("/login").text)[1]
        signed = browser.post("/session", data={"login": login, "password": PASSWORD, "authenticity_token": csrf})
        assert signed.status_code == 302
        cookie = {"user_session": browser.cookies["user_session"]}
        with httpx.Client(base_url=b.url, cookies=cookie, timeout=30) as elsewhere:
            page = elsewhere.get(f"/{login}/secret")
            assert page.status_code == 200  # the session (signed with the shared key) holds on B
            out = re.search(r'action="/logout".*?name="authenticity_token" value="([^"]+)"', page.text, re.S)[1]
            assert browser.post("/logout", data={"authenticity_token": out}).status_code == 302
            ended = time.monotonic()
            while elsewhere.get(f"/{login}/secret").status_code != 404:  # as soon as B has the notification
                assert time.monotonic() - ended < 0.05


@needs_postgres
def test_rate_limits_and_sign_in_throttling_hold_across_hosts(tmp_path):
    from tests.conftest import scratch_database

    url = scratch_database(f"hubdepot_cluster_limits{WORKER}", fresh=True)
    env = {"HUBDEPOT_RATE_LIMIT_AUTHENTICATED": "6", "HUBDEPOT_SECRET_KEY": "one-key-for-both-hosts"}
    a = server_support.start(tmp_path / "a", url, env=env)
    (tmp_path / "b").mkdir()
    shutil.copy(tmp_path / "a" / "admin-token", tmp_path / "b" / "admin-token")
    b = server_support.start(tmp_path / "b", url, env=env)
    try:
        seen = [httpx.get(host.api + "/user", headers=_auth(a)) for host in (a, b, a, b, a, b)]
        assert [r.status_code for r in seen] == [200] * 6
        assert [int(r.headers["x-ratelimit-remaining"]) for r in seen] == [5, 4, 3, 2, 1, 0]
        over = httpx.get(b.api + "/user", headers=_auth(a))
        assert over.status_code == 403 and "rate limit exceeded" in over.json()["message"]
        for n in range(10):  # LOGIN_FAILURES wrong passwords, spread over both hosts
            assert _sign_in((a, b)[n % 2], "admin", "wrong-password").status_code == 401
        assert _sign_in(a, "admin", "wrong-password").status_code == 429
        assert _sign_in(b, "admin", "wrong-password").status_code == 429
    finally:
        a.stop()
        b.stop()


def _sign_in(host, login: str, password: str) -> httpx.Response:
    with httpx.Client(base_url=host.url, timeout=30) as browser:
        csrf = re.search(r'authenticity_token" value="([^"]+)"', browser.get("/login").text)
        assert csrf is not None
        return browser.post("/session", data={"login": login, "password": password, "authenticity_token": csrf[1]})


def _json(client, url: str) -> dict:
    for _ in range(50):
        r = client.get(url)
        if r.status_code == 200:
            return r.json()
        time.sleep(0.1)
    raise AssertionError(f"{url}: {r.status_code}")


class Traffic:
    """Clients through the balancer until stopped: reads, release edits, contents commits, asset
    uploads, one thread each (reads twice). Counts what succeeded, keeps what failed and every
    acknowledged commit."""

    KINDS = ("read", "read", "edit", "commit", "upload")

    def __init__(self, balancer: str, auth: dict, name: str, hook: str | None = None):
        repo = httpx.post(balancer + "/api/v3/user/repos", json={"name": name, "auto_init": True}, headers=auth)
        self.base = f"{balancer}/api/v3/repos/{repo.json()['full_name']}"
        if hook:  # a receiver of every event
            config = {"config": {"url": hook, "content_type": "json"}, "events": ["*"]}
            httpx.post(self.base + "/hooks", json=config, headers=auth).raise_for_status()
        self.release = httpx.post(self.base + "/releases", json={"tag_name": "v1"}, headers=auth).json()["id"]
        self.auth = auth
        self.stop, self.failures, self.done = threading.Event(), [], collections.Counter()
        self.commits: list[str] = []
        self.threads = [threading.Thread(target=self._run, args=(kind,)) for kind in self.KINDS]

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(60)

    def _run(self, kind: str) -> None:
        with httpx.Client(headers=self.auth, timeout=30) as client:
            if kind == "commit":
                self.sha = _json(client, self.base + "/contents/README.md")["sha"]
            n = 0
            while not self.stop.is_set():
                n += 1
                try:
                    r = getattr(self, kind)(client, n)
                except httpx.HTTPError as exc:
                    self.failures.append(f"{kind}: {exc!r}")
                    continue
                if r.status_code >= 300:
                    self.failures.append(f"{kind}: {r.status_code} {r.text[:200]}")
                else:
                    self.done[kind] += 1

    def read(self, client, n: int) -> httpx.Response:
        return client.get(f"{self.base}/releases/{self.release}")

    def edit(self, client, n: int) -> httpx.Response:
        return client.patch(f"{self.base}/releases/{self.release}", json={"body": f"edit {n}"})

    def commit(self, client, n: int) -> httpx.Response:
        content = base64.b64encode(f"commit {n}".encode()).decode()
        r = client.put(
            self.base + "/contents/README.md", json={"message": f"c{n}", "content": content, "sha": self.sha}
        )
        if r.status_code == 200:
            self.sha = r.json()["content"]["sha"]
            self.commits.append(r.json()["commit"]["sha"])
        return r

    def upload(self, client, n: int) -> httpx.Response:
        uploads = self.base.replace("/api/v3/", "/api/uploads/") + f"/releases/{self.release}/assets"
        headers = {"Content-Type": "application/octet-stream"}
        return client.post(f"{uploads}?name=a{n}.bin", content=b"x" * 65536, headers=headers)


@needs_postgres
@pytest.mark.skipif(not Path(HAPROXY_BIN).exists(), reason="needs haproxy (Debian package)")
def test_sigterm_of_one_host_mid_traffic_fails_no_request(cluster):
    """Clients through haproxy while one host is stopped with SIGTERM: it drains (503 on /status,
    in-flight requests finish, then it stops accepting), and no request fails."""
    with Traffic(cluster.start_balancer(), _auth(cluster.hosts[0]), "traffic") as traffic:
        time.sleep(1)
        victim = cluster.hosts[2]
        victim.process.send_signal(signal.SIGTERM)
        assert victim.process.wait(30) == 0
        time.sleep(1)
    print(f"\nthrough haproxy while host 3 drained and stopped: {dict(traffic.done)}, failed {len(traffic.failures)}")
    assert not traffic.failures, traffic.failures[:5]
    assert traffic.done["read"] > 20 and traffic.done["commit"] > 3 and traffic.done["upload"] > 3
    cluster.start_host(2)


LONG = os.environ.get("HUBDEPOT_CLUSTER_LONG", "") not in ("", "0")


@needs_postgres
@pytest.mark.skipif(not LONG, reason="the long cluster run: make cluster (HUBDEPOT_CLUSTER_LONG=1)")
@pytest.mark.skipif(not Path(HAPROXY_BIN).exists(), reason="needs haproxy (Debian package)")
def test_rolling_restart_then_a_killed_host(cluster):
    """Every host stopped with SIGTERM and started again in turn: no request fails. Then one host is
    killed (SIGKILL) mid-traffic: only requests in flight on it fail, no acknowledged commit is lost,
    each one's push event reaches a webhook receiver at least once, `hubdepot fsck` finds it clean."""
    balancer = cluster.start_balancer()
    with Traffic(balancer, _auth(cluster.hosts[0]), "rolling") as traffic:
        for index in range(len(cluster.hosts)):
            time.sleep(1)
            cluster.hosts[index].process.send_signal(signal.SIGTERM)
            assert cluster.hosts[index].process.wait(30) == 0
            cluster.start_host(index)
            time.sleep(0.5)  # two checks pass: back in the balancer's rotation
    print(f"\nrolling restart of {len(cluster.hosts)} hosts: {dict(traffic.done)}, failed {len(traffic.failures)}")
    assert not traffic.failures, traffic.failures[:5]
    with PyReceiver() as receiver:
        with Traffic(balancer, _auth(cluster.hosts[0]), "killed", hook=receiver.url) as traffic:
            time.sleep(2)
            cluster.hosts[1].crash()
            time.sleep(2)
        print(f"SIGKILL of one host: {dict(traffic.done)}, failed (in flight on it) {len(traffic.failures)}")
        assert len(traffic.failures) <= len(Traffic.KINDS)  # at most one in flight per client
        cluster.start_host(1)
        with httpx.Client(headers=_auth(cluster.hosts[0]), timeout=30) as client:
            for sha in traffic.commits:  # every acknowledged commit is there
                assert client.get(f"{traffic.base}/commits/{sha}").status_code == 200
        pushed = set(traffic.commits)  # and its push event delivered at least once
        receiver.wait_for(lambda got: pushed <= {d.payload.get("after") for d in got if d.event == "push"}, 60)
    env = {**os.environ, **cluster.env, "HUBDEPOT_DATABASE_URL": cluster.database_url}
    fsck = subprocess.run(
        [sys.executable, "-m", "hubdepot", "fsck", "--data-dir", str(cluster.tmp / "tools")],
        env=env,
        capture_output=True,
        text=True,
    )
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr
