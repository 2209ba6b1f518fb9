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


def git_env(home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(HOME=str(home), GIT_CONFIG_NOSYSTEM="1", GIT_TERMINAL_PROMPT="0", GIT_ASKPASS="",
               SSH_ASKPASS="", GIT_AUTHOR_NAME="Pusher", GIT_AUTHOR_EMAIL="pusher@example.com",
               GIT_COMMITTER_NAME="Pusher", GIT_COMMITTER_EMAIL="pusher@example.com")
    return env


class Git:
    """The git CLI in a scratch HOME (no user config, no credential helper, no prompt)."""

    def __init__(self, tmp_path: Path):
        self.home = tmp_path / "home"
        self.home.mkdir(exist_ok=True)
        self.env = git_env(self.home)

    def __call__(self, *args, cwd=None, check=True, input=None) -> subprocess.CompletedProcess:
        proc = subprocess.run(["git", "-c", "init.defaultBranch=main", "-c", "protocol.version=2", *args],
                              cwd=cwd, env=self.env, capture_output=True, text=True, timeout=120, input=input)
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
    proc = subprocess.run(["git", "-c", "protocol.version=2", "ls-remote", url(server, repo)], env=env,
                          capture_output=True, text=True, timeout=60)
    assert "version 2" in proc.stderr and "ls-refs" in proc.stderr
