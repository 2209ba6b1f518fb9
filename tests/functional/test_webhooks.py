"""Webhooks through the API: hooks of repositories and organisations, and the events a real
receiver gets (HMAC checked, payloads valid by GitHub's own description of its webhooks for GHES
3.19: @octokit/openapi-webhooks), the deliveries log and redelivery. Every API answer is checked
against GitHub's OpenAPI description (CheckedClient)."""

from __future__ import annotations

import base64
import json
import re
import time

import pytest

from hubdepot import GHES_VERSION
from tests.conftest import unique
from tests.support.receivers import PyReceiver, validate_payload
from tests.support.releases import upload

SECRET = "It's a Secret to Everybody"


@pytest.fixture
def receiver():
    with PyReceiver(secret=SECRET) as rec:
        yield rec


def _hook(api, repo: str, url: str, **extra) -> dict:
    body = {"config": {"url": url, "content_type": "json", "secret": SECRET}, "events": ["*"]} | extra
    r = api.post(f"/repos/{repo}/hooks", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def _put(api, repo: str, path: str, text: str, sha: str | None = None) -> dict:
    body = {"message": f"write {path}", "content": base64.b64encode(text.encode()).decode()}
    if sha:
        body["sha"] = sha
    r = api.put(f"/repos/{repo}/contents/{path}", json=body)
    assert r.status_code in (200, 201), r.text
    return r.json()


def settled(api, base: str, count: int, timeout: float = 20) -> list[dict]:
    """The hook's deliveries log once `count` deliveries have an outcome (the receiver sees a request
    a moment before the server records its answer)."""
    deadline = time.monotonic() + timeout
    while True:
        items = api.get(base, params={"per_page": 100}).json()
        done = [d for d in items if d["status"] != "Pending"]
        if len(done) >= count or time.monotonic() > deadline:
            return items
        time.sleep(0.05)


def _checked(deliveries) -> None:
    for d in deliveries:
        assert d.verified, d.headers
        validate_payload(d.event, d.payload)


def test_hook_crud_and_secret_never_shown(user, repo, receiver):
    hook = _hook(user.api, repo, receiver.url, events=["push", "release"])
    assert hook["config"] == {"content_type": "json", "insecure_ssl": "0", "url": receiver.url, "secret": "********"}
    assert hook["events"] == ["push", "release"] and hook["active"] is True and hook["type"] == "Repository"
    assert hook["last_response"] == {"code": None, "status": "unused", "message": None}
    url = f"/repos/{repo}/hooks/{hook['id']}"
    settled(user.api, url + "/deliveries", 1)  # the ping
    assert user.api.get(f"/repos/{repo}/hooks").json() == [user.api.get(url).json()]
    assert user.api.get(url).json()["last_response"] == {"code": 200, "status": "active", "message": "OK"}
    r = user.api.patch(url, json={"add_events": ["create"], "remove_events": ["push"], "active": False})
    assert r.status_code == 200 and r.json()["events"] == ["release", "create"] and r.json()["active"] is False
    r = user.api.patch(url + "/config", json={"content_type": "form", "secret": ""})
    assert r.json() == {"content_type": "form", "insecure_ssl": "0", "url": receiver.url}
    assert user.api.get(url + "/config").json() == r.json()
    assert user.api.delete(url).status_code == 204
    assert user.api.get(url).status_code == 404
    assert user.api.get(f"/repos/{repo}/hooks").json() == []


def test_hooks_need_admin(user, repo, make_user, client_for, receiver):
    _login, token = make_user()
    other = client_for(token)
    r = other.get(f"/repos/{repo}/hooks")
    assert r.status_code == 403 and r.json()["message"] == "Must have admin rights to Repository."
    assert other.post(f"/repos/{repo}/hooks", json={"config": {"url": receiver.url}}).status_code == 403
    anonymous = client_for(None)
    assert anonymous.get(f"/repos/{repo}/hooks").status_code == 401


@pytest.mark.parametrize(
    "body, field",
    [
        ({"config": {"url": "ftp://example.com/x"}}, "config"),
        ({"config": {}}, "config"),
        ({"config": {"url": "http://example.com/x", "content_type": "xml"}}, "config"),
        ({"config": {"url": "http://example.com/x"}, "events": ["no_such_event"]}, "events"),
        ({"config": {"url": "http://example.com/x"}, "name": "travis"}, "name"),
    ],
)
def test_bad_hooks_are_422(user, repo, body, field):
    r = user.api.post(f"/repos/{repo}/hooks", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == field


def test_missing_config_and_wrong_types_are_422(user, repo):
    assert user.api.post(f"/repos/{repo}/hooks", json={"events": ["push"]}).status_code == 422
    assert user.api.post(f"/repos/{repo}/hooks", json={"config": "x"}).status_code == 422


def test_contents_writes_send_push_events(user, repo, receiver):
    hook = _hook(user.api, repo, receiver.url, events=["push"])
    receiver.wait_for(lambda got: len(got) == 1)  # the ping
    first = _put(user.api, repo, "docs/a.md", "one")
    second = _put(user.api, repo, "docs/a.md", "two", first["content"]["sha"])
    r = user.api.request(
        "DELETE", f"/repos/{repo}/contents/docs/a.md", json={"message": "gone", "sha": second["content"]["sha"]}
    )
    assert r.status_code == 200
    got = receiver.wait_for(lambda got: len(got) == 4)
    _checked(got)
    assert [d.event for d in got] == ["ping", "push", "push", "push"]
    assert got[0].payload["hook_id"] == hook["id"] and got[0].payload["hook"]["config"]["secret"] == "********"
    pushes = [d.payload for d in got[1:]]
    assert [p["commits"][0]["added"] for p in pushes] == [["docs/a.md"], [], []]
    assert [p["commits"][0]["modified"] for p in pushes] == [[], ["docs/a.md"], []]
    assert [p["commits"][0]["removed"] for p in pushes] == [[], [], ["docs/a.md"]]
    assert pushes[0]["after"] == first["commit"]["sha"] == pushes[1]["before"]
    assert pushes[1]["after"] == second["commit"]["sha"] == pushes[2]["before"]
    assert all(
        p["ref"] == "refs/heads/main" and not p["created"] and not p["deleted"] and not p["forced"] for p in pushes
    )
    assert pushes[0]["head_commit"]["id"] == first["commit"]["sha"]
    assert pushes[0]["pusher"]["name"] == user.login and pushes[0]["sender"]["login"] == user.login
    assert pushes[0]["repository"]["full_name"] == repo and isinstance(pushes[0]["repository"]["pushed_at"], int)
    assert re.search(r"/compare/[0-9a-f]{12}\.\.\.[0-9a-f]{12}$", pushes[0]["compare"])
    headers = got[1].headers
    assert headers["x-github-event"] == "push" and headers["x-github-hook-id"] == str(hook["id"])
    assert re.fullmatch(r"[0-9a-f-]{36}", headers["x-github-delivery"])
    assert headers["x-github-hook-installation-target-type"] == "repository"
    assert headers["x-github-hook-installation-target-id"] == str(pushes[0]["repository"]["id"])
    assert headers["user-agent"].startswith("GitHub-Hookshot/") and headers["content-type"] == "application/json"
    assert headers["x-github-enterprise-version"] == GHES_VERSION and headers["x-github-enterprise-host"]


def test_release_lifecycle_events(user, repo, receiver):
    _hook(user.api, repo, receiver.url, events=["release", "create"])
    r = user.api.post(
        f"/repos/{repo}/releases", json={"tag_name": "v1.0", "name": "One", "body": "notes", "draft": True}
    )
    release = r.json()
    url = f"/repos/{repo}/releases/{release['id']}"
    assert user.api.patch(url, json={"draft": False}).status_code == 200
    assert user.api.patch(url, json={"name": "Uno", "body": "more notes"}).status_code == 200
    assert user.api.patch(url, json={"prerelease": True}).status_code == 200
    assert user.api.patch(url, json={"draft": True}).status_code == 200
    assert user.api.delete(url).status_code == 204
    expected = [
        ("ping", None),
        ("release", "created"),
        ("create", None),
        ("release", "published"),
        ("release", "released"),
        ("release", "edited"),
        ("release", "prereleased"),
        ("release", "unpublished"),
        ("release", "deleted"),
    ]
    got = receiver.wait_for(lambda got: len(got) >= len(expected))
    _checked(got)
    assert [(d.event, d.payload.get("action")) for d in got] == expected
    edited = got[5].payload
    assert edited["changes"] == {"name": {"from": "One"}, "body": {"from": "notes"}}
    assert edited["release"]["name"] == "Uno" and edited["release"]["tag_name"] == "v1.0"
    assert got[2].payload["ref"] == "v1.0" and got[2].payload["ref_type"] == "tag"
    assert got[1].payload["release"]["draft"] is True and got[3].payload["release"]["draft"] is False


def test_published_release_creates_tag_push(user, repo, receiver):
    _hook(user.api, repo, receiver.url)
    receiver.wait_for(lambda got: len(got) == 1)
    user.api.post(f"/repos/{repo}/releases", json={"tag_name": "v2", "name": "Two", "body": "b", "prerelease": True})
    got = receiver.wait_for(lambda got: len(got) >= 6)
    _checked(got)
    assert [(d.event, d.payload.get("action")) for d in got[1:]] == [
        ("create", None),
        ("push", None),
        ("release", "created"),
        ("release", "published"),
        ("release", "prereleased"),
    ]
    push = got[2].payload
    assert push["ref"] == "refs/tags/v2" and push["created"] and push["before"] == "0" * 40
    assert push["commits"] == [] and push["head_commit"]["id"] == push["after"]


def test_repository_events(user, receiver):
    name = unique("repo")
    repo = f"{user.login}/{name}"
    user.api.post("/user/repos", json={"name": name, "auto_init": True})
    _hook(user.api, repo, receiver.url, events=["repository"])
    user.api.patch(f"/repos/{repo}", json={"description": "new words", "homepage": "https://example.com"})
    user.api.patch(f"/repos/{repo}", json={"private": True})
    user.api.patch(f"/repos/{repo}", json={"private": False})
    user.api.patch(f"/repos/{repo}", json={"name": name + "-renamed"})
    got = receiver.wait_for(lambda got: len(got) >= 5)
    _checked(got)
    assert [d.payload.get("action") for d in got] == [None, "edited", "privatized", "publicized", "renamed"]
    assert got[1].payload["changes"] == {"description": {"from": None}, "homepage": {"from": None}}
    assert got[4].payload["changes"] == {"repository": {"name": {"from": name}}}
    assert got[4].payload["repository"]["name"] == name + "-renamed"
    assert got[2].payload["repository"]["private"] is True


def test_form_content_type_is_signed_as_sent(user, repo, receiver):
    r = user.api.post(f"/repos/{repo}/hooks", json={"config": {"url": receiver.url, "secret": SECRET}})
    assert r.json()["config"]["content_type"] == "form" and r.json()["events"] == ["push"]
    got = receiver.wait_for(lambda got: len(got) == 1)
    assert got[0].headers["content-type"] == "application/x-www-form-urlencoded"
    assert got[0].body.startswith(b"payload=") and got[0].verified
    assert got[0].payload["zen"] and got[0].payload["hook_id"] == r.json()["id"]


def test_no_secret_no_signature(user, repo, receiver):
    _hook(user.api, repo, receiver.url, config={"url": receiver.url, "content_type": "json"})
    got = receiver.wait_for(lambda got: len(got) == 1)
    assert "x-hub-signature" not in got[0].headers and "x-hub-signature-256" not in got[0].headers


def test_deliveries_log_pages_and_redelivery(user, repo, receiver):
    hook = _hook(user.api, repo, receiver.url, events=["push"])
    for i in range(4):
        _put(user.api, repo, f"f{i}.txt", str(i))
    receiver.wait_for(lambda got: len(got) == 5)
    base = f"/repos/{repo}/hooks/{hook['id']}/deliveries"
    settled(user.api, base, 5)
    seen, url, params = [], base, {"per_page": 2}
    while url:
        r = user.api.get(url, params=params)
        assert r.status_code == 200
        seen += r.json()
        link = r.headers.get("link")
        url = re.search(r'<([^>]+)>; rel="next"', link).group(1) if link else None
        params = None
    assert len(seen) == 5 and [d["id"] for d in seen] == sorted((d["id"] for d in seen), reverse=True)
    assert {d["event"] for d in seen} == {"ping", "push"} and all(d["status"] == "OK" for d in seen)
    one = user.api.get(f"{base}/{seen[0]['id']}").json()
    assert one["request"]["headers"]["X-GitHub-Event"] == "push" and one["response"]["payload"].startswith("thanks")
    assert one["request"]["payload"]["after"] == receiver.received[-1].payload["after"]
    assert one["url"] == receiver.url and one["status_code"] == 200
    r = user.api.post(f"{base}/{seen[0]['id']}/attempts")
    assert r.status_code == 202
    got = receiver.wait_for(lambda got: len(got) == 6)
    assert got[-1].guid == one["guid"] and got[-1].payload == one["request"]["payload"]
    again = settled(user.api, base, 6)[0]
    assert again["redelivery"] is True and again["guid"] == one["guid"]
    assert user.api.get(base, params={"cursor": "nonsense"}).status_code == 400
    assert user.api.get(f"{base}/999999999").status_code == 404


def test_ping_and_test_endpoints(user, repo, receiver):
    hook = _hook(user.api, repo, receiver.url, events=["push"])
    url = f"/repos/{repo}/hooks/{hook['id']}"
    assert user.api.post(url + "/pings").status_code == 204
    assert user.api.post(url + "/tests").status_code == 204
    got = receiver.wait_for(lambda got: len(got) == 3)
    assert [d.event for d in got] == ["ping", "ping", "push"]
    validate_payload("push", got[2].payload)
    assert got[2].payload["after"] == got[2].payload["head_commit"]["id"]


def test_inactive_and_filtered_hooks_get_nothing(user, repo, receiver):
    with PyReceiver(secret=SECRET) as other:
        _hook(user.api, repo, receiver.url, events=["push"], active=False)
        _hook(user.api, repo, other.url, events=["release"])
        other.wait_for(lambda got: len(got) == 1)
        _put(user.api, repo, "x.txt", "x")
        user.api.post(f"/repos/{repo}/releases", json={"tag_name": "v9", "name": "n", "body": "b", "draft": True})
        got = other.wait_for(lambda got: len(got) == 2)
        assert [d.event for d in got] == ["ping", "release"]
    assert receiver.received == []


def _organisation(hub, make_user, *roles: str) -> tuple[str, list[str]]:
    """A fresh organisation and the tokens of fresh users with these roles ("admin", "member") in it."""
    from hubdepot.db.tables import memberships
    from hubdepot.services import accounts

    org = unique("org")
    accounts.create_account(hub, org, "Organization")
    users = [(make_user(), role) for role in roles]
    org_id = accounts.by_login(hub, org).id
    rows = [dict(org_id=org_id, user_id=accounts.by_login(hub, login).id, role=role) for (login, _), role in users]
    with hub.db.write() as conn:
        conn.execute(memberships.insert(), rows)
    return org, [token for (_, token), _ in users]


def test_organisation_hooks(server, hub, admin, make_user, client_for):
    org, (token, member_token) = _organisation(hub, make_user, "admin", "member")
    owner = client_for(token)
    with PyReceiver(secret=SECRET) as rec:
        r = owner.post(
            f"/orgs/{org}/hooks",
            json={"config": {"url": rec.url, "content_type": "json", "secret": SECRET}, "events": ["*"]},
        )
        assert r.status_code == 201, r.text
        hook = r.json()
        assert hook["type"] == "Organization" and hook["config"]["secret"] == "********"
        assert client_for(member_token).get(f"/orgs/{org}/hooks").status_code == 403
        assert owner.get(f"/orgs/{org}/hooks/{hook['id']}/config").json()["url"] == rec.url
        name = unique("private")
        assert (
            owner.post(f"/orgs/{org}/repos", json={"name": name, "private": True, "auto_init": True}).status_code == 201
        )
        _put(owner, f"{org}/{name}", "a.txt", "a")
        assert owner.delete(f"/repos/{org}/{name}").status_code == 204
        got = rec.wait_for(lambda got: len(got) >= 4)
        _checked(got)
        assert [(d.event, d.payload.get("action")) for d in got] == [
            ("ping", None),
            ("repository", "created"),
            ("push", None),
            ("repository", "deleted"),
        ]
        assert got[0].headers["x-github-hook-installation-target-type"] == "organization"
        assert all(d.payload["organization"]["login"] == org for d in got)
        assert got[2].payload["repository"]["private"] is True
        deliveries = settled(owner, f"/orgs/{org}/hooks/{hook['id']}/deliveries", 4)
        assert len(deliveries) == 4 and {d["status_code"] for d in deliveries} == {200}
    assert owner.delete(f"/orgs/{org}/hooks/{hook['id']}").status_code == 204


# Every event and action hubdepot sends (events/__init__.py's ref_changes, release_changed,
# repository_changed and ping, called from services/refs, release_writes, repos and hooks).
SENT = {
    ("ping", None),
    ("push", None),
    ("create", None),
    ("delete", None),
    *(("release", a) for a in ("created", "published", "released", "prereleased", "edited", "unpublished", "deleted")),
    *(("repository", a) for a in ("created", "edited", "renamed", "privatized", "publicized", "deleted")),
}


def _every_event(api, org: str) -> None:
    """Drive every event and action of SENT in a fresh repository of `org`."""
    name = unique("all")
    repo = f"{org}/{name}"
    assert api.post(f"/orgs/{org}/repos", json={"name": name, "auto_init": True}).status_code == 201
    head = _put(api, repo, "a.txt", "a")["commit"]["sha"]
    assert api.post(f"/repos/{repo}/git/refs", json={"ref": "refs/heads/b", "sha": head}).status_code == 201
    assert api.delete(f"/repos/{repo}/git/refs/heads/b").status_code == 204
    release = api.post(f"/repos/{repo}/releases", json={"tag_name": "v1", "draft": True}).json()  # body: null
    assert upload(api, release, "app.bin", b"bytes").status_code == 201
    url = f"/repos/{repo}/releases/{release['id']}"
    for change in ({"draft": False}, {"name": "One"}, {"prerelease": True}, {"draft": True}):
        assert api.patch(url, json=change).status_code == 200
    assert api.delete(f"/repos/{repo}/git/refs/tags/v1").status_code == 204
    assert api.delete(url).status_code == 204
    for change in ({"description": "d"}, {"private": True}, {"private": False}, {"name": name + "-2"}):
        assert api.patch(f"/repos/{repo}", json=change).status_code == 200
    assert api.delete(f"/repos/{repo}-2").status_code == 204


def test_every_event_and_action_is_as_github_describes_it(hub, make_user, client_for):
    """Each event and action hubdepot sends, as a real receiver gets it, against GitHub's description
    of GHES 3.19's webhooks (what it requires: a release's immutable and updated_at, an asset's digest)."""
    org, (token,) = _organisation(hub, make_user, "admin")
    api = client_for(token)
    with PyReceiver(secret=SECRET) as rec:
        body = {"config": {"url": rec.url, "content_type": "json", "secret": SECRET}, "events": ["*"]}
        assert api.post(f"/orgs/{org}/hooks", json=body).status_code == 201
        _every_event(api, org)
        got = rec.wait_for(
            lambda got: any(d.payload.get("action") == "deleted" and d.event == "repository" for d in got)
        )
    _checked(got)
    assert {(d.event, d.payload.get("action")) for d in got} == SENT
    assert {d.payload["ref_type"] for d in got if d.event in ("create", "delete")} == {"branch", "tag"}
    created = next(d.payload["release"] for d in got if d.event == "release")
    assert created["body"] is None and created["immutable"] is False and created["updated_at"]
    published = next(d.payload["release"] for d in got if d.payload.get("action") == "published")
    asset = published["assets"][0]
    assert asset["digest"].startswith("sha256:") and asset["uploader"]["user_view_type"] == "public"
    assert all(d.payload["sender"]["user_view_type"] == "public" for d in got)


def test_private_repository_events_stay_in_the_repository(user, receiver):
    """Another repository's hook never hears of a private repository's events."""
    names = [unique("repo"), unique("repo")]
    for name, private in zip(names, (True, False), strict=True):
        user.api.post("/user/repos", json={"name": name, "auto_init": True, "private": private})
    _hook(user.api, f"{user.login}/{names[1]}", receiver.url)
    receiver.wait_for(lambda got: len(got) == 1)
    _put(user.api, f"{user.login}/{names[0]}", "secret.txt", "s")
    _put(user.api, f"{user.login}/{names[1]}", "public.txt", "p")
    got = receiver.wait_for(lambda got: len(got) == 2)
    assert got[1].payload["repository"]["name"] == names[1]
    assert json.dumps(got[1].payload).count(names[0]) == 0


def test_ref_changes_is_the_entry_point_for_git_pushes(hub, user, repo, receiver):
    """What the git push path calls: branch created, force-moved back, deleted (refs moved by real git)."""
    import subprocess

    from hubdepot import events
    from hubdepot.services import SYSTEM, Actor, accounts
    from hubdepot.services import repos as repo_service

    _hook(user.api, repo, receiver.url, events=["push", "create", "delete"])
    receiver.wait_for(lambda got: len(got) == 1)
    tip = _put(user.api, repo, "b.txt", "b")["commit"]["sha"]
    access = repo_service.find(hub, SYSTEM, *repo.split("/"))
    actor = Actor(accounts.by_login(hub, user.login), ("repo",), 0)
    parent = subprocess.run(
        ["git", "-C", str(access.git_dir), "rev-parse", f"{tip}^"], capture_output=True, text=True, check=True
    ).stdout.strip()
    steps = [
        ("refs/heads/feature", events.ZERO, tip),
        ("refs/heads/feature", tip, parent),
        ("refs/heads/feature", parent, events.ZERO),
    ]
    for ref, before, after in steps:
        if after == events.ZERO:
            subprocess.run(["git", "-C", str(access.git_dir), "update-ref", "-d", ref], check=True)
        else:
            subprocess.run(["git", "-C", str(access.git_dir), "update-ref", ref, after], check=True)
        with hub.db.write() as conn:
            assert events.ref_changes(conn, hub, access, actor, [events.RefUpdate(ref, before, after)]) >= 1
    got = receiver.wait_for(lambda got: len(got) == 7)
    _checked(got)
    assert [d.event for d in got[2:]] == ["create", "push", "push", "delete", "push"]
    created, forced, deleted = got[3].payload, got[4].payload, got[6].payload
    assert created["created"] and created["commits"] == [] and created["head_commit"]["id"] == tip
    assert created["compare"].endswith("/compare/feature")
    assert forced["forced"] and forced["before"] == tip and forced["after"] == parent
    assert deleted["deleted"] and deleted["head_commit"] is None and deleted["after"] == events.ZERO
    assert got[5].payload == {**got[5].payload, "ref": "feature", "ref_type": "branch", "pusher_type": "user"}


def test_old_history_is_pruned(hub, user, repo, receiver):
    import datetime as dt

    import sqlalchemy as sa

    from hubdepot.db.tables import webhook_deliveries, webhook_events
    from hubdepot.events import queue

    hook = _hook(user.api, repo, receiver.url)
    base = f"/repos/{repo}/hooks/{hook['id']}/deliveries"
    ping = settled(user.api, base, 1)[0]
    old = dt.datetime.now(dt.UTC) - dt.timedelta(hours=hub.settings.webhook_retention_hours + 1)
    with hub.db.write() as conn:
        event_id = conn.execute(
            sa.select(webhook_deliveries.c.event_id).where(webhook_deliveries.c.id == ping["id"])
        ).scalar()
        conn.execute(webhook_deliveries.update().where(webhook_deliveries.c.id == ping["id"]).values(created_at=old))
        conn.execute(webhook_events.update().where(webhook_events.c.id == event_id).values(created_at=old))
    assert queue.prune(hub) >= 1
    assert user.api.get(base).json() == []
    with hub.db.read() as conn:
        assert conn.execute(sa.select(webhook_events.c.id).where(webhook_events.c.id == event_id)).first() is None
