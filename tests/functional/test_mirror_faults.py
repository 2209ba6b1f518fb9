"""`hubdepot mirror` against a faulty source (a proxy that answers 500, 403 rate-limited, cuts asset
downloads halfway, redirects assets to another origin) and killed with SIGKILL mid-download:
it finishes, nothing is downloaded twice, and nothing half-copied is ever visible."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from tests.conftest import BASE_PG_URL, WORKER, scratch_database, unique
from tests.support import server as server_support
from tests.support.mirror import MB, FaultyProxy, all_releases, download_counts, run_mirror, seed, summary


@pytest.fixture(scope="module")
def server(backend, tmp_path_factory):
    """This module's own target (overrides the shared one), on each backend, with a PostgreSQL database
    of its own: the mirrors recorded here point at a proxy gone after this module, and must not be in
    another module's `hubdepot mirror --all`."""
    url = ""
    if backend.startswith("postgresql"):
        url = scratch_database(f"{BASE_PG_URL.rpartition('/')[2]}_{WORKER or 'main'}_mirror_faults", fresh=True)
    srv = server_support.start(tmp_path_factory.mktemp(f"mirror-target-{backend}"), url)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def proxied(tmp_path_factory):
    """A source hubdepot whose every URL (public URL) goes through a FaultyProxy."""
    proxy = FaultyProxy()
    srv = server_support.start(tmp_path_factory.mktemp("faulty-source"), env={"HUBDEPOT_PUBLIC_URL": proxy.url})
    proxy.upstream = srv.url
    yield srv, proxy
    srv.stop()
    proxy.close()


def _seeded(srv, big: int):
    org = unique("org")
    subprocess.run(
        [sys.executable, "-m", "hubdepot", "org", "create", org, "--data-dir", str(srv.data_dir)],
        check=True,
        capture_output=True,
        env=srv.env,
        timeout=60,
    )
    api = httpx.Client(base_url=srv.api, headers={"Authorization": f"token {srv.token}"}, timeout=60)
    return api, f"{org}/tool", seed(api, org, "tool", big=big, tags=3)


def _check_bytes(admin, full: str, files: dict) -> None:
    for rel in all_releases(admin, full):
        for asset in rel["assets"]:
            got = admin.get(asset["url"], headers={"accept": "application/octet-stream"})
            assert got.content == files[asset["name"]]
            assert asset["digest"] == "sha256:" + hashlib.sha256(got.content).hexdigest()


def test_errors_rate_limits_cut_downloads_and_redirects(proxied, server, admin):
    srv, proxy = proxied
    api, full, files = _seeded(srv, 2 * MB)
    proxy.faults.update(error_500=2, rate_limited=1, secondary=1, cut_asset=3, redirect_asset=2)
    proxy.blob_authorizations.clear()  # (the proxy serves this module's tests on every backend)
    started = time.monotonic()
    result = run_mirror(server, f"{proxy.url}/{full}", "--json", token=srv.token)
    done = summary(result)
    assert done["assets_downloaded"] == 5 and time.monotonic() - started >= 2  # it waited the limits out
    assert "rate limited" in result.stderr and "HTTP 500" in result.stderr and "resuming" in result.stderr
    assert proxy.faults == dict.fromkeys(proxy.faults, 0)
    assert proxy.blob_authorizations == [None, None]  # the token stayed with the API host
    _check_bytes(admin, full, files)
    counts = download_counts(api, full)
    again = summary(run_mirror(server, f"{proxy.url}/{full}", "--json", token=srv.token))
    assert again["assets_downloaded"] == 0 and download_counts(api, full) == counts


def test_sigkill_mid_download_then_resume(proxied, server, admin, client_for):
    srv, proxy = proxied
    api, full, files = _seeded(srv, 3 * MB)
    proxy.slow = 0.01  # ~6 MB/s per asset: the kill lands mid-download
    env = {**server.env, "HUBDEPOT_MIRROR_TOKEN": srv.token}
    cmd = [
        sys.executable,
        "-m",
        "hubdepot",
        "mirror",
        f"{proxy.url}/{full}",
        "--concurrency",
        "2",
        "--data-dir",
        str(server.data_dir),
    ]
    process = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    stored = []
    try:
        for line in process.stderr:
            if " stored" in line:
                stored.append(line.split("asset ", 1)[1].split(":", 1)[0])
                break
        assert stored, "no asset finished before the mirror ended"
        _wait_for_partial_bytes(server.data_dir / "blobs" / "tmp")  # and one is half-way
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait(30)
    proxy.slow = 0
    proxy.asset_ranges.clear()
    anonymous = client_for(None)
    # a first run cut short leaves nothing public: the repository stays private until it completes
    assert anonymous.get(f"/repos/{full}").status_code == 404
    assert all(r["draft"] for r in all_releases(admin, full))  # releases being copied stay drafts until complete
    assert admin.get(f"/repos/{full}").json()["mirror_url"] == f"{proxy.url}/{full}"
    run = run_mirror(server, f"{proxy.url}/{full}", "--json", token=srv.token)
    resumed = summary(run)
    assert resumed["assets_downloaded"] == 5 - len(stored)
    # the asset the kill interrupted goes on from the bytes the killed run kept, not from zero
    assert "resuming at" in run.stderr and any(r and r != "bytes=0-" for r in proxy.asset_ranges)
    assert resumed["assets_unchanged"] + resumed["assets_reused"] == len(stored)
    after = download_counts(api, full)
    for name in stored:
        assert after[name] == 1  # complete before the kill: not downloaded again
    assert len(all_releases(anonymous, full)) == 3
    _check_bytes(admin, full, files)


def _wait_for_partial_bytes(tmp, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        # some bytes in and far from done (the large assets here are 1.5 MB or more, at ~6 MB/s)
        if any(64 * 1024 < p.stat().st_size < 1024 * 1024 for p in tmp.glob("partial-*")):
            return
        time.sleep(0.01)
    raise AssertionError("no asset was half-way through before the deadline")


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "small"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mount)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def test_full_disk_is_one_line_and_no_server_is_needed(proxied, tmp_path, small_disk):
    srv, proxy = proxied
    _api, full, _files = _seeded(srv, 5 * MB)
    env = {**os.environ, "HUBDEPOT_MIRROR_TOKEN": srv.token, "HUBDEPOT_STORAGE": f"file://{small_disk}/blobs"}
    env.pop("HUBDEPOT_DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "hubdepot", "mirror", f"{proxy.url}/{full}", "--data-dir", str(tmp_path / "alone")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].endswith("disk full: no room left for the mirror's data")
    leftovers = list((small_disk / "blobs" / "tmp").iterdir()) if (small_disk / "blobs" / "tmp").exists() else []
    assert leftovers == []
