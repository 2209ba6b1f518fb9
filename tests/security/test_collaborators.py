"""Removing a collaborator, and changing one's permission, over the real server: DELETE and PUT
/repos/{o}/{r}/collaborators/{login} with GitHub's answers, the `repo remove-collaborator` command,
and access gone at once on every surface (API with its read cache, git over HTTP, pages, raw)."""

from __future__ import annotations

import base64
import subprocess
import sys

import httpx
import pytest

from tests.conftest import unique
from tests.functional.test_git_http import Git, url
from tests.support.site import PASSWORD, sign_in

DOCS = "https://docs.github.com/rest/collaborators/collaborators"


@pytest.fixture
def private(user):
    name = unique("secret")
    r = user.api.post("/user/repos", json={"name": name, "auto_init": True, "private": True})
    assert r.status_code == 201, r.text
    return f"{user.login}/{name}"


@pytest.fixture
def grant(hub):
    """grant(repo, login, permission): make `login` a collaborator, as `hubdepot repo add-collaborator` does."""
    from hubdepot.services import SYSTEM
    from hubdepot.services import repos as repo_service

    def make(repo: str, login: str, permission: str = "push") -> None:
        owner, name = repo.split("/")
        repo_service.add_collaborator(hub, repo_service.find(hub, SYSTEM, owner, name), login, permission)

    return make


@pytest.fixture
def helper(hub, make_user, client_for):
    """A user with a token and a web password, not yet a collaborator anywhere."""
    from hubdepot.services import sessions

    login, token = make_user()
    sessions.set_password(hub, login, PASSWORD)
    return type("Helper", (), {"login": login, "token": token, "api": client_for(token)})()


def _can_reach(server, helper, browser: httpx.Client, repo: str, git: Git, where) -> dict[str, bool]:
    """Whether `helper` reaches the private `repo` on each surface right now."""
    cloned = git("clone", "-q", url(server, repo, helper.token), str(where), check=False)
    return {
        "api": helper.api.get(f"/repos/{repo}").status_code == 200,
        "git": cloned.returncode == 0,
        "page": browser.get(f"/{repo}").status_code == 200,
        "raw": browser.get(f"/raw/{repo}/main/README.md").status_code == 200,
    }


def test_delete_ends_access_at_once_on_every_surface(server, user, private, helper, grant, tmp_path):
    grant(private, helper.login, "push")
    git = Git(tmp_path)
    browser = sign_in(server.url, helper.login)
    for _ in range(3):  # warm every per-process cache: token lookups, the API's read cache, the session
        assert helper.api.get(f"/repos/{private}").status_code == 200
    surfaces = ("api", "git", "page", "raw")
    assert _can_reach(server, helper, browser, private, git, tmp_path / "before") == dict.fromkeys(surfaces, True)
    r = user.api.delete(f"/repos/{private}/collaborators/{helper.login}")
    assert r.status_code == 204, r.text
    assert r.content == b""
    assert _can_reach(server, helper, browser, private, git, tmp_path / "after") == dict.fromkeys(surfaces, False)
    browser.close()
    assert user.api.get(f"/repos/{private}/collaborators/{helper.login}").status_code == 404


def test_delete_answers_as_github_does(server, user, private, helper, grant, make_user, client_for):
    other_login, other_token = make_user()
    grant(private, helper.login, "push")
    grant(private, other_login, "pull")
    path = f"/repos/{private}/collaborators"
    # a collaborator without admin rights may not remove someone else, known or not
    for target in (other_login, "no-such-user-x"):
        r = helper.api.delete(f"{path}/{target}")
        assert r.status_code == 403, r.text
        assert r.json() == {
            "message": "Must have admin rights to Repository.",
            "documentation_url": f"{DOCS}#remove-a-repository-collaborator",
            "status": "403",
        }
    assert user.api.get(f"{path}/{other_login}").status_code == 204  # still there
    # an admin: unknown user 404, a user who is no collaborator 204 (nothing to do)
    r = user.api.delete(f"{path}/no-such-user-x")
    assert r.status_code == 404 and r.json()["message"] == "Not Found"
    stranger, _ = make_user()
    assert user.api.delete(f"{path}/{stranger}").status_code == 204
    # anonymous: the private repository does not exist
    assert client_for(None).delete(f"{path}/{other_login}").status_code == 404
    # anyone may leave a repository themselves
    assert client_for(other_token).delete(f"{path}/{other_login}").status_code == 204
    assert user.api.get(f"{path}/{other_login}").status_code == 404
    assert client_for(other_token).get(f"/repos/{private}").status_code == 404


def _write(api, repo: str, path: str) -> int:
    body = {"message": "w", "content": base64.b64encode(b"x\n").decode()}
    return api.put(f"/repos/{repo}/contents/{path}", json=body).status_code


def test_put_changes_an_existing_collaborators_permission(user, private, helper, grant):
    grant(private, helper.login, "pull")
    path = f"/repos/{private}/collaborators/{helper.login}"
    assert helper.api.get(f"/repos/{private}").json()["permissions"]["push"] is False
    assert _write(helper.api, private, "a.txt") == 404
    r = user.api.put(path, json={"permission": "push"})
    assert r.status_code == 204, r.text
    assert r.content == b""
    assert helper.api.get(f"/repos/{private}").json()["permissions"]["push"] is True
    assert _write(helper.api, private, "b.txt") == 201
    assert user.api.put(path, json={"permission": "pull"}).status_code == 204
    assert helper.api.get(f"/repos/{private}").json()["permissions"]["push"] is False
    assert _write(helper.api, private, "c.txt") == 404
    # a collaborator without admin rights cannot raise its own permission
    r = helper.api.put(path, json={"permission": "admin"})
    assert r.status_code == 403 and r.json()["message"] == "Must have admin rights to Repository."
    r = user.api.put(path, json={"permission": "owner"})
    assert r.status_code == 422 and r.json()["message"] == "Validation Failed"
    assert user.api.put(f"/repos/{private}/collaborators/no-such-user-x", json={}).status_code == 404


def test_cli_removes_a_collaborator_at_once(server, user, private, helper, grant):
    grant(private, helper.login, "push")
    for _ in range(3):
        assert helper.api.get(f"/repos/{private}").status_code == 200
    cmd = [sys.executable, "-m", "hubdepot", "repo", "remove-collaborator", private, helper.login]
    done = subprocess.run(
        [*cmd, "--data-dir", str(server.data_dir)], capture_output=True, text=True, timeout=120, env=dict(server.env)
    )
    assert done.returncode == 0, done.stderr
    assert helper.api.get(f"/repos/{private}").status_code == 404
    assert user.api.get(f"/repos/{private}/collaborators/{helper.login}").status_code == 404
