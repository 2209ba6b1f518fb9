"""simple-user, public-user, private-user."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hubdepot.representations import iso
from hubdepot.urls import Urls, node_id

if TYPE_CHECKING:  # (rows come from services, above this layer)
    from hubdepot.services import Row


def simple_user(urls: Urls, account: Row) -> dict[str, Any]:
    login = account.login
    return {
        "login": login,
        "id": account.id,
        "node_id": node_id(account.type if account.type in ("Organization", "Bot") else "User", account.id),
        "avatar_url": urls.avatar(account.id),
        "gravatar_id": "",
        "url": urls.user(login),
        "html_url": urls.user_html(login),
        **urls.user_links(login),
        "type": account.type,
        "user_view_type": "public",
        "site_admin": bool(account.site_admin),
    }


def public_user(urls: Urls, account: Row, public_repos: int = 0) -> dict[str, Any]:
    return simple_user(urls, account) | {
        "name": account.name,
        "company": None,
        "blog": "",
        "location": None,
        "email": account.email,
        "hireable": None,
        "bio": None,
        "twitter_username": None,
        "public_repos": public_repos,
        "public_gists": 0,
        "followers": 0,
        "following": 0,
        "created_at": iso(account.created_at),
        "updated_at": iso(account.updated_at),
    }


def private_user(urls: Urls, account: Row, public_repos: int = 0, private_repos: int = 0) -> dict[str, Any]:
    return public_user(urls, account, public_repos) | {
        "user_view_type": "private",
        "notification_email": account.email,
        "private_gists": 0,
        "total_private_repos": private_repos,
        "owned_private_repos": private_repos,
        "disk_usage": 0,
        "collaborators": 0,
        "two_factor_authentication": False,
        "plan": {"name": "enterprise", "space": 976562499, "collaborators": 0, "private_repos": 9999},
    }
