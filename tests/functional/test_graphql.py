"""GraphQL at /api/graphql: the queries gh sends for releases and auth, and GitHub's error shapes."""

from __future__ import annotations

import httpx
import pytest

from tests.support.releases import node

RELEASE_LIST = """query RepositoryReleaseList($owner: String!, $name: String!, $perPage: Int!, $endCursor: String) {
  repository(owner: $owner, name: $name) {
    releases(first: $perPage, orderBy: {field: CREATED_AT, direction: DESC}, after: $endCursor) {
      nodes { name tagName isDraft isLatest isPrerelease createdAt publishedAt }
      pageInfo { hasNextPage endCursor }
    }
  }
}"""
BY_TAG = """query RepositoryReleaseByTag($owner: String!, $name: String!, $tagName: String!) {
  repository(owner: $owner, name: $name) { release(tagName: $tagName) { databaseId isDraft } }
}"""
FIND_REF = """query RepositoryFindRef($owner: String!, $name: String!, $tagName: String!) {
  repository(owner: $owner, name: $name) { ref(qualifiedName: $tagName) { id name prefix target { oid } } }
}"""


@pytest.fixture
def gql(server):
    clients = []

    def post(token, query, **variables):
        client = httpx.Client(timeout=30, headers={"authorization": f"token {token}"} if token else {})
        clients.append(client)
        return client.post(f"{server.url}/api/graphql", json={"query": query, "variables": variables})

    yield post
    for c in clients:
        c.close()


def test_viewer(gql, user):
    r = gql(user.token, "query UserCurrent{viewer{login}}")
    assert r.status_code == 200 and r.json() == {"data": {"viewer": {"login": user.login}}}
    assert r.headers["content-type"] == "application/json; charset=utf-8"
    anon = gql(None, "{viewer{login}}")
    assert anon.status_code == 401
    assert anon.json()["message"] == "This endpoint requires you to be authenticated."


def test_release_list_pages_like_gh(gql, user, repo, make_user):
    owner, name = repo.split("/")
    made = [
        user.api.post(f"/repos/{repo}/releases", json={"tag_name": f"v{i}", "name": f"R{i}"}).json() for i in range(3)
    ]
    draft = user.api.post(f"/repos/{repo}/releases", json={"tag_name": "v9", "draft": True}).json()
    user.api.patch(f"/repos/{repo}/releases/{made[1]['id']}", json={"prerelease": True})
    seen, cursor = [], None
    while True:
        data = gql(user.token, RELEASE_LIST, owner=owner, name=name, perPage=2, endCursor=cursor).json()
        page = data["data"]["repository"]["releases"]
        seen += page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        cursor = page["pageInfo"]["endCursor"]
    assert [n["tagName"] for n in seen] == ["v9", "v2", "v1", "v0"]
    assert seen[0] == {
        "name": None,
        "tagName": "v9",
        "isDraft": True,
        "isLatest": False,
        "isPrerelease": False,
        "createdAt": draft["created_at"],
        "publishedAt": None,
    }
    assert seen[1] == {
        "name": "R2",
        "tagName": "v2",
        "isDraft": False,
        "isLatest": True,
        "isPrerelease": False,
        "createdAt": made[2]["created_at"],
        "publishedAt": made[2]["published_at"],
    }
    assert seen[2]["isPrerelease"] is True
    _, other = make_user()
    theirs = gql(other, RELEASE_LIST, owner=owner, name=name, perPage=10, endCursor=None).json()
    assert [n["tagName"] for n in theirs["data"]["repository"]["releases"]["nodes"]] == ["v2", "v1", "v0"]


def test_release_by_tag_finds_drafts_for_writers(gql, user, repo, make_user):
    owner, name = repo.split("/")
    draft = user.api.post(f"/repos/{repo}/releases", json={"tag_name": "v2", "draft": True}).json()
    pub = user.api.post(f"/repos/{repo}/releases", json={"tag_name": "v1"}).json()
    got = gql(user.token, BY_TAG, owner=owner, name=name, tagName="v2").json()
    assert got == {"data": {"repository": {"release": {"databaseId": draft["id"], "isDraft": True}}}}
    got = gql(user.token, BY_TAG, owner=owner, name=name, tagName="v1").json()
    assert got == {"data": {"repository": {"release": {"databaseId": pub["id"], "isDraft": False}}}}
    _, other = make_user()
    assert gql(other, BY_TAG, owner=owner, name=name, tagName="v2").json() == {
        "data": {"repository": {"release": None}}
    }


def test_ref_and_default_branch(gql, user, repo):
    owner, name = repo.split("/")
    user.api.post(f"/repos/{repo}/releases", json={"tag_name": "v1"}).raise_for_status()
    sha = user.api.get(f"/repos/{repo}/tags").json()[0]["commit"]["sha"]
    repo_id = user.api.get(f"/repos/{repo}").json()["id"]
    got = gql(user.token, FIND_REF, owner=owner, name=name, tagName="refs/tags/v1").json()
    assert got == {
        "data": {
            "repository": {
                "ref": {
                    "id": node("Ref", f"{repo_id}:refs/tags/v1"),
                    "name": "v1",
                    "prefix": "refs/tags/",
                    "target": {"oid": sha},
                }
            }
        }
    }
    missing = gql(user.token, FIND_REF, owner=owner, name=name, tagName="refs/tags/nope").json()
    assert missing == {"data": {"repository": {"ref": None}}}
    query = (
        f'{{repository(owner:"{owner}", name:"{name}"){{nameWithOwner viewerPermission defaultBranchRef{{name}} '
        "latestRelease{tagName tagCommit{oid} releaseAssets(first:5){totalCount}}}}"
    )
    assert gql(user.token, query).json() == {
        "data": {
            "repository": {
                "nameWithOwner": repo,
                "viewerPermission": "ADMIN",
                "defaultBranchRef": {"name": "main"},
                "latestRelease": {"tagName": "v1", "tagCommit": {"oid": sha}, "releaseAssets": {"totalCount": 0}},
            }
        }
    }


def test_errors_in_githubs_shape(gql, server, user, repo):
    owner, name = repo.split("/")
    missing = gql(user.token, BY_TAG, owner=owner, name="nope", tagName="v1").json()
    assert missing == {
        "data": {"repository": None},
        "errors": [
            {
                "type": "NOT_FOUND",
                "path": ["repository"],
                "locations": [{"line": 2, "column": 3}],
                "message": f"Could not resolve to a Repository with the name '{owner}/nope'.",
            }
        ],
    }
    unknown = gql(user.token, "{ viewer { nope } }").json()
    assert "data" not in unknown and "nope" in unknown["errors"][0]["message"]
    too_many = gql(user.token, RELEASE_LIST, owner=owner, name=name, perPage=101, endCursor=None).json()
    assert too_many["errors"][0]["message"] == (
        "Requesting 101 records on the `releases` connection exceeds the `first` limit of 100 records."
    )
    auth = {"authorization": f"token {user.token}"}
    no_query = httpx.post(f"{server.url}/api/graphql", json={}, headers=auth)
    assert no_query.status_code == 200 and no_query.json()["errors"][0]["message"].startswith("A query attribute")
    broken = httpx.post(f"{server.url}/api/graphql", content=b"{", headers=auth)
    assert broken.status_code == 400 and broken.json()["message"] == "Problems parsing JSON"


REPO_INFO = """fragment repo on Repository {
  id name owner { login } hasIssuesEnabled description hasWikiEnabled viewerPermission defaultBranchRef { name }
}
query RepositoryInfo($owner: String!, $name: String!) {
  repository(owner: $owner, name: $name) {
    ...repo
    parent { ...repo }
    mergeCommitAllowed rebaseMergeAllowed squashMergeAllowed
  }
}"""


def test_repository_info_as_gh_repo_clone_asks(gql, user, repo):
    owner, name = repo.split("/")
    rest = user.api.get(f"/repos/{repo}").json()
    got = gql(user.token, REPO_INFO, owner=owner, name=name).json()["data"]["repository"]
    assert got == {
        "id": rest["node_id"],
        "name": name,
        "owner": {"login": owner},
        "hasIssuesEnabled": rest["has_issues"],
        "description": None,
        "hasWikiEnabled": rest["has_wiki"],
        "viewerPermission": "ADMIN",
        "defaultBranchRef": {"name": "main"},
        "parent": None,
        "mergeCommitAllowed": rest["allow_merge_commit"],
        "rebaseMergeAllowed": rest["allow_rebase_merge"],
        "squashMergeAllowed": rest["allow_squash_merge"],
    }
