"""Streaming git's own output: `git archive` tarballs/zipballs and `git cat-file` blobs.

The bytes are piped from the subprocess as they come (never the whole archive in memory); when the
consumer stops early (a client disconnects, the response is cancelled) the subprocess is killed.
`git archive` is byte-stable: the same commit and prefix give the same bytes every time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from hubdepot.git import transport

FORMATS = {"tar.gz": "tar.gz", "zip": "zip"}


def archive_command(git_dir: Path, sha: str, fmt: str, prefix: str) -> list[str]:
    """git archive of commit `sha` as tar.gz or zip with every path under `prefix`/."""
    if fmt not in FORMATS or "/" in prefix or not prefix:
        raise ValueError(f"bad archive request: {fmt} {prefix!r}")
    return [
        "git",
        f"--git-dir={git_dir}",
        "-c",
        "core.bigFileThreshold=1m",
        "archive",
        f"--format={FORMATS[fmt]}",
        f"--prefix={prefix}/",
        sha,
    ]


def archive(git_dir: Path, sha: str, fmt: str, prefix: str) -> AsyncIterator[bytes]:
    return pipe(archive_command(git_dir, sha, fmt, prefix))


def pipe(argv: list[str]) -> AsyncIterator[bytes]:
    """A git command's stdout in chunks, killed if the consumer goes away first (git/transport.run)."""
    return transport.run(argv, transport.environment(None), None)
