"""Fetching every branch and tag of another repository over HTTP with the git CLI (`hubdepot mirror`).

git itself speaks the protocol (v2, packs streamed to disk by git, never through Python). The fetch
runs under the repository lock, so it is serialised with pushes, contents commits and release
tags; the refs before and after are compared and the changes returned for services.refs.record().
Credentials travel in git's environment (GIT_CONFIG_*), never on a command line others can read.

The URL comes from a source that may be hostile (docs/security.md): only an http(s) URL with no
credentials or control characters is accepted, it is passed after `--` (never read as an option),
git may speak no other protocol (no file://, ext::, ssh), follows no redirect, and the token header is
scoped to that URL's origin.
"""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

from hubdepot import errors
from hubdepot.git import refs as git_refs
from hubdepot.git import transport
from hubdepot.git.lock import repo_lock
from hubdepot.git.refs import RefUpdate

REFSPECS = ("+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*")


def checked_url(url: str) -> str:
    """`url` when it is an http(s) URL git may fetch from; errors.ValidationFailed otherwise."""
    parts = urlsplit(url) if isinstance(url, str) else None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username is not None
        or parts.password is not None
        or not url.isascii()
        or any(ord(ch) <= 32 or ord(ch) == 127 for ch in url)
    ):
        raise errors.ValidationFailed.one("Mirror", "clone_url", "invalid", f"not an http(s) git URL: {url!r}")
    return url


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"


def _environment(url: str, token: str | None) -> dict[str, str]:
    settings = {
        "protocol.allow": "never",  # no file://, ext::, ssh, fd: http(s) only, and only these two
        "protocol.http.allow": "always",
        "protocol.https.allow": "always",
        "http.followRedirects": "false",  # the token stays with the host the user named
        "credential.helper": "",
        "core.askPass": "/bin/false",
    }
    if token:
        basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
        settings[f"http.{_origin(url)}.extraHeader"] = f"Authorization: Basic {basic}"
    extra = {"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "/bin/false", "GIT_ALLOW_PROTOCOL": "http:https"}
    extra["GIT_CONFIG_COUNT"] = str(len(settings))
    for i, (key, value) in enumerate(settings.items()):
        extra[f"GIT_CONFIG_KEY_{i}"], extra[f"GIT_CONFIG_VALUE_{i}"] = key, value
    return transport.environment(None, extra)


def fetch(git_dir: Path, url: str, token: str | None, timeout: float = 3600) -> list[RefUpdate]:
    """Make the repository's branches and tags those of `url` (pruning the ones gone there); the ref
    changes."""
    url = checked_url(url)
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
        "--",
        url,
        *REFSPECS,
    ]
    with repo_lock(git_dir):
        before = git_refs.snapshot(git_dir)
        try:
            done = subprocess.run(argv, env=_environment(url, token), capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise errors.Unavailable(f"git fetch from {url} took longer than {timeout:.0f}s") from None
        after = git_refs.snapshot(git_dir)
    updates = git_refs.changes(before, after)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["git fetch failed"])[-1]
        raise errors.Unavailable(f"git fetch from {url} failed: {last}")
    return updates
