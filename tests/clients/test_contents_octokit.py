"""@octokit/rest 22, unchanged, driven by tests/node/contents.mjs against a real server process."""

from __future__ import annotations

import subprocess

from tests.support.clients import needs_octokit, octokit


@needs_octokit
def test_octokit_contents(server, hub, user, repo):
    owner, name = repo.split("/")
    got = octokit("contents.mjs", server, user.token, repo)
    assert got == {
        "readme": f"# {name}\n",
        "readmeRaw": f"# {name}\n",
        "statuses": [201, 200, 409, 200, 404],
        "json": "second\n",
        "encoding": "base64",
        "raw": "second\n",
        "listing": [["notes.txt", "file"]],
        "deletedContent": None,
        "committer": "Octo Cat",
        "archive": [302, f"{server.url}/_codeload/{repo}/legacy.tar.gz/refs/heads/main"],
        "zipBytes": "504b",
    }
    repo_id = user.api.get(f"/repos/{repo}").json()["id"]
    log = subprocess.run(
        ["git", f"--git-dir={hub.settings.repos_dir / f'{repo_id}.git'}", "log", "--format=%cn|%s"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert log[:3] == [f"{owner}|remove notes", f"{owner}|edit notes", "Octo Cat|add notes"]
