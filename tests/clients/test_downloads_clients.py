"""Real clients on the legacy Downloads API: PyGithub (list, get, delete), and the docs' own curl
upload (verbatim, host aside) — on the embedded endpoint and on S3 with the presigned POST."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shlex
import subprocess

import httpx
import pytest

from tests.functional.test_downloads import create, fetch, upload
from tests.support.releases import settled_count

# GitHub's 2012 docs (developer.github.com, content/v3/repos/downloads.md), character for character.
SEED_CURL = """curl \\
-F "key=downloads/octocat/Hello-World/new_file.jpg" \\
-F "acl=public-read" \\
-F "success_action_status=201" \\
-F "Filename=new_file.jpg" \\
-F "AWSAccessKeyId=1ABCDEF..." \\
-F "Policy=ewogIC..." \\
-F "Signature=mwnF..." \\
-F "Content-Type=image/jpeg" \\
-F "file=@new_file.jpg" \\
https://github.s3.amazonaws.com/"""


def run_curl(script: str, cwd) -> subprocess.CompletedProcess:
    """The real curl binary, run by bash exactly as a user would paste the command."""
    return subprocess.run(["bash", "-c", script], cwd=cwd, capture_output=True, text=True, timeout=60)


def test_seed_curl_upload_verbatim(server, make_user, client_for, tmp_path):
    """The 2012 docs' example: octocat/Hello-World, new_file.jpg, 114034 bytes; only the host differs."""
    _, token = make_user("octocat")
    octocat = client_for(token)
    assert octocat.post("/user/repos", json={"name": "Hello-World", "auto_init": True}).status_code == 201
    r = octocat.post(
        "/repos/octocat/Hello-World/downloads",
        json={"name": "new_file.jpg", "size": 114034, "description": "Latest release", "content_type": "text/plain"},
    )
    assert r.status_code == 201
    body = r.json()
    assert (body["path"], body["acl"], body["mime_type"], body["s3_url"]) == (
        "downloads/octocat/Hello-World/new_file.jpg",
        "public-read",
        "image/jpeg",
        server.url + "/",
    )
    data = os.urandom(114034)
    (tmp_path / "new_file.jpg").write_bytes(data)
    assert body["policy"].startswith("ewogIC")  # the same JSON layout as GitHub's policies
    script = (
        SEED_CURL.replace("1ABCDEF...", body["accesskeyid"])
        .replace("ewogIC...", body["policy"])
        .replace("mwnF...", body["signature"])
        .replace("https://github.s3.amazonaws.com/", body["s3_url"])
    )
    done = run_curl(script, tmp_path)
    assert done.returncode == 0, done.stderr
    etag = hashlib.sha256(data).hexdigest()
    assert done.stdout == (
        '<?xml version="1.0" encoding="UTF-8"?>\n<PostResponse><Location>'
        f"{server.url}/downloads/octocat/Hello-World/new_file.jpg</Location><Bucket>hubdepot</Bucket>"
        f'<Key>downloads/octocat/Hello-World/new_file.jpg</Key><ETag>"{etag}"</ETag></PostResponse>'
    )
    got = fetch(f"{server.url}/downloads/octocat/Hello-World/new_file.jpg")
    assert got.status_code == 200 and got.content == data and got.headers["content-type"] == "image/jpeg"


@pytest.mark.storage_matrix
def test_curl_with_the_returned_fields(server, backend, server_hub, user, repo, tmp_path):
    """Every form field the answer lists, in its order, then the file: embedded endpoint or S3 presigned POST."""
    data = os.urandom(5000)
    body = create(user.api, repo, "tool.zip", data)
    if backend.endswith("-s3"):
        assert not body["s3_url"].startswith(server.url) and "x-amz-credential" in body["fields"]
    (tmp_path / "tool.zip").write_bytes(data)
    args = [f"--form-string {shlex.quote(f'{k}={v}')}" for k, v in body["fields"].items()]
    script = f"curl \\\n{' '.join(args)} -F file=@tool.zip {shlex.quote(body['s3_url'])}"
    done = run_curl(script.replace("curl ", "curl -sS -o /dev/null -w '%{http_code}' ", 1), tmp_path)
    assert done.returncode == 0 and done.stdout == "201", done.stdout + done.stderr
    got = fetch(body["html_url"])
    assert got.status_code == 200 and got.content == data
    assert settled_count(user.api, body["url"]) == 1


def test_pygithub_downloads(server, user, repo):
    from github import Auth, Github, GithubException

    one = create(user.api, repo, "one.txt", b"first", description="the first")
    two = create(user.api, repo, "two.py", b"second!")
    assert upload(one, b"first").status_code == 201
    gh = Github(base_url=server.api, auth=Auth.Token(user.token), retry=None, per_page=1)
    remote = gh.get_repo(repo)
    listed = list(remote.get_downloads())  # one per page: follows the Link header
    assert [(d.id, d.name, d.size, d.content_type) for d in listed] == [
        (two["id"], "two.py", 7, ".py"),
        (one["id"], "one.txt", 5, ".txt"),
    ]
    got = remote.get_download(one["id"])
    assert (got.name, got.description, got.size, got.download_count) == ("one.txt", "the first", 5, 0)
    assert got.html_url == one["html_url"] and got.url == one["url"]
    assert isinstance(got.created_at, dt.datetime) and got.created_at.tzinfo is not None
    assert httpx.get(got.html_url).content == b"first"
    assert remote.get_download(one["id"]).download_count == 1
    remote.get_download(two["id"]).delete()
    assert [d.name for d in remote.get_downloads()] == ["one.txt"]
    with pytest.raises(GithubException) as info:
        _ = remote.get_download(two["id"]).name  # lazy: fetched on first attribute
    assert info.value.status == 404
