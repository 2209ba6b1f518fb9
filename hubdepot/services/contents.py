"""Repository contents: read files, directories and READMEs; create, update and delete files.

Size rules (GitHub's): up to 1 MB a file comes inline in JSON; 1-100 MB only raw bytes (or the
object media type with encoding "none"); above 100 MB nothing.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime as dt
import mimetypes
import re
import zoneinfo
from collections.abc import AsyncIterator, Callable, Iterator

from hubdepot import errors, git
from hubdepot.git import commits as git_commits
from hubdepot.git import refs as git_refs
from hubdepot.git import trees
from hubdepot.hub import Hub
from hubdepot.services import SYSTEM, Actor, RepoAccess
from hubdepot.services import refs as ref_service
from hubdepot.services import repos as repo_service

INLINE_LIMIT = 1024 * 1024
BLOB_LIMIT = 100 * 1024 * 1024
RAW_TOKEN_SECONDS = 600
_TOO_LARGE = [{"resource": "Blob", "field": "data", "code": "too_large"}]
_BAD_PATH = [{"resource": "Commit", "field": "path", "code": "invalid"}]
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # (no checkout could hold a name with one)
_NOT_NAMES = frozenset(("", ".", ".."))
_BAD_BRANCH = [{"resource": "Commit", "field": "branch", "code": "invalid"}]
_SPACE = re.compile(rb"\s+")
_PAD = re.compile(rb"=")
_PIECE = 4 * 1024 * 1024  # characters of base64 decoded at a time
Person = tuple[str, str, str | None]  # an author or committer as the API reads it: (name, email, ISO date or None)


# -- paths --------------------------------------------------------------------------------------
def split_path(path: str, writing: bool = False) -> list[str]:
    """Clean path parts; anything that could leave the tree is GitHub's 404 (read) or 422 (write)."""
    if writing and path.startswith("/"):
        raise errors.ValidationFailed(_BAD_PATH, message="path cannot start with a slash")
    if not writing:
        path = path[:-1] if path.endswith("/") else path
        if path == "":
            return []
    parts = path.split("/")
    if _CONTROL.search(path) is not None or any(_unfit(p) for p in parts):
        if writing:
            raise errors.ValidationFailed(_BAD_PATH, message="path contains a malformed path component")
        raise errors.NotFound()
    return parts


def _unfit(part: str) -> bool:
    """A part that could leave the tree (.., .git), names nothing, or that no checkout could hold:
    longer than a file system's 255-byte name (a part of at most 63 characters never is: at most 4
    bytes each). Control characters are looked for in the whole path (split_path)."""
    if part in _NOT_NAMES or part.lower() == ".git":
        return True
    return len(part) > 63 and len(part.encode("utf-8", "surrogatepass")) > 255


# -- reading ------------------------------------------------------------------------------------
def read(access: RepoAccess, path: str, ref: str | None, mode: str) -> trees.Found:
    """What is at `path` for the media `mode` (json | raw | html | object), within GitHub's size rules."""
    found = trees.lookup(access.git_dir, ref or None, access.repo.default_branch, split_path(path), INLINE_LIMIT)
    _check_size(found, mode)
    return found


def readme(access: RepoAccess, directory: str | None, ref: str | None, mode: str) -> trees.Found:
    """The preferred README: for the root .github/, the root, then docs/; else the directory's own."""
    dirs = [[".github"], [], ["docs"]] if directory is None or directory.strip("/") == "" else [split_path(directory)]
    found = trees.readme(access.git_dir, ref or None, access.repo.default_branch, dirs, INLINE_LIMIT)
    _check_size(found, mode)
    return found


def _check_size(found: trees.Found, mode: str) -> None:
    size = found.node.size if found.node.kind == "file" else 0
    if size > BLOB_LIMIT:
        raise errors.Forbidden(
            "This API returns blobs up to 100 MB in size. The requested blob is too large to fetch via the API.",
            errors=_TOO_LARGE,
        )
    if size > INLINE_LIMIT and mode in ("json", "html"):
        raise errors.Forbidden(
            "This API returns blobs up to 1 MB in size. The requested blob is too large to fetch "
            "via the API, but you can use the Git Data API to request blobs up to 100 MB in size.",
            errors=_TOO_LARGE,
        )


def downloader(hub: Hub, access: RepoAccess, ref: str) -> Callable[[str], str]:
    """path -> download_url; private repositories get a short-lived token bound to repo, ref and path."""

    def url(path: str) -> str:
        base = hub.urls.raw(access.full_name, ref, path)
        if not access.repo.private:
            return base
        return f"{base}?token={hub.signer.sign(raw_purpose(access.id, ref, path), RAW_TOKEN_SECONDS)}"

    return url


def raw_purpose(repo_id: int, ref: str, path: str) -> str:
    return f"raw:{repo_id}:{ref}:{path}"


def raw_file(
    hub: Hub, actor: Actor | None, owner: str, name: str, rest: str, token: str | None
) -> tuple[RepoAccess, trees.Found, str]:
    """/raw/o/r/<ref>/<path> -> (access, found, media type). The ref may contain slashes: the shortest
    prefix of `rest` naming a commit that has a file there wins. Private: a token for that ref and
    path, or a caller who may read the repository."""
    access = repo_service.find(hub, SYSTEM, owner, name)
    readable = not access.repo.private or _may_read(hub, actor, owner, name)
    segments = rest.split("/")
    for i in range(1, len(segments)):
        ref, path = "/".join(segments[:i]), "/".join(segments[i:])
        if not readable and not hub.signer.check(raw_purpose(access.id, ref, path), token):
            continue
        try:
            found = trees.lookup(
                access.git_dir, ref, access.repo.default_branch, split_path(path), INLINE_LIMIT, listing=False
            )
        except errors.NotFound:
            continue
        if found.node.kind in ("file", "symlink"):
            return access, found, _raw_media(found)
    raise errors.NotFound()


def _may_read(hub: Hub, actor: Actor | None, owner: str, name: str) -> bool:
    try:
        repo_service.find(hub, actor, owner, name)
    except errors.NotFound:
        return False
    return True


def _raw_media(found: trees.Found) -> str:
    if found.data is not None:
        return "application/octet-stream" if b"\x00" in found.data[:8000] else "text/plain; charset=utf-8"
    guessed = mimetypes.guess_type(found.node.name)[0] or ""
    return "text/plain; charset=utf-8" if guessed.startswith("text/") else "application/octet-stream"


def blob_stream(access: RepoAccess, found: trees.Found) -> AsyncIterator[bytes]:
    """A large file's bytes, streamed."""
    return trees.blob_chunks(access.git_dir, found.node.sha)


# -- writing ------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class FileWrite:
    """What a contents PUT or DELETE did, with all the API needs to render it (file-commit)."""

    access: RepoAccess
    branch: str
    commit: git_commits.CommitInfo
    node: trees.Node | None  # the file as written; None after a delete
    created: bool
    download_url: Callable[[str], str]


def decode_content(text: str | memoryview) -> bytes | git_commits.Pieces:
    """The file `content` holds, checked as GitHub does (below). A small one as bytes; a large one as
    pieces decoded while its blob is written, once a first pass has checked them all and counted them
    (a 100 MB file is never whole in memory). `text` may be a view of the request body's bytes."""
    data = b"".join(_base64(text)) if len(text) <= _PIECE else None
    size = len(data) if data is not None else sum(len(piece) for piece in _base64(text))
    if size > BLOB_LIMIT:
        raise errors.ValidationFailed(_TOO_LARGE, message="content is larger than GitHub's 100 MB file size limit")
    return data if data is not None else git_commits.Pieces(_base64(text), size)


def _base64(text: str | memoryview) -> Iterator[bytes]:
    """`text` decoded _PIECE characters at a time, as GitHub checks it: whitespace (MIME line breaks)
    tolerated, the rest well-formed base64. What follows the first "=" (the padding, and anything
    after it) is decoded last with the group before it, so its checks are those of one decode."""
    end = _padding(text)
    carry = b""
    try:
        for at in range(0, end, _PIECE):
            chunk = carry + _SPACE.sub(b"", _ascii(text[at : min(at + _PIECE, end)]))
            cut = max(len(chunk) - len(chunk) % 4 - 4, 0)  # whole groups but the last: the rest waits
            carry = chunk[cut:]
            if cut:
                yield base64.b64decode(chunk[:cut], validate=True)
        last = carry + _SPACE.sub(b"", _ascii(text[end:]))
        if last:
            yield base64.b64decode(last, validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise errors.Unprocessable("content is not valid Base64") from None


def _padding(text: str | memoryview) -> int:
    """Where the first "=" is (the length when there is none)."""
    if isinstance(text, str):
        found = text.find("=")
        return len(text) if found < 0 else found
    match = _PAD.search(text)
    return len(text) if match is None else match.start()


def _ascii(part: str | memoryview) -> bytes:
    return part.encode("ascii") if isinstance(part, str) else part.tobytes()


def put_file(
    hub: Hub,
    actor: Actor,
    access: RepoAccess,
    path: str,
    *,
    message: str,
    content: str | memoryview,
    sha: str | None,
    branch: str | None,
    author: Person | None,
    committer: Person | None,
    timezone: str | None = None,
) -> FileWrite:
    """Create (created=True) or update a file as one commit."""
    repo_service.require(access, actor, "push")
    parts = split_path(path, writing=True)
    data = decode_content(content)
    return _write(hub, actor, access, parts, message, data, sha, branch, author, committer, timezone)


def delete_file(
    hub: Hub,
    actor: Actor,
    access: RepoAccess,
    path: str,
    *,
    message: str,
    sha: str,
    branch: str | None,
    author: Person | None,
    committer: Person | None,
    timezone: str | None = None,
) -> FileWrite:
    repo_service.require(access, actor, "push")
    parts = split_path(path, writing=True)
    return _write(hub, actor, access, parts, message, None, sha, branch, author, committer, timezone)


def _write(
    hub: Hub,
    actor: Actor,
    access: RepoAccess,
    parts: list[str],
    message: str,
    data: bytes | git_commits.Pieces | None,
    sha: str | None,
    branch: str | None,
    author: Person | None,
    committer: Person | None,
    timezone: str | None,
) -> FileWrite:
    branch = branch or access.repo.default_branch
    if not git_refs.valid_name(f"refs/heads/{branch}"):  # too long, or refused by git: no branch could be named so
        raise errors.ValidationFailed(_BAD_BRANCH, message="Branch name is not valid")
    me = default_identity(hub, actor, timezone)
    committer_id = identity(committer, "committer", me, timezone)
    author_id = identity(author, "author", committer_id if committer else me, timezone)
    change = git_commits.Change(branch, "/".join(parts), message, author_id, committer_id, sha, data)
    written = git_commits.write(access.git_dir, change, access.repo.default_branch)
    ref_service.record(hub, access, actor, [written.update])
    path = "/".join(parts)
    node = trees.Node("file", parts[-1], path, written.blob, written.size) if written.blob is not None else None
    return FileWrite(access, branch, written.commit, node, written.created, downloader(hub, access, branch))


# -- identities ---------------------------------------------------------------------------------
def default_identity(hub: Hub, actor: Actor, timezone: str | None = None) -> git.Identity:
    """The token's user: its name and email, else its login and a noreply address (as GitHub does)."""
    account = actor.account
    host = hub.urls.host().rsplit(":", 1)[0].strip("[]")
    email = account.email or f"{account.id}+{account.login}@users.noreply.{host}"
    return _at(git.Identity(account.name or account.login, email), None, timezone)


def identity(person: Person | None, name: str, default: git.Identity, timezone: str | None) -> git.Identity:
    """An author/committer (name, email, date or None) checked as GitHub does; `default` when absent."""
    if person is None:
        return default
    for key, value in zip(("name", "email"), person[:2], strict=False):
        if not value.strip() or any(c in value for c in "<>\n\x00"):
            raise errors.Unprocessable(f'Invalid request.\n\n"{key}" wasn\'t supplied.')
    return _at(git.Identity(person[0].strip(), person[1].strip()), person[2], timezone, name)


def _at(who: git.Identity, date: str | None, timezone: str | None, name: str = "") -> git.Identity:
    if date is None:
        when = dt.datetime.now(_zone(timezone))
    else:
        try:
            when = dt.datetime.fromisoformat(date.replace("Z", "+00:00"))
        except ValueError:
            raise errors.Unprocessable(
                f"Invalid request.\n\nFor 'properties/{name}', \"{date}\" is not a date-time."
            ) from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
    utcoffset = when.utcoffset()
    assert utcoffset is not None, "aware by now"
    offset = int(utcoffset.total_seconds() // 60)
    return git.Identity(who.name, who.email, int(when.timestamp()), offset)


def _zone(name: str | None) -> dt.tzinfo:
    """The Time-Zone request header (e.g. Etc/UTC, Europe/Paris), else UTC."""
    if name:
        try:
            return zoneinfo.ZoneInfo(name.strip())
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
    return dt.UTC
