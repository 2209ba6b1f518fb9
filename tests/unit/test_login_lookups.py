"""http/auth.Login: the requests that miss its kept lookups together share one lookup (one database
read), when nothing was written between them; a write in between starts a new one; a caller that
goes away leaves the others their answer. On a data dir of its own: no other process moves its
generation."""

from __future__ import annotations

import asyncio
import threading

import pytest
import sqlalchemy as sa

from hubdepot import errors
from hubdepot.config import Settings
from hubdepot.db import migrate
from hubdepot.http.auth import Login
from hubdepot.hub import create_hub
from hubdepot.services import accounts


@pytest.fixture
def hub(tmp_path):
    h = create_hub(Settings.load(data_dir=tmp_path / "data", metrics="off"))
    migrate.upgrade(h.db)
    yield h
    h.db.dispose()


def _reads(hub) -> list[int]:
    """A list that counts the lookups: connections taken from the pool in the thread pool, where a
    lookup runs (the test's own writes run on its main thread)."""
    taken: list[int] = []

    def checkout(*_: object) -> None:
        if threading.current_thread() is not threading.main_thread():
            taken.append(1)

    sa.event.listen(hub.db.engine, "checkout", checkout)
    return taken


def test_requests_that_miss_together_share_one_lookup(hub):
    accounts.create_account(hub, "alice", "User")
    token = accounts.create_token(hub, "alice")
    login, taken = Login(hub), _reads(hub)

    async def many() -> list:
        return await asyncio.gather(*(login.actor(f"token {token}") for _ in range(32)))

    actors = asyncio.run(many())
    assert {a.account.login for a in actors} == {"alice"}
    assert len(taken) == 1


def test_a_write_between_them_starts_a_new_lookup(hub):
    accounts.create_account(hub, "bob", "User")
    token = accounts.create_token(hub, "bob")
    login, taken = Login(hub), _reads(hub)

    async def around_a_write() -> None:
        first = asyncio.ensure_future(login.actor(f"token {token}"))
        await asyncio.sleep(0)  # (its lookup has begun)
        accounts.create_account(hub, "carol", "User")  # a write: the generation moves
        second = await login.actor(f"token {token}")
        assert second.account.login == "bob"
        assert (await first).account.login == "bob"
        assert len(taken) == 2  # (the second its own lookup, not the one begun before the write)

    asyncio.run(around_a_write())


def test_a_caller_that_goes_away_leaves_the_others_their_answer_and_errors_reach_all(hub):
    accounts.create_account(hub, "dave", "User")
    token = accounts.create_token(hub, "dave")
    login = Login(hub)

    async def one_cancelled() -> None:
        leaving = asyncio.ensure_future(login.actor(f"token {token}"))
        staying = asyncio.ensure_future(login.actor(f"token {token}"))
        await asyncio.sleep(0)
        leaving.cancel()
        assert (await staying).account.login == "dave"
        bad = await asyncio.gather(*(login.actor("token nope") for _ in range(3)), return_exceptions=True)
        assert all(isinstance(e, errors.BadCredentials) for e in bad)

    asyncio.run(one_cancelled())
