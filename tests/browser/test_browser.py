"""The pages in a real browser: sign in, browse to a file, open a release, download an asset, with
no console errors (the strict CSP would report any inline script or style); a crawler that follows
every same-origin link from the repository and release pages; phones; keyboard; screenshots."""

from __future__ import annotations

import os
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest

from tests.support import site as site_support
from tests.support.site import PASSWORD


@pytest.fixture(scope="module")
def site(hub, server):
    return site_support.build(hub, server)


def sign_in(page, server, site) -> None:
    page.goto(f"{server.url}/login")
    page.get_by_label("Username").fill(site.login)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{server.url}/")
    assert page.get_by_role("button", name="Sign out").is_visible()


def test_sign_in_browse_open_release_download(server, site, browser_page):
    page, console = browser_page
    sign_in(page, server, site)
    page.get_by_role("link", name=site.private).click()  # the home page lists the private repository
    assert page.get_by_text("Private", exact=True).first.is_visible()
    page.goto(f"{server.url}/{site.repo}")
    assert page.get_by_role("heading", name="Demo project").is_visible()
    page.get_by_role("link", name="src", exact=True).click()
    page.get_by_role("link", name="app.py").click()
    page.wait_for_url(re.compile(r".*/blob/main/src/app\.py$"))
    assert page.locator("#L10").inner_text() == "    return x + 4  # line 10"
    page.goto(page.url + "#L10")
    assert page.evaluate("getComputedStyle(document.getElementById('L10')).backgroundColor") != "rgba(0, 0, 0, 0)"
    page.get_by_role("navigation", name="Repository").get_by_role("link", name="Releases").click()
    page.get_by_role("link", name="Version 1.0.0").click()
    page.wait_for_url(re.compile(r".*/releases/tag/v1\.0\.0$"))
    assert page.get_by_text("Latest", exact=True).is_visible()
    with page.expect_download() as info:
        page.get_by_role("link", name="tool-linux-amd64.tar.gz").click()
    download = info.value
    assert download.suggested_filename == "tool-linux-amd64.tar.gz"
    assert Path(download.path()).read_bytes() == b"binary bytes " * 100
    page.goto(site.draft["html_url"])  # the owner sees the draft
    assert page.get_by_text("Draft", exact=True).is_visible()
    assert console.errors == []


def test_copy_button_and_clone_url(server, site, browser_page):
    page, console = browser_page
    page.goto(f"{server.url}/{site.repo}")
    page.get_by_text("Code", exact=True).last.click()  # the Code menu (a <details>)
    field = page.get_by_label("Clone with HTTPS")
    assert field.input_value() == f"{server.url}/{site.repo}.git"
    copy = page.get_by_role("button", name="Copy")
    assert copy.is_visible()  # the script ran under the page's CSP
    copy.click()
    assert console.errors == []


def test_anonymous_visitors_do_not_see_private_things(server, site, browser_page):
    page, console = browser_page
    assert page.goto(f"{server.url}/{site.private}").status == 404
    assert page.get_by_role("heading", name="404").is_visible()
    assert page.evaluate("getComputedStyle(document.querySelector('main')).maxWidth") == "640px"  # styled under CSP
    page.goto(f"{server.url}/{site.login}")
    assert page.get_by_role("link", name=site.repo.split("/")[1]).is_visible()
    assert page.get_by_role("link", name=site.private.split("/")[1]).count() == 0
    page.goto(f"{server.url}/{site.repo}/releases")
    assert page.get_by_text("Secret draft").count() == 0
    assert [e for e in console.errors if "Failed to load resource" not in e] == []  # (the 404 itself)


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("href", "src"):
            if attrs.get(name) and tag in ("a", "link", "img", "script"):
                self.found.append(attrs[name])


def _crawl(request, server, site, starts: list[str], limit: int = 400) -> dict[str, int]:
    """Follow every same-origin link from `starts`, one level into other pages of the repository."""
    seen: dict[str, int] = {}
    queue = [(url, 0) for url in starts]
    while queue and len(seen) < limit:
        url, depth = queue.pop(0)
        if url in seen:
            continue
        response = request.get(url, max_redirects=5)
        seen[url] = response.status
        if depth >= 2 or "text/html" not in response.headers.get("content-type", ""):
            continue
        parser = _Links()
        parser.feed(response.text())
        for link in parser.found:
            target = urldefrag(urljoin(url, link))[0]
            parts = urlsplit(target)
            if target.startswith(server.url) and target not in seen:
                queue.append((target, depth + 1 if parts.path.startswith(f"/{site.repo}") else 2))
    return seen


def test_crawler_finds_no_broken_link(server, site, browser_page):
    page, console = browser_page
    sign_in(page, server, site)
    starts = [
        f"{server.url}/{site.repo}",
        site.release["html_url"],
        f"{server.url}/{site.repo}/releases",
        site.draft["html_url"],
        f"{server.url}/{site.private}",
    ]
    for url in starts:
        page.goto(url)
    seen = _crawl(page.context.request, server, site, starts)
    broken = {url: status for url, status in seen.items() if status >= 400}
    assert not broken, broken
    assert len(seen) > 40 and any("/blob/" in u for u in seen) and any("/_static/" in u for u in seen)
    assert any(u.endswith(".tar.gz") and "/archive/refs/tags/" in u for u in seen)  # source code links
    assert any("/releases/download/" in u for u in seen) and any("/avatars/u/" in u for u in seen)
    assert console.errors == []


def test_phone_layout_and_keyboard(server, site, chromium):
    context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    console = __import__("tests.browser.conftest", fromlist=["Console"]).Console(page)
    for path in (
        f"/{site.repo}",
        f"/{site.repo}/blob/main/src/app.py",
        site.release["html_url"][len(server.url) :],
        f"/{site.login}",
        "/login",
    ):
        page.goto(server.url + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (path, overflow)
    page.goto(f"{server.url}/{site.repo}")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    assert console.errors == []
    context.close()


SHOTS = [
    ("repository", "/{repo}"),
    ("tree", "/{repo}/tree/main/src"),
    ("blob", "/{repo}/blob/main/src/app.py#L10"),
    ("markdown", "/{repo}/blob/main/docs/guide.md"),
    ("releases", "/{repo}/releases"),
    ("release", "/{repo}/releases/tag/v1.0.0"),
    ("tags", "/{repo}/tags"),
    ("downloads", "/{repo}/downloads"),
    ("commits", "/{repo}/commits/main"),
    ("profile", "/{login}"),
    ("login", "/login"),
    ("not-found", "/{repo}/blob/main/missing"),
]


@pytest.mark.skipif(not os.environ.get("HUBDEPOT_SCREENSHOTS"), reason="`make screenshots` sets HUBDEPOT_SCREENSHOTS")
def test_screenshots(server, site, chromium):
    out = Path(os.environ["HUBDEPOT_SCREENSHOTS"])
    out.mkdir(parents=True, exist_ok=True)
    for label, size in (("desktop", {"width": 1280, "height": 900}), ("phone", {"width": 390, "height": 844})):
        context = chromium.new_context(viewport=size, device_scale_factor=1)
        page = context.new_page()
        for name, path in SHOTS:
            page.goto(server.url + path.format(repo=site.repo, login=site.login))
            page.screenshot(path=str(out / f"{name}-{label}.png"), full_page=label == "desktop")
        context.close()
