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
import functools
import os
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import anyio

CHUNK = 256 * 1024
PIPE_SIZE = 1024 * 1024
IDLE_SECONDS = 120  # a request body that stops arriving for this long is abandoned
_F_SETPIPE_SZ = 1031
SERVICES = ("git-upload-pack", "git-receive-pack")
PROBE = b"0000"
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


@functools.cache
def install_hooks(hooks_dir: Path) -> Path:
    """Write hubdepot's hook scripts into `hooks_dir` (once per process and directory: atomic replace)."""
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
    child = await _Child.spawn(argv, env, fed=body is not None)
    feeder = asyncio.ensure_future(child.feed(body)) if body is not None else None
    try:
        while True:
            data = await child.stdout.read(CHUNK)
            if not data:
                break
            yield data
        with anyio.CancelScope(shield=True):
            if feeder is not None:
                await _finish(feeder)
            await child.exited()
    finally:
        with anyio.CancelScope(shield=True):
            await child.stop(feeder)


async def unless_probe(body: AsyncIterator[bytes]) -> AsyncIterator[bytes] | None:
    """None for git's probe (remote-curl's probe_rpc: before a request too large to send twice, a body
    of one flush packet, "0000", sent to have credentials asked for; the service would answer it with
    nothing), else the whole body, its first bytes read already."""
    chunks = body.__aiter__()
    head, broken = b"", False
    while len(head) <= len(PROBE):
        try:
            head += await asyncio.wait_for(chunks.__anext__(), IDLE_SECONDS)
        except StopAsyncIteration:
            break
        except Exception:  # silent, gone or undecodable: git gets what came, then EOF, and fails cleanly
            broken = True
            break
    if head == PROBE and not broken:
        return None
    return prefixed(head, None if broken else chunks)


async def prefixed(head: bytes, rest: AsyncIterator[bytes] | None) -> AsyncIterator[bytes]:
    """`head`, then what `rest` yields."""
    if head:
        yield head
    if rest is not None:
        async for chunk in rest:
            yield chunk


class _Sink(asyncio.BaseProtocol):
    """git's stdin, a write pipe: `ready` is clear while the pipe and our buffer above it are full."""

    def __init__(self) -> None:
        self.ready = asyncio.Event()
        self.ready.set()
        self.gone = False

    def pause_writing(self) -> None:
        self.ready.clear()

    def resume_writing(self) -> None:
        self.ready.set()

    def connection_lost(self, exc: Exception | None) -> None:
        self.gone = True
        self.ready.set()


class _Child:
    """A git process started by subprocess.Popen (vfork: ~1 ms whatever the server's size; uvloop's own
    spawn forks, 10 ms at 150 MB), its pipes handed to the event loop (1 MiB each, on Linux)."""

    def __init__(
        self, proc: subprocess.Popen[bytes], stdout: asyncio.StreamReader, reading: asyncio.ReadTransport
    ) -> None:
        self.proc, self.stdout, self.reading = proc, stdout, reading
        self.stdin: asyncio.WriteTransport | None = None
        self.sink: _Sink | None = None

    @classmethod
    async def spawn(cls, argv: list[str], env: dict[str, str], fed: bool) -> _Child:
        loop = asyncio.get_running_loop()
        stdin = subprocess.PIPE if fed else subprocess.DEVNULL
        proc = subprocess.Popen(argv, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        try:
            for pipe in (proc.stdin, proc.stdout):
                if pipe is not None:
                    with contextlib.suppress(OSError):
                        fcntl.fcntl(pipe.fileno(), _F_SETPIPE_SZ, PIPE_SIZE)
            reader = asyncio.StreamReader(limit=CHUNK)
            reading, _ = await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), proc.stdout)
            child = cls(proc, reader, reading)
            if proc.stdin is not None:
                transport, child.sink = await loop.connect_write_pipe(_Sink, proc.stdin)
                transport.set_write_buffer_limits(high=PIPE_SIZE)
                child.stdin = transport
            return child
        except BaseException:
            proc.kill()
            await anyio.to_thread.run_sync(proc.wait)
            raise

    async def feed(self, body: AsyncIterator[bytes]) -> None:
        """Copy the request body to git's stdin; on any failure (client gone, bad gzip, a client silent
        for IDLE_SECONDS: it must not hold the repository lock forever) just close it."""
        stdin, sink = self.stdin, self.sink
        assert stdin is not None and sink is not None, "spawned with fed=True"
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(IDLE_SECONDS) as idle:  # one timer, moved on by each chunk
                async for chunk in body:
                    if sink.gone:
                        break
                    idle.reschedule(loop.time() + IDLE_SECONDS)
                    stdin.write(chunk)
                    await sink.ready.wait()
        except Exception:  # the client left, or a truncated or undecodable body: git sees EOF, fails cleanly
            pass
        finally:
            stdin.close()

    async def exited(self, seconds: float | None = None) -> bool:
        try:
            await anyio.to_thread.run_sync(self.proc.wait, seconds)
        except subprocess.TimeoutExpired:
            return False
        return True

    async def stop(self, feeder: asyncio.Future[None] | None) -> None:
        """Done, or the consumer left early. A command still running that was fed a body (a push) gets
        its stdin closed so it stops on its own and cleans up, and is killed only if it lingers; one
        that only writes (an archive, a fetch's advertisement, a blob) is killed at once."""
        if feeder is not None:
            await _finish(feeder)
        if self.proc.poll() is None and (feeder is None or not await self.exited(10)):
            self.proc.kill()
            await self.exited()
        self.reading.close()
        if self.stdin is not None:
            self.stdin.close()


async def _finish(feeder: asyncio.Future[None]) -> None:
    if not feeder.done():
        feeder.cancel()
    with contextlib.suppress(BaseException):
        await feeder
