"""docs/testing.md's examples, run: each block after a `<!-- example: KIND -->` marker is the test
(pytest through pytester, the Node test file it quotes, the gh shell session, the Actions steps)."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.support.server import ROOT

pytest_plugins = ["pytester"]

DOC = ROOT / "docs" / "testing.md"
MARKED = re.compile(r"<!-- example: (\w+)(?: (\S+))? -->\n```\w*\n(.*?)\n```", re.S)
NODE_DIR = ROOT / "tests" / "node"


def examples(kind: str) -> list[tuple[str | None, str]]:
    found = [(arg, body) for k, arg, body in MARKED.findall(DOC.read_text()) if k == kind]
    assert found, f"docs/testing.md has no {kind} example"
    return found


def _environment(tmp_path: Path, **more: str) -> dict:
    """What a user's shell has: the hubdepot command on PATH, a scratch TMPDIR, no proxy for loopback."""
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ.get('PATH', '')}", "TMPDIR": str(tmp_path)}
    env.update(NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost", GH_NO_UPDATE_NOTIFIER="1")
    env.update(GH_PROMPT_DISABLED="1", NO_COLOR="1", GH_PAGER="cat", **more)
    for name in ("GITHUB_TOKEN", "GH_TOKEN", "GH_HOST", "GITHUB_API_URL", "SSL_CERT_FILE"):
        env.pop(name, None)
    return env


def test_the_pytest_example(pytester):
    ((_, body),) = examples("pytest")
    pytester.makepyfile(test_example=body)
    pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q", timeout=300).assert_outcomes(passed=1)


@pytest.mark.skipif(
    not shutil.which("node") or not (NODE_DIR / "node_modules" / "@octokit" / "plugin-throttling").is_dir(),
    reason="node and tests/node/node_modules are needed (make install-test)",
)
def test_the_node_example(github):
    ((path, body),) = examples("node")
    script = ROOT / str(path)
    for block in re.split(r"\n\n(?=test\()", body):
        assert block in script.read_text(), "the doc quotes the test file as it is"
    done = subprocess.run(
        ["node", "--test", script.name],
        cwd=script.parent,
        env={**os.environ, **github.env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "# pass 3" in done.stdout


@pytest.mark.skipif(not shutil.which("gh"), reason="gh is not installed (apt-get install gh)")
def test_the_gh_shell_example(tmp_path):
    ((_, body),) = examples("shell")
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", body],
        cwd=tmp_path,
        env=_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr + (tmp_path / "hubdepot.log").read_text()[-2000:]
    login, name, url, asset = done.stdout.split()
    assert (login, name, asset) == ("admin", "admin/widgets", "notes.txt")
    assert re.fullmatch(r"https://127\.0\.0\.1:\d+/admin/widgets/releases/tag/v1\.0\.0", url)
    _removed(tmp_path)  # the EXIT trap stopped it; it cleans up as it stops


def _removed(directory: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while list(directory.glob("hubdepot-ephemeral-*")):
        assert time.monotonic() < deadline, "the ephemeral server's data dir is still there"
        time.sleep(0.05)


def test_the_actions_steps(tmp_path):
    ((_, body),) = examples("actions")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "seed.yaml").write_text("users: [alice]\nrepositories: [{owner: alice, name: widgets}]\n")
    runner = tmp_path / "runner"
    runner.mkdir()
    env = _environment(tmp_path, RUNNER_TEMP=str(runner))
    steps = yaml.safe_load(body)
    try:
        for step in steps[:-1]:
            done = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=tmp_path, env=env, timeout=60)
            assert done.returncode == 0, step["name"]
    finally:  # `if: always()`
        assert subprocess.run(["bash", "-e", "-c", steps[-1]["run"]], cwd=tmp_path, env=env).returncode == 0
    pid = int(re.search(r"HUBDEPOT_PID=(\d+)", (runner / "hubdepot.env").read_text())[1])
    try:
        _removed(tmp_path)
    except AssertionError:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)  # it did not stop
        raise
