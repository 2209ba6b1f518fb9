"""repository, full-repository, branch-short, tag."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hubdepot.representations import iso
from hubdepot.representations.users import simple_user
from hubdepot.urls import Urls, node_id

if TYPE_CHECKING:  # (rows come from services, above this layer)
    from hubdepot.services import Row

_PERMISSIONS = {
    "admin": {"admin": True, "maintain": True, "push": True, "triage": True, "pull": True},
    "push": {"admin": False, "maintain": False, "push": True, "triage": True, "pull": True},
    "pull": {"admin": False, "maintain": False, "push": False, "triage": False, "pull": True},
}


def repository(urls: Urls, repo: Row, owner: Row, permission: str | None = None) -> dict[str, Any]:
    """GitHub's `repository` schema; `permissions` only for an authenticated caller."""
    full_name = f"{owner.login}/{repo.name}"
    body: dict[str, Any] = {
        "id": repo.id,
        "node_id": node_id("Repository", repo.id),
        "name": repo.name,
        "full_name": full_name,
        "private": bool(repo.private),
        "owner": simple_user(urls, owner),
        "html_url": urls.repo_html(full_name),
        "description": repo.description,
        "fork": False,
        "url": urls.repo(full_name),
    }
    body.update(urls.repo_links(full_name))
    body.update(
        {
            "git_url": f"git://{urls.host()}/{full_name}.git",
            "ssh_url": f"git@{urls.host()}:{full_name}.git",
            "clone_url": urls.clone(full_name),
            "svn_url": urls.repo_html(full_name),
            "mirror_url": getattr(repo, "mirror_url", None),
            "homepage": repo.homepage,
            "language": None,
            "forks_count": 0,
            "stargazers_count": 0,
            "watchers_count": 0,
            "size": 0,
            "default_branch": repo.default_branch,
            "open_issues_count": 0,
            "is_template": False,
            "topics": [],
            "has_issues": False,
            "has_projects": False,
            "has_wiki": False,
            "has_pages": False,
            "has_downloads": True,
            "has_discussions": False,
            "archived": False,
            "disabled": False,
            "visibility": "private" if repo.private else "public",
            "pushed_at": iso(repo.pushed_at or repo.created_at),
            "created_at": iso(repo.created_at),
            "updated_at": iso(repo.updated_at),
            "allow_forking": False,
            "web_commit_signoff_required": False,
            "license": None,
            "forks": 0,
            "open_issues": 0,
            "watchers": 0,
        }
    )
    if permission:
        body["permissions"] = dict(_PERMISSIONS[permission])
    return body


def full_repository(urls: Urls, repo: Row, owner: Row, permission: str | None = None) -> dict[str, Any]:
    body = repository(urls, repo, owner, permission)
    body.update(
        {
            "temp_clone_token": None,
            "allow_squash_merge": True,
            "allow_merge_commit": True,
            "allow_rebase_merge": True,
            "allow_auto_merge": False,
            "delete_branch_on_merge": False,
            "allow_update_branch": False,
            "use_squash_pr_title_as_default": False,
            "squash_merge_commit_title": "COMMIT_OR_PR_TITLE",
            "squash_merge_commit_message": "COMMIT_MESSAGES",
            "merge_commit_title": "MERGE_MESSAGE",
            "merge_commit_message": "PR_TITLE",
            "network_count": 0,
            "subscribers_count": 0,
        }
    )
    if owner.type == "Organization":
        body["organization"] = simple_user(urls, owner)
    return body


def branch_short(urls: Urls, full_name: str, name: str, sha: str) -> dict[str, Any]:
    return {"name": name, "commit": {"sha": sha, "url": urls.commit(full_name, sha)}, "protected": False}


def tag(urls: Urls, repo_id: int, full_name: str, name: str, sha: str) -> dict[str, Any]:
    return {
        "name": name,
        "zipball_url": urls.zipball(full_name, name),
        "tarball_url": urls.tarball(full_name, name),
        "commit": {"sha": sha, "url": urls.commit(full_name, sha)},
        "node_id": node_id("Ref", f"{repo_id}:refs/tags/{name}"),
    }
