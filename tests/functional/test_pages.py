"""Web pages over HTTP on a real server: every html_url and avatar_url the API emitted answers a page
or an image; security headers; sign-in (CSRF, cookie attributes, throttling, sign-out); private
repositories and drafts hidden from everyone else; refs with slashes; sanitised markdown."""

from __future__ import annotations

import re
import subprocess
import sys

import httpx
import pytest

from tests.support import site as site_support
from tests.support.site import PASSWORD, sign_in, urls_in


@pytest.fixture(scope="module")
def site(hub, server):
    return site_support.build(hub, server)


@pytest.fixture
def anon(server):
    with httpx.Client(base_url=server.url, timeout=60) as client:
        yield client


@pytest.fixture
def signed_in(server, site):
    client = sign_in(server.url, site.login)
    yield client
    client.close()


def _checks_page(response: httpx.Response, url: str) -> None:
    assert response.status_code == 200, (url, response.status_code, response.text[:300])
    kind = response.headers["content-type"]
    if kind.startswith("text/html"):
        csp = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp and "unsafe-inline" not in csp
        assert response.headers["x-frame-options"] == "deny"
        assert "<main" in response.text
    else:
        assert kind in ("image/svg+xml", "image/png"), (url, kind)


def test_every_html_url_and_avatar_url_answers(server, site, signed_in, anon):
    urls = urls_in(site.answers)
    assert {
        f"{server.url}/{site.repo}",
        f"{server.url}/{site.login}",
        site.release["html_url"],
        site.asset["browser_download_url"],
    } <= urls | urls_in(site.answers, ("browser_download_url",))
    assert any("/avatars/u/" in u for u in urls) and any("/blob/" in u for u in urls)
    assert any("/tree/" in u for u in urls) and any("/commit/" in u for u in urls)
    assert any("/downloads/" in u for u in urls)
    for url in sorted(urls):
        assert url.startswith(server.url)
        path = url[len(server.url) :]
        public = site.private not in path and site.draft["html_url"] != url
        response = (anon if public else signed_in).get(path)
        if "/downloads/" in path and not path.endswith("/downloads"):
            assert response.status_code == 200 and response.content == b"legacy download bytes"
            continue
        _checks_page(response, url)


def test_pages_show_what_they_should(site, anon):
    home = anon.get(f"/{site.repo}").text
    assert "Demo project" in home and "src" in home and "README.md" in home
    assert f"{anon.base_url}".rstrip("/") + f"/{site.repo}.git" in home  # the clone URL
    assert "Version 1.0.0" in home and "Latest" in home
    blob = anon.get(f"/{site.repo}/blob/main/src/app.py").text
    assert "<span id=L10>" in blob and "<b class=k>def</b>" in blob and "80 lines" in blob
    assert f'href="/raw/{site.repo}/main/src/app.py"' in blob
    image = anon.get(f"/{site.repo}/blob/main/docs/logo.png").text
    assert f'<img src="/raw/{site.repo}/main/docs/logo.png"' in image
    assert "Binary file not shown" in anon.get(f"/{site.repo}/blob/main/data/blob.bin").text
    big = anon.get(f"/{site.repo}/blob/main/data/big.txt")
    assert "too big to show" in big.text and len(big.content) < 20_000
    releases = anon.get(f"/{site.repo}/releases").text
    assert "Pre-release" in releases and "Latest" in releases and "Secret draft" not in releases
    release = anon.get(f"/{site.repo}/releases/tag/v1.0.0").text
    assert site.asset["digest"] in release and "tool-linux-amd64.tar.gz" in release
    assert f"/{site.repo}/archive/refs/tags/v1.0.0.zip" in release and '.tar.gz">Source code' in release
    assert "first <strong>stable</strong> release" in release
    assert "onmouseover" not in release and "<b>hover</b>" in release
    tags = anon.get(f"/{site.repo}/tags").text
    assert "v1.0.0" in tags and "v0.9.0-rc.1" in tags
    assert "legacy.zip" in anon.get(f"/{site.repo}/downloads").text


def test_markdown_is_sanitised_and_links_point_into_the_repository(site, anon):
    page = anon.get(f"/{site.repo}").text
    assert "<script>alert" not in page and "javascript:" not in page and "onclick" not in page
    assert f'href="/{site.repo}/blob/main/src/app.py"' in page
    guide = anon.get(f"/{site.repo}/blob/main/docs/guide.md").text
    assert f'href="/{site.repo}/blob/main/README.md"' in guide
    # a folder linked as blob redirects to its tree page, as on GitHub
    r = anon.get(f"/{site.repo}/blob/main/docs")
    assert r.status_code == 301 and r.headers["location"] == f"/{site.repo}/tree/main/docs"


def test_user_html_is_never_rendered_from_our_origin(site, anon):
    page = anon.get(f"/{site.repo}/blob/main/page.html").text
    assert "<script>document.title" not in page and "&lt;<b class=nt>script</b>" in page
    raw = anon.get(f"/raw/{site.repo}/main/page.html")
    assert raw.headers["content-type"].startswith("text/plain") and "sandbox" in raw.headers["content-security-policy"]


def test_refs_with_slashes(site, anon):
    r = anon.get(f"/{site.repo}/tree/feature/slash/src")
    assert r.status_code == 200 and "app.py" in r.text and f"/{site.repo}/blob/feature/slash/src/app.py" in r.text
    assert anon.get(f"/{site.repo}/blob/feature/slash/src/app.py").status_code == 200
    assert anon.get(f"/{site.repo}/tree/feature/nope").status_code == 404


def test_static_files_are_hashed_cached_and_gzipped(anon, site):
    page = anon.get(f"/{site.repo}").text
    css = re.search(r'href="(/_static/style\.[0-9a-f]{12}\.css)"', page).group(1)
    r = anon.get(css, headers={"accept-encoding": "gzip"})
    assert r.status_code == 200 and r.headers["content-encoding"] == "gzip" and "text/css" in r.headers["content-type"]
    assert "immutable" in r.headers["cache-control"] and "max-age=31536000" in r.headers["cache-control"]
    assert anon.get("/_static/style.000000000000.css").status_code == 404
    page = anon.get(f"/{site.repo}", headers={"accept-encoding": "gzip"})
    assert page.headers["content-encoding"] == "gzip"


def test_avatars_are_deterministic_svg(anon, site):
    one, again, other = anon.get("/avatars/u/1?v=4"), anon.get("/avatars/u/1?s=40"), anon.get("/avatars/u/2?v=4")
    assert one.headers["content-type"] == "image/svg+xml" and one.content == again.content != other.content
    assert one.content.startswith(b"<svg") and anon.get("/avatars/u/x").status_code == 404


def test_private_repositories_and_drafts_stay_hidden(server, hub, site, anon, signed_in, make_user):
    for path in (
        f"/{site.private}",
        f"/{site.private}/releases",
        f"/{site.private}/tree/main",
        f"/{site.private}/releases/tag/p1",
        site.draft["html_url"][len(server.url) :],
    ):
        assert anon.get(path).status_code == 404, path
        assert signed_in.get(path).status_code == 200, path
    assert site.private.split("/")[1] not in anon.get(f"/{site.login}").text
    assert site.private.split("/")[1] in signed_in.get(f"/{site.login}").text
    assert "Secret draft" in signed_in.get(f"/{site.repo}/releases").text
    assert "Draft" in signed_in.get(site.draft["html_url"][len(server.url) :]).text
    # a stranger, signed in, sees neither
    stranger, _ = make_user()
    from hubdepot.services import sessions

    sessions.set_password(hub, stranger, PASSWORD)
    other = sign_in(server.url, stranger)
    assert other.get(f"/{site.private}").status_code == 404
    assert "Secret draft" not in other.get(f"/{site.repo}/releases").text
    other.close()
    # the browser's session also opens private raw files and release downloads
    private_asset = signed_in.get(f"/raw/{site.private}/main/README.md")
    assert private_asset.status_code == 200 and anon.get(f"/raw/{site.private}/main/README.md").status_code == 404


def test_sign_in_form_cookie_and_sign_out(server, site):
    with httpx.Client(base_url=server.url, timeout=60) as client:
        form = client.get("/login?return_to=/" + site.repo)
        assert form.status_code == 200 and 'name="login"' in form.text and 'name="password"' in form.text
        token = re.search(r'name="authenticity_token" value="([^"]+)"', form.text).group(1)
        # no token, or a token from another browser: refused
        assert client.post("/session", data={"login": site.login, "password": PASSWORD}).status_code == 403
        with httpx.Client(base_url=server.url) as other:
            assert (
                other.post(
                    "/session", data={"login": site.login, "password": PASSWORD, "authenticity_token": token}
                ).status_code
                == 403
            )
        wrong = client.post(
            "/session", data={"login": site.login, "password": "nope-nope", "authenticity_token": token}
        )
        assert wrong.status_code == 401 and "Incorrect username or password." in wrong.text
        r = client.post(
            "/session",
            data={"login": site.login, "password": PASSWORD, "authenticity_token": token, "return_to": f"/{site.repo}"},
        )
        assert r.status_code == 302 and r.headers["location"] == f"/{site.repo}"
        cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith("user_session="))
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie  # plain HTTP here
        page = client.get(f"/{site.private}")
        assert page.status_code == 200
        logout = re.search(r'action="/logout".*?name="authenticity_token" value="([^"]+)"', page.text, re.S).group(1)
        assert client.post("/logout", data={}).status_code == 403
        stolen = client.cookies["user_session"]
        with httpx.Client(base_url=server.url, timeout=60, cookies={"user_session": stolen}) as copy:
            assert copy.get(f"/{site.private}").status_code == 200  # a copy of the cookie works until...
        assert client.post("/logout", data={"authenticity_token": logout}).status_code == 302
        assert client.get(f"/{site.private}").status_code == 404
    # the signed-out cookie is refused for good (once the login cache's few seconds have passed)
    import time

    from hubdepot.http.auth import CACHE_SECONDS

    time.sleep(CACHE_SECONDS + 0.2)
    with httpx.Client(base_url=server.url, timeout=60, cookies={"user_session": stolen}) as replay:
        assert replay.get(f"/{site.private}").status_code == 404


def test_return_to_stays_on_this_site(server, site):
    with httpx.Client(base_url=server.url, timeout=60) as client:
        token = re.search(r'authenticity_token" value="([^"]+)"', client.get("/login").text).group(1)
        r = client.post(
            "/session",
            data={
                "login": site.login,
                "password": PASSWORD,
                "authenticity_token": token,
                "return_to": "//evil.example/x",
            },
        )
        assert r.headers["location"] == "/"


def test_sign_in_is_throttled_per_login(server, make_user, hub):
    from hubdepot.services import sessions

    login, _ = make_user()
    sessions.set_password(hub, login, PASSWORD)
    with httpx.Client(base_url=server.url, timeout=60) as client:
        token = re.search(r'authenticity_token" value="([^"]+)"', client.get("/login").text).group(1)
        for _ in range(sessions.LOGIN_FAILURES):
            bad = client.post(
                "/session", data={"login": login, "password": "wrong-password", "authenticity_token": token}
            )
            assert bad.status_code == 401
        r = client.post("/session", data={"login": login, "password": PASSWORD, "authenticity_token": token})
        assert r.status_code == 429 and "Too many sign-in attempts" in r.text and "retry-after" in r.headers


def test_cli_sets_passwords(server, make_user, tmp_path):
    login, _ = make_user()
    cmd = [sys.executable, "-m", "hubdepot", "user", "passwd", login, "--data-dir", str(server.data_dir)]
    env = dict(server.env)
    done = subprocess.run(cmd + ["--password-stdin"], input="from-stdin-123\n", capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    sign_in(server.url, login, "from-stdin-123").close()
    (tmp_path / "pw").write_text("from-a-file-456\n")
    assert subprocess.run(cmd + ["--password-file", str(tmp_path / "pw")], env=env).returncode == 0
    sign_in(server.url, login, "from-a-file-456").close()
    short = subprocess.run(cmd + ["--password-stdin"], input="short\n", capture_output=True, text=True, env=env)
    assert short.returncode != 0 and "password" in short.stderr
    created = unique_login()
    made = subprocess.run(
        [
            sys.executable,
            "-m",
            "hubdepot",
            "user",
            "create",
            created,
            "--password-stdin",
            "--data-dir",
            str(server.data_dir),
        ],
        input="created-pass-789\n",
        capture_output=True,
        text=True,
        env=env,
    )
    assert made.returncode == 0, made.stderr
    sign_in(server.url, created, "created-pass-789").close()


def unique_login() -> str:
    from tests.conftest import unique

    return unique("cli")


def test_unknown_pages_are_html_404s(anon, site):
    for path in (
        "/no-such-user-xyz",
        f"/{site.repo}/blob/main/nope.txt",
        f"/{site.repo}/releases/tag/nope",
        f"/{site.repo}/commit/0123456789abcdef",
        "/nobody/nothing",
    ):
        r = anon.get(path)
        assert r.status_code == 404 and r.headers["content-type"].startswith("text/html"), path


def test_anonymous_page_copies_never_outlive_a_write(server, site, anon, signed_in):
    """Anonymous visitors share kept copies of pages, but a write (from any process) ends them at once."""
    import base64

    from tests.conftest import unique

    name = unique("notes") + ".md"
    path = f"/{site.repo}/blob/main/docs/{name}"
    api = httpx.Client(base_url=server.api, headers={"Authorization": f"token {site.token}"}, timeout=60)
    r = api.put(
        f"/repos/{site.repo}/contents/docs/{name}",
        json={"message": "add", "content": base64.b64encode(b"# Guide\n").decode()},
    )
    assert r.status_code == 201, r.text
    assert "Guide" in anon.get(path).text
    assert "Guide" in anon.get(path).text  # the kept copy
    r = api.put(
        f"/repos/{site.repo}/contents/docs/{name}",
        json={
            "message": "edit",
            "sha": r.json()["content"]["sha"],
            "content": base64.b64encode(b"# Handbook\n").decode(),
        },
    )
    assert r.status_code == 200, r.text
    api.close()
    assert "Handbook" in anon.get(path).text
    assert "Handbook" in signed_in.get(path).text


def test_release_list_shows_the_first_assets_and_links_to_all(server, site, signed_in):
    from tests.support.releases import upload

    api = httpx.Client(base_url=server.api, headers={"Authorization": f"token {site.token}"}, timeout=60)
    release = api.post(f"/repos/{site.repo}/releases", json={"tag_name": "many-assets", "draft": True}).json()
    for i in range(12):
        assert upload(api, release, f"part-{i:02}.bin", b"x").status_code == 201
    api.close()
    listing = signed_in.get(f"/{site.repo}/releases").text
    assert "part-09.bin" in listing and "part-10.bin" not in listing and "Show all 12 assets" in listing
    page = signed_in.get(release["html_url"][len(server.url) :]).text
    assert "part-11.bin" in page and "sha256:" in page


def test_gzipped_pages_decode_to_the_plain_page(site, signed_in, anon):
    import gzip as gz

    for client in (signed_in, anon):
        for path in (f"/{site.repo}/blob/main/src/app.py", f"/{site.repo}/blob/main/data/big.txt", f"/{site.repo}"):
            plain = client.get(path, headers={"accept-encoding": "identity"})
            assert "content-encoding" not in plain.headers
            with client.stream("GET", path, headers={"accept-encoding": "gzip"}) as packed:
                assert packed.headers["content-encoding"] == "gzip"
                raw = b"".join(packed.iter_raw())
            assert gz.decompress(raw) == plain.content, path


from tests.support.tls import tls_certs, tls_server  # noqa: E402,F401 (fixtures)


def test_session_cookie_is_secure_under_tls(tls_server, tls_certs):  # noqa: F811
    import ssl

    from hubdepot.app import create_hub
    from hubdepot.config import Settings
    from hubdepot.services import accounts, sessions

    hub = create_hub(Settings.load(data_dir=tls_server.data_dir, public_url=tls_server.url))
    accounts.create_account(hub, "tlsuser", "User")
    sessions.set_password(hub, "tlsuser", PASSWORD)
    hub.db.dispose()
    verify = ssl.create_default_context(cafile=str(tls_certs.ca))
    with httpx.Client(base_url=tls_server.url, verify=verify, timeout=60) as client:
        form = client.get("/login")
        assert "Secure" in form.headers["set-cookie"]  # the CSRF cookie
        token = re.search(r'authenticity_token" value="([^"]+)"', form.text).group(1)
        r = client.post("/session", data={"login": "tlsuser", "password": PASSWORD, "authenticity_token": token})
        cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith("user_session="))
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
        assert client.get("/").text.count("Sign out") == 1


def test_sign_in_is_throttled_per_address(hub, make_user):
    """In this process (the throttle is per process): many failures from one address, over many logins,
    refuse that address even the right password; another address still signs in."""
    import uuid

    from hubdepot import errors
    from hubdepot.services import sessions

    login, _ = make_user()
    address, other = (f"2001:db8::{uuid.uuid4().hex[:4]}" for _ in range(2))  # fresh for each backend's run
    sessions.set_password(hub, login, PASSWORD)
    for i in range(sessions.IP_FAILURES):
        with pytest.raises(errors.Unauthenticated):
            sessions.sign_in(hub, f"nobody-{i}", "wrong-password", address)
    with pytest.raises(errors.RateLimited):
        sessions.sign_in(hub, login, PASSWORD, address)
    assert sessions.sign_in(hub, login, PASSWORD, other).login == login
