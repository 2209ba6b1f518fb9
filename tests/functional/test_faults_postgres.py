"""PostgreSQL restarted under load: requests fail fast while it is down, and hubdepot recovers without a restart."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.support import server as server_support
from tests.support.pg import private_postgres


@pytest.mark.skipif(not __import__("glob").glob("/usr/lib/postgresql/*/bin/initdb"), reason="no PostgreSQL binaries")
def test_postgres_restart(tmp_path):
    with private_postgres() as pg:
        srv = server_support.start(tmp_path / "srv", pg.url)
        try:
            with httpx.Client(base_url=srv.api, headers={"Authorization": f"token {srv.token}"}, timeout=30) as c:
                assert c.post("/user/repos", json={"name": "pg", "auto_init": True}).status_code == 201
                assert c.get("/repos/admin/pg").status_code == 200
                pg.stop("immediate")
                time.sleep(0.5)
                # the cache is off while this host cannot hear other hosts' writes (db/coherence.py)
                assert c.get("/repos/admin/pg").status_code == 503
                status = httpx.get(srv.url + "/status", timeout=30)  # the load balancer takes it out
                assert status.status_code == 503 and status.text.startswith("database:"), status.text
                down = []
                for i in range(5):  # what is not cached needs the database: 503, fast
                    start = time.monotonic()
                    r = c.get("/repos/admin/pg", params={"n": i})
                    down.append((r.status_code, time.monotonic() - start, r.json()))
                assert all(status == 503 for status, _, _ in down), down
                assert all(seconds < 6 for _, seconds, _ in down), down
                assert down[0][2]["message"] == "Database unavailable" and down[0][2]["status"] == "503"
                pg.start()
                back = [c.get("/repos/admin/pg").status_code for _ in range(3)]
                assert back[-1] == 200, back
                assert httpx.get(srv.url + "/status", timeout=30).status_code == 200
                made = c.post("/user/repos", json={"name": "after", "auto_init": True})
                assert made.status_code == 201
            assert srv.process.poll() is None  # the same process recovered
        finally:
            srv.stop()
