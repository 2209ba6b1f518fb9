"""Contents: GET of a 10 KB file vs nginx, sequential commits on a 5,000-file repository,
tarball throughput vs `git archive`, and listing a 1,000-entry directory."""

from __future__ import annotations

import base64
import os
import statistics
import subprocess
import time

import httpx
import pygit2

from bench.common import hubdepot, nginx, row, wrk


def _seed(srv, files: int) -> tuple[str, str]:
    """A repository whose tree holds `files` files under big/ plus a 10 KB docs/ten.txt (built with pygit2)."""
    auth = {"Authorization": f"token {srv.token}"}
    repo_id = httpx.post(srv.api + "/user/repos", json={"name": "c", "auto_init": True}, headers=auth).json()["id"]
    git = pygit2.Repository(str(srv.data_dir / "repositories" / f"{repo_id}.git"))
    big = git.TreeBuilder()
    for i in range(files):
        big.insert(f"f{i:05}.txt", git.create_blob(f"file {i}\n".encode()), pygit2.enums.FileMode.BLOB)
    heavy = git.TreeBuilder()  # ~24 MB of text, so the tarball measures throughput, not start-up
    for i in range(60):
        heavy.insert(f"h{i:03}.txt", git.create_blob(os.urandom(200_000).hex().encode()), pygit2.enums.FileMode.BLOB)
    docs = git.TreeBuilder()
    docs.insert("ten.txt", git.create_blob(os.urandom(5000).hex().encode()), pygit2.enums.FileMode.BLOB)
    root = git.TreeBuilder(git.head.peel(pygit2.Commit).tree)
    root.insert("big", big.write(), pygit2.enums.FileMode.TREE)
    root.insert("docs", docs.write(), pygit2.enums.FileMode.TREE)
    root.insert("heavy", heavy.write(), pygit2.enums.FileMode.TREE)
    sig = pygit2.Signature("bench", "bench@example.com")
    git.create_commit("refs/heads/main", sig, sig, "seed", root.write(), [git.head.target])
    return srv.api + "/repos/admin/c", str(srv.data_dir / "repositories" / f"{repo_id}.git")


def _commits(api: str, token: str, count: int) -> float:
    auth = {"Authorization": f"token {token}"}
    with httpx.Client(headers=auth, timeout=30) as c:
        start = time.perf_counter()
        for i in range(count):
            body = {"message": f"c{i}", "content": base64.b64encode(f"{i}\n".encode()).decode()}
            c.put(f"{api}/contents/new/n{i}.txt", json=body).raise_for_status()
        return count / (time.perf_counter() - start)


def _tarball(api: str, token: str, git_dir: str) -> tuple[float, float, int]:
    auth = {"Authorization": f"token {token}"}
    start = time.perf_counter()
    size = 0
    with httpx.stream("GET", api + "/tarball/main", headers=auth, follow_redirects=True, timeout=120) as r:
        for chunk in r.iter_raw():
            size += len(chunk)
    ours = time.perf_counter() - start
    start = time.perf_counter()
    subprocess.run(
        ["git", "--git-dir", git_dir, "archive", "--format=tar.gz", "--prefix=x/", "main"],
        stdout=subprocess.DEVNULL,
        check=True,
    )
    return ours, time.perf_counter() - start, size


def _listing(api: str, token: str, n: int = 200) -> float:
    auth = {"Authorization": f"token {token}"}
    times = []
    with httpx.Client(headers=auth, timeout=30) as c:
        for _ in range(n):
            start = time.perf_counter()
            r = c.get(api + "/contents/big")
            times.append(time.perf_counter() - start)
            assert r.status_code == 200 and len(r.json()) == 1000, (r.status_code, len(r.content))
    return statistics.median(times) * 1000


def _readme_p50(api: str, token: str, n: int = 200) -> float:
    auth = {"Authorization": f"token {token}"}
    times = []
    with httpx.Client(headers=auth, timeout=30) as c:
        for _ in range(n):
            start = time.perf_counter()
            c.get(api + "/contents/README.md").raise_for_status()
            times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def _readme_scaling(workers: int) -> tuple[float, float]:
    """p50 of GET contents/README.md in a 100-file vs a 100,000-file repository (read cache off)."""
    out = []
    for files in (100, 100_000):
        with hubdepot(workers, env={"HUBDEPOT_READ_CACHE": "0"}) as srv:
            api, _ = _seed(srv, files)
            out.append(_readme_p50(api, srv.token))
    return out[0], out[1]


def run(seconds: int, workers: int) -> list[str]:
    with hubdepot(workers) as srv:
        api, git_dir = _seed(srv, 5000)
        auth = {"Authorization": f"token {srv.token}"}
        url = api + "/contents/docs/ten.txt"
        body = httpx.get(url, headers=auth).content
        ours = wrk(url, seconds=seconds, headers=auth)
        commits = _commits(api, srv.token, 300)
        tar_ours, tar_git, tar_size = _tarball(api, srv.token, git_dir)
    with hubdepot(workers) as srv:  # a repository whose big/ holds exactly 1,000 entries
        api, _ = _seed(srv, 1000)
        listing_p50 = _listing(api, srv.token)
    small, large = _readme_scaling(workers)
    with nginx(workers) as (origin, www):
        target = www / "api/v3/repos/admin/c/contents/docs/ten.txt"
        target.parent.mkdir(parents=True)
        target.write_bytes(body)
        ref = wrk(origin + "/api/v3/repos/admin/c/contents/docs/ten.txt", seconds=seconds, headers=auth)
    return [
        row(
            "GET contents (10 KB file) requests/s @64",
            ours.rps,
            ref.rps,
            "req/s",
            ">= 0.25x nginx",
            f"errors={ours.errors}",
        ),
        f"{'GET contents p99 @64':<44} hubdepot {ours.p99_ms:>10.1f} ms     reference {ref.p99_ms:>10.1f} ms     "
        f"(goal p99 < 20 ms; p50 {ours.p50_ms:.1f} ms)",
        f"{'PUT contents, 5,000-file repo, sequential':<44} hubdepot {commits:>10.1f} commits/s "
        "(goal >= 100 commits/s)",
        f"{'tarball, 5,060 files / 24 MB':<44} hubdepot {tar_ours:>10.3f} s      git archive {tar_git:>7.3f} s      "
        f"ratio {tar_git / tar_ours:5.2f}x  (goal >= 0.9x git archive speed) archive {tar_size} bytes",
        f"{'GET contents of a 1,000-entry directory':<44} hubdepot p50 {listing_p50:>7.1f} ms (goal p50 < 10 ms)",
        f"{'GET contents/README.md, 100 vs 100,000 files':<44} p50 {small:.2f} ms vs {large:.2f} ms: "
        f"{large / small:.2f}x (goal within 1.5x; read cache off)",
    ]
