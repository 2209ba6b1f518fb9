"""A real @octokit/webhooks receiver (tests/node/webhooks.mjs): it verifies every signature and
dispatches to its on(...) handlers; the payloads it got are valid by GitHub's own description of
its webhooks (@octokit/openapi-webhooks, GHES 3.19)."""

from __future__ import annotations

import base64
import shutil

import pytest

from tests.support.receivers import NodeReceiver, node_available, validate_payload

pytestmark = pytest.mark.skipif(not (node_available() and shutil.which("node")), reason="needs node and npm ci")

SECRET = "octokit's secret"


def test_octokit_webhooks_receives_every_event(user, repo):
    with NodeReceiver(SECRET) as node:
        r = user.api.post(
            f"/repos/{repo}/hooks",
            json={"config": {"url": node.url, "content_type": "json", "secret": SECRET}, "events": ["*"]},
        )
        assert r.status_code == 201, r.text
        put = user.api.put(
            f"/repos/{repo}/contents/README.md",
            json={
                "message": "hello",
                "content": base64.b64encode(b"hello").decode(),
                "sha": user.api.get(f"/repos/{repo}/contents/README.md").json()["sha"],
            },
        )
        assert put.status_code == 200, put.text
        release = user.api.post(
            f"/repos/{repo}/releases", json={"tag_name": "v1.0.0", "name": "v1", "body": "b"}
        ).json()
        user.api.patch(f"/repos/{repo}/releases/{release['id']}", json={"body": "better"})
        user.api.delete(f"/repos/{repo}/releases/{release['id']}")
        user.api.patch(f"/repos/{repo}", json={"description": "webhooks"})
        expected = [
            ("ping", None),
            ("push", None),
            ("create", None),
            ("push", None),
            ("release", "created"),
            ("release", "published"),
            ("release", "released"),
            ("release", "edited"),
            ("release", "deleted"),
            ("repository", "edited"),
        ]
        lines = node.wait_for(lambda lines: len(lines) >= len(expected))
    assert [(x.get("name"), x.get("action")) for x in lines] == expected, lines
    for line in lines:
        validate_payload(line["name"], line["payload"])
    assert lines[1]["payload"]["head_commit"]["message"] == "hello"
    assert lines[2]["payload"]["ref"] == "v1.0.0"
    assert len({x["id"] for x in lines}) == len(lines)


def test_octokit_webhooks_rejects_a_wrong_secret(user, repo):
    with NodeReceiver(SECRET) as node:
        r = user.api.post(
            f"/repos/{repo}/hooks",
            json={"config": {"url": node.url, "content_type": "json", "secret": "not the secret"}},
        )
        assert r.status_code == 201
        lines = node.wait_for(lambda lines: len(lines) >= 1)
    assert list(lines[0]) == ["rejected"]
