"""The edge's read cache never serves an answer older than a write, whichever process made the write:
two servers on one data dir (SQLite, and PostgreSQL), each write on one checked at once on the other."""

from __future__ import annotations

import base64
import subprocess
import sys

import httpx
import pytest

from tests.conftest import BASE_PG_URL, WORKER, scratch_database, unique
from tests.support import server as server_support


@pytest.fixture(params=["sqlite"] + (["postgresql"] if BASE_PG_URL else []))
def two_servers(request, tmp_path):
    url = scratch_database(f"hubdepot_cache{WORKER}", fresh=True) if request.param == "postgresql" else ""
    first = server_support.start(tmp_path / "data", url)
    second = server_support.start(tmp_path / "data", url)
    yield first, second
    second.stop()
    first.stop()


def _client(srv) -> httpx.Client:
    return httpx.Client(base_url=srv.api, headers={"Authorization": f"token {srv.token}"}, timeout=30)


def test_no_cached_answer_outlives_another_process_write(two_servers):
    a, b = (_client(s) for s in two_servers)
    name = unique("cache")
    a.post("/user/repos", json={"name": name, "auto_init": True}).raise_for_status()
    path = f"/repos/admin/{name}"
    for i in range(30):
        writer, reader = (a, b) if i % 2 else (b, a)
        assert reader.get(path).status_code == 200  # warm the reader's cache with the old answer
        assert reader.get(path).json()["description"] == (f"d{i - 1}" if i else None)
        writer.patch(path, json={"description": f"d{i}"}).raise_for_status()
        assert reader.get(path).json()["description"] == f"d{i}", i
        etag = reader.get(path).headers["etag"]
        assert reader.get(path, headers={"If-None-Match": etag}).status_code == 304


def test_releases_and_contents_are_fresh_on_the_other_process(two_servers):
    a, b = (_client(s) for s in two_servers)
    name = unique("cache")
    a.post("/user/repos", json={"name": name, "auto_init": True}).raise_for_status()
    repo = f"/repos/admin/{name}"
    assert b.get(f"{repo}/releases/latest").status_code == 404
    for i in range(5):
        readme = b.get(f"{repo}/contents/README.md").json()
        content = base64.b64encode(f"# v{i}\n".encode()).decode()
        a.put(
            f"{repo}/contents/README.md", json={"message": f"edit {i}", "sha": readme["sha"], "content": content}
        ).raise_for_status()
        assert b.get(f"{repo}/contents/README.md").json()["sha"] != readme["sha"]
        b.get(f"{repo}/releases/latest")
        made = a.post(f"{repo}/releases", json={"tag_name": f"v{i}"}).json()
        assert b.get(f"{repo}/releases/latest").json()["id"] == made["id"]
        link = b.get(f"{repo}/releases", params={"per_page": 1}).headers.get("link", "")
        assert (f'page={i + 1}>; rel="last"' in link) if i else not link  # the count is fresh too


def test_admin_command_writes_invalidate(two_servers):
    """The CLI is a third process on the same data dir and database."""
    a, _ = two_servers
    client = _client(a)
    before = [r["name"] for r in client.get("/user/repos").json()]
    name = unique("cli")
    env = {**a.env, "HUBDEPOT_DATA_DIR": str(a.data_dir)}
    if a.database_url:
        env["HUBDEPOT_DATABASE_URL"] = a.database_url
    subprocess.run(
        [sys.executable, "-m", "hubdepot", "repo", "create", f"admin/{name}"], env=env, check=True, capture_output=True
    )
    after = [r["name"] for r in client.get("/user/repos").json()]
    assert name in after and set(before) < set(after)


def test_kept_raw_files_never_outlive_a_write(two_servers):
    """Raw files of public repositories are kept between writes (services/raw.py): a commit, a push of
    a new tip and making the repository private are each seen at once through the other process."""
    a = _client(two_servers[0])  # writes on one process; the raw reads go to the other
    name = unique("raw")
    a.post("/user/repos", json={"name": name, "auto_init": True}).raise_for_status()
    raw = f"{two_servers[1].url}/raw/admin/{name}/main/f.txt"
    sha = None
    for i in range(6):
        body = {
            "message": f"c{i}",
            "content": base64.b64encode(f"v{i}\n".encode()).decode(),
            **({"sha": sha} if sha else {}),
        }
        sha = a.put(f"/repos/admin/{name}/contents/f.txt", json=body).json()["content"]["sha"]
        for _ in range(2):  # the second read is the kept one
            got = httpx.get(raw)
            assert (got.status_code, got.text, got.headers["etag"]) == (200, f"v{i}\n", f'"{sha}"'), i
    a.patch(f"/repos/admin/{name}", json={"private": True}).raise_for_status()
    assert httpx.get(raw).status_code == 404
