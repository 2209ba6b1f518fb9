"""@octokit/rest 22, unchanged, driven by tests/node/contents.mjs against a real server process."""

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
def test_octokit_contents(server, hub, user, repo):
    owner, name = repo.split("/")
    env = {**os.environ, "BASE_URL": server.api, "TOKEN": user.token, "OWNER": owner, "REPO": name}
    done = subprocess.run(["node", "contents.mjs"], cwd=NODE_DIR, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
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
