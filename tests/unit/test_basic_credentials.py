"""Basic credentials as release tools and GitHub's docs send them: the token as the password, or as
the username with an empty password or `x-oauth-basic`."""

import base64

from hubdepot.http.auth import credentials


def basic(pair: str) -> str:
    return "Basic " + base64.b64encode(pair.encode()).decode()


def test_token_as_username_or_password():
    assert credentials(basic("x-access-token:tok")) == "tok"  # actions/checkout, gh
    assert credentials(basic("octocat:tok")) == "tok"  # GITHUB_ACTOR:TOKEN (python-semantic-release in Actions)
    assert credentials(basic("tok:")) == "tok"  # semantic-release, python-semantic-release
    assert credentials(basic("tok:x-oauth-basic")) == "tok"  # GitHub's docs for OAuth tokens over git
    assert credentials(basic("tok")) == "tok"  # no colon at all
