"""git/lock with PostgreSQL: the repository lock holds across hosts (a session-level advisory lock
keyed by the repository's directory name), though each host has the repositories volume mounted at
its own path (so their flocks never meet)."""

from __future__ import annotations

import threading

import pytest

from hubdepot.db.locks import AdvisoryLocks
from hubdepot.git import lock
from tests.conftest import PG_URL

pytestmark = pytest.mark.skipif(not PG_URL, reason="needs HUBDEPOT_TEST_DATABASE_URL (PostgreSQL)")


@pytest.fixture
def two_hosts(tmp_path):
    """The same repository seen through two mount points, each with its own cluster lock (as two hosts)."""
    roots = [tmp_path / "host-a", tmp_path / "host-b"]
    locks = [AdvisoryLocks(PG_URL), AdvisoryLocks(PG_URL)]
    for root, cluster in zip(roots, locks, strict=True):
        root.mkdir()
        lock.use_cluster(root, cluster)
    yield [root / "7.git" for root in roots]
    for root, cluster in zip(roots, locks, strict=True):
        lock.use_cluster(root, None)
        cluster.dispose()


def test_a_writer_on_one_host_keeps_out_writers_on_another(two_hosts):
    here, there = two_hosts
    entered, order = threading.Event(), []

    def other_host_writer() -> None:
        with lock.repo_lock(there):
            order.append("there")
            entered.set()

    with lock.repo_lock(here):
        with lock.try_repo_lock(there) as taken:
            assert taken is False
        waiting = threading.Thread(target=other_host_writer)
        waiting.start()
        assert not entered.wait(0.5)  # it waits for this host's writer
        order.append("here")
    waiting.join(10)
    assert order == ["here", "there"]
    with lock.try_repo_lock(here) as taken:
        assert taken is True  # released on both hosts


def test_another_repository_is_not_held(two_hosts):
    here, there = two_hosts
    with lock.repo_lock(here), lock.try_repo_lock(there.with_name("8.git")) as taken:
        assert taken is True
