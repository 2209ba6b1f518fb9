"""`hubdepot fsck` finds what does not agree between rows, blobs and git; says nothing when all agree."""

from __future__ import annotations

import shutil
import subprocess
import sys

from tests.support import server as server_support


def _fsck(srv, *args):
    return subprocess.run(
        [sys.executable, "-m", "hubdepot", "fsck", "--data-dir", str(srv.data_dir), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=srv.env,
    )


def test_fsck_reports_missing_blob_tag_and_git_dir(tmp_path):
    import httpx
    import pygit2

    srv = server_support.start(tmp_path / "srv")
    try:
        with httpx.Client(base_url=srv.api, headers={"Authorization": f"token {srv.token}"}, timeout=30) as c:
            repo = c.post("/user/repos", json={"name": "f", "auto_init": True}).json()
            c.post("/user/repos", json={"name": "g", "auto_init": True}).raise_for_status()
            rel = c.post("/repos/admin/f/releases", json={"tag_name": "v1"}).json()
            upload = rel["upload_url"].split("{")[0]
            asset = httpx.post(
                upload,
                params={"name": "a.bin"},
                content=b"x" * 1000,
                headers={"Authorization": f"token {srv.token}", "Content-Type": "application/octet-stream"},
            )
            assert asset.status_code == 201, asset.text
        clean = _fsck(srv, "--deep")
        assert clean.returncode == 0 and clean.stdout == "", clean.stdout + clean.stderr
        blob = next((srv.data_dir / "blobs" / "sha256").rglob("*"))
        while blob.is_dir():
            blob = next(blob.iterdir())
        blob.write_bytes(b"y" * 1000)  # same size, other bytes: only --deep sees it
        assert _fsck(srv).returncode == 0
        deep = _fsck(srv, "--deep")
        assert deep.returncode == 1 and "digest differs" in deep.stdout
        blob.unlink()
        git = pygit2.Repository(str(srv.data_dir / "repositories" / f"{repo['id']}.git"))
        git.references.delete("refs/tags/v1")
        shutil.rmtree(srv.data_dir / "repositories" / f"{repo['id'] + 1}.git")
        (srv.data_dir / "repositories" / "999.git").mkdir()
        broken = _fsck(srv)
        assert broken.returncode == 1
        lines = broken.stdout.splitlines()
        assert any("a.bin" in line and "missing" in line for line in lines), lines
        assert any("tag v1 missing" in line for line in lines), lines
        assert any("admin/g" in line and "missing" in line for line in lines), lines
        assert any("999.git has no repository row" in line for line in lines), lines
    finally:
        srv.stop()
