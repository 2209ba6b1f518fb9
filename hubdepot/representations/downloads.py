"""The legacy Downloads API's objects, as api.github.com answered them in 2012 (download, create_download)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hubdepot.representations import iso
from hubdepot.urls import Urls

if TYPE_CHECKING:  # (rows and tickets come from services, above this layer)
    from hubdepot.services import Row
    from hubdepot.services.downloads import Ticket


def download(urls: Urls, full_name: str, row: Row) -> dict[str, Any]:
    return {
        "url": urls.download(full_name, row.id),
        "html_url": urls.download_html(full_name, row.name),
        "id": row.id,
        "name": row.name,
        "description": row.description,
        "size": row.size,
        "download_count": row.download_count,
        "content_type": row.content_type,
        "created_at": iso(row.created_at),
    }


def create_download(urls: Urls, full_name: str, row: Row, ticket: Ticket) -> dict[str, Any]:
    """download + the S3 POST policy for part 2 (`fields`: every form field to send before `file`)."""
    return download(urls, full_name, row) | {
        "policy": ticket.policy,
        "signature": ticket.signature,
        "bucket": ticket.bucket,
        "accesskeyid": ticket.accesskeyid,
        "path": ticket.path,
        "acl": ticket.acl,
        "expirationdate": iso(ticket.expirationdate),
        "prefix": ticket.prefix,
        "mime_type": ticket.mime_type,
        "redirect": False,
        "s3_url": ticket.s3_url,
        "fields": dict(ticket.fields),
    }
