"""A full disk during an upload: a clean 507, no asset row, no temp file left, and the server goes on."""

from __future__ import annotations

import subprocess

import httpx
import pytest

from tests.support import server as server_support


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "small"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mount)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def test_full_disk_during_upload(tmp_path, small_disk):
    srv = server_support.start(tmp_path / "data", env={"HUBDEPOT_STORAGE": f"file://{small_disk}/blobs"})
    try:
        auth = {"Authorization": f"token {srv.token}"}
        with httpx.Client(base_url=srv.api, headers=auth, timeout=60) as c:
            c.post("/user/repos", json={"name": "full", "auto_init": True}).raise_for_status()
            release = c.post("/repos/admin/full/releases", json={"tag_name": "v1"}).json()
            upload = release["upload_url"].split("{")[0]
            octet = {**auth, "Content-Type": "application/octet-stream"}
            first = httpx.post(
                upload, params={"name": "fits.bin"}, content=b"a" * 3 * 1024**2, headers=octet, timeout=60
            )
            assert first.status_code == 201
            big = httpx.post(
                upload, params={"name": "too-big.bin"}, content=b"b" * 8 * 1024**2, headers=octet, timeout=60
            )
            assert big.status_code == 507, big.text
            assert big.json()["status"] == "507" and "storage" in big.json()["message"].lower()
            names = [a["name"] for a in c.get(f"/repos/admin/full/releases/{release['id']}/assets").json()]
            assert names == ["fits.bin"]  # nothing half-visible
            leftovers = (
                [p for p in (small_disk / "blobs" / "tmp").iterdir()] if (small_disk / "blobs" / "tmp").exists() else []
            )
            assert leftovers == []
            after = httpx.post(upload, params={"name": "small.bin"}, content=b"c" * 1024**2, headers=octet, timeout=60)
            assert after.status_code == 201  # the server goes on once there is room
            got = httpx.get(
                after.json()["url"], headers={**auth, "Accept": "application/octet-stream"}, follow_redirects=True
            )
            assert got.content == b"c" * 1024**2
        assert "Traceback" not in srv.log.read_text()
    finally:
        srv.stop()
