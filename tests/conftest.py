"""Fixtures: a real server process per database backend, in-process access to its database, users."""

from __future__ import annotations

import itertools
import os
import uuid

import pytest

from tests.support import server as server_support
from tests.support.server import CheckedClient

PG_URL = os.environ.get("HUBDEPOT_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
_counter = itertools.count(1)


def reset_postgres(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")


def database_url_for(backend: str) -> str:
    if backend == "postgresql":
        reset_postgres(PG_URL)
        return PG_URL
    return ""


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def server(backend, tmp_path_factory):
    srv = server_support.start(tmp_path_factory.mktemp(f"server-{backend}"), database_url_for(backend))
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def hub(server):
    """In-process access to the running server's database and data dir (for setting up fixtures)."""
    from hubdepot.app import create_hub
    from hubdepot.config import Settings

    h = create_hub(Settings.load(data_dir=server.data_dir, database_url=server.database_url or None,
                                 public_url=server.url))
    yield h
    h.db.dispose()


def unique(prefix: str = "u") -> str:
    return f"{prefix}{next(_counter)}-{uuid.uuid4().hex[:6]}"


@pytest.fixture
def make_user(hub):
    """make_user() -> (login, token) for a fresh user."""
    from hubdepot.services import accounts

    def make(login: str | None = None, **kw):
        login = login or unique("user")
        accounts.create_account(hub, login, "User", **kw)
        return login, accounts.create_token(hub, login)

    return make


@pytest.fixture
def client_for(server):
    clients = []

    def make(token: str | None = None, **kw) -> CheckedClient:
        headers = {"Authorization": f"token {token}"} if token else {}
        c = CheckedClient(base_url=server.api, headers=headers, **kw)
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.close()


@pytest.fixture
def admin(server, client_for) -> CheckedClient:
    return client_for(server.token)


@pytest.fixture
def user(make_user, client_for):
    """A fresh user: object with .login, .token, .api (a checked client)."""
    login, token = make_user()
    return type("User", (), {"login": login, "token": token, "api": client_for(token)})()


@pytest.fixture
def repo(user):
    """A fresh auto-initialised public repository of `user`: 'login/name'."""
    name = unique("repo")
    r = user.api.post("/user/repos", json={"name": name, "auto_init": True})
    assert r.status_code == 201, r.text
    return f"{user.login}/{name}"
