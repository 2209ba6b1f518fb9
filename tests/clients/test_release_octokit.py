"""@octokit/rest 22, unchanged, driven by tests/node/releases.mjs against a real server process."""

from __future__ import annotations

from tests.support.clients import needs_octokit, octokit


@needs_octokit
def test_octokit_releases_and_assets(server, user, repo):
    got = octokit("releases.mjs", server, user.token, repo)
    assert got == {
        "tags": ["p2", "p1", "p0", "v1.0.0"],
        "latest": "p2",
        "byTag": True,
        "updated": "One (edited)",
        "assets": ["bundle.tgz", "second.txt"],
        "deleted": 204,
        "gone": 404,
    }
