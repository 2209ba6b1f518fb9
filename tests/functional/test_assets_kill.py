"""Kill-safety: SIGKILL a server in the middle of 20 uploads, restart it on the same data: no asset
has a wrong size or digest, every acknowledged upload is there, every earlier asset downloads."""

from __future__ import annotations

import concurrent.futures
import hashlib
import subprocess
import sys
import threading
import time

import httpx

from tests.support import server as server_support
from tests.support.releases import upload, upload_url

SIZE = 1024 * 1024
CHUNK = 32 * 1024


def _data(i: int) -> bytes:
    seed = hashlib.sha256(f"asset-{i}".encode()).digest()
    return (seed * (SIZE // len(seed) + 1))[: SIZE + i]


def _crash(srv) -> None:
    srv.crash()


def _slow_upload(release: dict, token: str, i: int, stop: threading.Event):
    data = _data(i)
    time.sleep(0.04 * i)

    def body():
        for start in range(0, len(data), CHUNK):
            if stop.is_set():
                return
            yield data[start : start + CHUNK]
            time.sleep(0.02)

    try:
        with httpx.Client(timeout=30) as c:
            r = c.post(
                upload_url(release, name=f"storm-{i}.bin"),
                content=body(),
                headers={
                    "authorization": f"token {token}",
                    "content-type": "application/octet-stream",
                    "content-length": str(len(data)),
                },
            )
            return i, r.status_code
    except Exception:  # the server died under it (httpx, or h11 when the body generator stops short)
        return i, None


def test_sigkill_during_uploads(tmp_path):
    data_dir = tmp_path / "data"
    srv = server_support.start(data_dir)
    api = server_support.CheckedClient(base_url=srv.api, headers={"authorization": f"token {srv.token}"})
    try:
        api.post("/user/repos", json={"name": "kill", "auto_init": True}).raise_for_status()
        release = api.post("/repos/admin/kill/releases", json={"tag_name": "v1"}).json()
        earlier = {f"early-{i}.bin": _data(100 + i) for i in range(3)}
        for name, data in earlier.items():
            assert upload(api, release, name, data).status_code == 201
        stop = threading.Event()
        with concurrent.futures.ThreadPoolExecutor(20) as pool:
            futures = [pool.submit(_slow_upload, release, srv.token, i, stop) for i in range(20)]
            time.sleep(1.2)  # the first uploads are done, the later ones under way
            _crash(srv)
            stop.set()
            results = dict(f.result() for f in futures)
    finally:
        api.close()
        _crash(srv)

    srv = server_support.start(data_dir)
    api = server_support.CheckedClient(base_url=srv.api, headers={"authorization": f"token {srv.token}"})
    try:
        assets = {
            a["name"]: a
            for a in api.get(f"/repos/admin/kill/releases/{release['id']}/assets", params={"per_page": 100}).json()
        }
        expected = {**earlier, **{f"storm-{i}.bin": _data(i) for i in range(20)}}
        acknowledged = {f"storm-{i}.bin" for i, code in results.items() if code == 201}
        assert set(earlier) | acknowledged <= set(assets)
        for name, asset in assets.items():
            data = expected[name]
            assert asset["size"] == len(data) and asset["digest"] == "sha256:" + hashlib.sha256(data).hexdigest(), name
        for name in earlier:
            got = api.get(assets[name]["url"], headers={"accept": "application/octet-stream"})
            assert got.status_code == 200 and got.content == earlier[name]
        missing = [n for n in expected if n not in assets]
        assert missing and acknowledged, f"the kill missed the uploads: {results}"
        again = api.get(f"/repos/admin/kill/releases/{release['id']}").json()  # upload_url on the new port
        for name in missing:  # no stuck half-asset holds a name
            assert upload(api, again, name, expected[name]).status_code == 201
        fsck = subprocess.run(
            [sys.executable, "-m", "hubdepot", "fsck", "--deep", "--data-dir", str(data_dir)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert fsck.returncode == 0, fsck.stdout + fsck.stderr
    finally:
        api.close()
        srv.stop()
