"""The gh CLI (Debian's 2.23), unchanged, over https with a local CA: every release command."""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
import tarfile

import httpx
import pytest

from tests.conftest import unique
from tests.support.tls import tls_certs, tls_server  # noqa: F401 (fixtures)

pytestmark = pytest.mark.skipif(not shutil.which("gh"), reason="gh is not installed (apt-get install gh)")


@pytest.fixture
def gh(tls_server, tls_certs, tmp_path):  # noqa: F811
    """gh(*args) -> CompletedProcess, pointed at the TLS server's fresh repository as the admin user."""
    name = unique("ghrepo")
    api = httpx.Client(
        base_url=tls_server.api,
        verify=ssl.create_default_context(cafile=str(tls_certs.ca)),
        timeout=30,
        headers={"authorization": f"token {tls_server.token}"},
    )
    api.post("/user/repos", json={"name": name, "auto_init": True}).raise_for_status()
    host = tls_server.url.removeprefix("https://")
    env = {
        **os.environ,
        "GH_HOST": host,
        "GH_ENTERPRISE_TOKEN": tls_server.token,
        "GH_REPO": f"{host}/admin/{name}",
        "SSL_CERT_FILE": str(tls_certs.ca),
        "GIT_SSL_CAINFO": str(tls_certs.ca),
        "GH_CONFIG_DIR": str(tmp_path / "gh-config"),
        "GH_NO_UPDATE_NOTIFIER": "1",
        "GH_PROMPT_DISABLED": "1",
        "NO_COLOR": "1",
        "GH_PAGER": "cat",
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "https_proxy": "http://127.0.0.1:9",  # loopback is never proxied
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }  # (by git's curl either)

    def run(*args, check=True):
        done = subprocess.run(["gh", *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
        if check:
            assert done.returncode == 0, f"gh {' '.join(args)}: {done.stderr}"
        return done

    run.api, run.repo, run.dir = api, f"admin/{name}", tmp_path
    yield run
    api.close()


def test_gh_release_commands(gh):
    (gh.dir / "notes.txt").write_text("first file\n")
    (gh.dir / "tool.bin").write_bytes(os.urandom(70_000))
    created = gh(
        "release",
        "create",
        "v1.0",
        "notes.txt",
        "tool.bin#The tool",
        "--title",
        "One",
        "--notes",
        "N1",
        "--target",
        "main",
    )
    assert created.stdout.strip().endswith(f"/{gh.repo}/releases/tag/v1.0")
    listed = gh("release", "list").stdout.strip().split("\t")
    assert listed[:3] == ["One", "Latest", "v1.0"]
    view = json.loads(gh("release", "view", "v1.0", "--json", "tagName,name,body,isDraft,assets,author").stdout)
    assert (view["tagName"], view["name"], view["body"], view["isDraft"]) == ("v1.0", "One", "N1", False)
    assert {(a["name"], a["label"], a["size"]) for a in view["assets"]} == {
        ("notes.txt", "", 11),
        ("tool.bin", "The tool", 70_000),
    }
    assert view["author"]["login"] == "admin"

    (gh.dir / "notes.txt").write_text("second version\n")
    gh("release", "upload", "v1.0", "notes.txt", "--clobber")
    gh("release", "download", "v1.0", "-p", "notes.txt", "-D", "one")
    assert (gh.dir / "one" / "notes.txt").read_text() == "second version\n"
    gh("release", "download", "-p", "tool.bin", "-D", "latest")  # no tag: the latest release
    assert (gh.dir / "latest" / "tool.bin").read_bytes() == (gh.dir / "tool.bin").read_bytes()

    gh("release", "edit", "v1.0", "--title", "One (edited)", "--notes", "N2")
    gh("release", "delete-asset", "v1.0", "tool.bin", "-y")
    view = json.loads(gh("release", "view", "v1.0", "--json", "name,body,assets").stdout)
    assert (view["name"], view["body"], [a["name"] for a in view["assets"]]) == ("One (edited)", "N2", ["notes.txt"])

    gh("release", "create", "v2.0-rc", "--notes", "", "--draft", "--prerelease")
    assert json.loads(gh("release", "view", "v2.0-rc", "--json", "isDraft").stdout) == {"isDraft": True}
    gh("release", "delete", "v2.0-rc", "-y")
    gh("release", "delete", "v1.0", "-y")
    assert gh("release", "list").stdout.strip() == ""
    assert gh("release", "view", "v1.0", check=False).returncode != 0
    tags = gh.api.get(f"/repos/{gh.repo}/tags").json()
    assert [t["name"] for t in tags] == ["v1.0"]  # deleting a release keeps its tag


def test_gh_archive_download(gh):
    gh("release", "create", "v3.0", "--notes", "archive me")
    if gh.api.get(f"/repos/{gh.repo}/tarball/v3.0").status_code == 404:
        pytest.xfail("the tarball route (contents API) is not served yet")
    gh("release", "download", "v3.0", "--archive", "tar.gz", "-D", "arch")
    files = list((gh.dir / "arch").iterdir())
    assert len(files) == 1 and files[0].name.endswith(".tar.gz")
    with tarfile.open(files[0]) as tar:
        assert any(n.endswith("/README.md") for n in tar.getnames())


def test_gh_api_graphql_viewer(gh):
    out = gh("api", "graphql", "-f", "query=query{viewer{login}}").stdout
    assert json.loads(out) == {"data": {"viewer": {"login": "admin"}}}


def test_gh_repo_clone_over_https(gh, tls_certs):  # noqa: F811
    """`gh repo clone` asks GraphQL about the repository, then runs git clone over https with its
    own credential helper (the token from GH_ENTERPRISE_TOKEN)."""
    gh.api.put(f"/repos/{gh.repo}/contents/src/a.txt", json={"message": "a", "content": "YQo="}).raise_for_status()
    done = gh("repo", "clone", gh.repo, "cloned", "--", "-q", check=False)
    assert done.returncode == 0, done.stderr
    work = gh.dir / "cloned"
    assert (work / "src" / "a.txt").read_text() == "a\n"
    assert "upstream" not in subprocess.run(["git", "remote"], cwd=work, capture_output=True, text=True).stdout
