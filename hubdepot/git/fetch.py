"""Fetching every branch and tag of another repository over HTTP with the git CLI (`hubdepot mirror`).

git itself speaks the protocol (v2, packs streamed to disk by git, never through Python). The fetch
runs under the repository lock, so it is serialised with pushes, contents commits and release
tags; the refs before and after are compared and the changes returned for services.refs.record().
Credentials travel in git's environment (GIT_CONFIG_*), never on a command line others can read.
"""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

from hubdepot import errors
from hubdepot.git import refs as git_refs
from hubdepot.git import transport
from hubdepot.git.lock import repo_lock
from hubdepot.git.refs import RefUpdate

REFSPECS = ("+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*")


def _environment(token: str | None) -> dict[str, str]:
    extra = {"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "/bin/false"}
    if token:
        basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
        extra.update(
            GIT_CONFIG_COUNT="1",
            GIT_CONFIG_KEY_0="http.extraHeader",
            GIT_CONFIG_VALUE_0=f"Authorization: Basic {basic}",
        )
    return transport.environment(None, extra)


def fetch(git_dir: Path, url: str, token: str | None, timeout: float = 3600) -> list[RefUpdate]:
    """Make the repository's branches and tags those of `url` (pruning the ones gone there); the ref
    changes."""
    argv = [
        "git",
        "--git-dir",
        str(git_dir),
        "-c",
        "fetch.writeFetchHEAD=false",
        "-c",
        "gc.auto=0",
        "fetch",
        "--quiet",
        "--prune",
        "--no-tags",
        url,
        *REFSPECS,
    ]
    with repo_lock(git_dir):
        before = git_refs.snapshot(git_dir)
        try:
            done = subprocess.run(argv, env=_environment(token), capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise errors.Unavailable(f"git fetch from {url} took longer than {timeout:.0f}s") from None
        after = git_refs.snapshot(git_dir)
    updates = git_refs.changes(before, after)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["git fetch failed"])[-1]
        raise errors.Unavailable(f"git fetch from {url} failed: {last}")
    return updates
