"""GitHub's GraphQL surface, POST /api/graphql: the handler here, the schema (schema.py, a subset of
GitHub's), the limits checked before and during execution (limits.py) and the resolvers (resolvers.py),
which read through services/ as every other surface does."""

from __future__ import annotations

from starlette.responses import Response

from hubdepot import errors
from hubdepot.api._base import Req, endpoint, json_response
from hubdepot.http import context


@endpoint("https://docs.github.com/graphql")
def query(req: Req) -> Response:
    if req.actor is None:
        raise errors.Unauthenticated("This endpoint requires you to be authenticated.")
    data = req.json()
    text, variables = data.get("query"), data.get("variables")
    if not isinstance(text, str) or not text.strip():
        return json_response(
            req, {"errors": [{"message": "A query attribute must be specified and must be a string."}]}
        )
    if variables is not None and not isinstance(variables, dict):
        return json_response(req, {"errors": [{"message": "Variables are invalid JSON."}]})
    operation = data.get("operationName") if isinstance(data.get("operationName"), str) else None
    request_id = context.of(req.request.scope).request_id
    from hubdepot.graphql import resolvers  # graphql-core, loaded at the first query (not at start-up)

    return json_response(req, resolvers.execute(req.hub, req.actor, text, variables, operation, request_id))


ROUTES = [  # under /api/graphql (hubdepot/surfaces.py)
    (("POST",), "", query),
    (("POST",), "/", query),
]
