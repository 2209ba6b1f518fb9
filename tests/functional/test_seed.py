"""`hubdepot seed FILE` against a running server (SQLite and PostgreSQL), as a user runs it: what it
makes answers as the API's own writes do; a mistake is one line naming where it is."""

from __future__ import annotations

import hashlib
import json
import secrets

import pytest

from hubdepot.testing.seed import generated
from tests.conftest import unique
from tests.functional.test_cli import cli


def _fixed_token() -> str:
    return "ghp_" + secrets.token_hex(18)


def test_the_issue_shape_loads_from_yaml(server, client_for, tmp_path):
    alice, acme, token = unique("alice"), unique("acme"), _fixed_token()
    (tmp_path / "tool.sh").write_bytes(b"#!/bin/sh\necho hi\n")
    (tmp_path / "seed.yaml").write_text(f"""
users: [{{login: {alice}, tokens: [{token}]}}]
orgs: [{{login: {acme}, members: [{{login: {alice}, role: admin}}]}}]
repositories:
  - owner: {alice}
    name: widgets
    files: {{README.md: "inline text", src/a.py: "print(1)", bin/tool.sh: {{path: tool.sh}}}}
    branches: [dev]
    tags: [v1.0.0]
    releases: [{{tag_name: v1.0.0, name: One, assets: [{{name: a.bin, size: 1024}}, {{name: t.sh, path: tool.sh}}]}}]
  - owner: {acme}
    name: tools
    private: true
""")
    done = cli(server, "seed", str(tmp_path / "seed.yaml"))
    assert f"made repository {alice}/widgets" in done.stderr
    api = client_for(token)
    assert api.get("/user").json()["login"] == alice
    readme = api.get(f"/repos/{alice}/widgets/contents/README.md", headers={"accept": "application/vnd.github.raw"})
    assert readme.text == "inline text"
    assert api.get(f"/repos/{alice}/widgets/contents/bin/tool.sh").json()["size"] == 18
    main = api.get(f"/repos/{alice}/widgets/branches/main").json()["commit"]["sha"]
    assert api.get(f"/repos/{alice}/widgets/branches/dev").json()["commit"]["sha"] == main
    assert api.get(f"/repos/{alice}/widgets/git/ref/tags/v1.0.0").json()["object"]["sha"] == main
    release = api.get(f"/repos/{alice}/widgets/releases/latest").json()
    assert (release["tag_name"], release["name"], release["author"]["login"]) == ("v1.0.0", "One", alice)
    assets = {a["name"]: a for a in release["assets"]}
    expected = hashlib.sha256(b"".join(generated("a.bin", 1024))).hexdigest()
    assert assets["a.bin"]["size"] == 1024 and assets["a.bin"]["digest"] == f"sha256:{expected}"
    assert assets["a.bin"]["uploader"]["login"] == alice
    download = api.get(assets["a.bin"]["browser_download_url"], follow_redirects=True)
    assert hashlib.sha256(download.content).hexdigest() == expected
    assert assets["t.sh"]["size"] == 18
    assert api.get(f"/repos/{acme}/tools").json()["private"] is True
    assert client_for().get(f"/repos/{acme}/tools").status_code == 404


def test_json_webhooks_and_collaborators(server, client_for, tmp_path):
    bob, carol, token = unique("bob"), unique("carol"), _fixed_token()
    doc = {
        "users": [{"login": bob, "tokens": [{"value": token, "scopes": ["repo"]}]}, carol],
        "repositories": [
            {
                "owner": bob,
                "name": "r",
                "collaborators": [{"login": carol, "permission": "admin"}],
                "webhooks": [{"url": "http://127.0.0.1:9/hook", "events": ["release"], "secret": "s"}],
                "releases": [{"tag_name": "v1", "draft": True, "assets": [{"name": "x.txt", "content": "x"}]}],
            }
        ],
    }
    (tmp_path / "seed.json").write_text(json.dumps(doc))
    cli(server, "seed", str(tmp_path / "seed.json"))
    api = client_for(token)
    assert api.get("/user").headers["x-oauth-scopes"] == "repo"
    hooks = api.get(f"/repos/{bob}/r/hooks").json()
    assert [(h["config"]["url"], h["events"]) for h in hooks] == [("http://127.0.0.1:9/hook", ["release"])]
    assert api.get(f"/repos/{bob}/r/collaborators/{carol}").status_code == 204
    (draft,) = api.get(f"/repos/{bob}/r/releases").json()
    assert draft["draft"] is True and [a["name"] for a in draft["assets"]] == ["x.txt"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("users: [{login: a, tokenz: []}]", "seed.yaml: users[0]: unknown key 'tokenz' (known: email, login, name,"),
        ("users: {login: a}", "seed.yaml: users: a list"),
        ("repositories: [{owner: nobody-here, name: r}]", "seed.yaml: repositories[0].owner: no user or organization"),
        ("users: [{login: 'bad login'}]", "seed.yaml: users[0]: login: login 'bad login' is not valid"),
        (
            "users: [{login: ALOGIN}]\nrepositories: [{owner: ALOGIN, name: r, releases: [{tag_name: v1, "
            "assets: [{name: a, size: -1}]}]}]",
            "seed.yaml: repositories[0].releases[0].assets[0].size: a number of bytes from 1 to",
        ),
        ("users: [{login: ALOGIN, tokens: [short]}]", "seed.yaml: users[0].tokens[0]: token: 8 to 255 letters"),
        ("users: [a: b: c]", "seed.yaml: not YAML: line 1, column 13: expected ',' or ']', but got ':'"),
        (
            "users: [ALOGIN]\nrepositories: [{owner: ALOGIN, name: r, files: {a.txt: {path: ../missing}}}]",
            "seed.yaml: repositories[0].files['a.txt'].path: cannot read ../missing: No such file or directory",
        ),
    ],
)
def test_mistakes_are_one_line_naming_where(server, tmp_path, text, message):
    login = unique("m")
    (tmp_path / "seed.yaml").write_text(text.replace("ALOGIN", login))
    done = cli(server, "seed", str(tmp_path / "seed.yaml"), check=False)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {message}"), done.stderr
