"""`hubdepot fsck`: do the database rows, the stored blobs and the git repositories agree?"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import sqlalchemy as sa

from hubdepot import errors
from hubdepot.db.tables import accounts, downloads, release_assets, releases, repositories
from hubdepot.git import refs as git_refs
from hubdepot.git import repos as git_repos
from hubdepot.hub import Hub
from hubdepot.services import Row


def repair(hub: Hub, wait: bool = True) -> list[str]:
    """Remove what dead writers left in the repositories (ref lock files, push quarantines); one line each.
    wait=False skips the repositories a writer holds right now instead of waiting for it."""
    out = []
    if hub.settings.repos_dir.is_dir():
        for path in sorted(hub.settings.repos_dir.glob("*.git")):
            out += [f"{path.name}: removed stale {left}" for left in git_refs.remove_stale_locks(path, wait)]
    return out


def check(hub: Hub, deep: bool = False) -> list[str]:
    """One line per problem; empty when everything agrees. `deep` re-hashes every blob."""
    with hub.db.read() as conn:
        repos = conn.execute(
            sa.select(repositories.c.id, repositories.c.name, accounts.c.login).join(
                accounts, accounts.c.id == repositories.c.owner_id
            )
        ).all()
        published = conn.execute(
            sa.select(releases.c.id, releases.c.repository_id, releases.c.tag_name).where(releases.c.draft.is_(False))
        ).all()
        assets = conn.execute(sa.select(release_assets).where(release_assets.c.state == "uploaded")).all()
        files = conn.execute(sa.select(downloads).where(downloads.c.state == "uploaded")).all()
    problems = _repositories(hub, repos) + _tags(hub, repos, published)
    problems += _blobs(hub, "asset", assets, deep) + _blobs(hub, "download", files, deep)
    return problems


def _repositories(hub: Hub, repos: Sequence[Row]) -> list[str]:
    out: list[str] = []
    known: set[str] = set()
    for repo in repos:
        path = git_repos.git_dir(hub.settings.repos_dir, repo.id)
        known.add(path.name)
        try:
            git_refs.branches(path)
        except errors.NotFound:
            out.append(
                f"repository {repo.login}/{repo.name} (id {repo.id}): git directory {path} missing or unreadable"
            )
            continue
        out += [
            f"repository {repo.login}/{repo.name} (id {repo.id}): stale {left} (its writer is gone; "
            f"remove it when no git process runs there)"
            for left in git_refs.stale_locks(path)
        ]
    if hub.settings.repos_dir.is_dir():
        for path in sorted(hub.settings.repos_dir.glob("*.git")):
            if path.name not in known:
                out.append(f"git directory {path} has no repository row")
    return out


def _tags(hub: Hub, repos: Sequence[Row], published: Sequence[Row]) -> list[str]:
    names = {repo.id: f"{repo.login}/{repo.name}" for repo in repos}
    out: list[str] = []
    tags_of: dict[int, set[str]] = {}
    for release in published:
        if release.repository_id not in tags_of:
            try:
                path = git_repos.git_dir(hub.settings.repos_dir, release.repository_id)
                tags_of[release.repository_id] = {t.name for t in git_refs.tags(path)}
            except errors.NotFound:
                tags_of[release.repository_id] = set()
        if release.tag_name not in tags_of[release.repository_id]:
            out.append(
                f"release {release.id} of {names.get(release.repository_id)}: tag {release.tag_name} missing in git"
            )
    return out


def _blobs(hub: Hub, kind: str, rows: Sequence[Row], deep: bool) -> list[str]:
    out: list[str] = []
    for row in rows:
        size = hub.storage.size(row.blob_key) if row.blob_key else None
        if size is None:
            out.append(f"{kind} {row.id} ({row.name}): blob {row.blob_key} missing")
        elif size != row.size:
            out.append(f"{kind} {row.id} ({row.name}): blob has {size} bytes, row says {row.size}")
        elif deep and row.digest and _sha256(hub, row.blob_key) != row.digest.removeprefix("sha256:"):
            out.append(f"{kind} {row.id} ({row.name}): blob digest differs from the row's")
    return out


def _sha256(hub: Hub, key: str) -> str:
    digest = hashlib.sha256()
    for chunk in hub.storage.read(key):
        digest.update(chunk)
    return digest.hexdigest()
