"""git's smart protocol, served by git itself: `git upload-pack` / `git receive-pack --stateless-rpc`.

The request body is fed to the subprocess as it arrives and its output is yielded as it comes:
no pack is ever held in memory. When the client goes away mid-request the subprocess's stdin is
closed (git then fails on the truncated input and cleans its quarantine up), and it is killed if
it does not exit soon after.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
from collections.abc import AsyncIterator
from pathlib import Path

import anyio

CHUNK = 256 * 1024
PIPE_SIZE = 1024 * 1024
IDLE_SECONDS = 120  # a request body that stops arriving for this long is abandoned
_F_SETPIPE_SZ = 1031
SERVICES = ("git-upload-pack", "git-receive-pack")
_HOOKS = {
    "pre-receive": """#!/bin/sh
# hubdepot: refuse pushes that move or delete protected refs (tags of immutable releases).
status=0
while read old new ref; do
  if [ -s "$HUBDEPOT_PROTECTED_REFS" ] && grep -qxF -- "$ref" "$HUBDEPOT_PROTECTED_REFS"; then
    echo "error: $ref belongs to an immutable release: it cannot be moved or deleted" >&2
    status=1
  fi
done
exit $status
""",
}


def _config(service: str, hooks_dir: Path | None) -> list[str]:
    common = [
        "-c",
        "core.bigFileThreshold=1m",
        "-c",
        "uploadpack.allowFilter=true",
        "-c",
        "uploadpack.allowAnySHA1InWant=true",
    ]
    if service == "git-receive-pack":
        common += [
            "-c",
            "receive.fsckObjects=true",
            "-c",
            "receive.autogc=false",
            "-c",
            "receive.denyDeletes=false",
            "-c",
            "receive.denyNonFastForwards=false",
            "-c",
            "receive.advertisePushOptions=false",
            "-c",
            "core.logAllRefUpdates=false",
        ]
        if hooks_dir is not None:
            common += ["-c", f"core.hooksPath={hooks_dir}"]
    return common


def command(git_dir: Path, service: str, advertise: bool, hooks_dir: Path | None = None) -> list[str]:
    if service not in SERVICES:
        raise ValueError(service)
    verb = service.removeprefix("git-")
    flags = ["--stateless-rpc"] + (["--http-backend-info-refs"] if advertise else [])
    return ["git", *_config(service, hooks_dir), verb, *flags, str(git_dir)]


def environment(protocol: str | None, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    if protocol:
        env["GIT_PROTOCOL"] = protocol
    return env | (extra or {})


def install_hooks(hooks_dir: Path) -> Path:
    """Write hubdepot's hook scripts into `hooks_dir` (once per process; atomic replace)."""
    hooks_dir.mkdir(parents=True, exist_ok=True)
    for name, text in _HOOKS.items():
        path = hooks_dir / name
        if path.exists() and path.read_text() == text:
            continue
        tmp = hooks_dir / f".{name}.{os.getpid()}"
        tmp.write_text(text)
        tmp.chmod(0o755)
        os.replace(tmp, path)
    return hooks_dir


async def run(argv: list[str], env: dict[str, str], body: AsyncIterator[bytes] | None) -> AsyncIterator[bytes]:
    """Run `argv`, feeding it `body` while yielding its stdout. Ends when git exits; the exit status
    is not an error here (git has already told the client in the protocol what went wrong)."""
    proc = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.PIPE if body is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        env=env,
    )
    _widen(proc)
    stdout = proc.stdout
    assert stdout is not None, "stdout=PIPE"
    feeder = asyncio.ensure_future(_feed(proc, body)) if body is not None else None
    try:
        while True:
            data = await stdout.read(CHUNK)
            if not data:
                break
            yield data
        with anyio.CancelScope(shield=True):
            if feeder is not None:
                await _finish(feeder)
            await proc.wait()
    finally:
        with anyio.CancelScope(shield=True):
            await _stop(proc, feeder)


def _widen(proc) -> None:
    """1 MiB pipes both ways (Linux): fewer wake-ups per pack than the default 64 KiB."""
    for stream in (proc.stdin, proc.stdout):
        if stream is None:
            continue
        transport = getattr(stream, "transport", None) or getattr(stream, "_transport", None)
        pipe = transport.get_extra_info("pipe") if transport is not None else None
        if pipe is None:
            continue
        with contextlib.suppress(OSError, AttributeError, ValueError):
            fcntl.fcntl(pipe.fileno(), _F_SETPIPE_SZ, PIPE_SIZE)
    if proc.stdin is not None:
        proc.stdin.transport.set_write_buffer_limits(high=PIPE_SIZE)


async def _feed(proc, body: AsyncIterator[bytes]) -> None:
    """Copy the request body to git's stdin; on any failure (client gone, bad gzip, a client silent
    for IDLE_SECONDS: it must not hold the repository lock forever) just close it."""
    chunks = body.__aiter__()
    try:
        while True:
            try:
                chunk = await asyncio.wait_for(chunks.__anext__(), IDLE_SECONDS)
            except StopAsyncIteration:
                break
            proc.stdin.write(chunk)
            await proc.stdin.drain()
    except (ConnectionError, BrokenPipeError):
        pass
    except Exception:  # a truncated or undecodable body: git sees EOF and fails cleanly
        pass
    finally:
        with contextlib.suppress(Exception):
            proc.stdin.close()


async def _finish(feeder) -> None:
    if not feeder.done():
        feeder.cancel()
    with contextlib.suppress(BaseException):
        await feeder


async def _stop(proc, feeder) -> None:
    """The consumer left early. A command fed a body (a push) gets its stdin closed so it stops on its
    own and cleans up, and is killed only if it lingers; one that only writes (an archive, a fetch's
    advertisement, a blob) is killed at once."""
    if proc.returncode is not None:
        if feeder is not None:
            await _finish(feeder)
        return
    if feeder is None:
        proc.kill()
        await proc.wait()
        return
    await _finish(feeder)
    with contextlib.suppress(Exception):
        proc.stdin and proc.stdin.close()
    try:
        await asyncio.wait_for(proc.wait(), 10)
    except TimeoutError:
        proc.kill()
        await proc.wait()
