"""PyGithub and githubkit, unchanged, against a real server process: releases and assets."""

from __future__ import annotations

import hashlib
import os

import pytest


def test_pygithub_releases_and_assets(server, user, repo, tmp_path):
    from github import Auth, Github

    gh = Github(
        base_url=server.api,
        auth=Auth.Token(user.token),
        retry=None,
        seconds_between_requests=0,
        seconds_between_writes=0,
    )
    r = gh.get_repo(repo)
    rel = r.create_git_release("v1.0", "First", "Notes", draft=False, prerelease=False)
    assert rel.tag_name == "v1.0" and rel.name == "First" and rel.body == "Notes" and not rel.draft
    data = os.urandom(200_000)
    path = tmp_path / "tool.tar.gz"
    path.write_bytes(data)
    asset = rel.upload_asset(str(path), label="The tool")
    assert asset.name == "tool.tar.gz" and asset.label == "The tool" and asset.size == len(data)
    assert asset.digest == "sha256:" + hashlib.sha256(data).hexdigest()
    memory = rel.upload_asset_from_memory(b"in memory", len(b"in memory"), "memo.txt", content_type="text/plain")
    assert memory.content_type == "text/plain"
    assert sorted(a.name for a in rel.get_assets()) == ["memo.txt", "tool.tar.gz"]
    target = tmp_path / "down.bin"
    r.get_release_asset(asset.id).download_asset(str(target), chunk_size=65536)
    assert target.read_bytes() == data
    assert r.get_latest_release().id == rel.id
    assert r.get_release("v1.0").id == rel.id and r.get_release(rel.id).tag_name == "v1.0"
    updated = rel.update_release("First (edited)", "More notes", prerelease=True)
    assert updated.name == "First (edited)" and updated.prerelease is True
    memory.update_asset("memo-renamed.txt", label="memo")
    assert r.get_release_asset(memory.id).name == "memo-renamed.txt"
    assert memory.delete_asset() is True
    second = r.create_git_release("v2.0", "Second", "", make_latest="true")
    assert [x.tag_name for x in r.get_releases()] == ["v2.0", "v1.0"]
    second.delete_release()
    assert [x.tag_name for x in r.get_releases()] == ["v1.0"]


@pytest.mark.parametrize("version", ["2022-11-28", "2026-03-10"])
def test_githubkit_releases_and_assets(server, user, repo, version):
    from githubkit import GitHub, TokenAuthStrategy

    gh = GitHub(TokenAuthStrategy(user.token), base_url=server.api + "/")
    rest = gh.rest(version)
    owner, name = repo.split("/")
    rel = rest.repos.create_release(owner, name, tag_name="v1", name="One", body="b", draft=True).parsed_data
    assert rel.draft is True and rel.published_at is None
    data = os.urandom(70_000)
    asset = rest.repos.upload_release_asset(
        owner, name, rel.id, name="kit file.bin", data=data, headers={"content-type": "application/octet-stream"}
    ).parsed_data
    assert asset.name == "kit.file.bin" and asset.digest == "sha256:" + hashlib.sha256(data).hexdigest()
    upload_url = rel.upload_url.split("{")[0]
    via_template = gh.request(
        "POST",
        upload_url,
        params={"name": "second.txt", "label": ""},
        content=b"two",
        headers={"content-type": "text/plain"},
    )
    assert via_template.status_code == 201
    published = rest.repos.update_release(owner, name, rel.id, draft=False, make_latest="true").parsed_data
    assert published.draft is False and published.html_url.endswith("/releases/tag/v1")
    assert rest.repos.get_latest_release(owner, name).parsed_data.id == rel.id
    assert rest.repos.get_release_by_tag(owner, name, "v1").parsed_data.id == rel.id
    assets = rest.repos.list_release_assets(owner, name, rel.id).parsed_data
    assert [a.name for a in assets] == ["kit.file.bin", "second.txt"]
    raw = rest.repos.get_release_asset(owner, name, asset.id, headers={"Accept": "application/octet-stream"})
    assert raw.content == data
    renamed = rest.repos.update_release_asset(owner, name, asset.id, name="renamed.bin", label="L").parsed_data
    assert renamed.name == "renamed.bin" and renamed.label == "L"
    rest.repos.delete_release_asset(owner, name, asset.id)
    notes = rest.repos.generate_release_notes(owner, name, tag_name="v2").parsed_data
    assert notes.name == "v2" and "Full Changelog" in notes.body
    for i in range(3):
        rest.repos.create_release(owner, name, tag_name=f"p{i}")
    tags = [r.tag_name for r in gh.rest.paginate(rest.repos.list_releases, owner=owner, repo=name, per_page=2)]
    assert tags == ["p2", "p1", "p0", "v1"]
    rest.repos.delete_release(owner, name, rel.id)
    assert rest.repos.list_releases(owner, name).parsed_data[-1].tag_name == "p0"
