"""@octokit/rest 22, unchanged, on the git data API, driven by tests/node/git_data.mjs against a real server."""

from __future__ import annotations

from tests.support.clients import needs_octokit, octokit


@needs_octokit
def test_octokit_git_data(server, user, repo):
    got = octokit("git_data.mjs", server, user.token, repo)
    made = got["listed"][0]
    assert got == {
        "refs": ["refs/heads/main", "refs/heads/octo"],
        "notFf": 422,
        "paths": ["README.md", "octo", "octo/one.txt"],
        "compare": ["ahead", 1, ["octo/one.txt"]],
        "files": [["octo/one.txt", "added", 1]],
        "diffStart": "diff --git a/octo/one.txt b/octo/one.txt",
        "listed": [made, True],
        "branch": True,
        "gone": 404,
    }
