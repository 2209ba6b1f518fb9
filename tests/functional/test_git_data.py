"""The git data API and the commit views over HTTP on a real server (every JSON answer is checked
against GitHub's OpenAPI description by the CheckedClient), agreeing with git clone/push."""

from __future__ import annotations

import base64

import httpx

from tests.functional.test_contents import put
from tests.functional.test_git_http import Git, commit, url


def _tip(api, repo: str, branch: str = "main") -> str:
    r = api.get(f"/repos/{repo}/git/ref/heads/{branch}")
    assert r.status_code == 200, r.text
    return r.json()["object"]["sha"]


def test_blob_tree_commit_ref_round_trip(server, user, repo):
    api = user.api
    r = api.post(f"/repos/{repo}/git/blobs", json={"content": "hello\n", "encoding": "utf-8"})
    assert r.status_code == 201 and r.json() == {
        "url": f"{server.api}/repos/{repo}/git/blobs/ce013625030ba8dba906f756967f9e9ca394464a",
        "sha": "ce013625030ba8dba906f756967f9e9ca394464a",
    }
    blob = r.json()["sha"]
    b64 = api.post(
        f"/repos/{repo}/git/blobs", json={"content": base64.b64encode(b"\x00\x01").decode(), "encoding": "base64"}
    ).json()["sha"]
    got = api.get(f"/repos/{repo}/git/blobs/{blob}").json()
    assert got["size"] == 6 and base64.b64decode(got["content"]) == b"hello\n" and got["encoding"] == "base64"
    raw = api.get(f"/repos/{repo}/git/blobs/{b64}", headers={"Accept": "application/vnd.github.raw"})
    assert raw.content == b"\x00\x01"
    assert api.get(f"/repos/{repo}/git/blobs/{'0' * 40}").status_code == 404

    head = _tip(api, repo)
    base_tree = api.get(f"/repos/{repo}/git/commits/{head}").json()["tree"]["sha"]
    r = api.post(
        f"/repos/{repo}/git/trees",
        json={
            "base_tree": base_tree,
            "tree": [
                {"path": "src/deep/hello.txt", "mode": "100644", "type": "blob", "sha": blob},
                {"path": "bin/run", "mode": "100755", "type": "blob", "content": "#!/bin/sh\n"},
                {"path": "README.md", "mode": "100644", "type": "blob", "sha": None},
            ],
        },
    )
    assert r.status_code == 201, r.text
    tree = r.json()
    assert sorted(e["path"] for e in tree["tree"]) == ["bin", "src"]
    deep = api.get(f"/repos/{repo}/git/trees/{tree['sha']}", params={"recursive": "1"}).json()
    assert [(e["path"], e["type"]) for e in deep["tree"]] == [
        ("bin", "tree"),
        ("bin/run", "blob"),
        ("src", "tree"),
        ("src/deep", "tree"),
        ("src/deep/hello.txt", "blob"),
    ]
    assert deep["truncated"] is False and deep["tree"][1]["mode"] == "100755" and deep["tree"][4]["size"] == 6

    r = api.post(
        f"/repos/{repo}/git/commits",
        json={
            "message": "built by the data API",
            "tree": tree["sha"],
            "parents": [head],
            "author": {"name": "Ada", "email": "ada@example.com", "date": "2020-01-02T03:04:05Z"},
        },
    )
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["author"] == {"name": "Ada", "email": "ada@example.com", "date": "2020-01-02T03:04:05Z"}
    assert made["parents"][0]["sha"] == head and made["verification"]["verified"] is False

    r = api.post(f"/repos/{repo}/git/refs", json={"ref": "refs/heads/built", "sha": made["sha"]})
    assert r.status_code == 201 and r.json()["ref"] == "refs/heads/built"
    assert r.json()["url"] == f"{server.api}/repos/{repo}/git/refs/heads/built"
    again = api.post(f"/repos/{repo}/git/refs", json={"ref": "refs/heads/built", "sha": made["sha"]})
    assert again.status_code == 422 and again.json()["message"] == "Reference already exists"
    assert api.post(f"/repos/{repo}/git/refs", json={"ref": "heads/x", "sha": head}).status_code == 422
    assert api.post(f"/repos/{repo}/git/refs", json={"ref": "refs/heads/y", "sha": "1" * 40}).status_code == 422

    # the contents API sees it at once
    assert api.get(f"/repos/{repo}/contents/src/deep/hello.txt", params={"ref": "built"}).status_code == 200
    # PATCH: fast-forward only unless forced
    r = api.patch(f"/repos/{repo}/git/refs/heads/main", json={"sha": made["sha"]})
    assert r.status_code == 200 and r.json()["object"]["sha"] == made["sha"]
    back = api.patch(f"/repos/{repo}/git/refs/heads/main", json={"sha": head})
    assert back.status_code == 422 and back.json()["message"] == "Update is not a fast forward"
    assert api.patch(f"/repos/{repo}/git/refs/heads/main", json={"sha": head, "force": True}).status_code == 200
    assert _tip(api, repo) == head

    matching = api.get(f"/repos/{repo}/git/matching-refs/heads/").json()
    assert [m["ref"] for m in matching] == ["refs/heads/built", "refs/heads/main"]
    assert api.get(f"/repos/{repo}/git/matching-refs/heads/nope").json() == []
    listed = httpx.get(f"{server.api}/repos/{repo}/git/refs/heads", headers={"Authorization": f"token {user.token}"})
    assert [m["ref"] for m in listed.json()] == ["refs/heads/built", "refs/heads/main"]
    assert api.delete(f"/repos/{repo}/git/refs/heads/built").status_code == 204
    assert api.get(f"/repos/{repo}/git/ref/heads/built").status_code == 404
    gone = api.delete(f"/repos/{repo}/git/refs/heads/built")
    assert gone.status_code == 422 and gone.json()["message"] == "Reference does not exist"


def test_annotated_tags_and_git_sees_them(server, user, repo, tmp_path):
    api, head = user.api, _tip(user.api, repo)
    r = api.post(
        f"/repos/{repo}/git/tags",
        json={
            "tag": "v9",
            "message": "nine\n",
            "object": head,
            "type": "commit",
            "tagger": {"name": "T", "email": "t@example.com", "date": "2021-05-06T07:08:09Z"},
        },
    )
    assert r.status_code == 201, r.text
    tag = r.json()
    assert tag["object"] == {"sha": head, "type": "commit", "url": f"{server.api}/repos/{repo}/git/commits/{head}"}
    assert api.get(f"/repos/{repo}/git/tags/{tag['sha']}").json() == tag
    assert api.post(f"/repos/{repo}/git/refs", json={"ref": "refs/tags/v9", "sha": tag["sha"]}).status_code == 201
    ref = api.get(f"/repos/{repo}/git/ref/tags/v9").json()
    assert ref["object"]["type"] == "tag" and ref["object"]["sha"] == tag["sha"]
    assert {t["name"]: t["commit"]["sha"] for t in api.get(f"/repos/{repo}/tags").json()} == {"v9": head}
    git = Git(tmp_path)
    git("clone", "-q", url(server, repo), str(tmp_path / "c"))
    assert git.out("cat-file", "-t", "v9", cwd=tmp_path / "c") == "tag"
    assert git.out("tag", "-l", "--format=%(contents)", "v9", cwd=tmp_path / "c") == "nine"


def test_commits_list_single_compare_and_branch(server, user, repo, tmp_path):
    api = user.api
    first = put(api, repo, "a.txt", b"one\ntwo\n")["commit"]["sha"]
    second = put(api, repo, "b/c.txt", b"see\n")["commit"]["sha"]
    git = Git(tmp_path)
    work = tmp_path / "w"
    git("clone", "-q", url(server, repo, user.token), str(work))
    (work / "a.txt").write_text("one\n2\nthree\n")
    third = commit(git, work, "a.txt", "one\n2\nthree\n", "edit a")
    git("push", "-q", "origin", "main", cwd=work)

    listed = api.get(f"/repos/{repo}/commits")
    assert [c["sha"] for c in listed.json()] == [third, second, first, listed.json()[3]["sha"]]
    assert listed.json()[1]["author"]["login"] == user.login  # the API's commits are the user's
    assert listed.json()[0]["author"] is None  # pushed by an email no account has
    assert [c["sha"] for c in api.get(f"/repos/{repo}/commits", params={"path": "a.txt"}).json()] == [third, first]
    assert [c["sha"] for c in api.get(f"/repos/{repo}/commits", params={"author": "pusher@example.com"}).json()] == [
        third
    ]
    by_login = api.get(f"/repos/{repo}/commits", params={"author": user.login}).json()
    assert [c["sha"] for c in by_login][:2] == [second, first]
    paged = api.get(f"/repos/{repo}/commits", params={"per_page": 2, "page": 2})
    assert paged.json()[0]["sha"] == first and 'rel="prev"' in paged.headers["link"]
    assert api.get(f"/repos/{repo}/commits", params={"since": "2999-01-01T00:00:00Z"}).json() == []

    one = api.get(f"/repos/{repo}/commits/{third}").json()
    assert one["stats"] == {"total": 3, "additions": 2, "deletions": 1}
    assert [(f["filename"], f["status"], f["additions"], f["deletions"]) for f in one["files"]] == [
        ("a.txt", "modified", 2, 1)
    ]
    assert one["files"][0]["patch"].startswith("@@ -1,2 +1,3 @@")
    diff = api.get(f"/repos/{repo}/commits/{third}", headers={"Accept": "application/vnd.github.diff"})
    assert diff.status_code == 200 and diff.text.startswith("diff --git a/a.txt b/a.txt") and "+three" in diff.text
    patch = api.get(f"/repos/{repo}/commits/main", headers={"Accept": "application/vnd.github.patch"})
    assert patch.text.startswith(f"From {third} ") and "Subject: [PATCH] edit a" in patch.text
    sha = api.get(f"/repos/{repo}/commits/main", headers={"Accept": "application/vnd.github.sha"})
    assert (
        sha.status_code == 200
        and sha.text == third
        and sha.headers["content-type"].startswith("application/vnd.github.sha")
    )
    missing = api.get(f"/repos/{repo}/commits/no-such-ref", headers={"Accept": "application/vnd.github.sha"})
    assert missing.status_code == 422 and missing.json()["message"] == "No commit found for SHA: no-such-ref"
    assert api.get(f"/repos/{repo}/commits/no-such-ref").status_code == 422  # as GitHub answers it

    cmp = api.get(f"/repos/{repo}/compare/{first}...main").json()
    assert (cmp["status"], cmp["ahead_by"], cmp["behind_by"], cmp["total_commits"]) == ("ahead", 2, 0, 2)
    assert [c["sha"] for c in cmp["commits"]] == [second, third]
    assert sorted(f["filename"] for f in cmp["files"]) == ["a.txt", "b/c.txt"]
    behind = api.get(f"/repos/{repo}/compare/main...{first}").json()
    assert (behind["status"], behind["ahead_by"], behind["behind_by"]) == ("behind", 0, 2)
    assert api.get(f"/repos/{repo}/compare/main...main").json()["status"] == "identical"

    branch = api.get(f"/repos/{repo}/branches/main").json()
    assert branch["commit"]["sha"] == third and branch["protected"] is False
    assert api.get(f"/repos/{repo}/branches/nope").status_code == 404

    # the urls the contents API emits resolve
    content = api.get(f"/repos/{repo}/contents/a.txt").json()
    assert api.get(content["git_url"]).status_code == 200
    assert api.get(content["_links"]["git"]).json()["sha"] == content["sha"]
    root = api.get(f"/repos/{repo}/git/trees/main", params={"recursive": "1"}).json()
    assert {e["path"] for e in root["tree"]} >= {"a.txt", "b", "b/c.txt", "README.md"}


def test_permissions_on_the_data_api(server, user, repo, make_user, client_for):
    _login, token = make_user()
    stranger = client_for(token)
    head = _tip(user.api, repo)
    assert stranger.get(f"/repos/{repo}/git/commits/{head}").status_code == 200
    assert stranger.post(f"/repos/{repo}/git/blobs", json={"content": "x"}).status_code == 404
    assert stranger.patch(f"/repos/{repo}/git/refs/heads/main", json={"sha": head}).status_code == 404
    assert client_for().post(f"/repos/{repo}/git/refs", json={"ref": "refs/heads/z", "sha": head}).status_code == 401


def test_recursive_tree_is_truncated_at_githubs_limits(server, user, tmp_path):
    """60,000 paths pushed with git: the recursive listing stops at GitHub's 7 MB and says so."""
    from tests.conftest import unique

    name = unique("wide")
    assert user.api.post("/user/repos", json={"name": name}).status_code == 201
    repo = f"{user.login}/{name}"
    git = Git(tmp_path)
    source = tmp_path / "src.git"
    git("init", "-q", "--bare", str(source))
    stream = [
        "blob",
        "mark :1",
        "data 2",
        "x",
        "",
        "commit refs/heads/main",
        "committer A <a@example.com> 1700000000 +0000",
        "data 4",
        "wide",
    ]
    stream += [f"M 644 :1 d{i % 100:02d}/f{i:05d}.txt" for i in range(60_000)]
    git(f"--git-dir={source}", "fast-import", "--quiet", input="\n".join(stream) + "\n\n")
    git(f"--git-dir={source}", "push", "-q", url(server, repo, user.token), "main")
    top = user.api.get(f"/repos/{repo}/git/trees/main")
    assert top.status_code == 200 and len(top.json()["tree"]) == 100 and top.json()["truncated"] is False
    deep = httpx.get(
        f"{server.api}/repos/{repo}/git/trees/main",
        params={"recursive": "1"},
        headers={"Authorization": f"token {user.token}"},
        timeout=120,
    )
    body = deep.json()
    assert body["truncated"] is True and 25_000 < len(body["tree"]) < 60_100
    assert 6 * 1024 * 1024 < len(deep.content) <= 7 * 1024 * 1024
