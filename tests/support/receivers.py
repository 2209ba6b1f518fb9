"""Webhook receivers for tests: a Python one (http.server in a thread, checking HMAC signatures)
and a node one (@octokit/webhooks: `verify` and `on(...)` handlers, tests/node/webhooks.mjs).
Both record what arrives; the payloads are checked against GitHub's own description of its webhooks
(@octokit/openapi-webhooks, generated/ghes-3.19.json: the GHES version hubdepot names itself)."""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from tests.support.server import ROOT, free_port

NODE_DIR = ROOT / "tests" / "node"
DESCRIPTION_PATH = NODE_DIR / "node_modules" / "@octokit" / "openapi-webhooks" / "generated" / "ghes-3.19.json"


@functools.cache
def _description() -> tuple[dict, dict[tuple[str, str | None], str]]:
    """GitHub's description and its index: (event, action) -> the request body's schema reference.
    The event is the webhook's x-github subcategory (the X-GitHub-Event header); the action, the
    value the schema's `action` property allows (None for events without actions: push, ping...)."""
    doc = json.loads(DESCRIPTION_PATH.read_text())
    schemas, index = doc["components"]["schemas"], {}
    for item in doc["webhooks"].values():
        operation = item["post"]
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        action = schemas[ref.rsplit("/", 1)[1]].get("properties", {}).get("action", {})
        for name in action.get("enum") or [action.get("const")]:
            index.setdefault((operation["x-github"]["subcategory"], name), ref)
    return doc, index


@functools.cache
def _validator(ref: str):
    import jsonschema

    # OpenAPI 3.1 schemas are JSON Schema 2020-12; the components ride along for the $refs.
    schema = {"$ref": ref, "components": _description()[0]["components"]}
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def validate_payload(event: str, payload: dict) -> None:
    """Raise jsonschema.ValidationError unless `payload` is what GitHub describes for this `event` and
    its action (an event or action GitHub does not describe fails too)."""
    import jsonschema

    ref = _description()[1].get((event, payload.get("action")))
    if ref is None:
        raise jsonschema.ValidationError(f"GitHub describes no {event} event with action {payload.get('action')!r}")
    errors = sorted(_validator(ref).iter_errors(payload), key=lambda e: list(e.absolute_path))
    if errors:
        raise jsonschema.ValidationError(
            "; ".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:10])
        )


class Delivery:
    def __init__(self, headers: dict, body: bytes, verified: bool | None):
        self.headers, self.body, self.verified = headers, body, verified

    @property
    def event(self) -> str:
        return self.headers["x-github-event"]

    @property
    def guid(self) -> str:
        return self.headers["x-github-delivery"]

    @property
    def payload(self) -> dict:
        if self.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return json.loads(parse_qs(self.body.decode())["payload"][0])
        return json.loads(self.body)


class PyReceiver:
    """Records every POST; answers `status` (200 by default); checks X-Hub-Signature(-256) with `secret`."""

    def __init__(
        self,
        secret: str | None = None,
        port: int | None = None,
        status: int = 200,
        delay: float = 0,
        answer: bytes = b"thanks",
        headers: dict | None = None,
    ):
        self.secret, self.status, self.delay, self.answer = secret, status, delay, answer
        self.headers = headers or {}
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.received: list[Delivery] = []
        self._lock = threading.Condition()
        self._server = None

    def start(self) -> PyReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as most receivers
            disable_nagle_algorithm = True

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                headers = {k.lower(): v for k, v in self.headers.items()}
                if receiver.delay:
                    time.sleep(receiver.delay)
                receiver._record(Delivery(headers, body, receiver._verify(headers, body)))
                self.send_response(receiver.status)
                self.send_header("content-type", "text/plain")
                self.send_header("content-length", str(len(receiver.answer)))
                for key, value in receiver.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(receiver.answer)

            def log_message(self, *args):
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _verify(self, headers: dict, body: bytes) -> bool | None:
        if not self.secret:
            return None
        key = self.secret.encode()
        sha256 = "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
        sha1 = "sha1=" + hmac.new(key, body, hashlib.sha1).hexdigest()
        return hmac.compare_digest(headers.get("x-hub-signature-256", ""), sha256) and hmac.compare_digest(
            headers.get("x-hub-signature", ""), sha1
        )

    def _record(self, delivery: Delivery) -> None:
        with self._lock:
            self.received.append(delivery)
            self._lock.notify_all()

    def wait_for(self, predicate, timeout: float = 20) -> list[Delivery]:
        """Wait until predicate(received) is true; the deliveries so far."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while not predicate(self.received):
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [(d.event, d.payload.get("action")) for d in self.received]
                    raise AssertionError(f"timed out; received {seen}")
                self._lock.wait(left)
            return list(self.received)

    def events(self) -> list[tuple[str, str | None]]:
        with self._lock:
            return [(d.event, d.payload.get("action")) for d in self.received]

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class NodeReceiver:
    """tests/node/webhooks.mjs: @octokit/webhooks verifying signatures and dispatching with on(...);
    it prints one JSON line per event it accepted (and per signature it rejected)."""

    def __init__(self, secret: str):
        self.secret = secret
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.lines: list[dict] = []
        self._process = None

    def start(self) -> NodeReceiver:
        self._process = subprocess.Popen(
            ["node", str(NODE_DIR / "webhooks.mjs"), str(self.port), self.secret],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=NODE_DIR,
            text=True,
        )
        ready = self._process.stdout.readline()
        assert ready.startswith("listening"), ready + self._process.stderr.read()
        threading.Thread(target=self._read, daemon=True).start()
        return self

    def _read(self) -> None:
        for line in self._process.stdout:
            self.lines.append(json.loads(line))

    def wait_for(self, predicate, timeout: float = 20) -> list[dict]:
        deadline = time.monotonic() + timeout
        while not predicate(self.lines):
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"timed out; node received {[(x.get('name'), x.get('action')) for x in self.lines]}"
                )
            time.sleep(0.05)
        return list(self.lines)

    def stop(self) -> None:
        if self._process and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(10)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def node_available() -> bool:
    return (NODE_DIR / "node_modules" / "@octokit" / "webhooks").is_dir() and DESCRIPTION_PATH.is_file()
