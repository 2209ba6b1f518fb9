"""Validate our JSON responses against GitHub's OpenAPI descriptions.

Operations in ../shared/github-openapi/github-subset.openapi.json are checked against it; the rest
(repositories, users, ...) against GitHub's full description from the npm package @octokit/openapi.
"""

from __future__ import annotations

import functools
import json
import os
import re
from pathlib import Path

from openapi_schema_validator import OAS30Validator

ROOT = Path(__file__).resolve().parents[2]
SUBSET = Path(os.environ.get("HUBDEPOT_SHARED", ROOT.parent / "shared")) / "github-openapi" / "github-subset.openapi.json"
FULL = ROOT / "tests" / "node" / "node_modules" / "@octokit" / "openapi" / "generated" / "api.github.com.json"
MULTI = {"path", "dir", "tag", "ref"}


class SchemaMismatch(AssertionError):
    pass


def _regex(template: str) -> re.Pattern:
    out = ""
    for part in re.split(r"(\{[^}]+\})", template):
        if part.startswith("{"):
            name = part[1:-1]
            out += "(.*)" if name in MULTI else "([^/]+)"
        else:
            out += re.escape(part)
    return re.compile(out + "/?$")


@functools.lru_cache(maxsize=None)
def _spec(path: Path) -> dict:
    return json.loads(path.read_text())


@functools.lru_cache(maxsize=None)
def _operations(which: str) -> list:
    spec = _spec(SUBSET if which == "subset" else FULL)
    ops = []
    for template, item in spec["paths"].items():
        for method, op in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                literal = len(re.sub(r"\{[^}]+\}", "", template))
                ops.append((literal, template, method.upper(), op))
    ops.sort(key=lambda o: -o[0])  # most literal text first: /releases/latest before /releases/{id}
    return [(_regex(t), t, m, op) for _, t, m, op in ops]


def find(method: str, api_path: str):
    """(spec name, template, operation) for a path below /api/v3 or /api/uploads, or None."""
    for which in ("subset", "full"):
        if which == "full" and not FULL.exists():
            continue
        for regex, template, op_method, op in _operations(which):
            if op_method == method and regex.match(api_path):
                return which, template, op
    return None


def _resolve(spec: dict, node):
    while isinstance(node, dict) and "$ref" in node:
        target = spec
        for key in node["$ref"].lstrip("#/").split("/"):
            target = target[key]
        node = target
    return node


def _media_for(content: dict, accept: str | None):
    """The documented response media type the request asked for (e.g. vnd.github.object), else JSON."""
    for part in (accept or "").split(","):
        wanted = part.split(";")[0].strip().lower().replace(".v3.", ".").removesuffix("+json")
        if wanted in content and wanted != "application/json":
            return content[wanted]
    return content.get("application/json") or next(iter(content.values()), None)


def response_schema(method: str, api_path: str, status: int, accept: str | None = None):
    found = find(method, api_path)
    if found is None:
        return None
    which, template, op = found
    spec = _spec(SUBSET if which == "subset" else FULL)
    response = op.get("responses", {}).get(str(status))
    if response is None:
        return None
    content = _resolve(spec, response).get("content", {})
    media = _media_for(content, accept)
    if not media or "schema" not in media:
        return None
    return spec, media["schema"], f"{method} {template} {status}"


def validate(method: str, api_path: str, status: int, body, accept: str | None = None) -> bool:
    """Raise SchemaMismatch when `body` breaks the documented schema; False when none is documented."""
    found = response_schema(method, api_path, status, accept)
    if found is None:
        return False
    spec, schema, where = found
    wrapped = dict(schema)
    wrapped["components"] = spec["components"]
    if isinstance(body, list):  # GitHub's GET contents oneOf maps "array" by a discriminator an array cannot carry
        wrapped.pop("discriminator", None)
    errors = sorted(OAS30Validator(wrapped).iter_errors(body), key=lambda e: list(e.path))
    if errors:
        detail = "\n".join(f"  {list(e.path)}: {e.message[:300]}" for e in errors[:10])
        raise SchemaMismatch(f"{where} does not match GitHub's schema:\n{detail}")
    return True
