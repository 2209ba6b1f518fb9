"""Webhook delivery that loses nothing: retries with backoff, timeouts, no redirects, a slow receiver
holding up only its own hook, the payload cap, forbidden private targets; SIGKILL with the receiver
down or mid-delivery (every committed event arrives after a restart); two serve processes on one
PostgreSQL database sharing 1,000 deliveries, one of them killed on the way."""

from __future__ import annotations

import base64
import collections
import time

import httpx
import pytest

from tests.conftest import PG_URL
from tests.support import server as server_support
from tests.support.receivers import PyReceiver, validate_payload

FAST = {
    "HUBDEPOT_WEBHOOK_BACKOFF_MS": "200",
    "HUBDEPOT_WEBHOOK_TIMEOUT": "1",
    "HUBDEPOT_WEBHOOK_LEASE_SECONDS": "3",
    "HUBDEPOT_WEBHOOK_POLL_MS": "100",
}


def _client(srv) -> httpx.Client:
    return httpx.Client(base_url=srv.api, headers={"Authorization": f"token {srv.token}"}, timeout=30)


def _repo(c: httpx.Client, name: str) -> str:
    r = c.post("/user/repos", json={"name": name, "auto_init": True})
    assert r.status_code == 201, r.text
    return f"admin/{name}"


def _hook(c: httpx.Client, repo: str, url: str, events=("*",)) -> int:
    r = c.post(f"/repos/{repo}/hooks", json={"config": {"url": url, "content_type": "json"}, "events": list(events)})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _log(c: httpx.Client, repo: str, hook_id: int, until, timeout: float = 20) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        items = c.get(f"/repos/{repo}/hooks/{hook_id}/deliveries", params={"per_page": 100}).json()
        if until(items) or time.monotonic() > deadline:
            return items
        time.sleep(0.1)


def _put(c: httpx.Client, repo: str, path: str) -> None:
    r = c.put(f"/repos/{repo}/contents/{path}", json={"message": path, "content": base64.b64encode(b"x").decode()})
    assert r.status_code == 201, r.text


@pytest.fixture(scope="module")
def fast(tmp_path_factory):
    srv = server_support.start(tmp_path_factory.mktemp("hooks-fast"), env=FAST)
    yield srv
    srv.stop()


def test_failed_deliveries_are_retried_with_backoff(fast):
    c = _client(fast)
    repo = _repo(c, "retry")
    with PyReceiver(status=500, answer=b"x" * 200_000) as rec:
        hook = _hook(c, repo, rec.url)
        rec.wait_for(lambda got: len(got) >= 3)  # ping, retried
        rec.status = 200
        items = _log(c, repo, hook, lambda items: items and items[0]["status"] == "OK")
    assert items[0]["status"] == "OK" and items[0]["status_code"] == 200 and items[0]["event"] == "ping"
    guids = {d.guid for d in rec.received}
    assert len(guids) == 1 and len(rec.received) >= 3  # the same delivery, again and again
    one = c.get(f"/repos/{repo}/hooks/{hook}/deliveries/{items[0]['id']}").json()
    assert len(one["response"]["payload"]) == 64 * 1024  # a receiver's answer is kept truncated


def test_redirects_are_not_followed(fast):
    c = _client(fast)
    repo = _repo(c, "redirect")
    with PyReceiver() as target, PyReceiver(status=302, headers={"Location": "http://127.0.0.1:1/"}) as rec:
        rec.headers["Location"] = target.url
        hook = _hook(c, repo, rec.url)
        items = _log(c, repo, hook, lambda items: items and items[0]["status"] != "Pending")
        assert items[0]["status"] == "Invalid HTTP Response: 302" and items[0]["status_code"] == 302
        time.sleep(0.3)
        assert target.received == []


def test_a_slow_receiver_holds_up_only_its_own_hook(fast):
    c = _client(fast)
    repo = _repo(c, "slow")
    with PyReceiver(delay=3) as slow, PyReceiver() as quick:
        slow_hook = _hook(c, repo, slow.url, ["push"])
        _hook(c, repo, quick.url, ["push"])
        for i in range(5):
            _put(c, repo, f"f{i}")
        written = time.monotonic()
        quick.wait_for(lambda got: len(got) == 6, timeout=10)
        assert time.monotonic() - written < 4  # the slow hook needs 6 x 1 s (its timeout) for the same
        items = _log(c, repo, slow_hook, lambda items: any(d["status"] == "timed out" for d in items))
        assert any(d["status"] == "timed out" for d in items)


def test_payload_cap_and_private_targets(tmp_path):
    env = {**FAST, "HUBDEPOT_WEBHOOK_PAYLOAD_MAX_BYTES": "4k", "HUBDEPOT_WEBHOOK_FORBID_PRIVATE": "1"}
    srv = server_support.start(tmp_path / "data", env=env)
    try:
        c = _client(srv)
        repo = _repo(c, "capped")
        with PyReceiver() as rec:
            hook = _hook(c, repo, rec.url)
            items = _log(c, repo, hook, lambda items: items and items[0]["status"] != "Pending")
            assert items[0]["status"].startswith("Payload too large") and items[0]["status_code"] == 0
            c.patch(f"/repos/{repo}/hooks/{hook}", json={"events": ["delete"]})
            assert c.post(f"/repos/{repo}/hooks/{hook}/pings").status_code == 204
            time.sleep(1)
        assert rec.received == []
    finally:
        srv.stop()
    env["HUBDEPOT_WEBHOOK_PAYLOAD_MAX_BYTES"] = "25m"
    srv = server_support.start(tmp_path / "data", env=env)
    try:
        c = _client(srv)
        with PyReceiver() as rec:
            hook2 = _hook(c, repo, rec.url.replace("127.0.0.1", "localhost"))
            items = _log(c, repo, hook2, lambda items: items and items[0]["status"] != "Pending")
            assert "private or loopback" in items[0]["status"]
        assert rec.received == []
    finally:
        srv.stop()


def _release(c: httpx.Client, repo: str, tag: str) -> None:
    r = c.post(f"/repos/{repo}/releases", json={"tag_name": tag, "name": tag, "body": "notes"})
    assert r.status_code == 201, r.text


def _actions(got, tag: str) -> set[str]:
    return {d.payload["action"] for d in got if d.event == "release" and d.payload["release"]["tag_name"] == tag}


def test_sigkill_loses_no_event(tmp_path):
    """Receiver down: release created, server killed, restarted, receiver up: the events arrive.
    Then receiver up but slow: killed mid-delivery, restarted: they arrive again (at least once)."""
    data = tmp_path / "data"
    port = server_support.free_port()
    srv = server_support.start(data, env=FAST)
    c = _client(srv)
    repo = _repo(c, "kill")
    _hook(c, repo, f"http://127.0.0.1:{port}/hook", ["release"])
    _release(c, repo, "v1")
    time.sleep(0.5)  # an attempt or two fail against the closed port
    srv.crash()
    srv = server_support.start(data, env=FAST)
    try:
        with PyReceiver(port=port) as rec:
            got = rec.wait_for(lambda got: _actions(got, "v1") >= {"created", "published", "released"}, timeout=30)
            for d in got:
                validate_payload(d.event, d.payload)
            rec.delay = 1.0
            _release(_client(srv), repo, "v2")
            rec.wait_for(lambda got: _actions(got, "v2"))
            srv.crash()  # mid-delivery: the receiver is sleeping on v2's next event
            rec.delay = 0
            srv = server_support.start(data, env=FAST)
            rec.wait_for(lambda got: _actions(got, "v2") >= {"created", "published", "released"}, timeout=30)
    finally:
        srv.stop()
    assert "Traceback" not in srv.log.read_text()


def _scratch_pg() -> str:
    import psycopg

    base, _, name = PG_URL.rpartition("/")
    scratch = f"{name}_webhooks"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{scratch}"')
    return f"{base}/{scratch}"


@pytest.mark.skipif(not PG_URL, reason="needs HUBDEPOT_TEST_DATABASE_URL (PostgreSQL)")
def test_two_processes_share_1000_deliveries_on_postgresql(tmp_path):
    """10 hooks x 100 commits; two serve processes deliver; one is SIGKILLed on the way. None is lost,
    duplicates (re-sent after the kill) are counted."""
    url = _scratch_pg()
    data = tmp_path / "data"
    env = {**FAST, "HUBDEPOT_WEBHOOK_TIMEOUT": "2", "HUBDEPOT_WEBHOOK_LEASE_SECONDS": "3"}
    first = server_support.start(data, url, env=env)
    second = server_support.start(data, url, env=env)
    try:
        c = _client(first)
        repo = _repo(c, "many")
        with PyReceiver() as rec:
            for n in range(10):
                _hook(c, repo, f"{rec.url}?n={n}", ["push"])
            started = time.monotonic()
            for i in range(100):
                _put(c, repo, f"f{i}")
            rec.wait_for(lambda got: len(got) >= 400, timeout=60)
            first.crash()
            rec.wait_for(lambda got: len({(d.headers["x-github-hook-id"], d.guid) for d in got}) >= 1010, timeout=60)
            elapsed = time.monotonic() - started
            keys = collections.Counter((d.headers["x-github-hook-id"], d.guid) for d in rec.received)
    finally:
        first.stop()
        second.stop()
    pushes = {k for k in keys if k[1] not in {d.guid for d in rec.received if d.event == "ping"}}
    duplicates = sum(keys.values()) - len(keys)
    print(
        f"\n1,000 push deliveries + 10 pings over two processes (one killed): {len(keys)} distinct, "
        f"{duplicates} duplicates, {elapsed:.1f} s"
    )
    assert len(pushes) == 1000 and len(keys) == 1010
    # at most what the killed process had sent but not yet recorded: a batch (queue.due's 20) per hook
    assert duplicates <= 10 * 20
