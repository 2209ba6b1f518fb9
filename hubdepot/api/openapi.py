"""Our own OpenAPI description of what GitHub's description lacks: the legacy Downloads API (removed
from GitHub's docs before OpenAPI existed; shapes from the real 2012 responses). Served at
/api/v3/hubdepot/openapi.json so a fuzzer can drive it; repositories and users are in GitHub's own."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from hubdepot.api._base import Req, Table, endpoint, json_response

_STR, _INT, _NSTR = {"type": "string"}, {"type": "integer"}, {"type": "string", "nullable": True}
_DOWNLOAD = {
    "type": "object",
    "required": [
        "url",
        "html_url",
        "id",
        "name",
        "description",
        "size",
        "download_count",
        "content_type",
        "created_at",
    ],
    "properties": {
        "url": _STR,
        "html_url": _STR,
        "id": _INT,
        "name": _STR,
        "description": _NSTR,
        "size": _INT,
        "download_count": _INT,
        "content_type": _STR,
        "created_at": {"type": "string", "format": "date-time"},
    },
}
_TICKET = [
    "policy",
    "signature",
    "bucket",
    "accesskeyid",
    "path",
    "acl",
    "expirationdate",
    "prefix",
    "mime_type",
    "s3_url",
]
_CREATED = {
    "allOf": [
        {"$ref": "#/components/schemas/download"},
        {
            "type": "object",
            "required": _TICKET + ["redirect"],
            "properties": {
                **{k: _STR for k in _TICKET},
                "redirect": {"type": "boolean"},
                "fields": {"type": "object", "additionalProperties": _STR},
            },
        },
    ],
}
_ERROR = {
    "type": "object",
    "required": ["message", "documentation_url"],
    "properties": {
        "message": _STR,
        "documentation_url": _STR,
        "status": _STR,
        "errors": {"type": "array", "items": {"type": "object"}},
    },
}


def _param(name: str, where: str = "path", schema: dict[str, Any] = _STR, required: bool = True) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required, "schema": schema}


def _json(ref: str, array: bool = False) -> dict[str, Any]:
    schema = {"$ref": f"#/components/schemas/{ref}"}
    return {"content": {"application/json": {"schema": {"type": "array", "items": schema} if array else schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    return {str(code): {"description": "error", **_json("basic-error")} for code in codes}


def document(api_url: str) -> dict[str, Any]:
    repo = [_param("owner"), _param("repo")]
    one = repo + [_param("download_id", schema=_INT)]
    page = [_param("per_page", "query", _INT, False), _param("page", "query", _INT, False)]
    create_body = {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["name", "size"],
                    "properties": {"name": _STR, "size": _INT, "description": _STR, "content_type": _STR},
                }
            }
        },
    }
    return {
        "openapi": "3.0.3",
        "info": {"title": "hubdepot: endpoints GitHub's OpenAPI description lacks", "version": "1"},
        "servers": [{"url": api_url}],
        "paths": {
            "/repos/{owner}/{repo}/downloads": {
                "get": {
                    "operationId": "downloads/list",
                    "parameters": repo + page,
                    "responses": {"200": {"description": "downloads", **_json("download", True)}, **_errors(404, 422)},
                },
                "post": {
                    "operationId": "downloads/create",
                    "parameters": repo,
                    "requestBody": create_body,
                    "responses": {
                        "201": {"description": "created", **_json("download-create")},
                        **_errors(400, 401, 404, 422),
                    },
                },
            },
            "/repos/{owner}/{repo}/downloads/{download_id}": {
                "get": {
                    "operationId": "downloads/get",
                    "parameters": one,
                    "responses": {"200": {"description": "download", **_json("download")}, **_errors(404)},
                },
                "delete": {
                    "operationId": "downloads/delete",
                    "parameters": one,
                    "responses": {"204": {"description": "deleted"}, **_errors(401, 404)},
                },
            },
        },
        "components": {"schemas": {"download": _DOWNLOAD, "download-create": _CREATED, "basic-error": _ERROR}},
    }


@endpoint("https://docs.github.com/rest", inline=True)
def serve(req: Req) -> Response:
    return json_response(req, document(req.hub.urls.api))


ROUTES: Table = [(("GET",), "/hubdepot/openapi.json", serve)]
