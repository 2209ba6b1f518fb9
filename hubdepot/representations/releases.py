"""release, release-asset, release-notes-content, check-immutable-releases."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hubdepot.representations import iso
from hubdepot.representations.users import simple_user
from hubdepot.urls import Urls, node_id

if TYPE_CHECKING:  # (rows and views come from services, above this layer)
    from hubdepot.services import Row
    from hubdepot.services.releases import ReleaseView


def release_asset(urls: Urls, full_name: str, url_tag: str, asset: Row, uploader: Row | None) -> dict[str, Any]:
    """GitHub's `release-asset`; `url_tag` is the tag (or untagged-… name) in browser_download_url."""
    return {
        "url": urls.asset(full_name, asset.id),
        "id": asset.id,
        "node_id": node_id("ReleaseAsset", asset.id),
        "name": asset.name,
        "label": asset.label,
        "uploader": simple_user(urls, uploader) if uploader is not None else None,
        "content_type": asset.content_type,
        "state": asset.state,
        "size": asset.size,
        "digest": f"sha256:{asset.digest}" if asset.digest else None,
        "download_count": asset.download_count,
        "created_at": iso(asset.created_at),
        "updated_at": iso(asset.updated_at),
        "browser_download_url": urls.browser_download(full_name, url_tag, asset.name),
    }


def release(urls: Urls, view: ReleaseView) -> dict[str, Any]:
    """GitHub's `release` for a services.releases.ReleaseView."""
    row, full_name = view.row, view.full_name
    url = urls.release(full_name, row.id)
    published = not row.draft
    return {
        "url": url,
        "assets_url": urls.release_assets(full_name, row.id),
        "upload_url": urls.upload(full_name, row.id),
        "html_url": urls.release_html(full_name, view.url_tag),
        "id": row.id,
        "author": simple_user(urls, view.author),
        "node_id": node_id("Release", row.id),
        "tag_name": row.tag_name,
        "target_commitish": row.target_commitish,
        "name": row.name,
        "draft": bool(row.draft),
        "immutable": bool(row.immutable) and published,
        "prerelease": bool(row.prerelease),
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
        "published_at": iso(row.published_at) if published else None,
        "assets": [release_asset(urls, full_name, view.url_tag, a.row, a.uploader) for a in view.assets],
        "tarball_url": urls.tarball(full_name, row.tag_name) if published else None,
        "zipball_url": urls.zipball(full_name, row.tag_name) if published else None,
        "body": row.body,
    }


def release_notes(name: str, body: str) -> dict[str, str]:
    return {"name": name, "body": body}


def immutable_releases(enabled: bool) -> dict[str, bool]:
    return {"enabled": enabled, "enforced_by_owner": False}
