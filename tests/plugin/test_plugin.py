"""The pytest plugin, driven as its users drive it: pytester runs a test file in a new pytest
process (the plugin comes from the installed package's pytest11 entry point), whose `github`
fixture starts a real `hubdepot serve --ephemeral` and whose tests use PyGithub and httpx."""

from __future__ import annotations

import textwrap

pytest_plugins = ["pytester"]

CLIENT = """
import httpx
from github import Auth, Github, GithubException


def gh(github):
    return Github(base_url=github.api_url, auth=Auth.Token(github.token), seconds_between_writes=0, retry=None)


def api(github):
    return httpx.Client(base_url=github.api_url, headers={"authorization": f"token {github.token}"})
"""


def run(pytester, body: str, passed: int):
    pytester.makepyfile(test_inner=CLIENT + textwrap.dedent(body))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q", timeout=300)
    result.assert_outcomes(passed=passed)
    return result


def test_journal_faults_and_a_clean_state_per_test(pytester):
    run(
        pytester,
        """
        import pytest

        def test_release_with_an_asset_and_one_injected_502(github, tmp_path):
            repo = gh(github).get_user().create_repo("widgets", auto_init=True)
            github.fail("POST /repos/{owner}/{repo}/releases", status=502)
            with pytest.raises(GithubException) as failed:
                repo.create_git_release("v1.0.0", "One", "notes")
            assert failed.value.status == 502
            release = repo.create_git_release("v1.0.0", "One", "notes")
            (tmp_path / "a.bin").write_bytes(b"x" * 1000)
            release.upload_asset(str(tmp_path / "a.bin"))
            writes = [(r.method, r.path, r.status) for r in github.requests if r.method != "GET"]
            assert writes == [
                ("POST", "/user/repos", 201),
                ("POST", "/repos/admin/widgets/releases", 502),
                ("POST", "/repos/admin/widgets/releases", 201),
                ("POST", f"/repos/admin/widgets/releases/{release.id}/assets", 201),
            ]
            created = [r for r in github.requests if r.status == 201 and r.path.endswith("/releases")][0]
            assert created.json["tag_name"] == "v1.0.0" and created.response_body["name"] == "One"
            assert github.requests[1].fault is not None and github.requests[2].fault is None

        def test_the_next_test_starts_clean(github):
            with api(github) as c:
                assert c.get("/repos/admin/widgets").status_code == 404
                assert c.get("/user").json()["login"] == "admin"
            assert [(r.method, r.path) for r in github.requests] == [("GET", "/repos/admin/widgets"), ("GET", "/user")]

        def test_fail_times_and_delay(github):
            github.fail("GET /user", status=500, times=2, body={"message": "boom"})
            github.delay("GET /meta", 0.3)
            with api(github) as c:
                assert [c.get("/user").status_code for _ in range(3)] == [500, 500, 200]
                assert c.get("/rate_limit").status_code in (200, 404)
                import time
                started = time.monotonic()
                assert c.get("/meta").status_code == 200
                assert time.monotonic() - started >= 0.3
            assert github.requests[0].response_body == {"message": "boom"}
        """,
        passed=3,
    )


def test_rate_limits_answer_as_github_does(pytester):
    run(
        pytester,
        """
        import time

        def test_primary(github):
            github.rate_limit("primary", retry_after=30, route="GET /user")
            with api(github) as c:
                limited = c.get("/user")
                me = c.get("/user").json()
            assert limited.status_code == 403
            assert limited.headers["x-ratelimit-remaining"] == "0"
            assert limited.headers["x-ratelimit-limit"] == "5000"
            assert limited.headers["x-ratelimit-used"] == "5000"
            assert limited.headers["x-ratelimit-resource"] == "core"
            assert 28 <= int(limited.headers["x-ratelimit-reset"]) - time.time() <= 31
            assert limited.json() == {
                "message": f"API rate limit exceeded for user ID {me['id']}.",
                "documentation_url": "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api",
                "status": "403",
            }

        def test_secondary(github):
            github.rate_limit("secondary", retry_after=7, status=429)
            with api(github) as c:
                limited = c.get("/user")
                assert c.get("/user").status_code == 200
            assert limited.status_code == 429 and limited.headers["retry-after"] == "7"
            assert limited.headers["x-ratelimit-remaining"] != "0"
            body = limited.json()
            assert body["message"].startswith("You have exceeded a secondary rate limit.")
            assert limited.headers["x-github-request-id"] in body["message"]
            assert body["documentation_url"].endswith("#about-secondary-rate-limits")
        """,
        passed=2,
    )


def test_seed_and_webhooks(pytester):
    run(
        pytester,
        """
        def test_seeded_repository_and_a_release_event(github):
            made = github.seed('''
                users: [{login: alice, tokens: [ghp_fixedvalue000000000000000000000001]}]
                repositories:
                  - {owner: alice, name: widgets, files: {README.md: hi}, webhooks: [{events: [release]}]}
            ''')
            assert "repository alice/widgets" in made
            client = Github(base_url=github.api_url, auth=Auth.Token("ghp_fixedvalue000000000000000000000001"),
                            seconds_between_writes=0)
            client.get_repo("alice/widgets").create_git_release("v1", "One", "")
            (delivery,) = github.webhooks.wait("release", "published")
            assert delivery.payload["release"]["tag_name"] == "v1"
            assert delivery.payload["repository"]["full_name"] == "alice/widgets"

        def test_a_hook_pointed_at_the_receiver(github):
            with api(github) as c:
                c.post("/user/repos", json={"name": "r", "auto_init": True}).raise_for_status()
                hook = {"config": {"url": github.webhooks.url, "content_type": "json"}, "events": ["push"]}
                c.post("/repos/admin/r/hooks", json=hook).raise_for_status()
            (ping,) = github.webhooks.wait("ping")
            assert ping.payload["hook"]["config"]["url"] == github.webhooks.url
            assert [d.event for d in github.webhooks] == ["ping"]
        """,
        passed=2,
    )
