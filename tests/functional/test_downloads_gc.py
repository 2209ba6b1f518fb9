"""`hubdepot storage gc`: removes blobs no release asset or download references, never a referenced
one, never one younger than the grace period (a blob uploaded while gc runs). Local disk and S3."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest
import sqlalchemy as sa

from hubdepot.db.tables import release_assets, releases
from hubdepot.services import blobs, now
from tests.conftest import unique
from tests.functional.test_downloads import create, fetch, upload
from tests.support.server import ROOT

pytestmark = pytest.mark.storage_matrix


def orphan(storage, data: bytes) -> str:
    writer = storage.writer()
    writer.write(data)
    return writer.commit()[0]


def asset_referencing(hub, user_login: str, repo: str, key: str) -> None:
    """An asset row holding `key` (set up in the database directly: gc only reads the column)."""
    stamp = now()
    with hub.db.write() as conn:
        repo_id, owner_id = conn.execute(
            sa.text(
                "SELECT r.id, r.owner_id FROM repositories r JOIN accounts a ON a.id = r.owner_id "
                "WHERE a.login_key = :o AND r.name_key = :n"
            ),
            {"o": user_login.lower(), "n": repo.split("/")[1].lower()},
        ).one()
        release_id = conn.execute(
            releases.insert().values(
                repository_id=repo_id,
                tag_name=unique("v"),
                target_commitish="main",
                author_id=owner_id,
                created_at=stamp,
                updated_at=stamp,
                published_at=stamp,
            )
        ).inserted_primary_key[0]
        conn.execute(
            release_assets.insert().values(
                release_id=release_id,
                name="a.bin",
                content_type="application/octet-stream",
                state="uploaded",
                size=1,
                blob_key=key,
                uploader_id=owner_id,
                created_at=stamp,
                updated_at=stamp,
            )
        )


def test_gc_keeps_referenced_and_young_blobs(server_hub, user, repo):
    storage = server_hub.storage
    data = b"a download " + unique().encode()
    body = create(user.api, repo, "kept.txt", data)
    assert upload(body, data).status_code == 201 and fetch(body["html_url"]).content == data
    asset_key = orphan(storage, b"an asset " + unique().encode())
    asset_referencing(server_hub, user.login, repo, asset_key)
    lost = [orphan(storage, f"orphan {i} {unique()}".encode()) for i in range(3)]
    assert blobs.gc(server_hub, grace_seconds=3600) == 0
    assert all(storage.exists(k) for k in lost)  # young: kept
    time.sleep(1.2)
    referenced = {k for k in blobs.referenced_keys(server_hub) if storage.exists(k)}
    assert asset_key in referenced
    assert blobs.gc(server_hub, grace_seconds=1) >= len(lost)
    assert not any(storage.exists(k) for k in lost)
    assert all(storage.exists(k) for k in referenced)  # never a referenced blob
    assert fetch(body["html_url"]).content == data


def test_gc_spares_blobs_uploaded_while_it_runs(server_hub, backend, user, repo):
    storage = server_hub.storage
    old = [orphan(storage, f"old orphan {i} {unique()}".encode()) for i in range(40 if "s3" in backend else 300)]
    time.sleep(1.2)
    removed: list[int] = []
    runner = threading.Thread(target=lambda: removed.append(blobs.gc(server_hub, grace_seconds=1)))
    runner.start()
    fresh, served = [], []
    while runner.is_alive() or not served:
        data = f"uploaded during gc {unique()}".encode()
        body = create(user.api, repo, unique("during") + ".txt", data)
        assert upload(body, data).status_code == 201
        served.append((body["html_url"], data))
        fresh.append(orphan(storage, f"fresh unreferenced {unique()}".encode()))
    runner.join()
    assert removed[0] >= len(old) and not any(storage.exists(k) for k in old)
    assert all(storage.exists(k) for k in fresh)  # younger than the grace period
    for url, data in served:
        assert fetch(url).content == data


def test_gc_command(server, server_hub):
    key = orphan(server_hub.storage, f"for the command {unique()}".encode())
    time.sleep(1.2)
    args = [sys.executable, "-m", "hubdepot", "storage", "gc", "--grace", "1", "--data-dir", str(server.data_dir)]
    if server.database_url:
        args += ["--database-url", server.database_url]
    env = {k: v for k, v in server.env.items() if k != "HUBDEPOT_DATABASE_URL"} | {"PYTHONPATH": str(ROOT)}
    done = subprocess.run(args, env=env, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.strip()) >= 1 and not server_hub.storage.exists(key)
    assert os.path.isdir(server.data_dir)
