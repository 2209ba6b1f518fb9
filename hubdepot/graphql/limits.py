"""GitHub's resource limits on a GraphQL query, so that no caller can buy much CPU or memory with
one request: the document's size (bytes and tokens, checked before and while parsing), its depth,
the nodes its connections may return (first/last multiplied down each path and summed: at most
500,000, computed before anything runs), the page bounds of each connection (first or last,
0..100, checked where the connection resolves, as GitHub does: the error has a path), and a
wall-clock deadline on execution."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInt,
    GraphQLNamedType,
    GraphQLResolveInfo,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionNode,
    SelectionSetNode,
    get_named_type,
    get_operation_ast,
    parse,
)
from graphql.pyutils import AbortController
from graphql.utilities import value_from_ast, value_from_ast_untyped

MAX_BYTES = 256 * 1024  # the largest query a release tool sends is ~125 KB (semantic-release, 100 commits)
MAX_TOKENS = 30_000  # ~10,500 in that query
MAX_DEPTH = 25
MAX_NODES = 500_000
MAX_PAGE = 100
TOO_LARGE = "This query is too large to execute."

Info = GraphQLResolveInfo[None]  # what a resolver is given (no context value: resolvers close over theirs)


def parsed(query: str) -> DocumentNode:
    """The document, or GraphQLError: too large (refused before lexing) or a syntax error."""
    if len(query) > MAX_BYTES or len(query.encode()) > MAX_BYTES:
        raise GraphQLError(TOO_LARGE)
    try:
        return parse(query, max_tokens=MAX_TOKENS)
    except GraphQLError as error:
        if "tokens. Parsing aborted." in error.message:
            raise GraphQLError(TOO_LARGE) from None
        raise


def refusals(
    schema: GraphQLSchema, document: DocumentNode, operation: str | None, variables: dict[str, Any] | None
) -> list[dict[str, str]]:
    """GitHub's errors for a valid document too deep or asking for too many nodes; [] when it may run."""
    op = get_operation_ast(document, operation)
    if op is None:
        return []  # execution says which operation is missing
    walk = _Walk(schema, document, op, variables or {})
    try:
        depth, nodes = walk.measure(op.selection_set, schema.query_type)
    except RecursionError:
        return [{"message": TOO_LARGE}]
    if depth > MAX_DEPTH:
        return [{"message": f"Query has depth of {depth}, which exceeds max depth of {MAX_DEPTH}"}]
    if nodes <= MAX_NODES:
        return []
    name, total = walk.crossing(op.selection_set, schema.query_type, 1, 0)
    message = (
        f"By the time this query traverses to the {name} connection, it is requesting up to {total:,} "
        f"possible nodes which exceeds the maximum limit of {MAX_NODES:,}."
    )
    return [{"type": "MAX_NODE_LIMIT_EXCEEDED", "message": message}]


class _Walk:
    """Depth and possible nodes of one operation. Each fragment is measured once (nodes are linear
    in the number of parent items), so fragments spread many times cost nothing more."""

    def __init__(
        self, schema: GraphQLSchema, document: DocumentNode, op: OperationDefinitionNode, variables: dict[str, Any]
    ) -> None:
        self.schema = schema
        self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        defaults = {
            d.variable.name.value: value_from_ast_untyped(d.default_value)
            for d in op.variable_definitions or ()
            if d.default_value is not None
        }
        self.variables = {**defaults, **variables}
        self.memo: dict[str, tuple[int, int]] = {}

    def measure(self, selection_set: SelectionSetNode | None, parent: GraphQLNamedType | None) -> tuple[int, int]:
        """(depth in fields, possible nodes per item of `parent`) of a selection set."""
        depth = nodes = 0
        for selection in selection_set.selections if selection_set else ():
            d, n = self.selection(selection, parent)
            depth, nodes = max(depth, d), nodes + n
        return depth, nodes

    def selection(self, selection: SelectionNode, parent: GraphQLNamedType | None) -> tuple[int, int]:
        if isinstance(selection, FieldNode):
            page, child = self.field(selection, parent)
            depth, nodes = self.measure(selection.selection_set, child)
            return depth + 1, nodes if page is None else page + page * nodes
        if isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name not in self.memo:
                self.memo[name] = (0, 0)  # (a cycle, which validation has refused already, counts nothing)
                self.memo[name] = self.measure(*self._inner(selection, parent))
            return self.memo[name]
        return self.measure(*self._inner(selection, parent))

    def crossing(
        self, selection_set: SelectionSetNode | None, parent: GraphQLNamedType | None, factor: int, total: int
    ) -> tuple[str, int]:
        """In document order, adding each connection's nodes: the connection where the total passes
        the limit, and the total there (as GitHub names it)."""
        for selection in selection_set.selections if selection_set else ():
            more = factor * self.selection(selection, parent)[1]
            if total + more <= MAX_NODES:
                total += more
                continue
            if not isinstance(selection, FieldNode):
                return self.crossing(*self._inner(selection, parent), factor, total)
            page, child = self.field(selection, parent)
            if page is not None:
                factor, total = factor * page, total + factor * page
                if total > MAX_NODES:
                    return selection.name.value, total
            return self.crossing(selection.selection_set, child, factor, total)
        return "", total

    def field(self, node: FieldNode, parent: GraphQLNamedType | None) -> tuple[int | None, GraphQLNamedType | None]:
        """(page size when the field is a connection, else None; its named type)."""
        definition = getattr(parent, "fields", {}).get(node.name.value)
        if definition is None:
            return None, None  # __typename, or a field validation has refused
        named = get_named_type(definition.type)
        if not named.name.endswith("Connection"):
            return None, named
        sizes = {a.name.value: value_from_ast(a.value, GraphQLInt, self.variables) for a in node.arguments or ()}
        size = next((v for v in (sizes.get("first"), sizes.get("last")) if isinstance(v, int)), 0)
        return min(max(size, 0), MAX_PAGE), named  # out of bounds: the connection refuses it when it resolves

    def _inner(
        self, selection: SelectionNode, parent: GraphQLNamedType | None
    ) -> tuple[SelectionSetNode | None, GraphQLNamedType | None]:
        """A fragment's or an inline fragment's selections, and the type they are read on."""
        node: FragmentDefinitionNode | SelectionNode
        node = self.fragments[selection.name.value] if isinstance(selection, FragmentSpreadNode) else selection
        assert isinstance(node, FragmentDefinitionNode | InlineFragmentNode), "fields go to field()"
        condition = node.type_condition
        return node.selection_set, self.schema.get_type(condition.name.value) if condition is not None else parent


# -- pagination, per connection ------------------------------------------------------------------
def cursor(offset: int) -> str:
    return base64.b64encode(f"cursor:v2:{offset}".encode()).decode()


def _offset(after: str | None) -> int:
    if not after:
        return 0
    try:
        offset = int(base64.b64decode(after).decode().rsplit(":", 1)[1]) + 1
    except (ValueError, IndexError, UnicodeDecodeError):
        offset = -1
    if offset < 0:  # (one we never made: a negative one would slice from the end)
        raise GraphQLError(f"`{after}` does not appear to be a valid cursor.")
    return offset


def _selects_items(info: Info) -> bool:
    """Whether a connection's selection asks for nodes or edges: GitHub wants first or last only then
    (`releases { totalCount }` needs neither)."""
    todo = [node.selection_set for node in info.field_nodes]
    while todo:
        selection_set = todo.pop()
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                if selection.name.value in ("nodes", "edges"):
                    return True
            elif isinstance(selection, InlineFragmentNode):
                todo.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                todo.append(info.fragments[selection.name.value].selection_set)
    return False


def window(
    info: Info, first: int | None, last: int | None, after: str | None, before: str | None
) -> tuple[int, int, bool]:
    """(offset, limit, from_end) for first/after or last/before, with GitHub's bounds and errors."""
    name = info.field_name
    if first is None and last is None:
        if not _selects_items(info):
            return _offset(after), 0, False
        message = f"You must provide a `first` or `last` value to properly paginate the `{name}` connection."
        raise GraphQLError(message, extensions={"type": "MISSING_PAGINATION_BOUNDARIES"})
    for argument, value in (("first", first), ("last", last)):
        if value is not None and value < 0:
            message = f"`{argument}` on the connection cannot be less than zero."
            raise GraphQLError(message, extensions={"type": "INVALID_PAGINATION"})
        if value is not None and value > MAX_PAGE:
            message = (
                f"Requesting {value} records on the `{name}` connection "
                f"exceeds the `{argument}` limit of {MAX_PAGE} records."
            )
            raise GraphQLError(message, extensions={"type": "EXCESSIVE_PAGINATION"})
    if first is not None:
        return _offset(after), first, False
    assert last is not None, "first or last, checked above"
    return (_offset(before) - 1 if before else -1), last, True


# -- time --------------------------------------------------------------------------------------------
class Deadline:
    """Middleware that resolves no more fields once `seconds` have passed and then aborts `signal`
    (the executor's abort signal): execution unwinds at once, and graphql-core raises
    AbortedGraphQLExecutionError instead of returning a result."""

    def __init__(self, seconds: float) -> None:
        self.at = time.monotonic() + seconds
        self.controller = AbortController()
        self.signal = self.controller.signal

    def resolve(self, next_: Callable[..., object], root: object, info: Info, **arguments: object) -> object:
        if not self.signal.aborted and time.monotonic() > self.at:
            self.controller.abort(TimeoutError("the GraphQL deadline passed"))
        return None if self.signal.aborted else next_(root, info, **arguments)
