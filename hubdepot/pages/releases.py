"""Release pages: the list (10 a page), one release (its assets 100 a page), tags, legacy downloads."""

from __future__ import annotations

import hashlib

from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import Response

from hubdepot import markdown
from hubdepot.hub import Hub
from hubdepot.pages.render import ANONYMOUS_SECONDS, html, human_size, page, page_number, redirect
from hubdepot.services import Actor, RepoAccess, Row
from hubdepot.services import pages as service
from hubdepot.services import releases as reads
from hubdepot.urls import PATHS, q

RELEASES_PER_PAGE = 10
ASSETS_ON_LIST = 10
ASSETS_PER_PAGE = 100
DOWNLOADS_PER_PAGE = 50


def notes(body: str | None) -> str:
    """A release's notes as sanitised HTML (kept by the hash of the text)."""
    if not body:
        return ""
    data = body.encode()
    return markdown.render_cached("release.md", hashlib.sha256(data).hexdigest(), data)


def asset_rows(hub: Hub, full_name: str, tag: str, rows: list[Row], full: bool) -> Markup:
    """The <li> of each asset (built here rather than in the template: a page holds up to 100, and
    this is ten times faster). `full` adds the sha256 digest and the download count."""
    out: list[str] = []
    base = str(escape(hub.urls.browser_download(full_name, tag, "")))  # then each asset's name, quoted
    for a in rows:
        label = f' <span class="muted">{escape(a.label)}</span>' if a.label else ""
        digest = f'<code class="digest" title="SHA-256 digest">sha256:{a.digest}</code>' if full and a.digest else ""
        count = a.download_count or 0
        downloads = f'<span class="downloads">{count:,} download{"" if count == 1 else "s"}</span>' if full else ""
        out.append(
            f'<li><a class="asset-name" href="{base}{escape(q(a.name))}">{escape(a.name)}</a>{label}{digest}'
            f'<span class="size">{human_size(a.size)}</span>{downloads}</li>'
        )
    return Markup("".join(out))


def _release(
    hub: Hub,
    access: RepoAccess,
    view: reads.ReleaseView,
    latest_id: int | None,
    assets: list[reads.AssetView],
    count: int,
    full: bool,
) -> dict[str, object]:
    """What a template needs to show one release (`assets`: the ones shown, of `count`)."""
    row, full_name = view.row, access.full_name
    tag = view.url_tag
    return {
        "row": row,
        "tag": tag,
        "title": row.name or row.tag_name,
        "author": view.author,
        "url": PATHS.release_html(full_name, tag),
        "latest": row.id == latest_id,
        "notes": notes(row.body),
        "asset_count": count,
        "shown": len(assets),
        "asset_rows": asset_rows(hub, full_name, tag, [a.row for a in assets if a.row.state == "uploaded"], full),
        "zip": None if row.draft else PATHS.archive_html(full_name, f"refs/tags/{row.tag_name}", "zip"),
        "tarball": None if row.draft else PATHS.archive_html(full_name, f"refs/tags/{row.tag_name}", "tar.gz"),
        "tree": None if row.draft else PATHS.tree_html(full_name, row.tag_name),
    }


@page(cache_seconds=ANONYMOUS_SECONDS)
def listing(request: Request, hub: Hub, actor: Actor | None) -> Response:
    p, number = request.path_params, page_number(request)
    access, views, total, counts, latest_id = service.releases_page(
        hub, actor, p["owner"], p["repo"], (number - 1) * RELEASES_PER_PAGE, RELEASES_PER_PAGE, ASSETS_ON_LIST
    )
    items = [_release(hub, access, v, latest_id, v.assets, counts.get(v.row.id, 0), False) for v in views]
    return html(
        request,
        "releases.html",
        access=access,
        repo=access.repo,
        releases=items,
        page=number,
        pages=max(1, -(-total // RELEASES_PER_PAGE)),
        total=total,
        tab="releases",
    )


@page
def latest(request: Request, hub: Hub, actor: Actor | None) -> Response:
    p = request.path_params
    access, target = service.latest_tag(hub, actor, p["owner"], p["repo"])
    full_name = access.full_name
    return redirect(PATHS.release_html(full_name, target) if target else PATHS.releases_html(full_name))


@page(cache_seconds=ANONYMOUS_SECONDS)
def tag(request: Request, hub: Hub, actor: Actor | None) -> Response:
    p, number = request.path_params, page_number(request)
    found = service.release(
        hub, actor, p["owner"], p["repo"], p["tag"], (number - 1) * ASSETS_PER_PAGE, ASSETS_PER_PAGE
    )
    access = found.access
    item = _release(hub, access, found.view, found.latest_id, found.view.assets, found.asset_count, True)
    return html(
        request,
        "release.html",
        access=access,
        repo=access.repo,
        release=item,
        page=number,
        pages=max(1, -(-found.asset_count // ASSETS_PER_PAGE)),
        tab="releases",
    )


@page(cache_seconds=ANONYMOUS_SECONDS)
def tags(request: Request, hub: Hub, actor: Actor | None) -> Response:
    p = request.path_params
    access, found, released = service.tags(hub, actor, p["owner"], p["repo"])
    return html(request, "tags.html", access=access, repo=access.repo, tags=found, released=released, tab="releases")


@page(cache_seconds=ANONYMOUS_SECONDS)
def downloads(request: Request, hub: Hub, actor: Actor | None) -> Response:
    p, number = request.path_params, page_number(request)
    access, rows, total = service.legacy_downloads(
        hub, actor, p["owner"], p["repo"], (number - 1) * DOWNLOADS_PER_PAGE, DOWNLOADS_PER_PAGE
    )
    items = [{"row": r, "url": hub.urls.download_html(access.full_name, r.name)} for r in rows]
    return html(
        request,
        "downloads.html",
        access=access,
        repo=access.repo,
        downloads=items,
        page=number,
        pages=max(1, -(-total // DOWNLOADS_PER_PAGE)),
        total=total,
        tab="releases",
    )
