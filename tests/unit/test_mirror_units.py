"""`hubdepot mirror`'s pure parts: naming the source's API from a web URL."""

from __future__ import annotations

import pytest

from hubdepot.mirror.source import MirrorError, Target


def test_github_and_compatible_servers():
    gh = Target("https://github.com/octocat/Hello-World.git/")
    assert (gh.api_repo, gh.web_url) == (
        "https://api.github.com/repos/octocat/Hello-World",
        "https://github.com/octocat/Hello-World",
    )
    own = Target("http://depot.example:8080/acme/tool")
    assert own.api_repo == "http://depot.example:8080/api/v3/repos/acme/tool" and own.host == "depot.example"


@pytest.mark.parametrize(
    "url", ["github.com/a/b", "https://github.com/a", "https://github.com/a/b/c", "ftp://host/a/b", "https:///a/b"]
)
def test_not_a_repository_url(url):
    with pytest.raises(MirrorError, match="not a repository URL"):
        Target(url)
