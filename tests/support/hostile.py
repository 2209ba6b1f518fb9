"""A hostile mirror source for the security tests: a small HTTP server that answers whatever JSON a
test crafts and records every request it gets (path, and whether a token came with it)."""

from __future__ import annotations

import dataclasses
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclasses.dataclass
class Seen:
    path: str
    authorization: str | None


class Hostile:
    """Routes are exact paths (query included); anything else is a 404. Answers are
    (status, headers, body); a dict or list body is sent as JSON."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, dict, object]] = {}
        self.seen: list[Seen] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.seen.append(Seen(self.path, self.headers.get("authorization")))
                status, headers, body = owner.routes.get(self.path, (404, {}, {"message": "Not Found"}))
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                if not isinstance(body, bytes):
                    self.send_header("Content-Type", "application/json")
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_HEAD = do_GET

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def answer(self, path: str, body: object, status: int = 200, **headers: str) -> None:
        self.routes[path] = (status, headers, body)

    def repository(self, owner: str, name: str, **fields) -> dict:
        """GET /api/v3/repos/OWNER/NAME answered with a plausible repository and `fields`."""
        body = {
            "id": 1,
            "name": name,
            "full_name": f"{owner}/{name}",
            "owner": {"login": owner, "id": 1, "type": "User"},
            "private": False,
            "description": "hostile",
            "homepage": None,
            "default_branch": "main",
            "clone_url": f"{self.url}/{owner}/{name}.git",
            **fields,
        }
        self.answer(f"/api/v3/repos/{owner}/{name}", body)
        self.answer(f"/api/v3/repos/{owner}/{name}/releases/latest", {"message": "Not Found"}, 404)
        return body

    def releases(self, owner: str, name: str, items: list, **headers: str) -> None:
        self.answer(f"/api/v3/repos/{owner}/{name}/releases?per_page=100", items, **headers)

    def paths(self) -> list[str]:
        return [s.path for s in self.seen]


def release(id_: int, tag: str, **fields) -> dict:
    return {
        "id": id_,
        "tag_name": tag,
        "target_commitish": "main",
        "name": f"Release {tag}",
        "body": "notes",
        "draft": False,
        "prerelease": False,
        "created_at": f"2024-01-0{id_ % 9 + 1}T00:00:00Z",
        "published_at": f"2024-01-0{id_ % 9 + 1}T00:00:00Z",
        "author": {"login": "someone", "id": 7, "type": "User"},
        "assets": [],
        **fields,
    }


def asset(id_: int, name: str, url: str, size: int, **fields) -> dict:
    return {
        "id": id_,
        "name": name,
        "label": None,
        "content_type": "application/octet-stream",
        "state": "uploaded",
        "size": size,
        "created_at": "2024-01-01T00:00:00Z",
        "updated_at": "2024-01-01T00:00:00Z",
        "url": url,
        "uploader": {"login": "someone", "id": 7, "type": "User"},
        **fields,
    }
