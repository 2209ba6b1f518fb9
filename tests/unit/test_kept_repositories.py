"""git/repos.reading: a handle kept per thread, its directory checked again once a write has moved
the data dir's generation (db/generation), and at every read where nothing watches the directory."""

from __future__ import annotations

import shutil

import pytest

from hubdepot import errors
from hubdepot.db.generation import Generation
from hubdepot.git import repos as git_repos


def _head(repo) -> str:
    return repo.references["HEAD"].target


def test_a_kept_handle_is_checked_again_after_a_write(tmp_path):
    root, generation = tmp_path / "repositories", Generation(tmp_path / "generation")
    git_repos.watch(root, generation.current)
    path = git_repos.create(root, 1, "main")
    with git_repos.reading(path) as first:
        assert _head(first) == "refs/heads/main"
    with git_repos.reading(path) as again:
        assert again is first, "kept while nothing was written"
    shutil.rmtree(path)  # the repository deleted, another made with its id: two writes
    git_repos.create(root, 1, "trunk")
    generation.apply(None)
    with git_repos.reading(path) as fresh:
        assert fresh is not first and _head(fresh) == "refs/heads/trunk"
    shutil.rmtree(path)
    generation.apply(None)
    with pytest.raises(errors.NotFound), git_repos.reading(path):
        pass


def test_an_unwatched_directory_is_checked_at_every_read(tmp_path):
    root = tmp_path / "elsewhere"
    path = git_repos.create(root, 7, "main")
    with git_repos.reading(path) as first:
        pass
    shutil.rmtree(path)
    git_repos.create(root, 7, "trunk")
    with git_repos.reading(path) as fresh:
        assert fresh is not first and _head(fresh) == "refs/heads/trunk"


def test_a_closed_generation_never_vouches_for_a_handle(tmp_path):
    generation = Generation(tmp_path / "generation")
    generation.close()
    assert generation.current() < 0 and generation.current() != generation.current()
