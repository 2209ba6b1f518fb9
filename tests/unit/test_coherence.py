"""db/generation and db/coherence: a write names the repository it concerns, so other repositories'
cached answers stay usable; with PostgreSQL each host applies the others' writes (LISTEN/NOTIFY) and
uses no cache while its notification connection is down."""

from __future__ import annotations

import time

import psycopg
import pytest

from hubdepot.db.coherence import Listener, Publisher
from hubdepot.db.generation import WRITE_SCOPE, Generation
from tests.conftest import PG_URL

needs_postgres = pytest.mark.skipif(not PG_URL, reason="needs HUBDEPOT_TEST_DATABASE_URL (PostgreSQL)")


def _write(generation: Generation, repository: str | None) -> None:
    token = WRITE_SCOPE.set(repository)
    try:
        generation.bump()
    finally:
        WRITE_SCOPE.reset(token)


def _eventually(check, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.01)


def test_a_write_to_one_repository_keeps_another_repositorys_answers(tmp_path):
    generation = Generation(tmp_path / "generation")
    seen = generation.current()
    _write(generation, "o/a")
    assert generation.valid(seen, "o/b") and not generation.valid(seen, "O/A")
    assert not generation.valid(seen, None)  # an answer about anything: any write ends it
    assert generation.current() != seen
    seen = generation.current()
    _write(generation, None)  # a write that names no repository concerns them all
    assert not generation.valid(seen, "o/b")


def test_sign_in_lookups_outlive_writes_to_repositories_only(tmp_path):
    generation = Generation(tmp_path / "generation")
    seen = generation.current()
    _write(generation, "o/a")  # e.g. a release edited: no account, token or session changed
    assert generation.valid_for_accounts(seen)
    _write(generation, None)  # e.g. a sign-out
    assert not generation.valid_for_accounts(seen)


def test_processes_on_one_data_dir_share_the_counters(tmp_path):
    one, two = Generation(tmp_path / "generation"), Generation(tmp_path / "generation")
    seen = two.current()
    _write(one, "o/a")
    assert not two.valid(seen, "o/a") and two.valid(seen, "o/b") and one.origin == two.origin


@pytest.fixture
def two_hosts(tmp_path):
    here, there = Generation(tmp_path / "a" / "generation"), Generation(tmp_path / "b" / "generation")
    here.publish = Publisher(PG_URL, here)
    listener = Listener(PG_URL, there, check_seconds=0.2)
    listener.start()
    _eventually(lambda: there.coherent)
    yield here, there, listener
    listener.stop()
    here.publish.close()


@needs_postgres
def test_a_write_on_one_host_ends_the_other_hosts_answers_about_that_repository(two_hosts):
    here, there, _ = two_hosts
    seen = there.current()
    _write(here, "o/a")
    _eventually(lambda: not there.valid(seen, "o/a"), 2)
    assert there.valid(seen, "o/b")
    seen = there.current()
    _write(here, None)
    _eventually(lambda: not there.valid(seen, "o/b"), 2)


@needs_postgres
def test_a_host_that_loses_its_notification_connection_uses_no_cache_until_caught_up(two_hosts):
    here, there, listener = two_hosts
    seen = there.current()
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        pid = listener._conn.info.backend_pid
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    _eventually(lambda: not there.coherent, 5)
    assert there.current() < 0 and there.current() != there.current()  # equal to nothing kept
    _write(here, "o/a")  # missed while away
    _eventually(lambda: there.coherent, 5)
    assert not there.valid(seen, "o/b")  # caught up: whatever was cached before counts as stale
