"""The floor under every hubdepot row: an ASGI app with no code of ours, answering bytes it holds
from memory, served by the same server hubdepot runs on (granian, uvloop, one worker). bench/reads
measures it beside nginx in the same run: what hubdepot's own code costs is the gap to this app,
and no Python app on this server can do better on this machine.

BENCH_BARE_ROOT names a directory; its file `name` answers `/name` (read once at start)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

_ROOT = Path(os.environ.get("BENCH_BARE_ROOT", "."))
_BODIES = {f"/{p.name}": p.read_bytes() for p in _ROOT.iterdir() if p.is_file()} if _ROOT.is_dir() else {}
_HEADERS = {
    path: [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    for path, body in _BODIES.items()
}


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = _BODIES.get(scope["path"])
    if body is None:
        await send({"type": "http.response.start", "status": 404, "headers": [(b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})
        return
    await send({"type": "http.response.start", "status": 200, "headers": _HEADERS[scope["path"]]})
    await send({"type": "http.response.body", "body": body})
