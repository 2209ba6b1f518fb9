"""Validate our JSON responses against GitHub's OpenAPI descriptions.

Both come from GitHub's description in the pinned npm package @octokit/openapi (tests/node): the
"subset" is the part covering contents, archive links, releases and assets (SUBSET_PATHS), cut out at
test time with every component it reaches, and written beside the package for schemathesis; the rest
(repositories, users, git, ...) is checked against the full description.
"""

from __future__ import annotations

import functools
import json
import os
import re
from pathlib import Path

from openapi_schema_validator import OAS30Validator

ROOT = Path(__file__).resolve().parents[2]
FULL = ROOT / "tests" / "node" / "node_modules" / "@octokit" / "openapi" / "generated" / "api.github.com.json"
SUBSET = FULL.parent / "hubdepot-subset.openapi.json"
SUBSET_PATHS = re.compile(
    r"^/repos/\{owner\}/\{repo\}/(readme(/\{dir\})?|contents/\{path\}|tarball/\{ref\}|"
    r"zipball/\{ref\}|releases(/.*)?|immutable-releases)$"
)
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


@functools.cache
def _spec(path: Path) -> dict:
    if path == SUBSET:
        return subset()
    return _nullable_unions(json.loads(path.read_text()))


def _nullable_unions(node):
    """`nullable: true` beside anyOf/oneOf (no `type`) means "or null" in GitHub's description (a commit's
    unknown author is null on GitHub); OAS 3.0 validators ignore it there, so say it explicitly."""
    if isinstance(node, dict):
        out = {k: _nullable_unions(v) for k, v in node.items()}
        for key in ("anyOf", "oneOf"):
            if out.get("nullable") is True and key in out and "type" not in out:
                out[key] = [*out[key], {"type": "object", "nullable": True, "enum": [None]}]
        return out
    if isinstance(node, list):
        return [_nullable_unions(v) for v in node]
    return node


def _refs(node, found: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/"):
            found.add(ref)
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)


def _strip_octokit(node):
    if isinstance(node, dict):
        return {k: _strip_octokit(v) for k, v in node.items() if k != "x-octokit"}
    if isinstance(node, list):
        return [_strip_octokit(v) for v in node]
    return node


@functools.lru_cache(maxsize=1)
def subset() -> dict:
    """GitHub's description cut down to SUBSET_PATHS with every component they reach (transitively);
    also written to SUBSET for schemathesis."""
    full = json.loads(FULL.read_text())
    paths = {p: _strip_octokit(item) for p, item in full["paths"].items() if SUBSET_PATHS.match(p)}
    seen: set[str] = set()
    pending: set[str] = set()
    _refs(paths, pending)
    while pending:
        ref = pending.pop()
        if ref in seen:
            continue
        seen.add(ref)
        _, _, kind, name = ref.split("/", 3)
        _refs(full["components"][kind][name], pending)
    components: dict = {}
    for kind, items in full["components"].items():  # keep the source's order
        kept = {name: value for name, value in items.items() if f"#/components/{kind}/{name}" in seen}
        if kept:
            components[kind] = kept
    tags = {t for item in paths.values() for op in item.values() if isinstance(op, dict) for t in op.get("tags", [])}
    doc = {
        "openapi": full["openapi"],
        "info": {"title": "GitHub v3 REST API (hubdepot subset)", "version": full["info"]["version"]},
        "tags": [t for t in full.get("tags", []) if t["name"] in tags],
        "servers": full.get("servers", []),
        "paths": paths,
        "components": components,
    }
    text = json.dumps(doc, indent=1)
    if not SUBSET.exists() or SUBSET.read_text() != text:  # atomically: parallel test workers do this too
        tmp = SUBSET.with_name(f"{SUBSET.name}.{os.getpid()}")
        tmp.write_text(text)
        tmp.replace(SUBSET)
    return doc


@functools.cache
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
