"""@octokit/rest 22, unchanged, on the git data API, driven by tests/node/git_data.mjs against a real server."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

NODE_DIR = Path(__file__).resolve().parents[1] / "node"


@pytest.mark.skipif(
    not shutil.which("node") or not (NODE_DIR / "node_modules" / "@octokit" / "rest").is_dir(),
    reason="node and tests/node/node_modules are needed (make install-test)",
)
def test_octokit_git_data(server, user, repo):
    owner, name = repo.split("/")
    env = {**os.environ, "BASE_URL": server.api, "TOKEN": user.token, "OWNER": owner, "REPO": name}
    done = subprocess.run(["node", "git_data.mjs"], cwd=NODE_DIR, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
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
