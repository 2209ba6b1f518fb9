"""PyGithub 2.x, unchanged, on the contents API and archive links against a real server process;
then `git clone` of the bare repository shows the commits it made."""

from __future__ import annotations

import subprocess

import httpx
import pytest

from tests.conftest import unique


@pytest.fixture
def gh(server, user):
    from github import Auth, Github

    return Github(
        base_url=server.api,
        auth=Auth.Token(user.token),
        retry=None,
        seconds_between_requests=0,
        seconds_between_writes=0,
    )


def test_pygithub_contents_and_archives(server, hub, user, gh, tmp_path):
    from github import GithubException, InputGitAuthor

    name = unique("pyg")
    repo = gh.get_user().create_repo(name, auto_init=True)
    readme = repo.get_readme()
    assert readme.path == "README.md" and readme.decoded_content == f"# {name}\n".encode()
    assert readme.encoding == "base64" and readme.download_url.endswith(f"/raw/{user.login}/{name}/main/README.md")

    ada = InputGitAuthor("Ada Lovelace", "ada@example.com")
    made = repo.create_file("docs/guide.md", "add guide", "# Guide\n", branch="main", author=ada, committer=ada)
    assert made["content"].path == "docs/guide.md" and made["commit"].raw_data["message"] == "add guide"
    guide = repo.get_contents("docs/guide.md")
    assert guide.decoded_content == b"# Guide\n" and guide.sha == made["content"].sha
    listing = repo.get_contents("")
    assert sorted((c.path, c.type) for c in listing) == [("README.md", "file"), ("docs", "dir")]
    assert [c.name for c in repo.get_contents("docs", ref="main")] == ["guide.md"]

    updated = repo.update_file("docs/guide.md", "edit guide", "# Guide v2\n", guide.sha)
    assert repo.get_contents("docs/guide.md", ref=updated["commit"].sha).decoded_content == b"# Guide v2\n"
    with pytest.raises(GithubException) as stale:
        repo.update_file("docs/guide.md", "stale", "x", guide.sha)
    assert stale.value.status == 409
    with pytest.raises(GithubException) as no_sha:
        repo.create_file("docs/guide.md", "again", "x")
    assert no_sha.value.status == 422

    deleted = repo.delete_file("docs/guide.md", "remove guide", updated["content"].sha)
    from github.GithubObject import NotSet

    assert deleted["content"] is NotSet and deleted["commit"].raw_data["message"] == "remove guide"  # content: null
    with pytest.raises(GithubException) as gone:
        repo.get_contents("docs/guide.md")
    assert gone.value.status == 404

    link = repo.get_archive_link("tarball", "main")
    assert link == f"{server.url}/_codeload/{user.login}/{name}/legacy.tar.gz/refs/heads/main"
    assert repo.get_archive_link("zipball").endswith("/legacy.zip/refs/heads/main")
    assert httpx.get(link).status_code == 200

    clone = tmp_path / "clone"
    git_dir = hub.settings.repos_dir / f"{repo.id}.git"
    subprocess.run(["git", "clone", "-q", str(git_dir), str(clone)], check=True)
    log = subprocess.run(
        ["git", "-C", str(clone), "log", "--format=%an <%ae>|%cn <%ce>|%s"], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    me = gh.get_user()
    mine = f"{me.login} <{me.id}+{me.login}@users.noreply.127.0.0.1>"
    assert log == [
        f"{mine}|{mine}|remove guide",
        f"{mine}|{mine}|edit guide",
        "Ada Lovelace <ada@example.com>|Ada Lovelace <ada@example.com>|add guide",
        log[-1],
    ]
    assert log[-1].endswith("|Initial commit")
    assert sorted(p.name for p in clone.iterdir() if p.name != ".git") == ["README.md"]
