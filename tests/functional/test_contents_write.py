"""PUT and DELETE contents through HTTP on a real server: create, update, conflicts, validation,
branches, identities, empty repositories, permissions; what lands in git is checked with git itself."""

from __future__ import annotations

import subprocess

import pytest

from tests.conftest import unique
from tests.functional.test_contents import b64, blob_sha, entry, put

DOCS = "https://docs.github.com/rest/repos/contents"


def git_out(hub, api, repo: str, *args: str) -> str:
    repo_id = api.get(f"/repos/{repo}").json()["id"]
    return subprocess.run(
        ["git", f"--git-dir={hub.settings.repos_dir / f'{repo_id}.git'}", *args],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def commit_object(
    server,
    repo: str,
    sha: str,
    tree: str,
    parents: list[str],
    message: str,
    author: dict,
    committer: dict,
    repo_id: int,
) -> dict:
    import base64

    api = f"{server.api}/repos/{repo}"
    return {
        "sha": sha,
        "node_id": base64.b64encode(f"06:Commit{repo_id}:{sha}".encode()).decode(),
        "url": f"{api}/git/commits/{sha}",
        "html_url": f"{server.url}/{repo}/commit/{sha}",
        "author": author,
        "committer": committer,
        "tree": {"sha": tree, "url": f"{api}/git/trees/{tree}"},
        "message": message,
        "parents": [
            {"url": f"{api}/git/commits/{p}", "html_url": f"{server.url}/{repo}/commit/{p}", "sha": p} for p in parents
        ],
        "verification": {
            "verified": False,
            "reason": "unsigned",
            "signature": None,
            "payload": None,
            "verified_at": None,
        },
    }


def test_create_update_delete_whole_bodies(server, hub, user, repo):
    repo_id = user.api.get(f"/repos/{repo}").json()["id"]
    parent = git_out(hub, user.api, repo, "rev-parse", "main").strip()
    who = {"name": "Ada Lovelace", "email": "ada@example.com", "date": "2013-01-05T13:13:22+05:00"}
    r = user.api.put(
        f"/repos/{repo}/contents/notes/hello.txt",
        json={"message": "my commit message", "content": b64(b"hello"), "committer": who},
    )
    assert r.status_code == 201, r.text
    body = r.json()
    sha = git_out(hub, user.api, repo, "rev-parse", "main").strip()
    tree = git_out(hub, user.api, repo, "rev-parse", "main^{tree}").strip()
    when = {"name": "Ada Lovelace", "email": "ada@example.com", "date": "2013-01-05T08:13:22Z"}
    assert body == {
        "content": entry(server, repo, "notes/hello.txt", "file", blob_sha(b"hello"), 5),
        "commit": commit_object(server, repo, sha, tree, [parent], "my commit message", when, when, repo_id),
    }
    assert list(body["commit"]) == [
        "sha",
        "node_id",
        "url",
        "html_url",
        "author",
        "committer",
        "tree",
        "message",
        "parents",
        "verification",
    ]
    assert (
        git_out(hub, user.api, repo, "log", "-1", "--format=%an|%ae|%ai|%cn|%ce|%s", "main").strip()
        == "Ada Lovelace|ada@example.com|2013-01-05 13:13:22 +0500|Ada Lovelace|ada@example.com|my commit message"
    )
    assert git_out(hub, user.api, repo, "show", "main:notes/hello.txt") == "hello"

    upd = user.api.put(
        f"/repos/{repo}/contents/notes/hello.txt",
        json={"message": "update", "content": b64(b"hello again"), "sha": blob_sha(b"hello")},
    )
    assert upd.status_code == 200
    assert upd.json()["content"] == entry(server, repo, "notes/hello.txt", "file", blob_sha(b"hello again"), 11)
    assert upd.json()["commit"]["parents"][0]["sha"] == sha
    me = {"name": user.login, "email": f"{user_id(user)}+{user.login}@users.noreply.127.0.0.1"}
    assert {k: upd.json()["commit"]["author"][k] for k in ("name", "email")} == me
    assert upd.json()["commit"]["author"]["date"].endswith("Z")

    gone = user.api.request(
        "DELETE", f"/repos/{repo}/contents/notes/hello.txt", json={"message": "remove", "sha": blob_sha(b"hello again")}
    )
    assert gone.status_code == 200 and gone.json()["content"] is None
    assert gone.json()["commit"]["message"] == "remove"
    assert user.api.get(f"/repos/{repo}/contents/notes").status_code == 404  # empty directories vanish
    assert git_out(hub, user.api, repo, "ls-tree", "-r", "--name-only", "main").split() == ["README.md"]
    assert git_out(hub, user.api, repo, "rev-list", "--count", "main").strip() == "4"


def user_id(user) -> int:
    return user.api.get("/user").json()["id"]


def test_sha_rules_and_conflicts(user, repo):
    put(user.api, repo, "a.txt", b"one")
    missing = user.api.put(f"/repos/{repo}/contents/a.txt", json={"message": "m", "content": b64(b"x")})
    assert missing.status_code == 422 and missing.json() == {
        "message": 'Invalid request.\n\n"sha" wasn\'t supplied.',
        "documentation_url": f"{DOCS}#create-or-update-file-contents",
        "status": "422",
    }
    stale = "0" * 40
    wrong = user.api.put(f"/repos/{repo}/contents/a.txt", json={"message": "m", "content": b64(b"x"), "sha": stale})
    assert wrong.status_code == 409 and wrong.json() == {
        "message": f"a.txt does not match {stale}",
        "documentation_url": f"{DOCS}#create-or-update-file-contents",
        "status": "409",
    }
    new_with_sha = user.api.put(
        f"/repos/{repo}/contents/b.txt", json={"message": "m", "content": b64(b"b"), "sha": stale}
    )
    assert new_with_sha.status_code == 201  # a sha on a new path is ignored
    del_missing_sha = user.api.request("DELETE", f"/repos/{repo}/contents/a.txt", json={"message": "m"})
    assert (
        del_missing_sha.status_code == 422
        and del_missing_sha.json()["message"] == 'Invalid request.\n\n"sha" wasn\'t supplied.'
    )
    del_wrong = user.api.request("DELETE", f"/repos/{repo}/contents/a.txt", json={"message": "m", "sha": stale})
    assert del_wrong.status_code == 409 and del_wrong.json() == {
        "message": f"a.txt does not match {stale}",
        "documentation_url": f"{DOCS}#delete-a-file",
        "status": "409",
    }
    del_absent = user.api.request("DELETE", f"/repos/{repo}/contents/nope.txt", json={"message": "m", "sha": stale})
    assert del_absent.status_code == 404 and del_absent.json()["documentation_url"] == f"{DOCS}#delete-a-file"


def test_validation(user, repo):
    url = f"/repos/{repo}/contents/v.txt"
    cases = [
        ({"content": b64(b"x")}, 'Invalid request.\n\n"message" wasn\'t supplied.'),
        ({"message": "m"}, 'Invalid request.\n\n"content" wasn\'t supplied.'),
        ({"message": "m", "content": "abcde"}, "content is not valid Base64"),
        ({"message": "m", "content": "ab$c"}, "content is not valid Base64"),
        ({"message": 5, "content": b64(b"x")}, "Invalid request.\n\nFor 'properties/message', 5 is not a string."),
        (
            {"message": "m", "content": b64(b"x"), "committer": {"name": "n"}},
            'Invalid request.\n\n"email" wasn\'t supplied.',
        ),
        (
            {"message": "m", "content": b64(b"x"), "author": {"email": "e@x"}},
            'Invalid request.\n\n"name" wasn\'t supplied.',
        ),
        (
            {"message": "m", "content": b64(b"x"), "author": "me"},
            "Invalid request.\n\nFor 'properties/author', \"me\" is not an object.",
        ),
        (
            {"message": "m", "content": b64(b"x"), "committer": {"name": "n", "email": "e@x", "date": "yesterday"}},
            "Invalid request.\n\nFor 'properties/committer', \"yesterday\" is not a date-time.",
        ),
    ]
    for body, message in cases:
        r = user.api.put(url, json=body)
        assert r.status_code == 422 and r.json() == {
            "message": message,
            "documentation_url": f"{DOCS}#create-or-update-file-contents",
            "status": "422",
        }, body
    assert user.api.put(url, content=b"{bad").status_code == 400
    ok = user.api.put(url, json={"message": "m", "content": "dGVz\ndA==\n"})  # MIME line breaks are fine
    assert ok.status_code == 201 and ok.json()["content"]["size"] == 4
    junk = user.api.put(f"/repos/{repo}/contents/w.txt", json={"message": "m", "content": "test"})
    assert junk.status_code == 201 and junk.json()["content"]["size"] == 3


@pytest.mark.parametrize(
    "path,message",
    [
        ("/abs.txt", "path cannot start with a slash"),
        ("%2e%2e/x.txt", "path contains a malformed path component"),
        ("a/%2e%2e/x.txt", "path contains a malformed path component"),
        (".git/config", "path contains a malformed path component"),
        ("a/.GIT/x", "path contains a malformed path component"),
        ("a//b.txt", "path contains a malformed path component"),
        ("dir/", "path contains a malformed path component"),
        ("%2e/x", "path contains a malformed path component"),
        ("a%01b.txt", "path contains a malformed path component"),  # (a control character)
        ("dir/x%7F.txt", "path contains a malformed path component"),
        ("%C3%A9" * 128, "path contains a malformed path component"),  # (256 bytes in one name)
    ],
)
def test_bad_paths_on_write(user, repo, path, message):
    r = user.api.put(f"/repos/{repo}/contents/{path}", json={"message": "m", "content": b64(b"x")})
    assert r.status_code == 422 and r.json() == {
        "message": message,
        "errors": [{"resource": "Commit", "field": "path", "code": "invalid"}],
        "documentation_url": f"{DOCS}#create-or-update-file-contents",
        "status": "422",
    }, path
    d = user.api.request("DELETE", f"/repos/{repo}/contents/{path}", json={"message": "m", "sha": "0" * 40})
    assert d.status_code == 422, path


def test_nul_in_a_path_names_nothing(user, repo):
    """A NUL byte in any request path is refused before routing, for reads and writes alike."""
    r = user.api.put(f"/repos/{repo}/contents/x%00y", json={"message": "m", "content": b64(b"x")})
    assert r.status_code == 404 and r.json()["message"] == "Not Found"
    assert user.api.get(f"/repos/{repo}/contents/x%00y").status_code == 404


def test_file_and_directory_collisions(hub, user, repo):
    put(user.api, repo, "dir/inner.txt", b"i")
    under_file = user.api.put(f"/repos/{repo}/contents/README.md/x.txt", json={"message": "m", "content": b64(b"x")})
    assert under_file.status_code == 422 and under_file.json()["message"] == "README.md is a file, not a directory"
    on_dir = user.api.put(f"/repos/{repo}/contents/dir", json={"message": "m", "content": b64(b"x")})
    assert on_dir.status_code == 422 and on_dir.json()["message"] == "dir is a directory"
    del_dir = user.api.request("DELETE", f"/repos/{repo}/contents/dir", json={"message": "m", "sha": "0" * 40})
    assert del_dir.status_code == 404
    assert git_out(hub, user.api, repo, "rev-list", "--count", "main").strip() == "2"


def test_branches_and_ref_query(server, hub, user, repo):
    main = git_out(hub, user.api, repo, "rev-parse", "main").strip()
    git_out(hub, user.api, repo, "branch", "dev", main)
    unknown = user.api.put(
        f"/repos/{repo}/contents/README.md",
        json={"message": "m", "content": b64(b"x"), "branch": "nope", "sha": "0" * 40},
    )
    assert unknown.status_code == 404  # the branch is checked before the sha
    r = user.api.put(
        f"/repos/{repo}/contents/dev.txt",
        params={"ref": "main"},  # github3 sends ?ref=
        json={"message": "on dev", "content": b64(b"d"), "branch": "dev"},
    )
    assert r.status_code == 201 and r.json()["content"] == entry(
        server, repo, "dev.txt", "file", blob_sha(b"d"), 1, "dev"
    )
    assert git_out(hub, user.api, repo, "rev-parse", "main").strip() == main
    assert user.api.get(f"/repos/{repo}/contents/dev.txt").status_code == 404
    assert user.api.get(f"/repos/{repo}/contents/dev.txt", params={"ref": "dev"}).status_code == 200
    d = user.api.request(
        "DELETE",
        f"/repos/{repo}/contents/dev.txt",
        params={"ref": "dev"},
        json={"message": "rm", "sha": blob_sha(b"d"), "branch": "dev"},
    )
    assert d.status_code == 200 and git_out(hub, user.api, repo, "rev-list", "--count", "dev").strip() == "3"


def test_author_committer_defaults(hub, user, repo):
    both = {
        "message": "m",
        "content": b64(b"1"),
        "author": {"name": "Au Thor", "email": "au@x.org", "date": "2020-02-02T02:02:02Z"},
        "committer": {"name": "Com Mitter", "email": "co@x.org"},
    }
    r = user.api.put(f"/repos/{repo}/contents/one.txt", json=both).json()["commit"]
    assert (r["author"]["name"], r["author"]["date"]) == ("Au Thor", "2020-02-02T02:02:02Z")
    assert r["committer"]["name"] == "Com Mitter" and r["committer"]["date"] != "2020-02-02T02:02:02Z"
    only_committer = user.api.put(
        f"/repos/{repo}/contents/two.txt",
        json={"message": "m", "content": b64(b"2"), "committer": {"name": "C", "email": "c@x"}},
    ).json()["commit"]
    assert only_committer["author"]["name"] == "C" and only_committer["author"]["email"] == "c@x"
    only_author = user.api.put(
        f"/repos/{repo}/contents/three.txt",
        headers={"Time-Zone": "Europe/Paris"},
        json={"message": "m", "content": b64(b"3"), "author": {"name": "A", "email": "a@x"}},
    ).json()["commit"]
    assert only_author["author"]["name"] == "A" and only_author["committer"]["name"] == user.login
    assert git_out(hub, user.api, repo, "log", "-1", "--format=%ci", "main").strip()[-5:] in ("+0100", "+0200")


def test_empty_repository_first_commit(server, hub, user):
    name = unique("empty")
    assert user.api.post("/user/repos", json={"name": name}).status_code == 201
    repo = f"{user.login}/{name}"
    other = user.api.put(f"/repos/{repo}/contents/x.txt", json={"message": "m", "content": b64(b"x"), "branch": "dev"})
    assert other.status_code == 404
    r = user.api.put(f"/repos/{repo}/contents/src/first.txt", json={"message": "first", "content": b64(b"1")})
    assert r.status_code == 201 and r.json()["commit"]["parents"] == []
    assert git_out(hub, user.api, repo, "log", "--format=%s", "main").split() == ["first"]
    assert [b["name"] for b in user.api.get(f"/repos/{repo}/branches").json()] == ["main"]
    assert user.api.get(f"/repos/{repo}/contents/src/first.txt").json()["content"] == "MQ==\n"
    last = user.api.request(
        "DELETE", f"/repos/{repo}/contents/src/first.txt", json={"message": "rm", "sha": blob_sha(b"1")}
    )
    assert last.status_code == 200 and user.api.get(f"/repos/{repo}/contents/").json() == []


def test_permissions_and_aliases(user, repo, make_user, client_for, hub):
    _, token = make_user()
    stranger = client_for(token)
    body = {"message": "m", "content": b64(b"x")}
    assert stranger.put(f"/repos/{repo}/contents/s.txt", json=body).status_code == 404
    anon = client_for().put(f"/repos/{repo}/contents/s.txt", json=body)
    assert anon.status_code == 401 and anon.json()["message"] == "Requires authentication"
    from hubdepot.services import SYSTEM
    from hubdepot.services import repos as repo_service

    login = stranger.get("/user").json()["login"]
    repo_service.add_collaborator(hub, repo_service.find(hub, SYSTEM, *repo.split("/")), login, "push")
    assert stranger.put(f"/repos/{repo}/contents/s.txt", json=body).status_code == 201
    repo_id = user.api.get(f"/repos/{repo}").json()["id"]
    by_id = user.api.put(f"/repositories/{repo_id}/contents/t.txt", json=body)
    assert by_id.status_code == 201 and by_id.json()["content"]["path"] == "t.txt"
    encoded = user.api.put(f"/repos/{repo}/contents/deep%2Fer%2Fu.txt", json=body)  # octokit's %2F
    assert encoded.status_code == 201 and encoded.json()["content"]["path"] == "deep/er/u.txt"
