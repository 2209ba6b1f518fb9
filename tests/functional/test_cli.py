"""The hubdepot command, run as a user would, against the same data dir as a running server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import httpx

from tests.conftest import unique
from tests.support import server as server_support


def cli(server, *args, check=True):
    env = dict(server.env)
    result = subprocess.run(
        [sys.executable, "-m", "hubdepot", *args, "--data-dir", str(server.data_dir)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_users_tokens_repos_while_serving(server, client_for):
    login, org = unique("cli"), unique("corp")
    assert cli(server, "user", "create", login, "--email", "a@example.com").stdout.strip() == login
    token = cli(server, "token", "create", login).stdout.strip()
    assert token.startswith("ghp_") and len(token) == 40
    api = client_for(token)
    assert api.get("/user").json()["login"] == login
    assert cli(server, "org", "create", org).stdout.strip() == org
    cli(server, "org", "add-member", org, login)
    assert cli(server, "repo", "create", f"{org}/tools", "--private", "--auto-init").stdout.strip() == f"{org}/tools"
    repo = api.get(f"/repos/{org}/tools")
    assert repo.status_code == 200 and repo.json()["permissions"]["push"] is True
    other, other_token = unique("cli"), None
    cli(server, "user", "create", other)
    other_token = cli(server, "token", "create", other, "--scopes", "repo").stdout.strip()
    assert client_for(other_token).get(f"/repos/{org}/tools").status_code == 404
    cli(server, "repo", "add-collaborator", f"{org}/tools", other, "--permission", "pull")
    seen = client_for(other_token).get(f"/repos/{org}/tools")
    assert seen.status_code == 200 and seen.json()["permissions"]["push"] is False
    assert seen.headers["x-oauth-scopes"] == "repo"
    cli(server, "token", "revoke", token)
    time.sleep(5.5)  # token lookups are cached for five seconds
    assert client_for(token).get("/user").status_code == 401


def test_cli_errors_are_one_line(server):
    dup = cli(server, "user", "create", "admin", check=False)
    assert dup.returncode == 1 and dup.stderr.strip().count("\n") == 0 and "already_exists" in dup.stderr
    bad = subprocess.run(
        [sys.executable, "-m", "hubdepot", "serve", "--port", "99999"], capture_output=True, text=True, timeout=60
    )
    assert bad.returncode != 0 and "port out of range" in bad.stderr and "Traceback" not in bad.stderr
    env = {**os.environ, "HUBDEPOT_UPLOAD_MAX_BYTES": "lots"}
    bad_env = subprocess.run(
        [sys.executable, "-m", "hubdepot", "db", "current"], env=env, capture_output=True, text=True, timeout=60
    )
    assert (
        bad_env.returncode != 0 and "HUBDEPOT_UPLOAD_MAX_BYTES" in bad_env.stderr and "Traceback" not in bad_env.stderr
    )


def test_db_check_and_current(server):
    current = cli(server, "db", "current").stdout.strip()
    assert current and cli(server, "db", "check").stdout.strip() == current


def test_sigterm_lets_requests_finish(tmp_path):
    srv = server_support.start(tmp_path / "srv")
    results = []

    def slow_upload():
        with httpx.Client(base_url=srv.api, headers={"Authorization": f"token {srv.token}"}, timeout=30) as c:

            def body():  # the request is still arriving when SIGTERM lands
                yield b'{"name": "late", "pad": "'
                for _ in range(10):
                    time.sleep(0.1)
                    yield b"x"
                yield b'"}'

            results.append(c.post("/user/repos", content=body(), headers={"content-type": "application/json"}))

    t = threading.Thread(target=slow_upload)
    t.start()
    time.sleep(0.4)
    srv.process.send_signal(signal.SIGTERM)
    t.join(30)
    assert srv.process.wait(30) == 0 or srv.process.returncode in (0, -signal.SIGTERM)
    assert results and results[0].status_code == 201, results
