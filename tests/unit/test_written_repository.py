"""http/observe.written_repository: the repository a request's writes concern (the read cache keeps
other repositories' answers across them). A short path's answer is kept; kept or not, the answer is
the same, and a path too long to keep is still answered."""

from __future__ import annotations

import pytest

from hubdepot.http import observe

PATHS = [
    ("/api/v3/repos/Octo/Hello-World/releases/1", "octo/hello-world"),
    ("/api/v3/repos/octo/hello/contents/a/b.txt", "octo/hello"),
    ("/api/uploads/repos/Octo/R/releases/1/assets", "octo/r"),
    ("/api/v3/user/repos", None),
    ("/api/v3/repositories/12", None),
    ("/Octo/Repo.git/git-receive-pack", "octo/repo"),
    ("/octo/repo/info/refs", "octo/repo"),
    ("/octo/repo/releases/download/v1/a.bin", "octo/repo"),
    ("/octo/repo/blob/main/README.md", None),
    ("/", None),
]


@pytest.mark.parametrize(("path", "repository"), PATHS)
def test_the_kept_answer_is_the_answer(path, repository):
    assert observe._written(path) == repository
    assert observe.written_repository(path) == repository
    assert observe.written_repository(path) == repository  # (kept now)


def test_a_long_path_is_answered_and_not_kept():
    path = "/api/v3/repos/octo/hello/contents/" + "a/" * 400
    kept = observe._written_kept.cache_info().currsize
    assert observe.written_repository(path) == "octo/hello"
    assert observe._written_kept.cache_info().currsize == kept
    assert observe._written_kept.cache_info().maxsize == 4096
