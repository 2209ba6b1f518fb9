"""A small site for the page tests, made through the real API: a user with a password, a public
repository with nested files (code, markdown, an image, a branch with a slash), releases (latest,
pre-release, draft) with assets, a legacy download, and a private repository. Every API answer is
kept, so tests can collect each html_url and avatar_url the server emitted."""

from __future__ import annotations

import base64
import dataclasses
import struct
import zlib

import httpx
import pygit2

from tests.conftest import unique
from tests.support.releases import upload

PASSWORD = "correct horse battery staple"
README = """# Demo project

Some *markdown* with a [relative link](src/app.py) and a [docs folder](docs).

<script>alert("no")</script><a href="javascript:alert(1)" onclick="alert(2)">bad link</a>

| a | b |
|---|---|
| 1 | 2 |
"""
APP = "".join(f"def f{i}(x):\n    return x + {i}  # line {2 * i + 2}\n" for i in range(40))


def png(width: int = 8, height: int = 8) -> bytes:
    """A tiny valid PNG (solid colour)."""
    raw = b"".join(b"\x00" + b"\x33\x99\xcc" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


@dataclasses.dataclass
class Site:
    login: str
    token: str
    repo: str  # owner/name, public
    private: str  # owner/name, private
    answers: list  # every JSON body the API gave while building
    release: dict  # the latest release
    prerelease: dict
    draft: dict
    asset: dict
    private_release: dict


def _put(api, repo: str, path: str, data: bytes, message: str, branch: str | None = None) -> dict:
    body = {"message": message, "content": base64.b64encode(data).decode()}
    if branch:
        body["branch"] = branch
    existing = api.get(f"/repos/{repo}/contents/{path}")
    if existing.status_code == 200:
        body["sha"] = existing.json()["sha"]
    r = api.put(f"/repos/{repo}/contents/{path}", json=body)
    assert r.status_code in (200, 201), r.text
    return r.json()


def _branch(hub, api, repo: str, name: str) -> None:
    """A branch named `name` (slashes allowed) at the default branch's tip, written with pygit2."""
    from hubdepot.git.repos import git_dir

    info = api.get(f"/repos/{repo}").json()
    git = pygit2.Repository(str(git_dir(hub.settings.repos_dir, info["id"])))
    git.references.create(f"refs/heads/{name}", git.references["refs/heads/main"].target)


def _release(api, repo: str, **body) -> dict:
    r = api.post(f"/repos/{repo}/releases", json=body)
    assert r.status_code == 201, r.text
    return r.json()


_built: dict[str, Site] = {}


def build(hub, server) -> Site:
    """The site on this server, made once per test process (the page and browser tests share it)."""
    if server.url not in _built:
        _built[server.url] = _build(hub, server)
    return _built[server.url]


def _build(hub, server) -> Site:
    from hubdepot.services import accounts, sessions
    from tests.support.server import CheckedClient

    login = unique("pages")
    accounts.create_account(hub, login, "User")
    token = accounts.create_token(hub, login)
    sessions.set_password(hub, login, PASSWORD)
    with CheckedClient(base_url=server.api, headers={"Authorization": f"token {token}"}) as api:
        return _fill(hub, api, login, token)


def _fill(hub, api, login: str, token: str) -> Site:
    answers = []
    name, secret = unique("demo"), unique("secret")
    for repo_name, private in ((name, False), (secret, True)):
        r = api.post(
            "/user/repos",
            json={
                "name": repo_name,
                "auto_init": True,
                "private": private,
                "description": f"{repo_name} for the page tests",
            },
        )
        assert r.status_code == 201, r.text
        answers.append(r.json())
    repo, private_repo = f"{login}/{name}", f"{login}/{secret}"
    answers.append(_put(api, repo, "README.md", README.encode(), "A README"))
    answers.append(_put(api, repo, "src/app.py", APP.encode(), "Code"))
    answers.append(_put(api, repo, "docs/logo.png", png(), "An image"))
    answers.append(_put(api, repo, "docs/guide.md", b"# Guide\n\nSee the [README](../README.md).\n", "Guide"))
    answers.append(_put(api, repo, "page.html", b"<script>document.title='pwned'</script>", "HTML"))
    answers.append(_put(api, repo, "data/blob.bin", bytes(range(256)) * 4, "Binary"))
    answers.append(_put(api, repo, "data/big.txt", b"0123456789abcde\n" * 70_000, "Large"))
    _branch(hub, api, repo, "feature/slash")
    for path in ("", "README.md", "src", "src/app.py", "docs"):
        answers.append(api.get(f"/repos/{repo}/contents/{path}").json())
    pre = _release(api, repo, tag_name="v0.9.0-rc.1", name="Release candidate", prerelease=True, body="Try it")
    latest = _release(
        api,
        repo,
        tag_name="v1.0.0",
        name="Version 1.0.0",
        body="## Notes\n\n* first **stable** release\n\n<b onmouseover=alert(1)>hover</b>",
    )
    draft = _release(api, repo, tag_name="v2.0.0", name="Secret draft", draft=True)
    r = upload(api, latest, "tool-linux-amd64.tar.gz", b"binary bytes " * 100, "application/gzip")
    assert r.status_code == 201, r.text
    asset = r.json()
    assert upload(api, draft, "draft-only.bin", b"draft").status_code == 201
    private_release = _release(api, private_repo, tag_name="p1", name="Private release")
    answers += [pre, draft, private_release, asset]
    answers.append(api.get(f"/repos/{repo}/releases/{latest['id']}").json())
    answers.append(api.get(f"/users/{login}").json())
    answers.append(_legacy_download(api, repo))
    return Site(login, token, repo, private_repo, answers, latest, pre, draft, asset, private_release)


def _legacy_download(api, repo: str) -> dict:
    data = b"legacy download bytes"
    r = api.post(
        f"/repos/{repo}/downloads", json={"name": "legacy.zip", "size": len(data), "description": "An old download"}
    )
    assert r.status_code == 201, r.text
    body = r.json()
    sent = httpx.post(
        body["s3_url"], data=body["fields"], files={"file": ("legacy.zip", data, body["mime_type"])}, timeout=60
    )
    assert sent.status_code in (201, 204), sent.text
    return api.get(f"/repos/{repo}/downloads/{body['id']}").json()


def urls_in(value, keys=("html_url", "avatar_url")) -> set[str]:
    """Every html_url and avatar_url anywhere in a JSON value."""
    out: set[str] = set()
    if isinstance(value, dict):
        for k, v in value.items():
            if k in keys and isinstance(v, str):
                out.add(v)
            else:
                out |= urls_in(v, keys)
    elif isinstance(value, list):
        for v in value:
            out |= urls_in(v, keys)
    return out


def sign_in(origin: str, login: str, password: str = PASSWORD) -> httpx.Client:
    """An httpx client with a browser's session after the sign-in form."""
    import re

    client = httpx.Client(base_url=origin, timeout=60)
    form = client.get("/login")
    token = re.search(r'name="authenticity_token" value="([^"]+)"', form.text).group(1)
    r = client.post("/session", data={"login": login, "password": password, "authenticity_token": token})
    assert r.status_code == 302, r.text
    return client
