"""What semantic-release's GitHub plugin asks besides releases. GraphQL after a release (its success
and fail steps, on by default): commits by oid with their associated pull requests, its own open
issues, and issues named in commit messages; hubdepot has no issues or pull requests, so the lists
are empty and a numbered issue is NOT_FOUND, in GitHub's shapes. And HEAD /installation/repositories
when the token may not push: GitHub's 403 for any token that is not an app installation's."""

from __future__ import annotations

import httpx
import pytest

from tests.support.releases import node

ACTOR = "login url avatarUrl"
BASE_FIELDS = f"""__typename id title body url number createdAt updatedAt closedAt comments {{ totalCount }} state
  author {{ {ACTOR} __typename }} authorAssociation activeLockReason
  labels(first: 40) {{ nodes {{ id url name color description isDefault }} }}
  milestone {{ url id number state title description creator {{ {ACTOR} }} createdAt closedAt updatedAt }}
  locked"""
PR_FIELDS = f"""{BASE_FIELDS} mergeable changedFiles mergedAt isDraft mergedBy {{ {ACTOR} }} commits {{ totalCount }}"""


def associated_prs(shas: list[str]) -> str:  # (lib/success.js buildAssociatedPRsQuery, 12.0.10)
    objects = "".join(
        f"""commit{sha[:12]}: object(oid: "{sha}") {{ ...on Commit {{ oid
      associatedPullRequests(first: 100) {{ pageInfo {{ endCursor hasNextPage }} nodes {{ {PR_FIELDS} }} }} }} }}"""
        for sha in shas
    )
    return f"""query getAssociatedPRs($owner: String!, $repo: String!) {{
      repository(owner: $owner, name: $repo) {{ {objects} }} }}"""


SR_ISSUES = """query getSRIssues($owner: String!, $repo: String!, $filter: IssueFilters) {
  repository(owner: $owner, name: $repo) {
    issues(first: 100, states: OPEN, filterBy: $filter) { nodes { number title body } }
  }
}"""
RELATED = f"""query getRelatedIssues($owner: String!, $repo: String!) {{ repository(owner: $owner, name: $repo) {{
  issue12: issueOrPullRequest(number: 12) {{ ... on Issue {{ {BASE_FIELDS} }} ... on PullRequest {{ {PR_FIELDS} }} }}
}} }}"""


@pytest.fixture
def gql(server, user):
    client = httpx.Client(timeout=30, headers={"authorization": f"token {user.token}"})

    def post(query, **variables):
        r = client.post(f"{server.url}/api/graphql", json={"query": query, "variables": variables})
        assert r.status_code == 200, r.text
        return r.json()

    yield post
    client.close()


def test_commits_have_no_associated_pull_requests(gql, user, repo):
    owner, name = repo.split("/")
    head = user.api.get(f"/repos/{repo}/commits/main").json()
    unknown = "0123456789abcdef0123456789abcdef01234567"
    got = gql(associated_prs([head["sha"], unknown]), owner=owner, repo=name)
    empty = {"pageInfo": {"endCursor": None, "hasNextPage": False}, "nodes": []}
    assert got == {
        "data": {
            "repository": {
                f"commit{head['sha'][:12]}": {"oid": head["sha"], "associatedPullRequests": empty},
                f"commit{unknown[:12]}": None,
            }
        }
    }
    tree = head["commit"]["tree"]["sha"]
    kinds = gql(f"""{{ repository(owner: "{owner}", name: "{name}") {{
        tree: object(oid: "{tree}") {{ __typename id oid abbreviatedOid }}
        main: object(expression: "main") {{ __typename oid }}
        nothing: object(expression: "no-such-branch") {{ oid }} }} }}""")
    assert kinds == {
        "data": {
            "repository": {
                "tree": {"__typename": "Tree", "id": node("Tree", tree), "oid": tree, "abbreviatedOid": tree[:7]},
                "main": {"__typename": "Commit", "oid": head["sha"]},
                "nothing": None,
            }
        }
    }
    unpaged = gql(f"""{{ repository(owner: "{owner}", name: "{name}") {{
        object(oid: "{head["sha"]}") {{ ... on Commit {{ associatedPullRequests {{ nodes {{ number }} }} }} }} }} }}""")
    assert unpaged["errors"][0]["message"] == (
        "You must provide a `first` or `last` value to properly paginate the `associatedPullRequests` connection."
    )
    # counting needs no page on GitHub (the plugin itself asks `comments { totalCount }`)
    counted = gql(f"""{{ repository(owner: "{owner}", name: "{name}") {{
        object(oid: "{head["sha"]}") {{ ... on Commit {{ associatedPullRequests {{ totalCount }} }} }} }} }}""")
    assert counted == {"data": {"repository": {"object": {"associatedPullRequests": {"totalCount": 0}}}}}


def test_no_open_issues_and_numbered_issues_are_not_found(gql, repo):
    owner, name = repo.split("/")
    got = gql(SR_ISSUES, owner=owner, repo=name, filter={"labels": ["semantic-release", "semantic-release-fail"]})
    assert got == {"data": {"repository": {"issues": {"nodes": []}}}}
    related = gql(RELATED, owner=owner, repo=name)
    assert related["data"] == {"repository": {"issue12": None}}
    assert [(e["type"], e["path"], e["message"]) for e in related["errors"]] == [
        ("NOT_FOUND", ["repository", "issue12"], "Could not resolve to an issue or pull request with the number of 12.")
    ]
    clash = gql("{ viewer { login: name login } }")  # other conflicts stay errors
    assert "data" not in clash and "'name' and 'login' are different fields" in clash["errors"][0]["message"]


def test_installation_repositories_need_an_installation_token(user, client_for):
    for method in ("GET", "HEAD"):
        r = user.api.request(method, "/installation/repositories", params={"per_page": 1})
        assert r.status_code == 403
    body = user.api.get("/installation/repositories").json()
    assert body["message"] == (
        "You must authenticate with an installation access token in order to list repositories for an installation."
    )
    assert body["documentation_url"].endswith("#list-repositories-accessible-to-the-app-installation")
    assert client_for(None).get("/installation/repositories").status_code == 401
