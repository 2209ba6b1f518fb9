"""The git data API and the commit views: blobs, trees, commits, annotated tags, refs; commit lists,
single commits with their files, comparisons and branches.

Objects are written without the lock (content-addressed); refs move by compare-and-swap under the
repository lock (git/refs.py update()) and every change goes to services.refs.record().
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime as dt
import re
from collections.abc import AsyncIterator

import sqlalchemy as sa

from hubdepot import errors
from hubdepot.db.tables import accounts
from hubdepot.git import diffs, objects, trees
from hubdepot.git import refs as git_refs
from hubdepot.git import tags as git_tags
from hubdepot.git.commits import CommitInfo
from hubdepot.git.lock import repo_lock
from hubdepot.git.refs import ZERO
from hubdepot.git.repos import opened
from hubdepot.git.tags import FoundRef
from hubdepot.hub import Hub
from hubdepot.services import Actor, RepoAccess, Row
from hubdepot.services import contents as contents_service
from hubdepot.services import refs as ref_service
from hubdepot.services.repos import require

BLOB_LIMIT = 100 * 1024 * 1024
TreeSpec = objects.TreeSpec  # what POST git/trees entries become (the handler builds them)
_REF = re.compile(r"^refs/(?:[^/\x00]+/)+[^/\x00]+$")


@dataclasses.dataclass(frozen=True)
class RefView:
    ref: str  # refs/heads/main
    sha: str  # the object the ref names
    type: str  # commit | tag | tree | blob


@dataclasses.dataclass(frozen=True)
class CommitView:
    """A commit with the accounts its author and committer emails belong to (None when unknown)."""

    info: CommitInfo
    author: Row | None  # an accounts row
    committer: Row | None
    files: list[diffs.FileChange] | None = None  # for a single commit


@dataclasses.dataclass(frozen=True)
class Comparison:
    base: CommitView
    merge_base: CommitView
    status: str
    ahead_by: int
    behind_by: int
    commits: list[CommitView]
    files: list[diffs.FileChange]


# -- blobs, trees, commits, tags ---------------------------------------------------------------
def blob(access: RepoAccess, sha: str) -> objects.Blob:
    return objects.blob(access.git_dir, sha, BLOB_LIMIT)


def create_blob(hub: Hub, actor: Actor | None, access: RepoAccess, content: str, encoding: str) -> str:
    require(access, actor, "push")
    if encoding == "base64":
        try:
            data = base64.b64decode(content.encode("ascii"), validate=False)
        except (binascii.Error, UnicodeEncodeError, ValueError):
            raise errors.Unprocessable("content is not valid Base64") from None
    elif encoding in ("utf-8", "utf8"):
        data = content.encode("utf-8", "surrogatepass")
    else:
        raise errors.Unprocessable(f"encoding must be one of utf-8 or base64, not {encoding}")
    if len(data) > BLOB_LIMIT:
        raise errors.ValidationFailed.one("Blob", "content", "too_large")
    return objects.create_blob(access.git_dir, data)


def tree(hub: Hub, access: RepoAccess, sha: str, recursive: bool) -> objects.Tree:
    """GitHub's 7 MB limit is on the answer: an entry costs its path, its url and ~120 bytes of JSON."""
    per_entry = 120 + len(hub.urls.git_blob(access.full_name, objects.EMPTY_TREE))
    return objects.tree(access.git_dir, _sha_of(access, sha), recursive, per_entry)


def create_tree(
    hub: Hub, actor: Actor | None, access: RepoAccess, base_tree: str | None, specs: list[objects.TreeSpec]
) -> objects.Tree:
    require(access, actor, "push")
    for spec in specs:
        contents_service.split_path(spec.path, writing=True)
    sha = objects.create_tree(access.git_dir, base_tree, specs)
    return objects.tree(access.git_dir, sha, False)


def git_commit(access: RepoAccess, sha: str) -> CommitInfo:
    return objects.commit(access.git_dir, sha)


def create_commit(
    hub: Hub,
    actor: Actor | None,
    access: RepoAccess,
    *,
    message: str,
    tree_sha: str,
    parents: list[str],
    author: contents_service.Person | None,
    committer: contents_service.Person | None,
) -> CommitInfo:
    require(access, actor, "push")
    assert actor is not None, "require() lets no anonymous caller push"
    me = contents_service.default_identity(hub, actor)
    committer_id = contents_service.identity(committer, "committer", me, None)
    author_id = contents_service.identity(author, "author", committer_id if committer else me, None)
    return objects.create_commit(access.git_dir, message, tree_sha, parents, author_id, committer_id)


def git_tag(access: RepoAccess, sha: str) -> objects.Tag:
    return objects.tag(access.git_dir, sha)


def create_tag(
    hub: Hub,
    actor: Actor | None,
    access: RepoAccess,
    *,
    tag: str,
    message: str,
    object_sha: str,
    object_type: str,
    tagger: contents_service.Person | None,
) -> objects.Tag:
    require(access, actor, "push")
    assert actor is not None, "require() lets no anonymous caller push"
    if object_type not in ("commit", "tree", "blob", "tag"):
        raise errors.ValidationFailed.one("Tag", "type", "invalid")
    who = contents_service.identity(tagger, "tagger", contents_service.default_identity(hub, actor), None)
    return objects.create_tag(access.git_dir, tag, message, object_sha, object_type, who)


# -- refs -----------------------------------------------------------------------------------------
def _view(access: RepoAccess, ref: str, sha: str) -> RefView:
    return RefView(ref, sha, objects.type_of(access.git_dir, sha) or "commit")


def refs(access: RepoAccess, prefix: str) -> list[RefView]:
    """Refs under refs/`prefix` (a name prefix, as matching-refs does), sorted by name."""
    full = "refs/" + prefix if prefix else "refs/"
    found = git_refs.snapshot(access.git_dir)
    return [
        _view(access, name, sha)
        for name, sha in sorted(found.items())
        if name.startswith(full) and name != "refs/stash"
    ]


def ref(access: RepoAccess, name: str) -> RefView:
    """The ref refs/`name` exactly."""
    full = "refs/" + name
    sha = git_refs.snapshot(access.git_dir).get(full)
    if sha is None:
        raise errors.NotFound()
    return _view(access, full, sha)


def create_ref(hub: Hub, actor: Actor | None, access: RepoAccess, name: str, sha: str) -> RefView:
    require(access, actor, "push")
    if not isinstance(name, str) or not _REF.match(name) or not git_refs.valid_name(name):
        raise errors.Unprocessable(
            "Reference name is not valid"
            if name.startswith("refs/")
            else "Reference name must start with 'refs/' and have at least two slashes."
        )
    _check_target(access, name, sha)
    ref_service.check_protected(hub, access, name)
    update = _swap(access, name, sha, create=True)
    ref_service.record(hub, access, actor, [update])
    return _view(access, name, sha)


def update_ref(hub: Hub, actor: Actor | None, access: RepoAccess, name: str, sha: str, force: bool) -> RefView:
    require(access, actor, "push")
    full = "refs/" + name
    _check_target(access, full, sha)
    ref_service.check_protected(hub, access, full)
    update = _swap(access, full, sha, force=force)
    ref_service.record(hub, access, actor, [update])
    return _view(access, full, sha)


def _check_target(access: RepoAccess, full: str, sha: str) -> None:
    kind = objects.type_of(access.git_dir, sha)
    if kind is None:
        raise errors.Unprocessable("Object does not exist")
    if full.startswith("refs/heads/") and kind != "commit":
        raise errors.Unprocessable("Object is not a commit")


def delete_ref(hub: Hub, actor: Actor | None, access: RepoAccess, name: str) -> None:
    require(access, actor, "push")
    full = "refs/" + name
    ref_service.check_protected(hub, access, full)
    update = _swap(access, full, ZERO)
    ref_service.record(hub, access, actor, [update])


def _swap(
    access: RepoAccess, full: str, sha: str, *, create: bool = False, force: bool = True
) -> ref_service.RefUpdate:
    """Compare-and-swap under the repository lock: the old value is the one read under the lock."""
    with repo_lock(access.git_dir), opened(access.git_dir) as repo:
        before = git_refs.current(repo, full)
        if create and before != ZERO:
            raise errors.Unprocessable("Reference already exists")
        if not create and before == ZERO:
            raise errors.Unprocessable("Reference does not exist")
        if not force and not git_refs.fast_forward(repo, before, sha):
            raise errors.Unprocessable("Update is not a fast forward")
        return git_refs.update(repo, access.git_dir, full, before, sha)


# -- commits as the REST API shows them ----------------------------------------------------------
def _sha_of(access: RepoAccess, ref: str) -> str:
    """A commit-ish (branch, tag, sha, short sha) or any object sha -> a sha."""
    if objects.SHA.match(ref or "") and objects.type_of(access.git_dir, ref):
        return ref
    return trees.resolve(access.git_dir, ref, access.repo.default_branch).sha


def _people(hub: Hub, infos: list[CommitInfo]) -> dict[str, Row]:
    """email (lower-cased) -> account, for the authors and committers of `infos`."""
    emails = {who.email.lower() for info in infos for who in (info.author, info.committer)}
    if not emails:
        return {}
    ids = {}
    for email in emails:
        local, _, host = email.partition("@")
        if host.startswith("users.noreply.") and "+" in local and local.split("+")[0].isdigit():
            ids[int(local.split("+")[0])] = email
    with hub.db.read() as conn:
        rows = conn.execute(
            sa.select(accounts).where(
                sa.or_(sa.func.lower(accounts.c.email).in_(sorted(emails)), accounts.c.id.in_(sorted(ids)))
            )
        ).all()
    out: dict[str, Row] = {}
    for row in rows:
        if row.email:
            out[row.email.lower()] = row
        if row.id in ids:
            out[ids[row.id]] = row
    return out


def _views(hub: Hub, infos: list[CommitInfo]) -> list[CommitView]:
    people = _people(hub, infos)
    return [CommitView(i, people.get(i.author.email.lower()), people.get(i.committer.email.lower())) for i in infos]


def commits(
    hub: Hub,
    access: RepoAccess,
    *,
    sha: str | None,
    path: str | None,
    author: str | None,
    since: dt.datetime | None,
    until: dt.datetime | None,
    offset: int,
    size: int,
) -> tuple[list[CommitView], int]:
    """A page of history (newest first) and the number of matching commits."""
    if trees.is_empty(access.git_dir):
        raise errors.Conflict("Git Repository is empty.")
    head = trees.resolve(access.git_dir, sha or None, access.repo.default_branch).sha
    parts = "/".join(contents_service.split_path(path)) if path else None
    wanted = _author_keys(hub, author) if author else None
    page, total = [], 0
    for info in objects.walk(access.git_dir, head):
        when = info.committer.time
        if (since and when < since.timestamp()) or (until and when > until.timestamp()):
            continue
        if wanted is not None and info.author.email.lower() not in wanted and info.author.name.lower() not in wanted:
            continue
        if parts and not objects.touches(access.git_dir, info.sha, parts):
            continue
        if offset <= total < offset + size:
            page.append(info)
        total += 1
    return _views(hub, page), total


def _author_keys(hub: Hub, author: str) -> set[str]:
    """`author` (a login or an email) as the emails and names a commit's author may carry."""
    keys = {author.lower()}
    with hub.db.read() as conn:
        account = conn.execute(sa.select(accounts).where(accounts.c.login_key == author.lower())).first()
    if account is not None:
        host = hub.urls.host().rsplit(":", 1)[0].strip("[]")
        keys |= {f"{account.id}+{account.login}@users.noreply.{host}".lower()}
        if account.email:
            keys.add(account.email.lower())
    return keys


def commit(hub: Hub, access: RepoAccess, ref: str) -> CommitView:
    """One commit with its files (against its first parent)."""
    sha = resolve_sha(access, ref)
    info = objects.commit(access.git_dir, sha)
    files = diffs.changes(access.git_dir, info.parents[0] if info.parents else None, sha)
    view = _views(hub, [info])[0]
    return dataclasses.replace(view, files=files)


def compare(hub: Hub, access: RepoAccess, base: str, head: str, offset: int, size: int) -> Comparison:
    """base...head: the commits of head since the merge base, and the files they changed."""
    base_sha, head_sha, merge = _merge_base(access, base, head)
    ahead, behind = objects.ahead_behind(access.git_dir, head_sha, base_sha)
    status = (
        "identical" if not ahead and not behind else "ahead" if not behind else "behind" if not ahead else "diverged"
    )
    ahead_commits = list(reversed(list(objects.walk(access.git_dir, head_sha, hide=merge))))[:250]
    views = _views(
        hub,
        [
            objects.commit(access.git_dir, base_sha),
            objects.commit(access.git_dir, merge),
            *ahead_commits[offset : offset + size],
        ],
    )
    files = diffs.changes(access.git_dir, merge, head_sha)
    return Comparison(views[0], views[1], status, ahead, behind, views[2:], files)


def branch(hub: Hub, access: RepoAccess, name: str) -> CommitView:
    sha = git_refs.snapshot(access.git_dir).get(f"refs/heads/{name}")
    if sha is None:
        raise errors.NotFound("Branch not found")
    return _views(hub, [objects.commit(access.git_dir, sha)])[0]


def resolve_sha(access: RepoAccess, ref: str) -> str:
    """The commit a ref, a sha or an abbreviation names, for /commits/{ref}: none is GitHub's 422
    "No commit found for SHA: {ref}" (the contents API's ?ref= answers 404 instead, in git/trees)."""
    try:
        return trees.resolve(access.git_dir, ref, access.repo.default_branch).sha
    except errors.NotFound:
        raise errors.Unprocessable(f"No commit found for SHA: {ref}") from None


def diff_of(access: RepoAccess, ref: str) -> AsyncIterator[bytes]:
    info = objects.commit(access.git_dir, resolve_sha(access, ref))
    return diffs.diff_text(access.git_dir, info.parents[0] if info.parents else None, info.sha)


def patch_of(access: RepoAccess, ref: str) -> AsyncIterator[bytes]:
    sha = resolve_sha(access, ref)
    return diffs.patch_text(access.git_dir, sha)


def compare_diff(access: RepoAccess, base: str, head: str) -> AsyncIterator[bytes]:
    _base_sha, head_sha, merge = _merge_base(access, base, head)
    return diffs.diff_text(access.git_dir, merge, head_sha)


def _merge_base(access: RepoAccess, base: str, head: str) -> tuple[str, str, str]:
    """(base sha, head sha, their merge base) for base...head; NotFound for an unknown ref or none."""
    base_sha = trees.resolve(access.git_dir, base, access.repo.default_branch).sha
    head_sha = trees.resolve(access.git_dir, head, access.repo.default_branch).sha
    merge = objects.merge_base(access.git_dir, base_sha, head_sha)
    if merge is None:
        raise errors.NotFound(f"No common ancestor between {base} and {head}.")
    return base_sha, head_sha, merge


def find_ref(access: RepoAccess, qualified: str) -> FoundRef | None:
    """The ref `qualified` (refs/heads/x, refs/tags/y) and the commit it names, if any."""
    return git_tags.find_ref(access.git_dir, qualified)


def object_kind(access: RepoAccess, oid: str | None, expression: str | None) -> tuple[str | None, str | None]:
    """(sha, git type) of the object `oid`, or of the commit a revision expression names."""
    sha = oid if oid is not None else git_tags.resolve_target(access.git_dir, expression) if expression else None
    return sha, objects.type_of(access.git_dir, sha) if sha else None
