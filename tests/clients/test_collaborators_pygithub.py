"""PyGithub 2.x, unchanged, adds a collaborator to a private repository, changes its permission and
removes it; the collaborator's own PyGithub and git lose access at once."""

from __future__ import annotations

import subprocess

import pytest

from tests.conftest import unique
from tests.support.clients import git_env


def _client(server, token: str):
    from github import Auth, Github

    return Github(base_url=server.api, auth=Auth.Token(token), retry=None, seconds_between_writes=0)


def test_pygithub_adds_changes_and_removes_a_collaborator(server, user, make_user, tmp_path):
    from github import GithubException

    other, other_token = make_user()
    owner, theirs = _client(server, user.token), _client(server, other_token)
    repo = owner.get_user().create_repo(unique("collab"), auto_init=True, private=True)
    full = repo.full_name
    repo.add_to_collaborators(other, permission="push")
    assert repo.has_in_collaborators(other)
    assert theirs.get_repo(full).full_name == full
    repo.add_to_collaborators(other, permission="pull")  # a new permission for the same person
    assert theirs.get_repo(full).permissions.push is False
    repo.remove_from_collaborators(other)
    assert not repo.has_in_collaborators(other)
    with pytest.raises(GithubException) as gone:
        theirs.get_repo(full)
    assert gone.value.status == 404
    url = f"{server.url}/{full}.git".replace("://", f"://{other}:{other_token}@")
    clone = subprocess.run(["git", "clone", "-q", url, str(tmp_path / "c")], env=git_env(tmp_path), capture_output=True)
    assert clone.returncode != 0
