"""Running several hosts: /status for the load balancer, draining on SIGTERM, and (with PostgreSQL)
hosts sharing one database and one repositories directory."""

from __future__ import annotations

import shutil
import signal
import threading
import time

import httpx

from tests.support import server as server_support


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


def _auth(srv) -> dict:
    return {"Authorization": f"token {srv.token}"}
