"""Web pages at 16 connections: the repository page, the blob page of a 5,000-line file, and a release
page with 1,000 assets (goals: p50 < 30 ms, p99 < 100 ms, < 100 KB before compression), each against
nginx serving the same HTML as a static file (browsers' Accept-Encoding: gzip on both sides).
Anonymous visitors (pages kept up to 5 s) and a signed-in browser (every page rendered) separately."""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib

import httpx

from bench.common import hubdepot, nginx, row, wrk

CONNECTIONS = 16
GZIP = {"Accept-Encoding": "gzip"}


def _source(lines: int) -> str:
    out = []
    for i in range(lines // 5):
        out += [
            f"def handler_{i}(request, value={i}):",
            f'    """Handle case {i}."""',
            f"    total = value * {i % 7} + len(request)",
            f"    return {{'id': {i}, 'total': total}}",
            "",
        ]
    return "\n".join(out) + "\n"


def _assets(srv, release_id: int, count: int) -> None:
    """`count` uploaded assets on a release, as rows (the bytes are not what this measures)."""
    from hubdepot.app import create_hub
    from hubdepot.config import Settings
    from hubdepot.db.tables import release_assets

    hub = create_hub(Settings.load(data_dir=srv.data_dir, public_url=srv.url))
    stamp = dt.datetime.now(dt.UTC)
    rows = [
        dict(
            release_id=release_id,
            name=f"tool-{i}-linux-amd64.tar.gz",
            label=None,
            content_type="application/gzip",
            state="uploaded",
            size=1000 + i,
            digest=hashlib.sha256(str(i).encode()).hexdigest(),
            blob_key=None,
            download_count=i,
            uploader_id=1,
            created_at=stamp,
            updated_at=stamp,
        )
        for i in range(count)
    ]
    with hub.db.write() as conn:
        conn.execute(release_assets.insert(), rows)
    hub.db.dispose()


def setup(srv) -> dict[str, str]:
    auth = {"Authorization": f"token {srv.token}"}
    with httpx.Client(base_url=srv.api, headers=auth, timeout=60) as api:
        api.post("/user/repos", json={"name": "site", "auto_init": True, "description": "Bench"}).raise_for_status()
        content = base64.b64encode(_source(5000).encode()).decode()
        api.put("/repos/admin/site/contents/src/big.py", json={"message": "big", "content": content}).raise_for_status()
        release = api.post("/repos/admin/site/releases", json={"tag_name": "v1", "body": "## Notes\n\n* many"}).json()
    _assets(srv, release["id"], 1000)
    return {
        "repository page": f"{srv.url}/admin/site",
        "blob page, 5,000 lines": f"{srv.url}/admin/site/blob/main/src/big.py",
        "release page, 1,000 assets": f"{srv.url}/admin/site/releases/tag/v1",
    }


def session(srv) -> str:
    """A signed-in browser's Cookie header (the admin, through the sign-in form)."""
    import re

    from hubdepot.app import create_hub
    from hubdepot.config import Settings
    from hubdepot.services import sessions

    hub = create_hub(Settings.load(data_dir=srv.data_dir, public_url=srv.url))
    sessions.set_password(hub, "admin", "bench-password")
    hub.db.dispose()
    with httpx.Client(base_url=srv.url, timeout=60) as client:
        token = re.search(r'authenticity_token" value="([^"]+)"', client.get("/login").text).group(1)
        client.post("/session", data={"login": "admin", "password": "bench-password", "authenticity_token": token})
        return f"user_session={client.cookies['user_session']}"


def run(seconds: int, workers: int) -> list[str]:
    out, bodies, loads, signed = [], {}, {}, {}
    with hubdepot(workers) as srv:
        pages = setup(srv)
        cookie = session(srv)
        for name, url in pages.items():
            r = httpx.get(url, timeout=60)
            r.raise_for_status()
            bodies[name] = r.content
            loads[name] = wrk(url, connections=CONNECTIONS, seconds=seconds, headers=GZIP)
            signed[name] = wrk(url, connections=CONNECTIONS, seconds=seconds, headers={**GZIP, "Cookie": cookie})
    with nginx(workers) as (origin, www):
        for i, (name, body) in enumerate(bodies.items()):
            (www / f"p{i}.html").write_bytes(body)
            (www / f"p{i}.html.gz").write_bytes(gzip.compress(body))
            ref = wrk(f"{origin}/p{i}.html", connections=CONNECTIONS, seconds=seconds, headers=GZIP)
            ours = loads[name]
            size, packed = len(bodies[name]), len(gzip.compress(bodies[name], 5))
            out.append(
                row(
                    f"{name} req/s @{CONNECTIONS}",
                    ours.rps,
                    ref.rps,
                    "req/s",
                    "p50 < 30 ms, p99 < 100 ms",
                    f"p50 {ours.p50_ms:.1f} ms, p99 {ours.p99_ms:.1f} ms, errors={ours.errors}; "
                    f"{size / 1024:.1f} KB ({packed / 1024:.1f} KB gzipped)",
                )
            )
            mine = signed[name]
            out.append(
                row(
                    f"  signed in req/s @{CONNECTIONS}",
                    mine.rps,
                    ref.rps,
                    "req/s",
                    "p50 < 30 ms, p99 < 100 ms",
                    f"p50 {mine.p50_ms:.1f} ms, p99 {mine.p99_ms:.1f} ms, errors={mine.errors}",
                )
            )
    return out
