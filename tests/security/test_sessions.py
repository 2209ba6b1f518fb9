"""Sessions and tokens end at once on every process, and sign-in's return_to stays on this site.

Two server processes on one data dir and database (SQLite, and PostgreSQL when configured): a
browser's session cookie, or a token, is used on both (so both have looked it up), then signing out,
a password change or a token revocation happens on one process or from the `hubdepot` command, and
the very next request on either process is refused. return_to: anything but a same-origin path
falls back to `/`, and nothing in it makes the sign-in form answer 500."""

from __future__ import annotations

import re
import subprocess
import sys

import httpx
import pytest

from tests.conftest import BASE_PG_URL, WORKER, scratch_database, unique
from tests.support import server as server_support
from tests.support.site import PASSWORD, sign_in

SESSION = "user_session"


@pytest.fixture(scope="module", params=["sqlite"] + (["postgresql"] if BASE_PG_URL else []))
def pair(request, tmp_path_factory):
    """Two servers on one data dir, and an in-process hub on it for setting up users."""
    from hubdepot.app import create_hub
    from hubdepot.config import Settings

    url = scratch_database(f"hubdepot_sessions{WORKER}", fresh=True) if request.param == "postgresql" else ""
    data = tmp_path_factory.mktemp("sessions") / "data"
    first = server_support.start(data, url)
    second = server_support.start(data, url)
    hub = create_hub(Settings.load(data_dir=data, database_url=url or None, public_url=first.url))
    yield first, second, hub
    hub.db.dispose()
    second.stop()
    first.stop()


@pytest.fixture
def account(pair):
    """A user with a web password, a token and a private repository: (login, token, 'login/repo')."""
    from hubdepot.services import accounts, sessions

    first, _, hub = pair
    login = unique("sess")
    accounts.create_account(hub, login, "User")
    token = accounts.create_token(hub, login)
    sessions.set_password(hub, login, PASSWORD)
    name = unique("secret")
    r = httpx.post(
        f"{first.api}/user/repos",
        json={"name": name, "auto_init": True, "private": True},
        headers={"Authorization": f"token {token}"},
    )
    assert r.status_code == 201, r.text
    return login, token, f"{login}/{name}"


def _sees(srv, cookie: str, repo: str) -> bool:
    """Whether a browser holding only this session cookie sees the private repository's page on `srv`."""
    with httpx.Client(base_url=srv.url, timeout=60, cookies={SESSION: cookie}) as browser:
        return browser.get(f"/{repo}").status_code == 200


def _warm(servers, cookie: str, repo: str) -> None:
    for srv in servers:
        for _ in range(3):
            assert _sees(srv, cookie, repo)


def _cli(srv, *args: str, stdin: str | None = None) -> None:
    env = {**srv.env, "HUBDEPOT_DATA_DIR": str(srv.data_dir)}
    if srv.database_url:
        env["HUBDEPOT_DATABASE_URL"] = srv.database_url
    cmd = [sys.executable, "-m", "hubdepot", *args]
    done = subprocess.run(cmd, input=stdin, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_sign_out_ends_the_session_at_once_on_every_process(pair, account):
    first, second, _ = pair
    login, _, repo = account
    browser = sign_in(first.url, login)
    cookie = browser.cookies[SESSION]
    _warm((first, second), cookie, repo)
    page = browser.get(f"/{repo}").text
    token = re.search(r'action="/logout".*?name="authenticity_token" value="([^"]+)"', page, re.S).group(1)
    assert browser.post("/logout", data={"authenticity_token": token}).status_code == 302
    browser.close()
    assert not _sees(second, cookie, repo)
    assert not _sees(first, cookie, repo)


def test_password_change_ends_every_session_at_once(pair, account):
    first, second, _ = pair
    login, _, repo = account
    browsers = [sign_in(first.url, login), sign_in(second.url, login)]
    cookies = [browser.cookies[SESSION] for browser in browsers]
    for browser in browsers:
        browser.close()
    for cookie in cookies:
        _warm((first, second), cookie, repo)
    _cli(first, "user", "passwd", login, "--password-stdin", stdin="a-new-password-1\n")
    for cookie in cookies:
        assert not _sees(first, cookie, repo)
        assert not _sees(second, cookie, repo)
    again = sign_in(second.url, login, "a-new-password-1")
    assert again.get(f"/{repo}").status_code == 200
    again.close()


def test_revoked_token_stops_at_once_on_every_process(pair, account):
    first, second, _ = pair
    _, token, repo = account
    auth = {"Authorization": f"token {token}"}
    for srv in (first, second):
        for _ in range(3):
            assert httpx.get(f"{srv.api}/repos/{repo}", headers=auth).status_code == 200
    _cli(first, "token", "revoke", token)
    for srv in (first, second):
        r = httpx.get(f"{srv.api}/repos/{repo}", headers=auth)
        assert r.status_code == 401 and r.json()["message"] == "Bad credentials"
        assert (
            httpx.get(f"{srv.url}/{repo}.git/info/refs?service=git-upload-pack", auth=("x", token)).status_code == 401
        )


# -- return_to -------------------------------------------------------------------------------------
ELSEWHERE = [
    "/\t/evil.example/x",  # browsers drop tabs and newlines from URLs: //evil.example/x
    "/\n/evil.example/x",
    "/\r\nSet-Cookie: a=b",
    "/%2F/evil.example/x",  # decoded: //evil.example/x
    "/%5Cevil.example/x",  # decoded: /\evil.example/x
    "/%09/evil.example/x",
    "/%0d%0aSet-Cookie:%20a=b",
    "/\x7f",
    "/caf\u00e9",  # Latin-1, but not ASCII
    "/\u2603/snow",  # not even Latin-1
    "/%E2%98%83",
]


def _form_token(client: httpx.Client, query: dict | None = None) -> tuple[httpx.Response, str]:
    form = client.get("/login", params=query)
    found = re.search(r'name="authenticity_token" value="([^"]+)"', form.text)
    return form, found.group(1) if found else ""


@pytest.mark.parametrize("target", ELSEWHERE, ids=range(len(ELSEWHERE)))
def test_return_to_elsewhere_falls_back_to_the_home_page(server, make_user, hub, target):
    from hubdepot.services import sessions

    login, _ = make_user()
    sessions.set_password(hub, login, PASSWORD)
    with httpx.Client(base_url=server.url, timeout=60) as client:
        form, token = _form_token(client, {"return_to": target})
        assert form.status_code == 200
        assert re.search(r'name="return_to" value="/"', form.text), form.text[-2000:]
        data = {"login": login, "password": PASSWORD, "authenticity_token": token, "return_to": target}
        r = client.post("/session", data=data)
        assert r.status_code == 302 and r.headers["location"] == "/", (r.status_code, r.headers)
        signed_in = client.get("/login", params={"return_to": target})  # signed in: straight back
        assert signed_in.status_code == 302 and signed_in.headers["location"] == "/"
        kept = client.get("/login", params={"return_to": "/octo/repo/blob/main/a%20b.txt?plain=1"})
        assert kept.headers["location"] == "/octo/repo/blob/main/a%20b.txt?plain=1"  # a path here is kept
