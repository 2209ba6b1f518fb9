"""GET readme and contents through HTTP on a real server: files, directories, refs, media types, sizes,
symlinks, submodules, raw download URLs and bad paths. (Writes: test_contents_write.py.)"""

from __future__ import annotations

import base64
import hashlib
import os

import httpx
import pygit2
import pytest

from tests.conftest import unique

LINE = 60


# -- helpers shared by the contents tests ------------------------------------------------------
def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def wrapped(data: bytes) -> str:
    text = b64(data)
    return "".join(text[i : i + LINE] + "\n" for i in range(0, len(text), LINE))


def blob_sha(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def entry(server, repo: str, path: str, kind: str, sha: str, size: int, ref: str = "main") -> dict:
    """A content object as GitHub lays it out (listing entry; add content for a file object)."""
    api = f"{server.api}/repos/{repo}"
    self_url = f"{api}/contents/{path}?ref={ref}"
    if kind == "dir":
        git, html, download = f"{api}/git/trees/{sha}", f"{server.url}/{repo}/tree/{ref}/{path}", None
    else:
        git, html, download = (
            f"{api}/git/blobs/{sha}",
            f"{server.url}/{repo}/blob/{ref}/{path}",
            f"{server.url}/raw/{repo}/{ref}/{path}",
        )
    return {
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "sha": sha,
        "size": size,
        "url": self_url,
        "html_url": html,
        "git_url": git,
        "download_url": download,
        "type": kind,
        "_links": {"self": self_url, "git": git, "html": html},
    }


def file_object(server, repo: str, path: str, data: bytes, ref: str = "main") -> dict:
    body = entry(server, repo, path, "file", blob_sha(data), len(data), ref)
    links = body.pop("_links")
    return {**body, "content": wrapped(data), "encoding": "base64", "_links": links}


def put(api, repo: str, path: str, data: bytes, **extra):
    r = api.put(f"/repos/{repo}/contents/{path}", json={"message": f"add {path}", "content": b64(data), **extra})
    assert r.status_code in (200, 201), r.text
    return r.json()


def bare(hub, api, repo: str) -> pygit2.Repository:
    """The repository's bare git directory, opened directly (to build what the API cannot: links...)."""
    repo_id = api.get(f"/repos/{repo}").json()["id"]
    return pygit2.Repository(str(hub.settings.repos_dir / f"{repo_id}.git"))


def commit_entries(git: pygit2.Repository, entries: dict, message: str = "direct") -> str:
    """Commit on main: path -> (filemode, bytes or oid) added to the current tree (one level deep)."""
    head = git.references["refs/heads/main"].peel(pygit2.Commit)
    dirs: dict[str, dict] = {}
    for path, (mode, value) in entries.items():
        folder, _, name = path.rpartition("/")
        oid = git.create_blob(value) if isinstance(value, bytes) else value
        dirs.setdefault(folder, {})[name] = (oid, mode)
    root = git.TreeBuilder(head.tree)
    for folder, items in dirs.items():
        builder = git.TreeBuilder(head.tree[folder]) if folder and folder in head.tree else git.TreeBuilder()
        target = root if not folder else builder
        for name, (oid, mode) in items.items():
            target.insert(name, oid, mode)
        if folder:
            root.insert(folder, builder.write(), pygit2.enums.FileMode.TREE)
    sig = pygit2.Signature("Direct", "direct@example.com")
    return str(git.create_commit("refs/heads/main", sig, sig, message, root.write(), [head.id]))


def raw_client(token: str | None = None) -> httpx.Client:
    """For non-JSON bodies (raw bytes, archives): a plain client."""
    return httpx.Client(headers={"Authorization": f"token {token}"} if token else {}, timeout=60)


# -- README -------------------------------------------------------------------------------------
def test_readme_object_media_types_and_etag(server, user, repo):
    data = f"# {repo.split('/')[1]}\n".encode()
    r = user.api.get(f"/repos/{repo}/readme")
    assert r.status_code == 200
    assert r.json() == file_object(server, repo, "README.md", data)
    assert list(r.json()) == [
        "name",
        "path",
        "sha",
        "size",
        "url",
        "html_url",
        "git_url",
        "download_url",
        "type",
        "content",
        "encoding",
        "_links",
    ]
    assert r.headers["etag"] == f'"{blob_sha(data)}"'
    again = user.api.get(f"/repos/{repo}/readme", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    for accept in ("application/vnd.github.raw", "application/vnd.github.v3.raw", "application/vnd.github.raw+json"):
        raw = user.api.get(f"/repos/{repo}/readme", headers={"Accept": accept})
        assert raw.status_code == 200 and raw.content == data, accept
        assert raw.headers["content-type"] == f"{accept}; charset=utf-8"
        assert raw.headers["etag"] == f'"{blob_sha(data)}"'
    assert (
        user.api.get(f"/repos/{repo}/readme", headers={"Accept": "application/vnd.github.raw"}).headers[
            "x-github-media-type"
        ]
        == "github.v3; param=raw"
    )
    html = user.api.get(f"/repos/{repo}/readme", headers={"Accept": "application/vnd.github.html"})
    assert html.status_code == 200 and html.headers["content-type"] == "application/vnd.github.html; charset=utf-8"
    assert html.text == (
        '<div id="readme" class="md" data-path="README.md"><article class="markdown-body entry-content '
        f'container-lg" itemprop="text"><h1>{repo.split("/")[1]}</h1>\n</article></div>'
    )


def test_readme_precedence_ref_and_directories(server, user, repo):
    put(user.api, repo, "docs/readme.txt", b"text")
    put(user.api, repo, "docs/README", b"plain")
    put(user.api, repo, "docs/README.rst", b"rst")
    sha = user.api.get(f"/repos/{repo}/contents/docs/README.rst").json()["sha"]
    r = user.api.get(f"/repos/{repo}/readme/docs")
    assert r.status_code == 200 and r.json()["path"] == "docs/README.rst" and r.json()["sha"] == sha
    put(user.api, repo, "docs/Readme.md", b"md wins")
    assert user.api.get(f"/repos/{repo}/readme/docs/").json()["path"] == "docs/Readme.md"
    tip = put(user.api, repo, "other.txt", b"o")["commit"]["parents"][0]["sha"]
    assert user.api.get(f"/repos/{repo}/readme/docs", params={"ref": tip[:10]}).json()["path"] == "docs/Readme.md"
    bad_ref = user.api.get(f"/repos/{repo}/readme/docs", params={"ref": "main~1"})
    assert bad_ref.status_code == 404 and bad_ref.json()["message"] == "No commit found for the ref main~1"
    put(user.api, repo, ".github/README.md", b"# from .github\n")
    root = user.api.get(f"/repos/{repo}/readme").json()
    assert root == file_object(server, repo, ".github/README.md", b"# from .github\n")
    missing = user.api.get(f"/repos/{repo}/readme/src")
    assert missing.status_code == 404
    assert missing.json() == {
        "message": "Not Found",
        "status": "404",
        "documentation_url": "https://docs.github.com/rest/repos/contents#get-a-repository-readme-for-a-directory",
    }


def test_readme_missing_and_empty_repository(user):
    name = unique("empty")
    assert user.api.post("/user/repos", json={"name": name}).status_code == 201
    empty = user.api.get(f"/repos/{user.login}/{name}/readme")
    assert empty.status_code == 404 and empty.json()["message"] == "This repository is empty."
    contents = user.api.get(f"/repos/{user.login}/{name}/contents/")
    assert contents.status_code == 404 and contents.json()["message"] == "This repository is empty."
    put(user.api, f"{user.login}/{name}", "main.py", b"print(1)\n")
    none = user.api.get(f"/repos/{user.login}/{name}/readme")
    assert none.status_code == 404 and none.json() == {
        "message": "Not Found",
        "documentation_url": "https://docs.github.com/rest/repos/contents#get-a-repository-readme",
        "status": "404",
    }


# -- files and directories ----------------------------------------------------------------------
def test_file_directory_root_and_refs(server, user, repo):
    long = os.urandom(200)  # several 60-character base64 lines
    created = put(user.api, repo, "src/pkg/data.bin", long)
    readme = user.api.get(f"/repos/{repo}/readme").json()
    tree_sha = user.api.get(f"/repos/{repo}/contents/src", headers={"Accept": "application/vnd.github.object"}).json()[
        "sha"
    ]
    expected_root = [
        entry(server, repo, "README.md", "file", readme["sha"], readme["size"]),
        entry(server, repo, "src", "dir", tree_sha, 0),
    ]
    repo_id = user.api.get(f"/repos/{repo}").json()["id"]
    for path in (f"/repos/{repo}/contents", f"/repos/{repo}/contents/", f"/repositories/{repo_id}/contents/"):
        r = user.api.get(path)
        assert r.status_code == 200 and r.json() == expected_root, path
    got = user.api.get(f"/repos/{repo}/contents/src/pkg/data.bin")
    assert got.json() == file_object(server, repo, "src/pkg/data.bin", long)
    assert base64.b64decode(got.json()["content"]) == long and got.json()["content"].count("\n") == 5
    listing = user.api.get(f"/repos/{repo}/contents/src/pkg/").json()
    assert listing == [entry(server, repo, "src/pkg/data.bin", "file", blob_sha(long), 200)]
    commit = created["commit"]["sha"]
    git = user.api  # refs: branch, full sha, short sha, tag (made directly in the bare repo below)
    for ref in ("main", commit, commit[:7]):
        r = git.get(f"/repos/{repo}/contents/src/pkg/data.bin", params={"ref": ref})
        assert r.status_code == 200 and r.json() == file_object(server, repo, "src/pkg/data.bin", long, ref), ref
    before = git.get(f"/repos/{repo}/contents/src/pkg/data.bin", params={"ref": commit + "~1"})
    assert before.status_code == 404
    unknown = git.get(f"/repos/{repo}/contents/README.md", params={"ref": "nope"})
    assert unknown.status_code == 404 and unknown.json() == {
        "message": "No commit found for the ref nope",
        "status": "404",
        "documentation_url": "https://docs.github.com/rest/repos/contents#get-repository-content",
    }


def test_tags_and_file_where_directory_expected(server, hub, user, repo):
    put(user.api, repo, "a.txt", b"one")
    git = bare(hub, user.api, repo)
    git.references.create("refs/tags/v1", git.references["refs/heads/main"].target)
    put(user.api, repo, "a.txt", b"two", sha=blob_sha(b"one"))
    assert user.api.get(f"/repos/{repo}/contents/a.txt", params={"ref": "v1"}).json() == file_object(
        server, repo, "a.txt", b"one", "v1"
    )
    assert user.api.get(f"/repos/{repo}/contents/a.txt").json() == file_object(server, repo, "a.txt", b"two")
    for path in ("a.txt/b", "nope", "nope/deeper", "README.md/x/y"):
        r = user.api.get(f"/repos/{repo}/contents/{path}")
        assert r.status_code == 404 and r.json()["message"] == "Not Found", path


def test_etag_and_conditional_requests(user, repo):
    put(user.api, repo, "d/x.txt", b"x")
    listing = user.api.get(f"/repos/{repo}/contents/d")
    assert (
        user.api.get(f"/repos/{repo}/contents/d", headers={"If-None-Match": listing.headers["etag"]}).status_code == 304
    )
    f = user.api.get(f"/repos/{repo}/contents/d/x.txt")
    assert f.headers["etag"] == f'"{blob_sha(b"x")}"'
    assert (
        user.api.get(f"/repos/{repo}/contents/d/x.txt", headers={"If-None-Match": f'W/"{blob_sha(b"x")}"'}).status_code
        == 304
    )
    raw = user.api.get(
        f"/repos/{repo}/contents/d/x.txt",
        headers={"Accept": "application/vnd.github.raw", "If-None-Match": f.headers["etag"]},
    )
    assert raw.status_code == 304
    head = user.api.head(f"/repos/{repo}/contents/d/x.txt")
    assert head.status_code == 200 and head.content == b"" and head.headers["etag"] == f.headers["etag"]


def test_directory_object_and_listing_cap(server, hub, user, repo):
    git = bare(hub, user.api, repo)
    blob = git.create_blob(b"")
    commit_entries(git, {f"many/f{i:04d}": (pygit2.enums.FileMode.BLOB, blob) for i in range(1001)})
    listing = user.api.get(f"/repos/{repo}/contents/many")
    assert listing.status_code == 200 and len(listing.json()) == 1000
    assert [e["name"] for e in listing.json()][:2] == ["f0000", "f0001"] and listing.json()[-1]["name"] == "f0999"
    assert "link" not in listing.headers
    obj = user.api.get(f"/repos/{repo}/contents/many", headers={"Accept": "application/vnd.github.v3.object"})
    body = obj.json()
    tree = str(git.references["refs/heads/main"].peel(pygit2.Commit).tree["many"].id)
    assert {k: v for k, v in body.items() if k != "entries"} == entry(server, repo, "many", "dir", tree, 0)
    assert len(body["entries"]) == 1000 and body["entries"][0] == entry(
        server, repo, "many/f0000", "file", str(blob), 0
    )
    root = user.api.get(f"/repos/{repo}/contents/", headers={"Accept": "application/vnd.github.object"}).json()
    assert root["type"] == "dir" and root["path"] == "" and root["name"] == "" and len(root["entries"]) == 2
    raw_dir = user.api.get(f"/repos/{repo}/contents/many", headers={"Accept": "application/vnd.github.raw"})
    assert raw_dir.status_code == 200 and len(raw_dir.json()) == 1000  # directories stay JSON


# -- media types and sizes ----------------------------------------------------------------------
TOO_LARGE = (
    "This API returns blobs up to 1 MB in size. The requested blob is too large to fetch via the API, "
    "but you can use the Git Data API to request blobs up to 100 MB in size."
)


def test_large_files_json_403_raw_and_object(server, user, repo):
    big = os.urandom(1024 * 1024 + 1)
    put(user.api, repo, "big.bin", big)
    small_enough = b"x" * (1024 * 1024)
    put(user.api, repo, "limit.bin", small_enough)
    assert user.api.get(f"/repos/{repo}/contents/limit.bin").json()["encoding"] == "base64"
    r = user.api.get(f"/repos/{repo}/contents/big.bin")
    assert r.status_code == 403 and r.json() == {
        "message": TOO_LARGE,
        "errors": [{"resource": "Blob", "field": "data", "code": "too_large"}],
        "documentation_url": "https://docs.github.com/rest/repos/contents#get-repository-content",
        "status": "403",
    }
    raw = user.api.get(f"/repos/{repo}/contents/big.bin", headers={"Accept": "application/vnd.github.v3.raw"})
    assert raw.status_code == 200 and raw.content == big
    assert raw.headers["content-type"] == "application/vnd.github.v3.raw; charset=utf-8"
    obj = user.api.get(f"/repos/{repo}/contents/big.bin", headers={"Accept": "application/vnd.github.object"})
    expected = {**entry(server, repo, "big.bin", "file", blob_sha(big), len(big)), "content": "", "encoding": "none"}
    assert obj.status_code == 200 and obj.json() == expected
    html = user.api.get(f"/repos/{repo}/contents/big.bin", headers={"Accept": "application/vnd.github.html"})
    assert html.status_code == 403
    with raw_client() as plain:
        assert plain.get(obj.json()["download_url"]).content == big


def test_over_100_mb_is_refused_everywhere(hub, user, repo):
    git = bare(hub, user.api, repo)
    huge = git.create_blob(b"\0" * (100 * 1024 * 1024 + 1))
    commit_entries(git, {"huge.bin": (pygit2.enums.FileMode.BLOB, huge)})
    for accept in ("application/json", "application/vnd.github.raw", "application/vnd.github.object"):
        r = user.api.get(f"/repos/{repo}/contents/huge.bin", headers={"Accept": accept})
        assert r.status_code == 403, accept
        assert r.json()["errors"] == [{"resource": "Blob", "field": "data", "code": "too_large"}]
    listing = user.api.get(f"/repos/{repo}/contents/").json()
    assert [e["size"] for e in listing if e["name"] == "huge.bin"] == [100 * 1024 * 1024 + 1]


def test_html_is_sanitised(user, repo):
    doc = (
        b"# T\n\n<script>alert(1)</script><img src=x onerror=alert(2)>\n\n[l](javascript:alert(3)) [ok](https://e.x)"
        b' <a href="javascript:alert(4)">raw</a> <iframe src="https://e.x"></iframe>\n'
    )
    put(user.api, repo, "doc.md", doc)
    put(user.api, repo, "code.py", b"if a < b: print('<b>')\n")
    html = user.api.get(f"/repos/{repo}/contents/doc.md", headers={"Accept": "application/vnd.github.v3.html"}).text
    assert "<script" not in html and "onerror" not in html and "<iframe" not in html
    assert 'href="javascript' not in html and '<a rel="nofollow noopener noreferrer">raw</a>' in html
    assert "<h1>T</h1>" in html and 'href="https://e.x"' in html and 'rel="nofollow' in html
    code = user.api.get(f"/repos/{repo}/contents/code.py", headers={"Accept": "application/vnd.github.html"}).text
    assert "<pre>if a &lt; b: print(&#x27;&lt;b&gt;&#x27;)\n</pre>" in code


# -- symlinks and submodules --------------------------------------------------------------------
def test_symlinks(server, hub, user, repo):
    put(user.api, repo, "docs/guide.md", b"guide")
    git = bare(hub, user.api, repo)
    link = pygit2.enums.FileMode.LINK
    commit_entries(
        git,
        {
            "to-file": (link, b"docs/guide.md"),
            "docs/up": (link, b"../README.md"),
            "to-dir": (link, b"docs"),
            "outside": (link, b"../../etc/passwd"),
            "absolute": (link, b"/etc/passwd"),
            "chain": (link, b"to-file"),
            "dangling": (link, b"nope"),
        },
    )
    readme = user.api.get(f"/repos/{repo}/readme").json()
    assert user.api.get(f"/repos/{repo}/contents/to-file").json() == file_object(
        server, repo, "docs/guide.md", b"guide"
    )
    assert user.api.get(f"/repos/{repo}/contents/chain").json() == file_object(server, repo, "docs/guide.md", b"guide")
    assert user.api.get(f"/repos/{repo}/contents/docs/up").json()["sha"] == readme["sha"]
    for name, target in (
        ("to-dir", "docs"),
        ("outside", "../../etc/passwd"),
        ("absolute", "/etc/passwd"),
        ("dangling", "nope"),
    ):
        r = user.api.get(f"/repos/{repo}/contents/{name}")
        expected = entry(server, repo, name, "symlink", blob_sha(target.encode()), len(target))
        links = expected.pop("_links")
        assert r.json() == {**expected, "target": target, "_links": links}, name
        raw = user.api.get(f"/repos/{repo}/contents/{name}", headers={"Accept": "application/vnd.github.raw"})
        assert raw.content == target.encode()
    listing = {e["name"]: e for e in user.api.get(f"/repos/{repo}/contents/").json()}
    assert listing["to-file"] == entry(server, repo, "to-file", "symlink", blob_sha(b"docs/guide.md"), 13)
    assert "target" not in listing["to-dir"]
    raw = user.api.get(f"/repos/{repo}/contents/to-file", headers={"Accept": "application/vnd.github.raw"})
    assert raw.content == b"guide"
    assert (
        user.api.get(f"/repos/{repo}/contents/to-dir/guide.md").status_code == 404
    )  # git does not follow links in paths


@pytest.mark.parametrize("version,listed", [("2022-11-28", "file"), ("2026-03-10", "submodule")])
def test_submodules(server, hub, user, repo, version, listed):
    git = bare(hub, user.api, repo)
    ours = f"{server.url}/{user.login}/other.git"
    modules = (
        f'[submodule "lib/ext"]\n\tpath = lib/ext\n\turl = https://example.com/ext.git\n'
        f'[submodule "lib/ours"]\n\tpath = lib/ours\n\turl = {ours}\n'
    ).encode()
    commit_a, commit_b = "a" * 40, "b" * 40
    gitlink = pygit2.enums.FileMode.COMMIT
    commit_entries(
        git,
        {
            ".gitmodules": (pygit2.enums.FileMode.BLOB, modules),
            "lib/ext": (gitlink, pygit2.Oid(hex=commit_a)),
            "lib/ours": (gitlink, pygit2.Oid(hex=commit_b)),
        },
    )
    api = f"{server.api}/repos/{repo}"
    ext = user.api.get(f"/repos/{repo}/contents/lib/ext", headers={"X-GitHub-Api-Version": version})
    self_url = f"{api}/contents/lib/ext?ref=main"
    assert ext.json() == {
        "name": "ext",
        "path": "lib/ext",
        "sha": commit_a,
        "size": 0,
        "url": self_url,
        "html_url": None,
        "git_url": None,
        "download_url": None,
        "type": "submodule",
        "submodule_git_url": "https://example.com/ext.git",
        "_links": {"self": self_url, "git": None, "html": None},
    }
    mine = user.api.get(f"/repos/{repo}/contents/lib/ours").json()
    assert mine["git_url"] == f"{server.api}/repos/{user.login}/other/git/trees/{commit_b}"
    assert mine["html_url"] == f"{server.url}/{user.login}/other/tree/{commit_b}"
    listing = user.api.get(f"/repos/{repo}/contents/lib", headers={"X-GitHub-Api-Version": version}).json()
    assert [(e["name"], e["type"], e["download_url"]) for e in listing] == [
        ("ext", listed, None),
        ("ours", listed, None),
    ]
    raw = user.api.get(f"/repos/{repo}/contents/lib/ext", headers={"Accept": "application/vnd.github.raw"})
    assert raw.status_code == 200 and raw.json()["type"] == "submodule"  # submodules stay JSON
    assert user.api.get(f"/repos/{repo}/contents/lib/ext/file").status_code == 404


# -- download_url and private repositories ------------------------------------------------------
def test_download_url_public_and_private(server, user, make_user, client_for):
    name = unique("priv")
    assert user.api.post("/user/repos", json={"name": name, "private": True, "auto_init": True}).status_code == 201
    repo = f"{user.login}/{name}"
    put(user.api, repo, "dir/secret.txt", b"secret", branch="main")
    got = user.api.get(f"/repos/{repo}/contents/dir/secret.txt").json()
    url = got["download_url"]
    assert url.startswith(f"{server.url}/raw/{repo}/main/dir/secret.txt?token=")
    with raw_client() as anon:
        r = anon.get(url)
        assert r.status_code == 200 and r.content == b"secret"
        assert (
            r.headers["content-type"] == "text/plain; charset=utf-8" and r.headers["etag"] == f'"{blob_sha(b"secret")}"'
        )
        head = anon.head(url)
        assert head.status_code == 200 and head.content == b"" and head.headers["content-length"] == "6"
        base, token = url.split("?token=")
        assert anon.get(base).status_code == 404
        assert anon.get(f"{server.url}/raw/{repo}/main/README.md?token={token}").status_code == 404  # bound to the path
        assert anon.get(f"{base}?token={token[:-2]}xx").status_code == 404
        assert anon.get(base, headers={"Authorization": f"token {user.token}"}).content == b"secret"
        _, stranger = make_user()
        assert anon.get(base, headers={"Authorization": f"token {stranger}"}).status_code == 404
    assert client_for().get(f"/repos/{repo}/contents/dir/secret.txt").status_code == 404


def test_raw_route_public(server, user, repo, hub):
    put(user.api, repo, "bin/blob.dat", b"\x00\x01binary")
    git = bare(hub, user.api, repo)
    git.references.create("refs/heads/feature/x", git.references["refs/heads/main"].target)
    git.references.create("refs/tags/feature", git.references["refs/heads/main"].target)  # a shorter ref, no x/ dir
    with raw_client() as anon:
        r = anon.get(f"{server.url}/raw/{repo}/main/bin/blob.dat")
        assert r.status_code == 200 and r.content == b"\x00\x01binary"
        assert r.headers["content-type"] == "application/octet-stream"
        assert anon.get(f"{server.url}/raw/{repo}/feature/x/bin/blob.dat").content == b"\x00\x01binary"
        big = os.urandom(1024 * 1024 + 10)
        put(user.api, repo, "bin/big.bin", big)
        streamed = anon.get(f"{server.url}/raw/{repo}/main/bin/big.bin")
        assert streamed.content == big and streamed.headers["content-length"] == str(len(big))
        assert anon.head(f"{server.url}/raw/{repo}/main/bin/big.bin").content == b""
        again = anon.get(
            f"{server.url}/raw/{repo}/main/bin/big.bin", headers={"If-None-Match": streamed.headers["etag"]}
        )
        assert again.status_code == 304
        assert anon.get(f"{server.url}/raw/{repo}/main/bin").status_code == 404
        assert anon.get(f"{server.url}/raw/{repo}/main/nope").status_code == 404
        assert anon.get(f"{server.url}/raw/{repo}/main/%2e%2e/{repo.split('/')[1]}/main/README.md").status_code == 404
    listing = user.api.get(f"/repos/{repo}/contents/bin", params={"ref": "feature/x"}).json()
    assert listing[0]["download_url"] == f"{server.url}/raw/{repo}/feature/x/bin/blob.dat"
    assert listing[0]["url"] == f"{server.api}/repos/{repo}/contents/bin/blob.dat?ref=feature%2Fx"


# -- bad paths ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path",
    [
        "%2e%2e",
        "%2e%2e/README.md",
        "a/%2e%2e/README.md",
        "a%2F%2e%2e%2FREADME.md",
        ".git",
        ".git/config",
        ".GIT/HEAD",
        "a//b",
        "%2e/README.md",
        "%00",
        "README.md%00",
        "/README.md",
    ],
)
def test_bad_paths_get_404(user, repo, path):
    r = user.api.get(f"/repos/{repo}/contents/{path}")
    assert r.status_code == 404 and r.json()["message"] == "Not Found", path
