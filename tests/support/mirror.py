"""For the `hubdepot mirror` tests: a second hubdepot seeded as a source, the mirror command run as a
user would, release JSON compared apart from host and ids, and a faulty proxy in front of a source."""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time

import httpx

from tests.support.releases import upload

MB = 1024 * 1024


def blob(seed: str, size: int) -> bytes:
    """Deterministic, incompressible-enough bytes."""
    block = hashlib.sha256(seed.encode()).digest() * 2048  # 64 KiB
    out = bytearray()
    i = 0
    while len(out) < size:
        out += hashlib.sha256(f"{seed}{i}".encode()).digest() + block[: 64 * 1024 - 32]
        i += 1
    return bytes(out[:size])


def seed(api: httpx.Client, owner: str, name: str, *, big: int = 3 * MB, tags: int = 25, private=False) -> dict:
    """A repository at the source with branches, many tags, releases (latest pinned elsewhere than the
    newest, a prerelease, a draft) and assets of several MB. Returns {asset name: bytes}."""
    r = api.post(
        f"/orgs/{owner}/repos",
        json={
            "name": name,
            "auto_init": True,
            "private": private,
            "description": "mirrored thing",
            "homepage": "https://example.com/x",
        },
    )
    assert r.status_code == 201, r.text
    full = f"{owner}/{name}"
    main = api.get(f"/repos/{full}/git/ref/heads/main").json()["object"]["sha"]
    for i in range(tags):
        assert api.post(f"/repos/{full}/git/refs", json={"ref": f"refs/tags/t{i:03d}", "sha": main}).status_code == 201
    assert api.post(f"/repos/{full}/git/refs", json={"ref": "refs/heads/dev", "sha": main}).status_code == 201
    files = {}

    def release(tag, assets, **spec):
        rel = api.post(
            f"/repos/{full}/releases",
            json={"tag_name": tag, "name": f"Release {tag}", "body": f"Notes for **{tag}**", **spec},
        )
        assert rel.status_code == 201, rel.text
        for asset_name, data, extra in assets:
            up = upload(api, rel.json(), asset_name, data, **extra)
            assert up.status_code == 201, up.text
            files[asset_name] = data
        return rel.json()

    release(
        "v1.0",
        [
            ("tool-1.0.tar.gz", blob(owner + "a", big), {"label": "Source tarball"}),
            ("small.txt", f"hello from {owner}\n".encode(), {}),
        ],
    )
    release("v1.1-rc1", [("tool-1.1rc1.bin", blob(owner + "b", big // 2 + 7), {})], prerelease=True)
    release(
        "v1.1",
        [("tool-1.1.bin", blob(owner + "c", big + 11), {}), ("checksums.txt", owner.encode() * 10, {})],
        make_latest="false",
    )
    release("v2.0-draft", [("draft.bin", blob(owner + "d", 1000), {})], draft=True)
    return files


def run_mirror(server, *args, token: str | None = None, timeout: float = 120, check: bool = True):
    env = dict(server.env)
    env.pop("HUBDEPOT_MIRROR_TOKEN", None)
    if token:
        env["HUBDEPOT_MIRROR_TOKEN"] = token
    result = subprocess.run(
        [sys.executable, "-m", "hubdepot", "mirror", *args, "--data-dir", str(server.data_dir)],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check:
        assert result.returncode == 0, result.stderr[-3000:]
    return result


def summary(result) -> dict:
    body = json.loads(result.stdout)
    assert not body["errors"], body["errors"]
    (one,) = body["repositories"]
    return one


_IDS = re.compile(r"/(releases|assets|u)/\d+")
_UNTAGGED = re.compile(r"untagged-[0-9a-f]{20}")
_DROP = {"id", "node_id", "download_count", "avatar_url"}


def comparable(value, origin: str):
    """A release body with the host, ids and download counts taken out."""
    if isinstance(value, dict):
        return {k: comparable(v, origin) for k, v in value.items() if k not in _DROP}
    if isinstance(value, list):
        return [comparable(v, origin) for v in value]
    if isinstance(value, str):
        return _UNTAGGED.sub("untagged-X", _IDS.sub(r"/\1/N", value.replace(origin, "ORIGIN")))
    return value


def all_releases(api: httpx.Client, full: str) -> list[dict]:
    r = api.get(f"/repos/{full}/releases", params={"per_page": 100})
    assert r.status_code == 200, r.text
    return r.json()


def download_counts(api: httpx.Client, full: str) -> dict[str, int]:
    return {a["name"]: a["download_count"] for rel in all_releases(api, full) for a in rel["assets"]}


def ls_remote(url: str) -> dict[str, str]:
    out = subprocess.run(
        ["git", "ls-remote", url],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
    ).stdout
    return {ref: sha for sha, ref in (line.split("\t") for line in out.splitlines()) if ref != "HEAD"}


class FaultyProxy:
    """An HTTP proxy in front of a source hubdepot that misbehaves on demand: answers 500, 403
    rate-limited (primary: X-RateLimit-Remaining 0; secondary: Retry-After), cuts asset downloads
    halfway, slows them down, or redirects them to another origin (recording whether the token
    followed). Set the counters in `faults`; each fault is used up once per request."""

    def __init__(self, upstream: str = ""):
        from http.server import ThreadingHTTPServer

        self.upstream = upstream
        self.faults = {"error_500": 0, "rate_limited": 0, "secondary": 0, "cut_asset": 0, "redirect_asset": 0}
        self.slow = 0.0  # seconds of sleep per 64 KiB of asset bytes
        self.blob_authorizations: list[str | None] = []
        self.asset_ranges: list[str | None] = []  # the Range header of each asset request
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def take(self, name: str) -> bool:
        with self.lock:
            if self.faults[name] > 0:
                self.faults[name] -= 1
                return True
            return False

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _handler(proxy: FaultyProxy):
    from http.server import BaseHTTPRequestHandler

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"  # every answer ends by closing: no framing to get wrong

        def log_message(self, *args):
            pass

        def do_GET(self):
            self._handle()

        def do_POST(self):
            self._handle()

        def _json(self, status: int, body: dict, headers: dict | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            for k, v in {
                "content-type": "application/json",
                "content-length": str(len(data)),
                **(headers or {}),
            }.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def _handle(self):
            api = self.path.startswith("/api/")
            asset = "octet-stream" in self.headers.get("accept", "")
            if asset:
                proxy.asset_ranges.append(self.headers.get("range"))
            if self.path.startswith("/blob/"):
                proxy.blob_authorizations.append(self.headers.get("authorization"))
                self.path = self.path[len("/blob") :]
                del self.headers["authorization"]
            elif api and proxy.take("error_500"):
                return self._json(500, {"message": "Server Error"})
            elif api and proxy.take("rate_limited"):
                return self._json(
                    403,
                    {"message": "API rate limit exceeded for user."},
                    {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(time.time()) + 1)},
                )
            elif api and proxy.take("secondary"):
                return self._json(403, {"message": "You have exceeded a secondary rate limit."}, {"retry-after": "1"})
            elif asset and proxy.take("redirect_asset"):
                self.send_response(302)
                self.send_header("location", f"http://localhost:{proxy.port}/blob{self.path}")
                self.send_header("content-length", "0")
                self.end_headers()
                return
            self._forward(asset and proxy.take("cut_asset"), asset)

        def _body(self) -> bytes:
            if self.headers.get("transfer-encoding", "").lower() == "chunked":
                out = bytearray()
                while True:
                    size = int(self.rfile.readline().split(b";")[0], 16)
                    if size == 0:
                        self.rfile.readline()
                        return bytes(out)
                    out += self.rfile.read(size)
                    self.rfile.readline()
            return self.rfile.read(int(self.headers.get("content-length") or 0))

        def _forward(self, cut: bool, asset: bool) -> None:
            skip = {"host", "connection", "transfer-encoding", "content-length", "keep-alive"}
            headers = {k: v for k, v in self.headers.items() if k.lower() not in skip}
            body = self._body() if self.command == "POST" else None
            with httpx.Client(timeout=120) as client:
                request = client.build_request(self.command, proxy.upstream + self.path, headers=headers, content=body)
                response = client.send(request, stream=True)
                try:
                    self.send_response(response.status_code)
                    for k, v in response.headers.multi_items():
                        if k.lower() not in ("transfer-encoding", "connection", "keep-alive"):
                            self.send_header(k, v)
                    self.end_headers()
                    sent, limit = 0, int(response.headers.get("content-length") or 0) // 2
                    for chunk in response.iter_raw(64 * 1024):
                        if cut and sent + len(chunk) > limit:
                            self.wfile.write(chunk[: max(limit - sent, 0)])
                            self.wfile.flush()
                            self.connection.shutdown(socket.SHUT_RDWR)
                            return
                        self.wfile.write(chunk)
                        sent += len(chunk)
                        if asset and proxy.slow:
                            time.sleep(proxy.slow)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                finally:
                    response.close()

    return Handler
