"""`hubdepot mirror` against a second hubdepot process as the source: a whole copy (refs, metadata,
releases, assets byte for byte), incremental re-syncs (nothing downloaded twice: the source's
download counts say so), the copy read-only to everyone, and one-line errors."""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
import time

import httpx
import pytest

from tests.conftest import unique
from tests.support import server as server_support
from tests.support.mirror import MB, all_releases, comparable, download_counts, ls_remote, run_mirror, seed, summary
from tests.support.releases import upload


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    srv = server_support.start(tmp_path_factory.mktemp("mirror-source"))
    yield srv
    srv.stop()


@pytest.fixture
def source_api(source):
    with httpx.Client(base_url=source.api, headers={"Authorization": f"token {source.token}"}, timeout=60) as c:
        yield c


def _org(server) -> str:
    org = unique("org")
    subprocess.run(
        [sys.executable, "-m", "hubdepot", "org", "create", org, "--data-dir", str(server.data_dir)],
        check=True,
        capture_output=True,
        env=server.env,
        timeout=60,
    )
    return org


def _same_releases(source, server, source_api, admin, full: str) -> None:
    theirs = comparable(all_releases(source_api, full), source.url)
    ours = comparable(all_releases(admin, full), server.url)
    assert len(ours) == len(theirs)
    for mine, source_release in zip(ours, theirs, strict=True):
        assert {k: v for k, v in mine.items() if v != source_release.get(k)} == {}, source_release["tag_name"]


def _same_bytes(admin, full: str, files: dict) -> None:
    for rel in all_releases(admin, full):
        for asset in rel["assets"]:
            got = admin.get(asset["url"], headers={"accept": "application/octet-stream"}, follow_redirects=True)
            assert got.status_code == 200 and got.content == files[asset["name"]], asset["name"]
            assert asset["digest"] == "sha256:" + hashlib.sha256(files[asset["name"]]).hexdigest()


def test_a_whole_copy_then_incremental_syncs(source, source_api, server, admin):
    org = _org(source)
    full = f"{org}/tool"
    files = seed(source_api, org, "tool", big=3 * MB)
    url = f"{source.url}/{full}"
    first = summary(run_mirror(server, url, "--include-drafts", "--json", token=source.token))
    assert (first["releases_created"], first["assets_downloaded"]) == (4, 6)
    assert first["bytes"] == sum(len(v) for v in files.values())
    repo = admin.get(f"/repos/{full}")
    assert repo.status_code == 200, repo.text
    repo = repo.json()
    assert repo["mirror_url"] == url and repo["owner"]["type"] == "Organization"
    assert (repo["description"], repo["homepage"], repo["private"], repo["default_branch"]) == (
        "mirrored thing",
        "https://example.com/x",
        False,
        "main",
    )
    assert ls_remote(f"{server.url}/{full}.git") == ls_remote(f"{source.url}/{full}.git")
    assert len(ls_remote(f"{server.url}/{full}.git")) == 2 + 25 + 3  # main, dev, t000..t024, v1.0, v1.1-rc1, v1.1
    _same_releases(source, server, source_api, admin, full)
    _same_bytes(admin, full, files)
    assert admin.get(f"/repos/{full}/releases/latest").json()["tag_name"] == "v1.0"  # make_latest outcome
    counts = download_counts(source_api, full)
    assert set(counts.values()) == {1}

    again = summary(run_mirror(server, url, "--include-drafts", "--json", token=source.token))
    assert (again["assets_downloaded"], again["releases_created"], again["releases_updated"]) == (0, 0, 0)
    assert download_counts(source_api, full) == counts
    quiet = summary(run_mirror(server, url, "--include-drafts", "--json", token=source.token))
    assert quiet["requests"] == quiet["not_modified"] == 3  # repository, one page of releases, latest: all 304

    _change_the_source(source_api, full, files)
    third = summary(run_mirror(server, url, "--include-drafts", "--json", token=source.token))
    assert (third["releases_deleted"], third["assets_downloaded"], third["assets_deleted"]) == (1, 1, 1)
    assert third["releases_updated"] == 1 and third["assets_updated"] == 1 and third["refs_updated"] == 2
    assert third["bytes"] == len(files["new.bin"])
    _same_releases(source, server, source_api, admin, full)
    _same_bytes(admin, full, files)
    assert ls_remote(f"{server.url}/{full}.git") == ls_remote(f"{source.url}/{full}.git")


def _change_the_source(api, full: str, files: dict) -> None:
    by_tag = {r["tag_name"]: r for r in all_releases(api, full)}
    assert api.patch(by_tag["v1.0"]["url"], json={"body": "Edited notes"}).status_code == 200
    small = next(a for a in by_tag["v1.0"]["assets"] if a["name"] == "small.txt")
    assert api.patch(small["url"], json={"name": "hello.txt", "label": "Greeting"}).status_code == 200
    files["hello.txt"] = files.pop("small.txt")
    sums = next(a for a in by_tag["v1.1"]["assets"] if a["name"] == "checksums.txt")
    assert api.delete(sums["url"]).status_code == 204
    files["new.bin"] = full.encode() * 5000
    assert upload(api, by_tag["v1.1"], "new.bin", files["new.bin"]).status_code == 201
    assert api.delete(by_tag["v1.1-rc1"]["url"]).status_code == 204
    put = api.put(
        f"/repos/{full}/contents/NEWS.md", json={"message": "news", "content": base64.b64encode(b"x").decode()}
    )
    assert put.status_code == 201
    assert api.delete(f"/repos/{full}/git/refs/tags/t000").status_code == 204


def test_the_copy_is_read_only_to_everyone_but_the_mirror(source, source_api, server, admin, tmp_path):
    org = _org(source)
    full = f"{org}/ro"
    seed(source_api, org, "ro", big=1000, tags=1)
    run_mirror(server, f"{source.url}/{full}", "--json", token=source.token)
    put = admin.put(f"/repos/{full}/contents/x.md", json={"message": "m", "content": "eA=="})
    assert put.status_code == 403 and "is a mirror of" in put.json()["message"]
    rel = admin.post(f"/repos/{full}/releases", json={"tag_name": "v9"})
    assert rel.status_code == 403 and "read-only" in rel.json()["message"]
    work = tmp_path / "w"
    push_url = f"http://x-access-token:{server.token}@{server.url.removeprefix('http://')}/{full}.git"
    subprocess.run(["git", "clone", "-q", push_url, str(work)], check=True, timeout=60)
    subprocess.run(
        [
            "git",
            "-C",
            str(work),
            "-c",
            "user.name=a",
            "-c",
            "user.email=a@b",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "local",
        ],
        check=True,
        timeout=60,
    )
    push = subprocess.run(
        ["git", "-C", str(work), "push", "origin", "HEAD:main"], capture_output=True, text=True, timeout=60
    )
    assert push.returncode != 0 and "is a mirror of" in push.stderr
    assert len(all_releases(admin, full)) == 3  # drafts stay at the source unless --include-drafts


def test_private_sources_all_and_one_line_errors(source, source_api, server, admin):
    org = _org(source)
    full = f"{org}/secret"
    seed(source_api, org, "secret", big=1000, tags=0, private=True)
    url = f"{source.url}/{full}"
    missing = run_mirror(server, url, check=False)
    assert missing.returncode == 1 and "not found" in missing.stderr and missing.stderr.count("\n") == 1
    bad = run_mirror(server, url, token="ghp_" + "x" * 36, check=False)
    assert bad.returncode == 1 and "bad credentials" in bad.stderr
    wrong = run_mirror(server, f"{source.url}/just-one-part", check=False)
    assert wrong.returncode == 1 and "not a repository URL" in wrong.stderr
    down = run_mirror(server, f"http://127.0.0.1:{server_support.free_port()}/a/b", check=False)
    assert down.returncode == 1 and "cannot reach" in down.stderr and "Traceback" not in down.stderr
    done = summary(run_mirror(server, url, "--as", f"{org}-copy/secret", "--json", token=source.token))
    assert done["full_name"] == f"{org}-copy/secret" and done["assets_downloaded"] == 5
    assert admin.get(f"/repos/{org}-copy/secret").json()["private"] is True
    taken = run_mirror(server, url, "--as", f"{org}-copy/secret", "--releases-only", token=source.token, check=False)
    assert taken.returncode == 0  # the same mirror, other options: fine
    assert source_api.patch(f"/repos/{full}", json={"description": "changed"}).status_code == 200
    everything = run_mirror(server, "--all", "--json", token=source.token)
    assert "errors" in everything.stdout
    assert admin.get(f"/repos/{org}-copy/secret").json()["description"] == "changed"


def test_since_and_releases_only(source, source_api, server, admin):
    org = _org(source)
    full = f"{org}/picky"
    assert source_api.post(f"/orgs/{org}/repos", json={"name": "picky", "auto_init": True}).status_code == 201
    for tag in ("v1", "v2"):
        rel = source_api.post(f"/repos/{full}/releases", json={"tag_name": tag}).json()
        assert upload(source_api, rel, f"{tag}.bin", tag.encode() * 1000).status_code == 201
        time.sleep(1.1)  # created_at has a one-second grain
    copy = f"{org}-picky/copy"
    done = summary(
        run_mirror(
            server,
            f"{source.url}/{full}",
            "--since",
            "v2",
            "--releases-only",
            "--as",
            copy,
            "--json",
            token=source.token,
        )
    )
    assert (done["releases_created"], done["assets_downloaded"], done["refs_updated"]) == (1, 1, 0)
    assert [r["tag_name"] for r in all_releases(admin, copy)] == ["v2"]
    assert ls_remote(f"{server.url}/{copy}.git") == {}  # --releases-only: no git data
    unknown = run_mirror(server, f"{source.url}/{full}", "--since", "v9", "--as", copy, token=source.token, check=False)
    assert unknown.returncode == 1 and "--since v9" in unknown.stderr
