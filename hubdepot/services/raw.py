"""Raw files (contents' download_url, GitHub's raw host): what a path answers, and the answers of
public repositories kept until the next write.

A raw file is named by a ref and a path, but what it holds is an immutable git blob: once resolved,
the same bytes answer until some write moves a ref or changes the repository (the write generation,
db/generation.py, as the read cache uses it: a write to this repository, or one naming none). So a
public repository's small files are kept with the generation read before they were looked up, and
served without a query, a git read or a thread hop while it holds: installers and config loaders
fetch the same few files over and over."""

from __future__ import annotations

import dataclasses

from hubdepot.bounded import Bounded
from hubdepot.git import trees
from hubdepot.hub import Hub
from hubdepot.services import Actor, RepoAccess
from hubdepot.services import contents as content_service

KEPT_BYTES = 64 * 1024 * 1024
KEPT_FILE_MAX = 256 * 1024


@dataclasses.dataclass(frozen=True)
class RawFile:
    access: RepoAccess
    found: trees.Found
    media: str

    @property
    def etag(self) -> str:
        return f'"{self.found.node.sha}"'  # the blob's id: the bytes can never differ


_kept: Bounded[tuple[int, RawFile]] = Bounded(KEPT_BYTES, lambda v: len(v[1].found.data or b"") + 1024)


def _key(owner: str, name: str, rest: str) -> tuple[str, str, str]:
    return owner.lower(), name.lower(), rest


def kept(hub: Hub, owner: str, name: str, rest: str) -> RawFile | None:
    """The public file at `rest`, as answered since the last write, or None (then ask lookup())."""
    generation = hub.db.generation
    if generation is None:
        return None
    found = _kept.get(_key(owner, name, rest))
    if found is None or not generation.valid(found[0], f"{owner}/{name}".lower()):
        return None  # (a write to this repository, or one naming none, since it was kept)
    return found[1]


def lookup(hub: Hub, actor: Actor | None, owner: str, name: str, rest: str, token: str | None) -> RawFile:
    """The file at `rest` (services.contents.raw_file decides who may read it); a public
    repository's small file is kept for kept()."""
    generation = hub.db.generation
    before = generation.current() if generation is not None else None  # read first: never newer than the bytes
    access, found, media = content_service.raw_file(hub, actor, owner, name, rest, token)
    raw = RawFile(access, found, media)
    small = found.data is not None and len(found.data) <= KEPT_FILE_MAX
    if before is not None and small and not access.repo.private:
        _kept.put(_key(owner, name, rest), (before, raw))
    return raw
