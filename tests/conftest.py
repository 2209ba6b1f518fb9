"""Fixtures: a real server process per database backend, in-process access to its database, users."""

from __future__ import annotations

import itertools
import os
import uuid

import pytest

from tests.support import server as server_support
from tests.support.server import CheckedClient

BASE_PG_URL = os.environ.get("HUBDEPOT_TEST_DATABASE_URL", "")
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
_counter = itertools.count(1)


def scratch_database(name: str, *, fresh: bool = False) -> str:
    """The URL of PostgreSQL database `name` beside HUBDEPOT_TEST_DATABASE_URL's, created when missing
    (dropped first when `fresh`): parallel test workers each get their own."""
    import psycopg

    base = BASE_PG_URL.rpartition("/")[0]
    with psycopg.connect(BASE_PG_URL, autocommit=True) as conn:
        if fresh:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if fresh or conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')
    return f"{base}/{name}"


def _worker_pg_url() -> str:
    if not BASE_PG_URL or not WORKER:
        return BASE_PG_URL
    return scratch_database(f"{BASE_PG_URL.rpartition('/')[2]}_{WORKER}")


PG_URL = _worker_pg_url()
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def reset_postgres(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")


def database_url_for(backend: str) -> str:
    if backend.startswith("postgresql"):
        reset_postgres(PG_URL)
        return PG_URL
    return ""


def pytest_configure(config):
    config.addinivalue_line("markers", "storage_matrix: also run against S3 storage (moto's server on loopback)")


def pytest_generate_tests(metafunc):
    """`backend` is a session-wide (database, storage) combination; S3 only for storage_matrix tests."""
    if "backend" in metafunc.fixturenames:
        combos = list(BACKENDS)
        if metafunc.definition.get_closest_marker("storage_matrix"):
            combos.append("sqlite-s3")
        metafunc.parametrize("backend", combos, indirect=True, scope="session")


@pytest.fixture(scope="session")
def backend(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def server(backend, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp(f"server-{backend}")
    env = {}
    if backend.endswith("-s3"):
        env = s3_env(tmp_path_factory)
    srv = server_support.start(data_dir, database_url_for(backend), env=env)
    yield srv
    srv.stop()


def s3_env(tmp_path_factory) -> dict:
    """HUBDEPOT_* settings for S3 storage on a moto server (see tests/support/s3.py)."""
    from tests.support import s3

    return s3.server_env(tmp_path_factory)


@pytest.fixture(scope="session")
def hub(server):
    """In-process access to the running server's database and data dir (for setting up fixtures)."""
    from hubdepot.app import create_hub
    from hubdepot.config import Settings

    h = create_hub(
        Settings.load(data_dir=server.data_dir, database_url=server.database_url or None, public_url=server.url)
    )
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


@pytest.fixture(scope="session")
def server_hub(server):
    """Like `hub`, but with every setting of the running server, its storage included (S3 for -s3 backends)."""
    from hubdepot.app import create_hub
    from hubdepot.config import Settings

    h = create_hub(
        Settings.load(
            env=server.env, data_dir=server.data_dir, database_url=server.database_url or None, public_url=server.url
        )
    )
    yield h
    h.db.dispose()
