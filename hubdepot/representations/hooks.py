"""hook, org-hook, webhook-config, hook-delivery-item, hook-delivery."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from hubdepot.representations import iso
from hubdepot.urls import Urls

if TYPE_CHECKING:  # (rows come from services, above this layer)
    from hubdepot.services import Row

SECRET_MASK = "********"


def webhook_config(row: Row) -> dict[str, Any]:
    body = {"content_type": row.content_type, "insecure_ssl": row.insecure_ssl, "url": row.url}
    if row.secret:
        body["secret"] = SECRET_MASK
    return body


def _last_response(row: Row) -> dict[str, Any]:
    return {"code": row.last_code, "status": row.last_status, "message": row.last_message}


def hook(urls: Urls, full_name: str, row: Row) -> dict[str, Any]:
    """A repository's hook."""
    links = urls.hook_links(urls.hooks(full_name), row.id)
    return {
        "type": "Repository",
        "id": row.id,
        "name": "web",
        "active": bool(row.active),
        "events": json.loads(row.events),
        "config": webhook_config(row),
        "updated_at": iso(row.updated_at),
        "created_at": iso(row.created_at),
        **links,
        "last_response": _last_response(row),
    }


def org_hook(urls: Urls, org: str, row: Row) -> dict[str, Any]:
    """An organisation's hook (GitHub's has no test_url: only a repository's hook can be tested)."""
    links = urls.hook_links(urls.org_hooks(org), row.id)
    return {
        "id": row.id,
        "url": links["url"],
        "ping_url": links["ping_url"],
        "deliveries_url": links["deliveries_url"],
        "name": "web",
        "events": json.loads(row.events),
        "active": bool(row.active),
        "config": webhook_config(row),
        "updated_at": iso(row.updated_at),
        "created_at": iso(row.created_at),
        "type": "Organization",
    }


def hook_delivery_item(row: Row) -> dict[str, Any]:
    """A row of webhook_deliveries joined with its event (event, action, repository_id)."""
    return {
        "id": row.id,
        "guid": row.guid,
        "delivered_at": iso(row.delivered_at or row.created_at),
        "redelivery": bool(row.redelivery),
        "duration": float(row.duration or 0),
        "status": row.status,
        "status_code": row.status_code,
        "event": row.event,
        "action": row.action,
        "installation_id": None,
        "repository_id": row.repository_id,
        "throttled_at": None,
    }


def hook_delivery(row: Row, url: str) -> dict[str, Any]:
    """One delivery in full: what was sent (headers, payload) and what came back."""
    return hook_delivery_item(row) | {
        "url": url,
        "request": {
            "headers": json.loads(row.request_headers) if row.request_headers else None,
            "payload": json.loads(row.payload),
        },
        "response": {
            "headers": json.loads(row.response_headers) if row.response_headers else None,
            "payload": row.response_body,
        },
    }
