"""Memory of one large contents PUT: the peak resident set (VmHWM) a 120 MiB body adds to the server's
worker, as a multiple of the body (goal: at most ~2x, the body and the JSON string it holds)."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import httpx

from bench.common import _children, hubdepot

MIB = 1024 * 1024
BODY = 120 * MIB  # the base64 of 90 MiB: under GitHub's 100 MB file limit


def _peak_kib(pid: int) -> int:
    """The largest peak resident set (VmHWM) among the server's worker processes, in KiB."""
    peak = 0
    for child in _children(pid):
        for line in Path(f"/proc/{child}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peak = max(peak, int(line.split()[1]))
    return peak


def _body() -> bytes:
    data = os.urandom(BODY * 3 // 4)
    return b'{"message": "big", "content": "' + base64.b64encode(data) + b'"}'


def run(seconds: int, workers: int) -> list[str]:
    with hubdepot(1) as srv:
        auth = {"Authorization": f"token {srv.token}"}
        with httpx.Client(base_url=srv.api, headers=auth, timeout=300) as api:
            api.post("/user/repos", json={"name": "m", "auto_init": True}).raise_for_status()
            small = base64.b64encode(b"warm\n").decode()  # the first write's imports and caches
            api.put("/repos/admin/m/contents/warm.txt", json={"message": "w", "content": small}).raise_for_status()
            body = _body()
            before = _peak_kib(srv.process.pid)
            r = api.put("/repos/admin/m/contents/big.bin", content=body, headers={"content-type": "application/json"})
            r.raise_for_status()
            added = _peak_kib(srv.process.pid) - before
    ratio = added * 1024 / len(body)
    return [
        f"{'PUT contents, 120 MiB body: peak RSS added':<44} hubdepot {added / 1024:>10.1f} MiB    "
        f"body {len(body) / MIB:>8.1f} MiB    ratio {ratio:5.2f}x  (goal <= 2x the body)"
    ]
