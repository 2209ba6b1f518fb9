"""Small pure pieces: settings, pagination links, media types, signing, token format, request ids."""

from __future__ import annotations

import time

import pytest
from starlette.datastructures import QueryParams

from hubdepot.api._pagination import link_header, page_of
from hubdepot.config import Settings, SettingsError, parse_size
from hubdepot.http.auth import credentials
from hubdepot.http.edge import request_id
from hubdepot.http.media import negotiate
from hubdepot.services.accounts import new_token
from hubdepot.signing import Signer


def test_settings_from_env_and_errors(tmp_path):
    s = Settings.load({"HUBDEPOT_PORT": "9001", "HUBDEPOT_UPLOAD_MAX_BYTES": "1G", "HUBDEPOT_DATA_DIR": str(tmp_path)})
    assert s.port == 9001 and s.upload_max_bytes == 1024**3 and s.public == "http://127.0.0.1:9001"
    assert s.database == f"sqlite:///{(tmp_path / 'hubdepot.db').resolve()}"
    assert Settings.load({}, host="0.0.0.0", port=80).public == "http://127.0.0.1:80"
    assert Settings.load({}, public_url="https://depot.example/").public == "https://depot.example"
    for env in (
        {"HUBDEPOT_PORT": "x"},
        {"HUBDEPOT_PORT": "70000"},
        {"HUBDEPOT_STORAGE": "ftp://x"},
        {"HUBDEPOT_DATABASE_URL": "mysql://x"},
        {"HUBDEPOT_TLS_CERT": "/nope"},
        {"HUBDEPOT_UPLOAD_MAX_BYTES": "-1"},
    ):
        with pytest.raises(SettingsError):
            Settings.load(env)
    assert parse_size("512m") == 512 * 1024**2 and parse_size("2GiB") == 2 * 1024**3 and parse_size("10") == 10


def test_pagination_links():
    q = QueryParams("per_page=2&state=all")
    page = page_of(q)
    assert (page.number, page.size, page.offset) == (1, 2, 0)
    assert link_header("http://h/x", q, page, 5) == (
        '<http://h/x?state=all&per_page=2&page=2>; rel="next", <http://h/x?state=all&per_page=2&page=3>; rel="last"'
    )
    assert link_header("http://h/x", q, page, 2) is None
    assert page_of(QueryParams("per_page=500")).size == 100
    assert page_of(QueryParams("per_page=0&page=-3")).number == 1
    middle = page_of(QueryParams("page=2"))
    assert link_header("http://h/x", QueryParams("page=2"), middle, 90) == (
        '<http://h/x?page=1>; rel="prev", <http://h/x?page=3>; rel="next", '
        '<http://h/x?page=3>; rel="last", <http://h/x?page=1>; rel="first"'
    )


@pytest.mark.parametrize(
    "accept,param,json",
    [
        ("application/vnd.github.raw", "raw", False),
        ("application/vnd.github.v3.raw", "raw", False),
        ("application/vnd.github.raw+json", "raw", True),
        ("application/vnd.github.v3.html+json", "html", True),
        ("application/vnd.github.object", "object", False),
        ("application/vnd.github+json", None, True),
        ("*/*", None, True),
        ("", None, True),
        ("application/vnd.github.merge-info-preview+json, application/vnd.github.nebula-preview", None, True),
    ],
)
def test_media_negotiation(accept, param, json):
    media = negotiate(accept)
    assert (media.param, media.json) == (param, json)


def test_media_header_and_octet():
    assert negotiate("application/vnd.github.v3.raw").github_header == "github.v3; param=raw"
    assert negotiate("application/vnd.github.raw+json").github_header == "github.v3; param=raw; format=json"
    assert negotiate("application/octet-stream, application/json").octet is True


def test_signer_binds_purpose_and_expiry():
    signer = Signer(b"k")
    token = signer.sign("archive:1:main", 60)
    assert signer.check("archive:1:main", token)
    assert not signer.check("archive:2:main", token)
    assert not Signer(b"other").check("archive:1:main", token)
    expired = signer.sign("x", -1)
    assert not signer.check("x", expired)
    assert not signer.check("x", None) and not signer.check("x", "garbage")


def test_token_format_and_auth_header_forms():
    token = new_token()
    assert token.startswith("ghp_") and len(token) == 40 and token[4:].isalnum()
    assert credentials("token abc") == "abc" and credentials("Bearer abc") == "abc"
    assert credentials("BEARER abc") == "abc"
    assert credentials("Basic dXNlcjphYmM=") == "abc"  # user:abc
    assert credentials("Basic YWJjOg==") == "abc"  # abc: (the token as username, empty password)
    assert credentials(None) is None and credentials("Basic !!!") == "" and credentials("Digest x") == ""
    rid = request_id()
    assert len(rid.split(":")) == 5 and rid == rid.upper()
    assert time.time() > 0
