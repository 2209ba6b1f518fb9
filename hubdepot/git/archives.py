"""Streaming git's own output: `git archive` tarballs/zipballs and `git cat-file` blobs.

The bytes are piped from the subprocess as they come (never the whole archive in memory); when the
consumer stops early (a client disconnects, the response is cancelled) the subprocess is killed.
`git archive` is byte-stable: the same commit and prefix give the same bytes every time.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import anyio

CHUNK = 64 * 1024
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


async def pipe(argv: list[str]) -> AsyncIterator[bytes]:
    """Yield a subprocess's stdout in chunks; kill it if the consumer goes away first."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    proc = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        env=env,
    )
    stdout = proc.stdout
    assert stdout is not None, "stdout=PIPE"
    try:
        while True:
            data = await stdout.read(CHUNK)
            if not data:
                break
            yield data
        with anyio.CancelScope(shield=True):
            await proc.wait()
    finally:
        if proc.returncode is None:
            proc.kill()
            with anyio.CancelScope(shield=True):
                await proc.wait()
