"""git/transport.run with real subprocesses: a body is fed as it comes, a silent body is given up
after the idle limit (git then sees EOF), the probe is told apart from a body that starts like it."""

from __future__ import annotations

import asyncio
import time

import pytest
import uvloop

from hubdepot.git import transport

LOOPS = pytest.mark.parametrize("run", [asyncio.run, uvloop.run], ids=["asyncio", "uvloop"])


async def _collect(argv, body) -> bytes:
    return b"".join([chunk async for chunk in transport.run(argv, transport.environment(None), body)])


async def _chunks(*parts: bytes, then_silent: bool = False):
    for part in parts:
        yield part
    if then_silent:
        await asyncio.sleep(3600)


@LOOPS
def test_a_body_is_fed_through_and_output_streams_back(run):
    parts = [bytes([i]) * 70_000 for i in range(40)]  # 2.8 MB: more than the pipes hold
    out = run(_collect(["cat"], _chunks(*parts)))
    assert out == b"".join(parts)


@LOOPS
def test_a_silent_body_is_given_up_after_the_idle_limit(monkeypatch, run):
    monkeypatch.setattr(transport, "IDLE_SECONDS", 0.5)
    start = time.monotonic()
    out = run(_collect(["cat"], _chunks(b"first", then_silent=True)))
    assert out == b"first" and time.monotonic() - start < 10


def test_the_probe_and_a_body_that_starts_like_it():
    async def check():
        assert await transport.unless_probe(_chunks(b"00", b"00")) is None
        whole = await transport.unless_probe(_chunks(b"0000", b"0032want"))
        assert whole is not None and b"".join([c async for c in whole]) == b"00000032want"
        empty = await transport.unless_probe(_chunks())
        assert empty is not None and b"".join([c async for c in empty]) == b""

    asyncio.run(check())
