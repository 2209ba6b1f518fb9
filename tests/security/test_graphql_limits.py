"""GraphQL's resource limits, as GitHub's: every connection that lists items needs first or last
(0..100), a query may ask for at most 500,000 nodes (refused before it runs), a huge document is
refused before it is parsed, execution stops at a deadline, and a resolver's internal failure
answers GitHub's generic error with the request id: no SQL, no traceback."""

from __future__ import annotations

import base64
import time

import httpx
import pytest

from tests.conftest import BASE_PG_URL, WORKER, scratch_database
from tests.support import server as server_support

INTERNAL = (
    "Something went wrong while executing your query. This may be the result of a timeout, or it could be "
    "a GitHub bug. Please include `{}` when reporting this issue."
)


@pytest.fixture
def gql(server, user):
    client = httpx.Client(base_url=server.url, timeout=60, headers={"authorization": f"token {user.token}"})

    def post(query: str, **variables) -> httpx.Response:
        return client.post("/api/graphql", json={"query": query, "variables": variables})

    yield post
    client.close()


def _repository(repo: str, body: str) -> str:
    owner, name = repo.split("/")
    return f'{{ repository(owner: "{owner}", name: "{name}") {{ {body} }} }}'


def test_a_connection_listing_items_needs_first_or_last(gql, user, repo):
    user.api.post(f"/repos/{repo}/releases", json={"tag_name": "v1"}).raise_for_status()
    query = _repository(repo, "releases { nodes { tagName } }")
    got = gql(query).json()
    assert got == {
        "data": {"repository": None},
        "errors": [
            {
                "type": "MISSING_PAGINATION_BOUNDARIES",
                "path": ["repository", "releases"],
                "locations": [{"line": 1, "column": query.index("releases") + 1}],
                "message": "You must provide a `first` or `last` value to properly paginate the `releases` connection.",
            }
        ],
    }
    # as on GitHub, counting needs no page: `stargazers { totalCount }` is the usual idiom
    counted = gql(_repository(repo, "releases { totalCount }")).json()
    assert counted == {"data": {"repository": {"releases": {"totalCount": 1}}}}


def test_first_and_last_stay_within_0_to_100(gql, user, repo):
    user.api.post(f"/repos/{repo}/releases", json={"tag_name": "v1"}).raise_for_status()
    query = "query($n: Int!) " + _repository(repo, "releases(first: $n) { nodes { tagName } }")
    [error] = gql(query, n=101).json()["errors"]
    assert error["type"] == "EXCESSIVE_PAGINATION" and error["path"] == ["repository", "releases"]
    assert error["message"] == (
        "Requesting 101 records on the `releases` connection exceeds the `first` limit of 100 records."
    )
    nested = gql(_repository(repo, "releases(first: 1) { nodes { releaseAssets(first: 101) { totalCount } } }"))
    [error] = nested.json()["errors"]
    assert error["type"] == "EXCESSIVE_PAGINATION"
    assert error["path"] == ["repository", "releases", "nodes", 0, "releaseAssets"]
    [error] = gql(_repository(repo, "releases(last: -1) { nodes { tagName } }")).json()["errors"]
    assert (error["type"], error["message"]) == (
        "INVALID_PAGINATION",
        "`last` on the connection cannot be less than zero.",
    )
    assert gql(query, n=100).json() == {"data": {"repository": {"releases": {"nodes": [{"tagName": "v1"}]}}}}
    assert gql(query, n=0).json() == {"data": {"repository": {"releases": {"nodes": []}}}}


NESTED = (
    "releases(first: 100) { nodes { releaseAssets(first: 100) { nodes { "
    "uploadedBy { organizations(first: $orgs) { nodes { login } } } } } } }"
)


def test_a_query_asking_for_more_than_500000_nodes_is_refused_before_it_runs(gql, user, repo):
    user.api.post(f"/repos/{repo}/releases", json={"tag_name": "v1"}).raise_for_status()
    query = "query($orgs: Int!) " + _repository(repo, NESTED)
    # 100 releases + 100 * 100 assets + 100 * 100 * 100 organizations
    assert gql(query, orgs=100).json() == {
        "errors": [
            {
                "type": "MAX_NODE_LIMIT_EXCEEDED",
                "message": "By the time this query traverses to the organizations connection, it is requesting "
                "up to 1,010,100 possible nodes which exceeds the maximum limit of 500,000.",
            }
        ]
    }
    # the same nodes split across aliases and a fragment count the same
    split = "fragment orgs on User { organizations(first: 50) { nodes { login } } } " + _repository(
        repo,
        "releases(first: 100) { nodes { releaseAssets(first: 100) { nodes { "
        "a: uploadedBy { ...orgs } b: uploadedBy { ...orgs } } } } }",
    )
    [error] = gql(split).json()["errors"]
    assert error["message"].startswith("By the time this query traverses to the organizations connection")
    # 100 + 10,000 + 480,000: within the limit, so it runs
    within = gql(query, orgs=48).json()
    assert within == {"data": {"repository": {"releases": {"nodes": [{"releaseAssets": {"nodes": []}}]}}}}


def test_a_700_kb_query_is_refused_at_once(gql, repo):
    one = _repository(repo, "latestRelease { tagName }")[1:-1]
    query = "{" + " ".join(f"a{i}: {one}" for i in range(700_000 // len(one))) + "}"
    assert len(query) > 690_000
    start = time.monotonic()
    r = gql(query)
    elapsed = time.monotonic() - start
    assert r.status_code == 200 and r.json() == {"errors": [{"message": "This query is too large to execute."}]}
    assert elapsed < 1.5, elapsed
    # fewer bytes but too many tokens: refused by the parser after 30,000 tokens
    tokens = "{" + " ".join(f"a{i}: viewer {{ login }}" for i in range(8_000)) + "}"
    assert len(tokens) < 256 * 1024
    assert gql(tokens).json() == {"errors": [{"message": "This query is too large to execute."}]}
    deep = _repository(repo, "parent { " * 26 + "name" + " }" * 26)
    assert gql(deep).json() == {"errors": [{"message": "Query has depth of 28, which exceeds max depth of 25"}]}


@pytest.fixture(scope="module")
def failing(backend, tmp_path_factory):
    """A server of this module's own on each backend (PostgreSQL: a database of its own), with a
    repository and a release: the failure provoked there leaves its traceback in this server's log,
    not in the shared server's, which other modules read for tracebacks."""
    url = ""
    if backend.startswith("postgresql"):
        url = scratch_database(f"{BASE_PG_URL.rpartition('/')[2]}_{WORKER or 'main'}_graphql_limits", fresh=True)
    srv = server_support.start(tmp_path_factory.mktemp(f"graphql-limits-{backend}"), url)
    client = httpx.Client(base_url=srv.url, timeout=60, headers={"authorization": f"token {srv.token}"})
    login = client.get("/api/v3/user").json()["login"]
    client.post("/api/v3/user/repos", json={"name": "r", "auto_init": True}).raise_for_status()
    client.post(f"/api/v3/repos/{login}/r/releases", json={"tag_name": "v1"}).raise_for_status()
    yield srv, client, f"{login}/r"
    client.close()
    srv.stop()


def test_an_internal_error_shows_no_sql_and_names_the_request(failing):
    """A cursor whose offset the database rejects (PostgreSQL: bigint out of range; SQLite: too large
    for an INTEGER): the answer is GitHub's generic error with the request id, the details are in
    the server's log under that id."""
    srv, client, repo = failing
    cursor = base64.b64encode(b"cursor:v2:99999999999999999999").decode()
    query = "query($c: String) " + _repository(repo, "releases(first: 1, after: $c) { nodes { tagName } }")
    r = client.post("/api/graphql", json={"query": query, "variables": {"c": cursor}})
    request_id = r.headers["x-github-request-id"]
    assert r.status_code == 200 and r.json() == {"data": None, "errors": [{"message": INTERNAL.format(request_id)}]}
    assert "SELECT" not in r.text and "INTEGER" not in r.text and "Traceback" not in r.text
    deadline = time.monotonic() + 5
    while request_id not in srv.log.read_text(errors="replace") and time.monotonic() < deadline:
        time.sleep(0.05)
    logged = srv.log.read_text(errors="replace")
    assert f"GraphQL field ['repository', 'releases'] failed (request {request_id})\nTraceback" in logged
    # a domain error keeps GitHub's message and type
    missing = client.post("/api/graphql", json={"query": '{ repository(owner: "nobody", name: "no") { name } }'})
    assert missing.json() == {
        "data": {"repository": None},
        "errors": [
            {
                "type": "NOT_FOUND",
                "path": ["repository"],
                "locations": [{"line": 1, "column": 3}],
                "message": "Could not resolve to a Repository with the name 'nobody/no'.",
            }
        ],
    }


def test_execution_stops_at_the_deadline(tmp_path):
    """A server whose GraphQL deadline is 100 ms, and a query of 200 repositories' 20 releases with
    their tag commits (about 4 s of work on this machine): the answer is GitHub's timeout answer,
    long before the work would be done."""
    srv = server_support.start(tmp_path / "data", env={"HUBDEPOT_GRAPHQL_TIMEOUT_MS": "100"})
    client = httpx.Client(base_url=srv.url, timeout=60, headers={"authorization": f"token {srv.token}"})
    try:
        login = client.get("/api/v3/user").json()["login"]
        assert client.post("/api/v3/user/repos", json={"name": "r", "auto_init": True}).status_code == 201
        for i in range(20):
            assert client.post(f"/api/v3/repos/{login}/r/releases", json={"tag_name": f"v{i}"}).status_code == 201
        one = (
            f'repository(owner: "{login}", name: "r") {{ releases(first: 100) {{ nodes {{ tagCommit {{ oid }} }} }} }}'
        )
        query = "{" + " ".join(f"a{i}: {one}" for i in range(200)) + "}"
        start = time.monotonic()
        r = client.post("/api/graphql", json={"query": query})
        elapsed = time.monotonic() - start
        request_id = r.headers["x-github-request-id"]
        assert r.status_code == 200 and r.json() == {"data": None, "errors": [{"message": INTERNAL.format(request_id)}]}
        assert elapsed < 1.5, elapsed
        small = client.post("/api/graphql", json={"query": "{ viewer { login } }"}).json()
        assert small == {"data": {"viewer": {"login": login}}}
    finally:
        client.close()
        srv.stop()
