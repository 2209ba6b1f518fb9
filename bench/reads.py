"""The reads of issue 21, each against nginx serving the same bytes in the same run (wrk -t2 -c64):
GET /repos/{o}/{r}, releases/latest and a 10 KiB file's contents, with the read cache on (warm) and
off, and a 10 KiB raw file (GitHub's raw host path).

Each read is also measured against the floor: the same bytes from an ASGI app with no code of ours on
granian as hubdepot runs it (bench/bare_app). Its ratio to nginx is the most any Python app on this
server reaches on this machine (0.83x on the machine the goals were set on, 0.48-0.66x on another
where system calls were cheap); the "/ floor" rows say how much of that hubdepot keeps."""

from __future__ import annotations

import base64

import httpx

from bench.common import Load, bare_serving, hubdepot, nginx, row, wrk

README = b"# bench\n" + b"words " * 1705  # 10 KiB
READS = {
    "GET /repos/{o}/{r}": "/api/v3/repos/admin/bench",
    "GET releases/latest": "/api/v3/repos/admin/bench/releases/latest",
    "GET contents 10 KiB": "/api/v3/repos/admin/bench/contents/README.md",
    "raw file 10 KiB": "/raw/admin/bench/main/README.md",
}


def _seed(srv, auth: dict) -> dict[str, bytes]:
    with httpx.Client(base_url=srv.api, headers=auth, timeout=30) as c:
        c.post("/user/repos", json={"name": "bench", "auto_init": True}).raise_for_status()
        sha = c.get("/repos/admin/bench/contents/README.md").json()["sha"]
        body = {"message": "10 KiB", "content": base64.b64encode(README).decode(), "sha": sha}
        c.put("/repos/admin/bench/contents/README.md", json=body).raise_for_status()
        for i in range(3):
            c.post("/repos/admin/bench/releases", json={"tag_name": f"v{i}", "body": "notes"}).raise_for_status()
    return {path: httpx.get(srv.url + path, headers=auth).content for path in READS.values()}


def _measure(env: dict, seconds: int, workers: int) -> tuple[dict[str, Load], dict[str, bytes]]:
    with hubdepot(workers, env=env) as srv:
        auth = {"Authorization": f"token {srv.token}"}
        bodies = _seed(srv, auth)
        loads = {}
        for name, path in READS.items():
            headers = {} if path.startswith("/raw/") else auth
            wrk(srv.url + path, seconds=1, headers=headers)  # warm
            loads[name] = wrk(srv.url + path, seconds=seconds, headers=headers)
    return loads, bodies


def run(seconds: int, workers: int) -> list[str]:
    warm, bodies = _measure({}, seconds, workers)
    cold, _ = _measure({"HUBDEPOT_READ_CACHE": "0"}, seconds, workers)
    files = {f"read{i}": bodies[path] for i, path in enumerate(READS.values())}  # (one path is another's prefix)
    with nginx(workers) as (origin, www):
        for file, body in files.items():
            (www / file).write_bytes(body)
        refs = {name: wrk(f"{origin}/read{i}", seconds=seconds) for i, name in enumerate(READS)}
    with bare_serving(files, workers) as origin:
        floors = {name: wrk(f"{origin}/read{i}", seconds=seconds) for i, name in enumerate(READS)}
    out = []
    for name in READS:
        floor = _floor(name, floors[name], refs[name])
        if name.startswith("raw"):
            out += _rows(name, warm[name], refs[name], ">= 0.5x nginx", 50) + floor
            out.append(_of_floor(name, warm[name], floors[name]))
            continue
        out += _rows(f"{name} (cache warm)", warm[name], refs[name], ">= 0.5x nginx", 20) + floor
        out.append(_of_floor(f"{name} (warm)", warm[name], floors[name]))
        out += _rows(f"{name} (cache off)", cold[name], refs[name], ">= 0.15x nginx", 50)
        out.append(_of_floor(f"{name} (off)", cold[name], floors[name]))
    return out


def _floor(name: str, floor: Load, ref: Load) -> list[str]:
    """The bare server's own ratio to nginx: the most a Python app on it reaches here."""
    p99 = f"p99 {floor.p99_ms} ms"
    return [row(f"{name} floor (bare granian)", floor.rps, ref.rps, "req/s", "none: the ceiling", p99)]


def _of_floor(name: str, ours: Load, floor: Load) -> str:
    return row(f"{name} / floor", ours.rps, floor.rps, "req/s", "none: what our code keeps")


def _rows(name: str, ours: Load, ref: Load, goal: str, p99_goal: int) -> list[str]:
    return [
        row(f"{name} req/s @64", ours.rps, ref.rps, "req/s", goal, f"errors={ours.errors}"),
        f"{name + ' p99 @64':<44} hubdepot {ours.p99_ms:>10.1f} ms     reference {ref.p99_ms:>10.1f} ms     "
        f"(goal p99 < {p99_goal} ms; p50 {ours.p50_ms:.1f} ms)",
    ]
