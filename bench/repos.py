"""GET /repos/{o}/{r}: requests/s and p99 at 64 connections, hubdepot vs nginx serving the same JSON."""

from __future__ import annotations

import httpx

from bench.common import Load, hubdepot, nginx, row, wrk


def run(seconds: int, workers: int) -> list[str]:
    with hubdepot(workers) as srv:
        auth = {"Authorization": f"token {srv.token}"}
        httpx.post(srv.api + "/user/repos", json={"name": "bench", "auto_init": True}, headers=auth).raise_for_status()
        url = srv.api + "/repos/admin/bench"
        body = httpx.get(url, headers=auth).content
        ours = wrk(url, seconds=seconds, headers=auth)
    with nginx(workers) as (origin, www):
        target = www / "api/v3/repos/admin/bench"
        target.parent.mkdir(parents=True)
        target.write_bytes(body)
        ref = wrk(origin + "/api/v3/repos/admin/bench", seconds=seconds, headers=auth)
    return _rows("GET /repos/{o}/{r}", ours, ref)


def _rows(name: str, ours: Load, ref: Load) -> list[str]:
    return [
        row(f"{name} requests/s @64", ours.rps, ref.rps, "req/s", ">= 0.25x nginx", f"errors={ours.errors}"),
        f"{name + ' p99 @64':<44} hubdepot {ours.p99_ms:>10.1f} ms     reference {ref.p99_ms:>10.1f} ms     "
        f"(goal p99 < 20 ms; p50 {ours.p50_ms:.1f} ms)",
    ]
