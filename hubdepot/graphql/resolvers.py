"""A subset of GitHub's GraphQL schema, executed by graphql-core: viewer, and repository with its
releases, release(tagName:), latestRelease, ref(qualifiedName:) and defaultBranchRef — what the gh
CLI's release and auth commands ask for — plus object(oid:), issues and issueOrPullRequest, which
semantic-release's GitHub plugin asks for after a release (no issues or pull requests here).
Objects are dicts whose lazy fields are callables (graphql-core's default resolver calls them with
the field's arguments)."""

from __future__ import annotations

import datetime as dt
import functools
import logging
from typing import TYPE_CHECKING, Any, NoReturn

from graphql import ExecutionResult, GraphQLError, GraphQLSchema, build_schema, execute_sync, specified_rules, validate
from graphql.execution import AbortedGraphQLExecutionError
from graphql.validation import OverlappingFieldsCanBeMergedRule

from hubdepot import errors
from hubdepot.graphql import limits
from hubdepot.graphql.limits import Info
from hubdepot.graphql.schema import SDL
from hubdepot.hub import Hub
from hubdepot.services import Actor, RepoAccess, Row, git_data
from hubdepot.services import accounts as account_service
from hubdepot.services import releases as reads
from hubdepot.services import repos as repo_service
from hubdepot.urls import node_id

if TYPE_CHECKING:
    from hubdepot.git.tags import FoundRef

# A GraphQL object as graphql-core's default resolver reads it: field name -> value, or a callable
# (info, **arguments) that resolves it when the query asks for the field.
Fields = dict[str, object]
_PERMISSIONS: dict[str | None, str] = {"admin": "ADMIN", "push": "WRITE", "pull": "READ"}
log = logging.getLogger("hubdepot")


@functools.lru_cache(maxsize=1)
def schema() -> GraphQLSchema:
    return build_schema(SDL)


class _FieldsWillMerge(OverlappingFieldsCanBeMergedRule):
    """graphql-core's rule less one check GitHub does not make: the same field of two object types
    of a union may have different leaf types (Issue.state is an IssueState, PullRequest.state a
    PullRequestState), as semantic-release's getRelatedIssues query selects."""

    def report_error(self, error: GraphQLError) -> None:
        if "they return conflicting types" not in error.message:
            super().report_error(error)


_RULES = [_FieldsWillMerge if rule is OverlappingFieldsCanBeMergedRule else rule for rule in specified_rules]


def _iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _connection(nodes: list[Fields], offset: int, total: int, edges: bool = True) -> Fields:
    end = offset + len(nodes)
    return {
        "nodes": nodes,
        "edges": [{"node": n, "cursor": limits.cursor(offset + i)} for i, n in enumerate(nodes)] if edges else [],
        "totalCount": total,
        "pageInfo": {
            "hasNextPage": end < total,
            "hasPreviousPage": offset > 0,
            "startCursor": limits.cursor(offset) if nodes else None,
            "endCursor": limits.cursor(end - 1) if nodes else None,
        },
    }


def _user(hub: Hub, account: Row) -> Fields:
    kind = "Organization" if account.type == "Organization" else "User"
    return {
        "__typename": kind,
        "id": node_id(kind, account.id),
        "databaseId": account.id,
        "login": account.login,
        "name": account.name,
        "email": account.email or "",
        "url": hub.urls.user_html(account.login),
        "avatarUrl": lambda info, size=None: hub.urls.avatar(account.id),
        "organizations": lambda info, first=None, after=None: _organizations(hub, info, account, first, after),
    }


def _organizations(hub: Hub, info: Info, account: Row, first: int | None, after: str | None) -> Fields:
    offset, limit, _ = limits.window(info, first, None, after, None)
    rows = account_service.organizations_of(hub, account.id)
    return _connection([_user(hub, r) for r in rows[offset : offset + limit]], offset, len(rows))


def _commit(sha: str) -> Fields:
    return {
        "__typename": "Commit",
        "id": node_id("Commit", sha),
        "oid": sha,
        "abbreviatedOid": sha[:7],
        "associatedPullRequests": lambda info, first=None, after=None, last=None, before=None: _none(
            info, first, last, after, before
        ),
    }


def _none(info: Info, first: int | None, last: int | None, after: str | None, before: str | None) -> Fields:
    """An empty connection (issues, pull requests: hubdepot has none), with GitHub's argument checks."""
    offset = limits.window(info, first, last, after, before)[0]
    return _connection([], max(offset, 0), 0)


_GIT_TYPES = {"commit": "Commit", "tree": "Tree", "blob": "Blob", "tag": "Tag"}


def _git_object(access: RepoAccess, oid: str | None, expression: str | None) -> Fields | None:
    """Repository.object: by oid, or by a revision expression naming a commit; null when there is none."""
    sha, found = git_data.object_kind(access, oid, expression)
    kind = _GIT_TYPES.get(found) if found else None
    if sha is None or kind is None:
        return None
    if kind == "Commit":
        return _commit(sha)
    return {"__typename": kind, "id": node_id(kind, sha), "oid": sha, "abbreviatedOid": sha[:7]}


def _issue_or_pull_request(info: Info, number: int) -> NoReturn:
    raise GraphQLError(
        f"Could not resolve to an issue or pull request with the number of {number}.", extensions={"type": "NOT_FOUND"}
    )


def _ref(access: RepoAccess, found: FoundRef | None) -> Fields | None:
    if found is None:
        return None
    prefix, _, name = found.qualified.partition("/")[2].partition("/")
    return {
        "__typename": "Ref",
        "id": node_id("Ref", f"{access.id}:{found.qualified}"),
        "name": name,
        "prefix": f"refs/{prefix}/",
        "target": _commit(found.sha),
    }


def _asset(hub: Hub, view: reads.ReleaseView, asset: reads.AssetView) -> Fields:
    row = asset.row
    return {
        "__typename": "ReleaseAsset",
        "id": node_id("ReleaseAsset", row.id),
        "databaseId": row.id,
        "name": row.name,
        "contentType": row.content_type,
        "size": row.size,
        "downloadCount": row.download_count,
        "createdAt": _iso(row.created_at),
        "updatedAt": _iso(row.updated_at),
        "url": hub.urls.browser_download(view.full_name, view.url_tag, row.name),
        "downloadUrl": hub.urls.browser_download(view.full_name, view.url_tag, row.name),
        "uploadedBy": _user(hub, asset.uploader) if asset.uploader is not None else None,
    }


def _assets(
    hub: Hub, info: Info, view: reads.ReleaseView, first: int | None, after: str | None, name: str | None
) -> Fields:
    offset, limit, _ = limits.window(info, first, None, after, None)
    found = [a for a in view.assets if name is None or a.row.name == name]
    return _connection([_asset(hub, view, a) for a in found[offset : offset + limit]], offset, len(found))


def _release(hub: Hub, access: RepoAccess, view: reads.ReleaseView, latest_id: int | None) -> Fields:
    row = view.row

    def tag_ref(info: Info) -> Fields | None:  # a resolver, like its neighbours in the dict below
        return None if row.draft else _ref(access, git_data.find_ref(access, f"refs/tags/{row.tag_name}"))

    return {
        "__typename": "Release",
        "id": node_id("Release", row.id),
        "databaseId": row.id,
        "name": row.name,
        "tagName": row.tag_name,
        "description": row.body,
        "isDraft": bool(row.draft),
        "isLatest": row.id == latest_id,
        "isPrerelease": bool(row.prerelease),
        "isImmutable": bool(row.immutable) and not row.draft,
        "createdAt": _iso(row.created_at),
        "publishedAt": _iso(row.published_at) if not row.draft else None,
        "updatedAt": _iso(row.updated_at),
        "url": hub.urls.release_html(view.full_name, view.url_tag),
        "author": _user(hub, view.author),
        "tag": tag_ref,
        "tagCommit": lambda info: (tag_ref(info) or {}).get("target"),
        "releaseAssets": lambda info, first=None, after=None, name=None: _assets(hub, info, view, first, after, name),
    }


def _releases(
    hub: Hub,
    info: Info,
    access: RepoAccess,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    orderBy: dict[str, str] | None,
) -> Fields:
    order = orderBy or {"field": "CREATED_AT", "direction": "DESC"}
    offset, limit, from_end = limits.window(info, first, last, after, before)
    ascending = order["direction"] == "ASC"
    if from_end:  # last/before: read the same order backwards
        total = reads.graphql_page(hub, access, 0, 0, order["field"], ascending)[1]
        end = total if offset < 0 else offset
        offset = max(end - limit, 0)
        limit = end - offset
    views, total, latest_id = reads.graphql_page(hub, access, offset, limit, order["field"], ascending)
    return _connection([_release(hub, access, v, latest_id) for v in views], offset, total)


def _repository(hub: Hub, access: RepoAccess) -> Fields:
    repo = access.repo

    def latest() -> int | None:
        return reads.current_latest_id(hub, access.id)

    def release(info: Info, tagName: str) -> Fields | None:
        view = reads.any_by_tag(hub, access, tagName)
        return _release(hub, access, view, latest()) if view else None

    def latest_release(info: Info) -> Fields | None:
        found = latest()
        return _release(hub, access, reads.get(hub, access, found), found) if found else None

    return {
        "__typename": "Repository",
        "id": node_id("Repository", repo.id),
        "databaseId": repo.id,
        "name": repo.name,
        "nameWithOwner": access.full_name,
        "owner": _user(hub, access.owner),
        "url": hub.urls.repo_html(access.full_name),
        "isPrivate": bool(repo.private),
        "visibility": "PRIVATE" if repo.private else "PUBLIC",
        "description": repo.description,
        "viewerPermission": _PERMISSIONS.get(access.permission),
        # what `gh repo clone` reads; the same values as the REST representation (has_issues, has_wiki,
        # allow_*_merge); hubdepot has no forks, so no parent
        "hasIssuesEnabled": False,
        "hasWikiEnabled": False,
        "parent": None,
        "mergeCommitAllowed": True,
        "rebaseMergeAllowed": True,
        "squashMergeAllowed": True,
        "defaultBranchRef": lambda info: _ref(access, git_data.find_ref(access, f"refs/heads/{repo.default_branch}")),
        "ref": lambda info, qualifiedName: _ref(access, git_data.find_ref(access, qualifiedName)),
        "release": release,
        "latestRelease": latest_release,
        "releases": lambda info, first=None, after=None, last=None, before=None, orderBy=None: _releases(
            hub, info, access, first, after, last, before, orderBy
        ),
        "object": lambda info, oid=None, expression=None: _git_object(access, oid, expression),
        "issueOrPullRequest": _issue_or_pull_request,
        "issues": lambda info, first=None, after=None, last=None, before=None, **filters: _none(
            info, first, last, after, before
        ),
    }


def _root(hub: Hub, actor: Actor) -> Fields:
    def repository(info: Info, owner: str, name: str, followRenames: bool = True) -> Fields:
        try:
            access = repo_service.find(hub, actor, owner, name)
        except errors.NotFound:
            raise GraphQLError(
                f"Could not resolve to a Repository with the name '{owner}/{name}'.", extensions={"type": "NOT_FOUND"}
            ) from None
        return _repository(hub, access)

    return {"viewer": lambda info: _user(hub, actor.account), "repository": repository}


_KINDS = {404: "NOT_FOUND", 403: "FORBIDDEN"}
INTERNAL = (
    "Something went wrong while executing your query. This may be the result of a timeout, or it could be "
    "a GitHub bug. Please include `{}` when reporting this issue."
)


def _cause(error: GraphQLError) -> Exception | None:
    """What a resolver raised when it failed without meaning to (a database, git or programming
    error): such an error never reaches the caller, whose answer has no SQL and no traceback."""
    cause = error.original_error
    while isinstance(cause, GraphQLError):
        cause = cause.original_error
    if error.path is None or cause is None:
        return None  # syntax, validation, variables: about the query
    if isinstance(cause, errors.HubdepotError) and cause.status < 500:
        return None  # a domain error: its message is GitHub's
    return cause


def _error(error: GraphQLError) -> dict[str, Any]:
    """GitHub's shape: type (when known), path, locations, message."""
    formatted = error.formatted
    extensions = formatted.pop("extensions", None) or {}
    kind = extensions.get("type") or _kind(error.original_error)
    out = {"type": kind} if kind else {}
    out.update({k: formatted[k] for k in ("path", "locations") if k in formatted})
    out["message"] = formatted["message"]
    return out


def _kind(cause: Exception | None) -> str | None:
    """GitHub's error type for a domain error a resolver raised."""
    if isinstance(cause, errors.RateLimited):
        return "RATE_LIMITED"
    if isinstance(cause, errors.HubdepotError):
        return _KINDS.get(cause.status, "UNPROCESSABLE")
    return None


def _internal(request_id: str) -> dict[str, object]:
    return {"data": None, "errors": [{"message": INTERNAL.format(request_id)}]}


def _body(result: ExecutionResult, request_id: str) -> dict[str, object]:
    """The answer to an executed query; GitHub's generic error (logged here) when a resolver failed."""
    failed = [(e, cause) for e in result.errors or () if (cause := _cause(e)) is not None]
    for error, cause in failed[:3]:
        log.error("GraphQL field %s failed (request %s)", error.path, request_id, exc_info=cause)
    if failed:
        return _internal(request_id)
    body: dict[str, object] = {}
    if result.data is not None or not result.errors:
        body["data"] = result.data
    if result.errors:
        body["errors"] = [_error(e) for e in result.errors]
    return body


def execute(
    hub: Hub, actor: Actor, query: str, variables: dict[str, Any] | None, operation: str | None, request_id: str
) -> dict[str, object]:
    """A GraphQL response body: {"data": ...} and/or {"errors": [...]}, as GitHub sends them. What
    it may cost is bounded before it runs (graphql_limits), and its run by a deadline."""
    deadline = limits.Deadline(hub.settings.graphql_timeout_ms / 1000)
    try:
        document = limits.parsed(query)
    except GraphQLError as error:
        return {"errors": [_error(error)]}
    invalid = validate(schema(), document, _RULES)
    refused = [_error(e) for e in invalid] or limits.refusals(schema(), document, operation, variables)
    if refused:
        return {"errors": refused}
    root = _root(hub, actor)
    try:
        result = execute_sync(
            schema(),
            document,
            root,
            variable_values=variables,
            operation_name=operation,
            middleware=[deadline],
            abort_signal=deadline.signal,
        )
    except AbortedGraphQLExecutionError:
        log.warning("GraphQL query stopped at its deadline (request %s)", request_id)
        return _internal(request_id)
    return _body(result, request_id)
