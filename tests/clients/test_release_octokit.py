"""@octokit/rest 22, unchanged, driven by tests/node/releases.mjs against a real server process."""

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
def test_octokit_releases_and_assets(server, user, repo):
    owner, name = repo.split("/")
    env = {**os.environ, "BASE_URL": server.api, "TOKEN": user.token, "OWNER": owner, "REPO": name}
    done = subprocess.run(["node", "releases.mjs"], cwd=NODE_DIR, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "tags": ["p2", "p1", "p0", "v1.0.0"],
        "latest": "p2",
        "byTag": True,
        "updated": "One (edited)",
        "assets": ["bundle.tgz", "second.txt"],
        "deleted": 204,
        "gone": 404,
    }
