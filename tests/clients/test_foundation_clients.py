"""PyGithub and githubkit, unchanged, against a real server process: repositories, users, tags."""

from __future__ import annotations

import pygit2
import pytest

from tests.conftest import unique


def _tag_head(hub, repo_id: int, *names: str) -> None:
    from hubdepot.git import repos as git_repos

    repo = pygit2.Repository(str(git_repos.git_dir(hub.settings.repos_dir, repo_id)))
    for name in names:
        repo.references.create(f"refs/tags/{name}", repo.head.target)


def test_pygithub_repositories(server, user, hub):
    from github import Auth, Github

    gh = Github(base_url=server.api, auth=Auth.Token(user.token), retry=None)
    me = gh.get_user()
    assert me.login == user.login
    name = unique("pyg")
    created = me.create_repo(name, description="from PyGithub", private=False, auto_init=True)
    assert created.full_name == f"{user.login}/{name}" and created.default_branch == "main"
    got = gh.get_repo(f"{user.login}/{name}")
    assert got.id == created.id and got.description == "from PyGithub"
    assert got.permissions.push is True
    _tag_head(hub, got.id, "v1.0", "v1.1")
    assert [t.name for t in got.get_tags()] == ["v1.1", "v1.0"]
    assert [b.name for b in got.get_branches()] == ["main"]
    got.edit(description="edited")
    assert gh.get_repo(got.id).description == "edited"
    assert gh.get_user(user.login).public_repos >= 1
    got.delete()
    with pytest.raises(Exception) as info:
        gh.get_repo(f"{user.login}/{name}")
    assert getattr(info.value, "status", None) == 404


@pytest.mark.parametrize("version", ["2022-11-28", "2026-03-10"])
def test_githubkit_repositories(server, user, hub, version):
    from githubkit import GitHub, TokenAuthStrategy

    gh = GitHub(TokenAuthStrategy(user.token), base_url=server.api + "/")
    rest = gh.rest(version)
    name = unique("kit")
    created = rest.repos.create_for_authenticated_user(name=name, auto_init=True, private=True).parsed_data
    assert created.full_name == f"{user.login}/{name}" and created.private is True
    repo = rest.repos.get(user.login, name).parsed_data  # githubkit validates the whole body
    assert repo.id == created.id and repo.permissions.admin is True
    _tag_head(hub, repo.id, "v2")
    tags = rest.repos.list_tags(user.login, name).parsed_data
    assert [t.name for t in tags] == ["v2"]
    me = rest.users.get_authenticated().parsed_data
    assert me.login == user.login
    other = rest.users.get_by_username(user.login).parsed_data
    assert other.login == user.login
