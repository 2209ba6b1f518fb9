"""git over smart HTTP against a real server process, with the real git CLI: clone (full, shallow,
partial), fetch, pull, push of branches and tags, force-push, protocol v2, the permission rules,
and agreement with the contents and releases APIs."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.conftest import unique
from tests.functional.test_contents import b64, put
from tests.support.clients import git_env


class Git:
    """The git CLI in a scratch HOME (no user config, no credential helper, no prompt)."""

    def __init__(self, tmp_path: Path):
        self.home = tmp_path / "home"
        self.home.mkdir(exist_ok=True)
        self.env = git_env(self.home)

    def __call__(self, *args, cwd=None, check=True, input=None) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            ["git", "-c", "init.defaultBranch=main", "-c", "protocol.version=2", *args],
            cwd=cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            input=input,
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        return proc

    def out(self, *args, cwd=None) -> str:
        return self(*args, cwd=cwd).stdout.strip()


def url(server, repo: str, token: str | None = None, user: str = "x-access-token", suffix: str = ".git") -> str:
    origin = server.url
    if token is not None:
        scheme, rest = origin.split("://", 1)
        origin = f"{scheme}://{user}:{token}@{rest}" if user else f"{scheme}://{token}@{rest}"
    return f"{origin}/{repo}{suffix}"


@pytest.fixture
def git(tmp_path) -> Git:
    return Git(tmp_path)


def commit(git: Git, work: Path, path: str, text: str, message: str | None = None) -> str:
    target = work / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    git("add", path, cwd=work)
    git("commit", "-q", "-m", message or f"edit {path}", cwd=work)
    return git.out("rev-parse", "HEAD", cwd=work)


def branch_sha(api, repo: str, branch: str) -> str:
    r = api.get(f"/repos/{repo}/branches")
    assert r.status_code == 200, r.text
    return {b["name"]: b["commit"]["sha"] for b in r.json()}[branch]


# -- clone, push, and the contents API agreeing --------------------------------------------------
def test_clone_push_and_the_contents_api_agree(server, user, repo, git, tmp_path):
    work = tmp_path / "work"
    git("clone", "-q", url(server, repo, user.token), str(work))
    assert (work / "README.md").exists()
    sha = commit(git, work, "src/app.py", "print('pushed')\n")
    before = user.api.get(f"/repos/{repo}").json()["pushed_at"]
    pushed = git("push", "origin", "main", cwd=work)
    assert "main -> main" in pushed.stderr
    got = user.api.get(f"/repos/{repo}/contents/src/app.py")
    assert got.status_code == 200 and got.json()["content"].replace("\n", "") == b64(b"print('pushed')\n")
    assert branch_sha(user.api, repo, "main") == sha
    assert user.api.get(f"/repos/{repo}").json()["pushed_at"] >= before

    put(user.api, repo, "docs/api.md", b"written by the API\n")  # and git pull sees the API's commit
    git("pull", "-q", "--ff-only", cwd=work)
    assert (work / "docs/api.md").read_text() == "written by the API\n"
    assert git.out("rev-parse", "HEAD", cwd=work) == branch_sha(user.api, repo, "main")


def test_anonymous_clone_of_a_public_repository_shallow_partial_and_v2(server, user, repo, git, tmp_path):
    put(user.api, repo, "a.txt", b"one\n")
    put(user.api, repo, "b.txt", b"two\n")
    plain = url(server, repo, suffix="")  # with or without .git, names case-insensitive
    git("clone", "-q", plain.replace(repo, repo.upper()), str(tmp_path / "full"))
    assert git.out("rev-list", "--count", "HEAD", cwd=tmp_path / "full") == "3"
    git("clone", "-q", "--depth", "1", url(server, repo), str(tmp_path / "shallow"))
    assert git.out("rev-list", "--count", "HEAD", cwd=tmp_path / "shallow") == "1"
    assert (tmp_path / "shallow/b.txt").read_text() == "two\n"
    git("clone", "-q", "--filter=blob:none", "--no-checkout", url(server, repo), str(tmp_path / "partial"))
    missing = git.out("rev-list", "--objects", "--missing=print", "HEAD", cwd=tmp_path / "partial")
    assert any(line.startswith("?") for line in missing.splitlines())
    git("checkout", "-q", "main", cwd=tmp_path / "partial")  # the blobs come on demand
    assert (tmp_path / "partial/a.txt").read_text() == "one\n"
    remote = git("-c", "protocol.version=2", "ls-remote", url(server, repo))
    assert "refs/heads/main" in remote.stdout
    traced = git("-c", "protocol.version=2", "ls-remote", url(server, repo), check=False)
    assert traced.returncode == 0
    env = dict(git.env, GIT_TRACE_PACKET="1")
    proc = subprocess.run(
        ["git", "-c", "protocol.version=2", "ls-remote", url(server, repo)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "version 2" in proc.stderr and "ls-refs" in proc.stderr


# -- permissions ---------------------------------------------------------------------------------
def _private_repo(user) -> str:
    name = unique("secret")
    r = user.api.post("/user/repos", json={"name": name, "auto_init": True, "private": True})
    assert r.status_code == 201, r.text
    return f"{user.login}/{name}"


def _grant(hub, repo: str, login: str, permission: str) -> None:
    from hubdepot.services import SYSTEM
    from hubdepot.services import repos as repo_service

    owner, name = repo.split("/")
    repo_service.add_collaborator(hub, repo_service.find(hub, SYSTEM, owner, name), login, permission)


def test_private_repository_rules(server, hub, user, make_user, git, tmp_path):
    repo = _private_repo(user)
    anonymous = git("clone", url(server, repo), str(tmp_path / "anon"), check=False)
    assert anonymous.returncode != 0 and "could not read Username" in anonymous.stderr  # asked for credentials
    with httpx.Client() as http:
        r = http.get(f"{url(server, repo)}/info/refs?service=git-upload-pack")
        assert r.status_code == 401 and r.headers["www-authenticate"] == 'Basic realm="GitHub"'
        missing = http.get(f"{server.url}/{user.login}/no-such-repo.git/info/refs?service=git-upload-pack")
        assert missing.status_code == 401  # the same answer: nothing leaks
        dumb = http.get(f"{url(server, repo, user.token)}/info/refs")
        assert dumb.status_code == 403 and "dumb-http" in dumb.text

    _stranger, stranger_token = make_user()
    denied = git("clone", url(server, repo, stranger_token), str(tmp_path / "stranger"), check=False)
    assert denied.returncode != 0 and "Repository not found." in denied.stderr
    wrong = git("clone", url(server, repo, "not-a-token"), str(tmp_path / "wrong"), check=False)
    assert wrong.returncode != 0 and ("Authentication failed" in wrong.stderr or "401" in wrong.stderr)

    git("clone", "-q", url(server, repo, user.token, user=""), str(tmp_path / "owner"))  # token as username
    reader, reader_token = make_user()
    _grant(hub, repo, reader, "pull")
    work = tmp_path / "reader"
    git("clone", "-q", url(server, repo, reader_token), str(work))
    commit(git, work, "x.txt", "x\n")
    push = git("push", "origin", "main", cwd=work, check=False)
    assert push.returncode != 0
    assert f"Permission to {repo} denied to {reader}." in push.stderr
    assert branch_sha(user.api, repo, "main") != git.out("rev-parse", "HEAD", cwd=work)

    writer, writer_token = make_user()
    _grant(hub, repo, writer, "push")
    git("remote", "set-url", "origin", url(server, repo, writer_token), cwd=work)
    git("push", "-q", "origin", "main", cwd=work)
    assert branch_sha(user.api, repo, "main") == git.out("rev-parse", "HEAD", cwd=work)


def test_anonymous_push_to_a_public_repository_asks_for_credentials(server, repo, git, tmp_path):
    work = tmp_path / "w"
    git("clone", "-q", url(server, repo), str(work))
    commit(git, work, "y.txt", "y\n")
    push = git("push", "origin", "main", cwd=work, check=False)
    assert push.returncode != 0 and "could not read Username" in push.stderr


# -- branches, tags, force --------------------------------------------------------------------
def test_tags_force_push_rejection_dry_run_and_notes(server, user, repo, git, tmp_path):
    work, other = tmp_path / "w", tmp_path / "o"
    git("clone", "-q", url(server, repo, user.token), str(work))
    git("clone", "-q", url(server, repo, user.token), str(other))
    base = commit(git, work, "a.txt", "a\n")
    git("tag", "-a", "v1.0.0", "-m", "release 1.0.0", cwd=work)
    git("tag", "light", cwd=work)
    dry = git("push", "--dry-run", "origin", "main", "--tags", cwd=work)
    assert "v1.0.0" in dry.stderr and user.api.get(f"/repos/{repo}/tags").json() == []
    git("push", "-q", "origin", "main", "--tags", cwd=work)
    tags = {t["name"]: t["commit"]["sha"] for t in user.api.get(f"/repos/{repo}/tags").json()}
    assert tags == {"v1.0.0": base, "light": base}
    remote = git.out("ls-remote", "--tags", "origin", cwd=work)
    assert "refs/tags/v1.0.0^{}" in remote  # annotated: the tag object, peeled
    r = user.api.post(f"/repos/{repo}/releases", json={"tag_name": "v1.0.0", "name": "1.0.0"})
    assert r.status_code == 201 and r.json()["target_commitish"] == "main"

    git("checkout", "-q", "-b", "feature", cwd=work)
    feature = commit(git, work, "f.txt", "f\n")
    git("push", "-q", "origin", "feature", cwd=work)
    assert branch_sha(user.api, repo, "feature") == feature

    diverged = commit(git, other, "b.txt", "b\n")  # not on top of `base`
    rejected = git("push", "origin", "main", cwd=other, check=False)
    assert rejected.returncode != 0 and "rejected" in rejected.stderr and "fetch first" in rejected.stderr
    assert branch_sha(user.api, repo, "main") == base
    git("push", "-q", "--force", "origin", "main", cwd=other)
    assert branch_sha(user.api, repo, "main") == diverged

    git("notes", "add", "-m", "a note", "HEAD", cwd=other)
    git("push", "-q", "origin", "refs/notes/*", cwd=other)
    assert "refs/notes/commits" in git.out("ls-remote", "origin", cwd=other)

    git("push", "-q", "origin", ":light", ":feature", cwd=work)  # deletions
    assert {t["name"] for t in user.api.get(f"/repos/{repo}/tags").json()} == {"v1.0.0"}
    assert "feature" not in {b["name"] for b in user.api.get(f"/repos/{repo}/branches").json()}

    git("fetch", "-q", "origin", cwd=work)  # and fetch after all that
    assert git.out("rev-parse", "origin/main", cwd=work) == diverged


def test_deleting_a_released_tag_turns_the_release_into_a_draft(server, user, repo, git, tmp_path):
    work = tmp_path / "w"
    git("clone", "-q", url(server, repo, user.token), str(work))
    r = user.api.post(f"/repos/{repo}/releases", json={"tag_name": "v2.0.0"})
    assert r.status_code == 201 and r.json()["draft"] is False
    git("fetch", "-q", "--tags", cwd=work)
    git("push", "-q", "origin", ":refs/tags/v2.0.0", cwd=work)
    again = user.api.get(f"/repos/{repo}/releases/{r.json()['id']}")
    assert again.status_code == 200 and again.json()["draft"] is True  # GitHub does the same
    assert user.api.get(f"/repos/{repo}/releases/tags/v2.0.0").status_code == 404


def test_tags_of_immutable_releases_cannot_be_moved_or_deleted(server, user, repo, git, tmp_path):
    assert user.api.put(f"/repos/{repo}/immutable-releases").status_code == 204
    r = user.api.post(f"/repos/{repo}/releases", json={"tag_name": "v3.0.0"})
    assert r.status_code == 201 and r.json()["immutable"] is True
    tagged = branch_sha(user.api, repo, "main")
    work = tmp_path / "w"
    git("clone", "-q", url(server, repo, user.token), str(work))
    moved = commit(git, work, "c.txt", "c\n")
    git("tag", "-f", "v3.0.0", cwd=work)
    push = git("push", "--force", "origin", "main", "refs/tags/v3.0.0", cwd=work, check=False)
    assert push.returncode != 0
    assert "refs/tags/v3.0.0 belongs to an immutable release" in push.stderr
    assert "pre-receive hook declined" in push.stderr
    assert branch_sha(user.api, repo, "main") == tagged  # the whole push was refused
    delete = git("push", "origin", ":refs/tags/v3.0.0", cwd=work, check=False)
    assert delete.returncode != 0 and "immutable release" in delete.stderr
    tags = {t["name"]: t["commit"]["sha"] for t in user.api.get(f"/repos/{repo}/tags").json()}
    assert tags == {"v3.0.0": tagged}
    by_api = user.api.delete(f"/repos/{repo}/git/refs/tags/v3.0.0")  # nor through the git data API
    assert by_api.status_code == 422 and "immutable release" in by_api.json()["errors"][0]["message"]
    git("push", "-q", "origin", "main", cwd=work)  # other refs still move
    assert branch_sha(user.api, repo, "main") == moved


def test_push_to_an_empty_repository_sets_the_default_branch(server, user, git, tmp_path):
    name = unique("empty")
    r = user.api.post("/user/repos", json={"name": name})
    assert r.status_code == 201 and r.json()["pushed_at"]
    repo = f"{user.login}/{name}"
    work = tmp_path / "w"
    empty = git("clone", url(server, repo, user.token), str(work))
    assert "empty repository" in empty.stderr
    git("checkout", "-q", "-b", "trunk", cwd=work)
    sha = commit(git, work, "README", "hello\n")
    git("push", "-q", "origin", "trunk", cwd=work)
    body = user.api.get(f"/repos/{repo}").json()
    assert body["default_branch"] == "trunk"
    assert user.api.get(f"/repos/{repo}/contents/README").json()["sha"]
    clone = tmp_path / "again"
    git("clone", "-q", url(server, repo), str(clone))
    assert git.out("rev-parse", "--abbrev-ref", "HEAD", cwd=clone) == "trunk"
    assert git.out("rev-parse", "HEAD", cwd=clone) == sha


# -- bad input -----------------------------------------------------------------------------------
ZERO = "0" * 40


def _pkt(text: str) -> bytes:
    return f"{len(text.encode()) + 4:04x}".encode() + text.encode()


def _leftovers(hub, user, repo: str) -> list[str]:
    """Lock files and push quarantines in the repository, however young (a clean failure leaves none)."""
    from hubdepot.git import refs as git_refs

    repo_id = user.api.get(f"/repos/{repo}").json()["id"]
    return git_refs.stale_locks(hub.settings.repos_dir / f"{repo_id}.git", now=2**40)


def _pack_for(git: Git, work: Path, sha: str) -> bytes:
    return subprocess.run(
        ["git", "pack-objects", "--stdout", "--revs"],
        input=f"{sha}\n^{sha}~1\n".encode(),
        cwd=work,
        env=git.env,
        capture_output=True,
        check=True,
    ).stdout


def test_bad_input_moves_no_ref_and_leaves_nothing(server, hub, user, repo, git, tmp_path):
    from hubdepot.services import fsck

    base = branch_sha(user.api, repo, "main")
    work = tmp_path / "w"
    git("clone", "-q", url(server, repo, user.token), str(work))
    new = commit(git, work, "big.bin", os.urandom(200_000).hex())
    pack = _pack_for(git, work, new)
    command = _pkt(f"{base} {new} refs/heads/main\0report-status side-band-64k agent=test\n") + b"0000"
    receive = f"{url(server, repo, user.token)}/git-receive-pack"
    rpc = {"content-type": "application/x-git-receive-pack-request"}
    with httpx.Client(timeout=60) as http:
        bad = http.post(
            f"{url(server, repo)}/git-upload-pack",
            content=b"zzzz not pkt-lines",
            headers={"content-type": "application/x-git-upload-pack-request"},
        )
        assert bad.status_code < 500
        wrong_type = http.post(receive, content=command, headers={"content-type": "text/plain"})
        assert wrong_type.status_code == 400
        garbage = http.post(receive, content=command + b"PACK" + os.urandom(5000), headers=rpc)
        assert (
            garbage.status_code == 200 and b"unpack" in garbage.content and b"ok refs/heads/main" not in garbage.content
        )
        truncated = http.post(receive, content=command + pack[: len(pack) // 2], headers=rpc)
        assert b"ok refs/heads/main" not in truncated.content
        no_pack = http.post(receive, content=_pkt("garbage without a flush"), headers=rpc)
        assert no_pack.status_code < 500
        bad_gzip = http.post(receive, content=b"\x1f\x8bnot gzip", headers={**rpc, "content-encoding": "gzip"})
        assert bad_gzip.status_code < 500
        for name in ("refs/heads/bad..name", "refs/heads/" + "x" * 4000, "refs/heads/a.lock", "HEAD"):
            funny = _pkt(f"{ZERO} {new} {name}\0report-status agent=test\n") + b"0000" + pack
            refused = http.post(receive, content=funny, headers=rpc)
            assert refused.status_code == 200 and b"ok " not in refused.content, name
    assert branch_sha(user.api, repo, "main") == base
    assert {b["name"] for b in user.api.get(f"/repos/{repo}/branches").json()} == {"main"}

    host, port = server.url.removeprefix("http://").split(":")
    import base64
    import socket

    auth = base64.b64encode(f"x:{user.token}".encode()).decode()
    with socket.create_connection((host, int(port))) as sock:  # a client that leaves mid-pack
        head = (
            f"POST /{repo}.git/git-receive-pack HTTP/1.1\r\nHost: {host}\r\nAuthorization: Basic {auth}\r\n"
            "Content-Type: application/x-git-receive-pack-request\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        part = command + pack[: len(pack) // 2]
        sock.sendall(head.encode() + f"{len(part):x}\r\n".encode() + part + b"\r\n")
    for _ in range(100):  # the push fails and releases the lock: an API commit goes through
        r = user.api.put(f"/repos/{repo}/contents/after.txt", json={"message": "after", "content": b64(b"after\n")})
        if r.status_code == 201:
            break
    assert r.status_code == 201
    assert branch_sha(user.api, repo, "main") == r.json()["commit"]["sha"]
    assert _leftovers(hub, user, repo) == []
    assert [p for p in fsck.check(hub) if repo in p] == []
    tree = git.out("rev-parse", "HEAD^{tree}", cwd=work)  # a malformed commit: git's fsck refuses it
    bad = (
        f"tree {tree}\nauthor Bad <bad@example.com> yesterday +0000\n"
        "committer Bad <bad@example.com> 1700000000 +0000\n\nbad date\n"
    )
    bad_sha = git("hash-object", "-t", "commit", "-w", "--literally", "--stdin", cwd=work, input=bad).stdout.strip()
    refused = git("push", "origin", f"{bad_sha}:refs/heads/bad", cwd=work, check=False)
    assert refused.returncode != 0 and "fsck" in refused.stderr
    assert "bad" not in {b["name"] for b in user.api.get(f"/repos/{repo}/branches").json()}
    git("pull", "-q", "--rebase", cwd=work)  # and a real push still works
    git("push", "-q", "origin", "main", cwd=work)
    assert branch_sha(user.api, repo, "main") == git.out("rev-parse", "HEAD", cwd=work)


# -- one repository, two views, concurrently ----------------------------------------------------
def test_pushes_and_contents_commits_race_without_losing_either(server, user, repo, git, tmp_path):
    """Contents API commits and git pushes to the same branch at once: each side's acknowledged
    commits are all in the branch's history (the lock and compare-and-swap at work)."""
    import threading
    import time

    stop, acked, lock = threading.Event(), [], threading.Lock()

    def api_writer():
        n = 0
        with httpx.Client(base_url=server.api, headers={"Authorization": f"token {user.token}"}, timeout=30) as c:
            while not stop.is_set():
                n += 1
                r = c.put(f"/repos/{repo}/contents/api/{n}.txt", json={"message": f"api {n}", "content": b64(b"a")})
                if r.status_code == 201:
                    with lock:
                        acked.append(r.json()["commit"]["sha"])
                time.sleep(0.5)  # room for a push (fetch, rebase, push: ~0.5 s) to win now and then

    work = tmp_path / "w"
    git("clone", "-q", url(server, repo, user.token), str(work))
    thread = threading.Thread(target=api_writer)
    thread.start()
    pushed = rejected = 0
    deadline = time.monotonic() + 40
    try:
        while time.monotonic() < deadline and (pushed < 2 or len(acked) < pushed + 2):
            sha = commit(git, work, f"git/{pushed}-{rejected}.txt", "g\n")
            if git("push", "-q", "origin", "main", cwd=work, check=False).returncode == 0:
                pushed += 1
                with lock:
                    acked.append(sha)
            else:
                rejected += 1
                git("pull", "-q", "--rebase", "origin", "main", cwd=work)
    finally:
        stop.set()
        thread.join(30)
    git("fetch", "-q", "origin", cwd=work)
    tip = git.out("rev-parse", "origin/main", cwd=work)
    history = set(git.out("rev-list", tip, cwd=work).split())
    assert pushed > 0 and len(acked) > pushed
    assert [sha for sha in acked if sha not in history] == []


def test_gzip_request_bodies_as_git_sends_them(server, user, repo):
    """git gzips upload-pack requests over 1 KiB (Content-Encoding: gzip): the same answer either way."""
    import gzip

    body = (
        _pkt("command=ls-refs\n")
        + _pkt("agent=git/test\n")
        + b"0001"
        + _pkt("peel\n")
        + b"".join(_pkt(f"ref-prefix refs/heads/{'x' * 40}{i}\n") for i in range(40))
        + _pkt("ref-prefix refs/heads/\n")
        + b"0000"
    )
    assert len(body) > 1024
    headers = {"content-type": "application/x-git-upload-pack-request", "git-protocol": "version=2"}
    target = f"{url(server, repo)}/git-upload-pack"
    with httpx.Client(timeout=30) as http:
        plain = http.post(target, content=body, headers=headers)
        packed = http.post(target, content=gzip.compress(body), headers={**headers, "content-encoding": "gzip"})
    assert plain.status_code == packed.status_code == 200
    assert plain.headers["content-type"] == "application/x-git-upload-pack-result"
    assert b"refs/heads/main" in plain.content and packed.content == plain.content


def test_probe_before_a_large_push_and_the_push_itself(server, user, repo, git, tmp_path):
    """A request larger than http.postBuffer is preceded by git's probe (a body of "0000" to have
    credentials asked for): it gets 200 with nothing, or the 401 challenge without them; the chunked
    push that follows lands."""
    receive = f"{url(server, repo, user.token)}/git-receive-pack"
    rpc = {"content-type": "application/x-git-receive-pack-request"}
    with httpx.Client(timeout=30) as http:
        probe = http.post(receive, content=b"0000", headers=rpc)
        assert probe.status_code == 200 and probe.content == b""
        assert probe.headers["content-type"] == "application/x-git-receive-pack-result"
        anonymous = http.post(f"{url(server, repo)}/git-receive-pack", content=b"0000", headers=rpc)
        assert anonymous.status_code == 401 and "Basic" in anonymous.headers["www-authenticate"]
        fetch_probe = http.post(
            f"{url(server, repo)}/git-upload-pack",
            content=b"0000",
            headers={"content-type": "application/x-git-upload-pack-request"},
        )
        assert fetch_probe.status_code == 200 and fetch_probe.content == b""
    work = tmp_path / "w"
    git("clone", "-q", url(server, repo, user.token), str(work))
    sha = commit(git, work, "big.txt", os.urandom(300_000).hex())
    git("-c", "http.postBuffer=65536", "push", "-q", "origin", "main", cwd=work)
    assert branch_sha(user.api, repo, "main") == sha
