"""SIGKILL during uploads, commits and archive generation, in a bounded loop: after every restart
`fsck --deep` finds rows, blobs and git in agreement, and every acknowledged write is there.
CI runs HUBDEPOT_FAULT_ROUNDS (default 8); `make faults` runs 50."""

from __future__ import annotations

import base64
import os
import random
import threading
import time

import httpx

from tests.support import server as server_support


def _traffic(srv, release: dict, stop: threading.Event, acked: dict, worker: int) -> None:
    auth = {"Authorization": f"token {srv.token}"}
    rng = random.Random(worker)
    with httpx.Client(base_url=srv.api + "/repos/admin/k", headers=auth, timeout=10) as c:
        n = 0
        while not stop.is_set():
            n += 1
            try:
                kind = ("upload", "commit", "archive")[n % 3]
                if kind == "upload":
                    name = f"w{worker}-{time.monotonic_ns()}.bin"
                    data = rng.randbytes(rng.randint(1, 300_000))
                    upload = srv.url + "/api/uploads" + release["upload_url"].split("/api/uploads", 1)[1].split("{")[0]
                    r = c.post(
                        upload,
                        params={"name": name},
                        content=data,
                        headers={"Content-Type": "application/octet-stream"},
                    )
                    if r.status_code == 201:
                        acked["assets"][name] = len(data)
                elif kind == "commit":
                    path = f"k/w{worker}-{time.monotonic_ns()}.txt"
                    r = c.put(
                        f"/contents/{path}",
                        json={"message": path, "content": base64.b64encode(os.urandom(200)).decode()},
                    )
                    if r.status_code == 201:
                        acked["files"].add(path)
                else:
                    with c.stream("GET", "/tarball/main", follow_redirects=True) as r:
                        for _ in r.iter_raw():
                            pass
            except httpx.HTTPError:
                return  # the server died under us


def _check(srv, acked: dict, release_id: int) -> None:
    from hubdepot.app import create_hub
    from hubdepot.config import Settings
    from hubdepot.services import fsck

    hub = create_hub(Settings.load(data_dir=srv.data_dir, public_url=srv.url))
    try:
        # a writer killed inside a ref update leaves its ref lock; the restarted server removed it on
        # start (writers never remove another writer's lock), and nothing else may be wrong
        assert fsck.check(hub, deep=True) == []
    finally:
        hub.db.dispose()
    auth = {"Authorization": f"token {srv.token}"}
    with httpx.Client(base_url=srv.api + "/repos/admin/k", headers=auth, timeout=30) as c:
        listed = {}
        for page in range(1, 20):
            chunk = c.get(f"/releases/{release_id}/assets", params={"per_page": 100, "page": page}).json()
            listed.update({a["name"]: a["size"] for a in chunk})
            if len(chunk) < 100:
                break
        for name, size in acked["assets"].items():
            assert listed.get(name) == size, name
        for path in list(acked["files"])[-20:]:
            assert c.get(f"/contents/{path}").status_code == 200, path


def test_sigkill_loop(tmp_path):
    rounds = int(os.environ.get("HUBDEPOT_FAULT_ROUNDS", "8"))
    data = tmp_path / "data"
    srv = server_support.start(data)
    auth = {"Authorization": f"token {srv.token}"}
    httpx.post(srv.api + "/user/repos", json={"name": "k", "auto_init": True}, headers=auth).raise_for_status()
    release = httpx.post(srv.api + "/repos/admin/k/releases", json={"tag_name": "v1"}, headers=auth).json()
    acked = {"assets": {}, "files": set()}
    rng = random.Random(7)
    try:
        for round_ in range(rounds):
            stop = threading.Event()
            threads = [
                threading.Thread(target=_traffic, args=(srv, release, stop, acked, round_ * 10 + w)) for w in range(4)
            ]
            for t in threads:
                t.start()
            time.sleep(rng.uniform(0.2, 0.8))
            srv.crash()
            stop.set()
            for t in threads:
                t.join(15)
            srv = server_support.start(data, port=None)
            _check(srv, acked, release["id"])
        print(
            f"faults injected and survived: {rounds}; acknowledged uploads {len(acked['assets'])}, "
            f"commits {len(acked['files'])}"
        )
        assert acked["assets"] and acked["files"]
    finally:
        srv.stop()
