"""The pytest plugin (entry point `pytest11`): a `github` fixture backed by one
`hubdepot serve --ephemeral --port 0` per test session (per xdist worker), reset before each test.

    def test_release(github):
        gh = Github(base_url=github.api_url, auth=Auth.Token(github.token), seconds_between_writes=0)
        github.fail("POST /repos/{owner}/{repo}/releases", status=502)
        ...
        assert [r.status for r in github.requests] == [502, 201]

See docs/testing.md."""

from __future__ import annotations

import builtins
import dataclasses
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

EXPORT = re.compile(r"^export ([A-Z_]+)=(\S+)$")


@dataclasses.dataclass(frozen=True)
class Request:
    """One journal entry: what the code under test sent and what it was answered."""

    id: int
    method: str
    path: str  # under /api/v3 (or /api/uploads): "/repos/alice/widgets/releases"
    status: int
    params: dict[str, str]
    request_body: Any  # JSON as its value, text as str, other bytes None
    response_body: Any
    request_headers: dict[str, str]
    response_headers: dict[str, str]
    fault: int | None  # the injected fault that answered, if one did

    @property
    def json(self) -> Any:
        return self.request_body


@dataclasses.dataclass(frozen=True)
class Delivery:
    event: str
    action: str | None
    guid: str
    headers: dict[str, str]
    payload: Any


class Server:
    """The session's ephemeral server: its process and the variables it printed."""

    def __init__(self, args: list[str] | None = None, timeout: float = 60):
        import httpx

        cmd = [sys.executable, "-m", "hubdepot", "serve", "--ephemeral", "--port", "0", *(args or [])]
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (its stderr, kept while it runs, shown if it does not start)
        self.process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.log, text=True)
        self.env = self._exports()
        self.admin = httpx.Client(
            base_url=self.env["GITHUB_SERVER_URL"],
            headers={"authorization": f"token {self.env['GITHUB_TOKEN']}"},
            timeout=timeout,
        )
        self._wait(timeout)

    def _exports(self) -> dict[str, str]:
        assert self.process.stdout is not None
        env = {}
        for line in self.process.stdout:  # stdout ends after the last export line
            match = EXPORT.match(line.strip())
            if match:
                env[match[1]] = match[2].strip("'")
        if "GITHUB_TOKEN" not in env:
            self.process.wait(30)
            self.log.seek(0)
            text = self.log.read().decode(errors="replace")[-3000:]
            raise RuntimeError(f"hubdepot serve --ephemeral exited {self.process.returncode}:\n{text}")
        return env

    def _wait(self, timeout: float) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        while True:
            try:
                self.admin.get("/api/v3/meta").raise_for_status()
                return
            except httpx.TransportError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise
                time.sleep(0.02)

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.admin.request(method, f"/_hubdepot/{path}", **kwargs)
        if response.status_code >= 400:
            raise AssertionError(f"{method} /_hubdepot/{path}: {response.status_code} {response.text}")
        return response.json() if response.content else None

    def stop(self) -> None:
        self.admin.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # it removes its data dir on the way out
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


class Webhooks:
    """The built-in receiver: a hook whose url is `github.webhooks.url` (or, in a seed, none)."""

    def __init__(self, server: Server):
        self.server = server
        self.url = server.env["GITHUB_SERVER_URL"] + "/_hubdepot/webhooks"

    def list(self) -> list[Delivery]:
        return [Delivery(**d) for d in self.server.call("GET", "webhooks")]

    def __iter__(self) -> Iterator[Delivery]:
        return iter(self.list())

    def __len__(self) -> int:
        return len(self.list())

    def wait(
        self, event: str | None = None, action: str | None = None, count: int = 1, timeout: float = 10
    ) -> builtins.list[Delivery]:  # (`list` here is the method above)
        """The deliveries of `event` (and `action`) once `count` have arrived; AssertionError after `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            found = [d for d in self.list() if event in (None, d.event) and action in (None, d.action)]
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(found)} of {count} {event or ''} deliveries in {timeout} s")
            time.sleep(0.02)


class GitHub:
    """What a test gets: where the server is, the admin's token, seeding, the journal, faults."""

    def __init__(self, server: Server):
        self.server = server
        env = server.env
        self.url = env["GITHUB_SERVER_URL"]
        self.api_url = env["GITHUB_API_URL"]
        self.graphql_url = env["GITHUB_GRAPHQL_URL"]
        self.host = env["GH_HOST"]
        self.token = env["GITHUB_TOKEN"]
        self.env = dict(env)  # the variables the server printed (for subprocesses)
        self.webhooks = Webhooks(server)

    def seed(self, doc: dict[str, Any] | str | Path) -> list[str]:
        """Load a seed (a mapping, YAML/JSON text or a file's path); files it names must be inline."""
        import json

        if isinstance(doc, Path):
            doc = doc.read_text()
        body = json.dumps(doc) if isinstance(doc, dict) else doc
        kind = "application/json" if isinstance(doc, dict) else "application/yaml"
        answer = self.server.call("POST", "seed", content=body.encode(), headers={"content-type": kind})
        made: list[str] = answer["made"]
        return made

    @property
    def requests(self) -> list[Request]:
        fields = {f.name for f in dataclasses.fields(Request)}
        return [Request(**{k: v for k, v in e.items() if k in fields}) for e in self.server.call("GET", "requests")]

    def clear_requests(self) -> None:
        self.server.call("DELETE", "requests")

    def fail(
        self,
        route: str,
        status: int = 500,
        times: int | None = 1,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> int:
        """Answer `route` with `status` the next `times` requests (None: until cleared)."""
        spec = {"route": route, "kind": "fail", "status": status, "times": times, "body": body, "headers": headers}
        return self._add_fault(spec)

    def delay(self, route: str, seconds: float, times: int | None = None) -> int:
        spec = {"route": route, "kind": "delay", "seconds": seconds, "times": times}
        return self._add_fault(spec)

    def rate_limit(
        self,
        kind: str = "primary",
        retry_after: float = 60,
        route: str = "* /*",
        times: int | None = 1,
        status: int = 403,
    ) -> int:
        """GitHub's answer when the primary limit is spent (x-ratelimit-remaining: 0, reset in
        `retry_after` s) or a secondary limit is hit (retry-after), for the next `times` requests."""
        if kind not in ("primary", "secondary"):
            raise ValueError("kind: primary or secondary")
        spec = {"route": route, "kind": kind, "seconds": retry_after, "times": times, "status": status}
        return self._add_fault(spec)

    def _add_fault(self, spec: dict[str, object]) -> int:
        fault_id: int = self.server.call("POST", "faults", json=spec)["id"]
        return fault_id

    def clear_faults(self) -> None:
        self.server.call("DELETE", "faults")

    def reset(self) -> None:
        self.server.call("POST", "reset")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--hubdepot-args", default="", help="more arguments for the github fixture's `hubdepot serve --ephemeral`"
    )


@pytest.fixture(scope="session")
def hubdepot_server(pytestconfig: pytest.Config) -> Iterator[Server]:
    """One ephemeral hubdepot for the test session."""
    server = Server(pytestconfig.getoption("hubdepot_args").split())
    yield server
    server.stop()


@pytest.fixture
def github(hubdepot_server: Server) -> GitHub:
    """A GitHub in a clean state: no data but the admin and its token, no journal, no faults."""
    hubdepot_server.call("POST", "reset")
    return GitHub(hubdepot_server)
