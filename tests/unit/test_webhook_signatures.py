"""Webhook requests: GitHub's documented signature example, the form encoding, the headers."""

from __future__ import annotations

from urllib.parse import parse_qs

from hubdepot import GHES_VERSION
from hubdepot.events.delivery import Target, request_of


def _target(content_type: str, secret: str | None = "It's a Secret to Everybody") -> Target:
    return Target(7, "http://127.0.0.1:9/hook", content_type, secret, False, "repository", 42, "depot.example:8443")


def test_githubs_documented_signature():
    headers, body = request_of(_target("json"), "push", "guid-1", b"Hello, World!")
    assert body == b"Hello, World!"
    assert headers["X-Hub-Signature-256"] == "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert headers["X-Hub-Signature"].startswith("sha1=") and len(headers["X-Hub-Signature"]) == 45
    assert headers["Content-Type"] == "application/json"
    assert headers["X-GitHub-Hook-ID"] == "7" and headers["X-GitHub-Hook-Installation-Target-ID"] == "42"
    assert headers["User-Agent"].startswith("GitHub-Hookshot/")
    assert headers["X-GitHub-Enterprise-Host"] == "depot.example:8443"  # as GitHub Enterprise Server names itself
    assert headers["X-GitHub-Enterprise-Version"] == GHES_VERSION


def test_form_bodies_carry_the_json_in_payload_and_are_signed_as_sent():
    headers, body = request_of(_target("form", secret=None), "ping", "g", b'{"zen": "a & b = c"}')
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert parse_qs(body.decode()) == {"payload": ['{"zen": "a & b = c"}']}
    assert "X-Hub-Signature-256" not in headers and "X-Hub-Signature" not in headers
