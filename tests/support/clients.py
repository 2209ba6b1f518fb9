"""Real clients run from the suite: @octokit/rest scripts in tests/node (node, unchanged packages), and
the environment the git CLI runs in (scratch HOME, no system config, no prompt)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

NODE_DIR = Path(__file__).resolve().parents[1] / "node"

needs_octokit = pytest.mark.skipif(
    not shutil.which("node") or not (NODE_DIR / "node_modules" / "@octokit" / "rest").is_dir(),
    reason="node and tests/node/node_modules are needed (make install-test)",
)


def octokit(script: str, server, token: str, repo: str):
    """Run tests/node/`script` against `server` as `token` on `repo`; its JSON output."""
    owner, name = repo.split("/")
    env = {**os.environ, "BASE_URL": server.api, "TOKEN": token, "OWNER": owner, "REPO": name}
    done = subprocess.run(["node", script], cwd=NODE_DIR, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def git_env(home: Path, name: str = "Pusher", email: str = "pusher@example.com") -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        HOME=str(home),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_TERMINAL_PROMPT="0",
        GIT_ASKPASS="",
        SSH_ASKPASS="",
        GIT_AUTHOR_NAME=name,
        GIT_AUTHOR_EMAIL=email,
        GIT_COMMITTER_NAME=name,
        GIT_COMMITTER_EMAIL=email,
    )
    return env
