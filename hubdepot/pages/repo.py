"""Repository pages: home (README, files, latest release), tree, blob, branches, commits, commit."""

from __future__ import annotations

from typing import Required, TypedDict

from starlette.requests import Request
from starlette.responses import Response

from hubdepot import errors, markdown
from hubdepot.git import trees
from hubdepot.hub import Hub
from hubdepot.pages import code, packing
from hubdepot.pages.render import ANONYMOUS_SECONDS, html, page, page_number, redirect
from hubdepot.services import Actor, RepoAccess
from hubdepot.services import pages as service
from hubdepot.urls import PATHS

COMMITS_PER_PAGE = 35


class _View(TypedDict, total=False):
    """How a file shows on blob.html: its kind, and what that kind needs."""

    kind: Required[str]  # submodule | symlink | image | large | binary | markdown | code
    target: str | None  # a symlink's text
    markdown: str  # rendered markdown
    chunk: packing.Chunk  # highlighted lines (render.html splices it in)
    line_count: int


def _entries(found: trees.Found) -> list[trees.Node]:
    """A directory's entries as GitHub lists them: folders first, then files, by name."""
    return sorted(found.entries, key=lambda n: (n.kind not in ("dir", "submodule"), n.name.lower()))


def _readme_html(access: RepoAccess, ref: str, readme: trees.Found | None) -> str | None:
    if readme is None or readme.data is None or code.is_binary(readme.data):
        return None
    return code.rendered_markdown(access.full_name, ref, readme.node.path, readme.node.sha, readme.data, True)


def _crumbs(full_name: str, ref: str, path: str) -> list[tuple[str, str]]:
    """(name, tree URL) for each folder above and including the last part of `path`."""
    parts = path.split("/") if path else []
    return [(part, PATHS.tree_html(full_name, ref, "/".join(parts[: i + 1]))) for i, part in enumerate(parts)]


@page(cache_seconds=ANONYMOUS_SECONDS)
def home(request: Request, hub: Hub, actor: Actor | None) -> Response:
    p = request.path_params
    if p["repo"].lower().endswith(".git") and len(p["repo"]) > 4:
        return redirect(PATHS.repo_html(f"{p['owner']}/{p['repo'][:-4]}"), 301)
    found = service.repo_home(hub, actor, p["owner"], p["repo"])
    access = found.access
    ref = access.repo.default_branch
    return html(
        request,
        "repo.html",
        access=access,
        repo=access.repo,
        home=found,
        ref=ref,
        entries=_entries(found.listing) if found.listing else [],
        readme=_readme_html(access, ref, found.readme),
        clone_url=hub.urls.clone(access.full_name),
        tab="code",
    )


def _browse(request: Request, hub: Hub, actor: Actor | None) -> service.Browse:
    p = request.path_params
    return service.browse(hub, actor, p["owner"], p["repo"], p["rest"])


@page(cache_seconds=ANONYMOUS_SECONDS)
def tree(request: Request, hub: Hub, actor: Actor | None) -> Response:
    found = _browse(request, hub, actor)
    access, node = found.access, found.found.node
    if node.kind != "dir":
        return redirect(PATHS.blob_html(access.full_name, found.ref, found.path), 301)
    return html(
        request,
        "tree.html",
        access=access,
        repo=access.repo,
        ref=found.ref,
        dir_path=found.path,
        crumbs=_crumbs(access.full_name, found.ref, found.path),
        entries=_entries(found.found),
        readme=_readme_html(access, found.ref, found.readme),
        tab="code",
    )


@page(cache_seconds=ANONYMOUS_SECONDS)
def blob(request: Request, hub: Hub, actor: Actor | None) -> Response:
    found = _browse(request, hub, actor)
    access, node, data = found.access, found.found.node, found.found.data
    if node.kind == "dir":
        return redirect(PATHS.tree_html(access.full_name, found.ref, found.path), 301)
    raw = PATHS.raw(access.full_name, found.ref, found.path)
    view = _view(access, found, request.query_params.get("plain") == "1")
    return html(
        request,
        "blob.html",
        access=access,
        repo=access.repo,
        ref=found.ref,
        file_path=found.path,
        crumbs=_crumbs(access.full_name, found.ref, found.path),
        node=node,
        raw=raw,
        tab="code",
        plain_url="?plain=1" if view["kind"] == "markdown" else None,
        **view,
        size=node.size if data is None else len(data),
    )


def _view(access: RepoAccess, found: service.Browse, plain: bool) -> _View:
    """How the file shows: image, binary, too large, symlink, rendered markdown, or highlighted lines."""
    node, data = found.found.node, found.found.data
    if node.kind == "submodule":
        return {"kind": "submodule"}
    if node.kind == "symlink":
        return {"kind": "symlink", "target": node.target}
    if code.is_image(node.path):
        return {"kind": "image"}
    if data is None:
        return {"kind": "large"}
    if code.is_binary(data):
        return {"kind": "binary"}
    if markdown.is_markdown(node.path) and not plain:
        return {
            "kind": "markdown",
            "markdown": code.rendered_markdown(access.full_name, found.ref, node.path, node.sha, data),
        }
    chunk, count = code.highlighted(node.sha, node.name, data)
    return {"kind": "code", "chunk": chunk, "line_count": count}


@page
def raw_redirect(request: Request, hub: Hub, actor: Actor | None) -> Response:
    """GitHub's /o/r/raw/<ref>/<path> links: the raw host's URL."""
    p = request.path_params
    return redirect(PATHS.raw(f"{p['owner']}/{p['repo']}", p["rest"]))


@page(cache_seconds=ANONYMOUS_SECONDS)
def branches(request: Request, hub: Hub, actor: Actor | None) -> Response:
    p = request.path_params
    access, found = service.branches(hub, actor, p["owner"], p["repo"])
    return html(request, "branches.html", access=access, repo=access.repo, branches=found, tab="code")


@page(cache_seconds=ANONYMOUS_SECONDS)
def commits(request: Request, hub: Hub, actor: Actor | None) -> Response:
    p = request.path_params
    number = page_number(request)
    access, resolved, found, more = service.commits(
        hub, actor, p["owner"], p["repo"], p.get("ref", ""), (number - 1) * COMMITS_PER_PAGE, COMMITS_PER_PAGE
    )
    return html(
        request,
        "commits.html",
        access=access,
        repo=access.repo,
        ref=resolved.name,
        commits=found,
        page=number,
        more=more,
        tab="code",
    )


@page
def commit(request: Request, hub: Hub, actor: Actor | None) -> Response:
    p = request.path_params
    if len(p["sha"]) > 40:
        raise errors.NotFound()
    access, found, files = service.commit(hub, actor, p["owner"], p["repo"], p["sha"])
    return html(
        request,
        "commit.html",
        access=access,
        repo=access.repo,
        commit=found,
        files=files,
        additions=sum(f.additions for f in files),
        deletions=sum(f.deletions for f in files),
        tab="code",
    )
