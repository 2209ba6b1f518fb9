"""Tarball/zipball links and the archives behind them, through HTTP on a real server process."""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
import time
import zipfile
from pathlib import Path

import httpx
import pygit2

from tests.conftest import unique
from tests.functional.test_contents import bare, commit_entries, put, raw_client


def _sha(hub, api, repo: str, rev: str = "main") -> str:
    git = bare(hub, api, repo)
    return str(git.revparse_single(rev).peel(pygit2.Commit).id)


def _tar_names(data: bytes) -> tuple[list[str], dict]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        return sorted(m.name for m in tar.getmembers()), dict(tar.pax_headers)


def test_tarball_and_zipball_links_and_archives(server, hub, user, repo):
    put(user.api, repo, "src/app.py", b"print('hi')\n")
    owner, name = repo.split("/")
    sha = _sha(hub, user.api, repo)
    top = f"{owner}-{name}-{sha[:7]}"
    r = user.api.get(f"/repos/{repo}/tarball", follow_redirects=False)
    assert r.status_code == 302 and r.content == b""
    assert r.headers["location"] == f"{server.url}/_codeload/{repo}/legacy.tar.gz/refs/heads/main"
    assert r.headers["content-type"] == "text/html;charset=utf-8" and r.headers["content-length"] == "0"
    with raw_client() as anon:
        got = anon.get(r.headers["location"])
        assert got.status_code == 200 and got.headers["content-type"] == "application/x-gzip"
        assert got.headers["content-disposition"] == f"attachment; filename={top}.tar.gz"
        names, pax = _tar_names(got.content)
        assert names == [f"{top}", f"{top}/README.md", f"{top}/src", f"{top}/src/app.py"]
        assert pax == {"comment": sha}
        assert anon.get(r.headers["location"]).content == got.content  # byte-stable
        git_dir = bare(hub, user.api, repo).path
        direct = subprocess.run(
            ["git", f"--git-dir={git_dir}", "archive", "--format=tar.gz", f"--prefix={top}/", sha],
            capture_output=True,
            check=True,
        ).stdout
        assert got.content == direct
        again = anon.get(r.headers["location"], headers={"If-None-Match": got.headers["etag"]})
        assert again.status_code == 304

        z = user.api.get(f"/repos/{repo}/zipball/main", follow_redirects=False)
        assert z.headers["location"] == f"{server.url}/_codeload/{repo}/legacy.zip/refs/heads/main"
        zipped = anon.get(z.headers["location"])
        assert zipped.headers["content-type"] == "application/zip"
        assert zipped.headers["content-disposition"] == f"attachment; filename={top}.zip"
        with zipfile.ZipFile(io.BytesIO(zipped.content)) as zf:
            assert sorted(zf.namelist()) == [f"{top}/", f"{top}/README.md", f"{top}/src/", f"{top}/src/app.py"]
            assert zf.read(f"{top}/src/app.py") == b"print('hi')\n"
        assert anon.get(z.headers["location"]).content == zipped.content
    followed = user.api.get(f"/repos/{repo}/zipball", follow_redirects=True)  # a client that follows the redirect
    assert followed.status_code == 200 and followed.content == zipped.content


def test_archive_refs(server, hub, user, repo):
    first = _sha(hub, user.api, repo)
    git = bare(hub, user.api, repo)
    git.references.create("refs/tags/v1.0", git.references["refs/heads/main"].target)
    git.references.create("refs/heads/feature/x", git.references["refs/heads/main"].target)
    put(user.api, repo, "later.txt", b"later")
    cases = {
        "v1.0": "refs/tags/v1.0",
        "feature/x": "refs/heads/feature/x",
        first: first,
        first[:7]: first,
        "refs/heads/main": "refs/heads/main",
    }
    for ref, full in cases.items():
        r = user.api.get(f"/repos/{repo}/tarball/{ref}", follow_redirects=False)
        assert (
            r.status_code == 302 and r.headers["location"] == f"{server.url}/_codeload/{repo}/legacy.tar.gz/{full}"
        ), ref
    with raw_client() as anon:
        old = anon.get(f"{server.url}/_codeload/{repo}/legacy.tar.gz/refs/tags/v1.0")
        assert _tar_names(old.content)[0] == sorted(
            [f"{repo.replace('/', '-')}-{first[:7]}", f"{repo.replace('/', '-')}-{first[:7]}/README.md"]
        )
    unknown = user.api.get(f"/repos/{repo}/zipball/nope", follow_redirects=False)
    assert unknown.status_code == 404 and unknown.json()["documentation_url"].endswith(
        "#download-a-repository-archive-zip"
    )
    repo_id = user.api.get(f"/repos/{repo}").json()["id"]
    by_id = user.api.get(f"/repositories/{repo_id}/tarball/v1.0", follow_redirects=False)
    assert by_id.headers["location"].endswith("/legacy.tar.gz/refs/tags/v1.0")


def test_web_archive_urls_and_gh_rewrite(server, hub, user, repo):
    _owner, name = repo.split("/")
    git = bare(hub, user.api, repo)
    git.references.create("refs/tags/v2.1", git.references["refs/heads/main"].target)
    git.references.create("refs/heads/topic/a", git.references["refs/heads/main"].target)
    with raw_client() as anon:
        for path, top in (
            ("archive/refs/tags/v2.1.tar.gz", f"{name}-2.1"),
            ("archive/refs/heads/main.tar.gz", f"{name}-main"),
            ("archive/main.tar.gz", f"{name}-main"),
            ("archive/refs/heads/topic/a.tar.gz", f"{name}-topic-a"),
        ):
            r = anon.get(f"{server.url}/{repo}/{path}")
            assert r.status_code == 200, path
            assert r.headers["content-disposition"] == f"attachment; filename={top}.tar.gz"
            assert _tar_names(r.content)[0] == [top, f"{top}/README.md"]
        z = anon.get(f"{server.url}/{repo}/archive/refs/tags/v2.1.zip")
        assert z.headers["content-disposition"] == f"attachment; filename={name}-2.1.zip"
        assert zipfile.ZipFile(io.BytesIO(z.content)).namelist() == [f"{name}-2.1/", f"{name}-2.1/README.md"]
        assert anon.get(f"{server.url}/{repo}/archive/refs/tags/nope.zip").status_code == 404
        assert anon.get(f"{server.url}/{repo}/archive/refs/tags/v2.1.rar").status_code == 404
        # gh rewrites a codeload path "/O/R/legacy.tar.gz/..." to "/O/R/tar.gz/...": that form works too
        plain = anon.get(f"{server.url}/_codeload/{repo}/tar.gz/refs/tags/v2.1")
        assert (
            plain.status_code == 200
            and plain.headers["content-disposition"] == f"attachment; filename={name}-2.1.tar.gz"
        )
        assert anon.get(f"{server.url}/_codeload/{repo}/rar/refs/tags/v2.1").status_code == 404


def test_private_archives_need_a_token(server, user, make_user):
    name = unique("priv")
    assert user.api.post("/user/repos", json={"name": name, "private": True, "auto_init": True}).status_code == 201
    repo = f"{user.login}/{name}"
    loc = user.api.get(f"/repos/{repo}/tarball/main", follow_redirects=False).headers["location"]
    base, token = loc.split("?token=")
    assert base == f"{server.url}/_codeload/{repo}/legacy.tar.gz/refs/heads/main"
    with raw_client() as anon:
        assert anon.get(loc).status_code == 200
        assert anon.get(base).status_code == 404
        assert anon.get(base.replace("legacy.tar.gz", "legacy.zip") + f"?token={token}").status_code == 404
        assert anon.get(base.replace("refs/heads/main", "refs/heads/other") + f"?token={token}").status_code == 404
        assert anon.get(base.replace("legacy.tar.gz", "tar.gz") + f"?token={token}").status_code == 200  # gh's rewrite
        web = f"{server.url}/{repo}/archive/refs/heads/main.zip"
        assert anon.get(web).status_code == 404
        assert anon.get(web, headers={"Authorization": f"token {user.token}"}).status_code == 200
        _, stranger = make_user()
        assert anon.get(web, headers={"Authorization": f"token {stranger}"}).status_code == 404


def test_empty_repository_redirects_then_404(server, user):
    name = unique("empty")
    assert user.api.post("/user/repos", json={"name": name}).status_code == 201
    r = user.api.get(f"/repos/{user.login}/{name}/zipball", follow_redirects=False)
    assert r.status_code == 302 and r.headers["location"].endswith(f"/{name}/legacy.zip/refs/heads/main")
    with raw_client() as anon:
        assert anon.get(r.headers["location"]).status_code == 404


def _archivers(git_dir: str) -> list[int]:
    """Pids of `git archive` processes working on git_dir."""
    found = []
    for pid in os.listdir("/proc"):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"archive" in cmd and any(git_dir.encode() in part for part in cmd):
            found.append(int(pid))
    return found


_WRITE_WAITS = ("pipe_write", "anon_pipe_write", "sock_alloc_send_pskb", "unix_stream_sendmsg")


def _blocked(pids: list[int]) -> bool:
    """True when a git archive process sleeps writing its output (back-pressure reaches the subprocess):
    in pipe_write for a pipe, in sock_alloc_send_pskb for the socket pair uvloop gives subprocesses."""
    for pid in pids:
        try:
            if Path(f"/proc/{pid}/wchan").read_text().strip() in _WRITE_WAITS:
                return True
        except OSError:
            pass
    return False


def test_client_disconnect_kills_git_archive(server, hub, user, repo):
    git = bare(hub, user.api, repo)
    blob = git.create_blob(os.urandom(24 * 1024 * 1024))  # incompressible: git archive has work to do
    commit_entries(git, {"noise.bin": (pygit2.enums.FileMode.BLOB, blob)})
    loc = user.api.get(f"/repos/{repo}/tarball", follow_redirects=False).headers["location"]
    git_dir = str(Path(git.path).resolve()).rstrip("/")
    with httpx.Client(timeout=30) as client, client.stream("GET", loc) as response:
        assert response.status_code == 200
        chunks = response.iter_raw(65536)  # (keep the iterator: dropping it closes the connection)
        next(chunks)
        deadline = time.monotonic() + 10
        while not _blocked(_archivers(git_dir)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _blocked(_archivers(git_dir)), "git archive should wait on the pipe while the client does not read"
    deadline = time.monotonic() + 10
    while _archivers(git_dir) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _archivers(git_dir) == []
