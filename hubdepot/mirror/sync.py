"""Mirror one repository: metadata, refs, releases, assets. Incremental (fingerprints of what was
copied, ETags of the source's pages) and resumable (an asset is complete or absent; ETags are
saved only at the end of a run, so a run cut short is redone from the lists, skipping every
asset already stored).

The source is hostile until checked (docs/security.md): its JSON is read field by field with the
types expected (a missing optional field is tolerated, a wrong one is not), git fetches only from
the user's host (the source's clone_url only when it names the same origin), every URL it hands us
(pages, assets) must be on its API's origin, and rows go through the API's own rules: a release or
asset that breaks them is skipped with a note, never written.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, overload

from hubdepot import errors
from hubdepot.hub import Hub
from hubdepot.mirror.report import Plain
from hubdepot.mirror.source import MirrorError, Source, Target
from hubdepot.services import RepoAccess
from hubdepot.services import assets as asset_service
from hubdepot.services import mirror as mirrors
from hubdepot.services.mirror import MirrorState
from hubdepot.services.mirror import releases as copies
from hubdepot.services.mirror.releases import ASSET, RELEASE, AssetCopy, ReleaseCopy
from hubdepot.storage import key_for

_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")

# An object of the source's JSON (a repository, a release, an asset): untrusted, so every field is
# checked as it is read.
Json = dict[str, Any]


@dataclasses.dataclass
class Options:
    releases_only: bool = False
    since: str | None = None
    include_drafts: bool = False
    concurrency: int = 4
    as_name: str | None = None  # OWNER/NAME here

    def stored(self) -> dict[str, bool | str | None]:
        return {"releases_only": self.releases_only, "since": self.since, "include_drafts": self.include_drafts}


@dataclasses.dataclass
class Summary:
    full_name: str = ""
    source: str = ""
    refs_updated: int = 0
    releases_created: int = 0
    releases_updated: int = 0
    releases_deleted: int = 0
    releases_unchanged: int = 0
    assets_downloaded: int = 0
    assets_reused: int = 0  # bytes already stored here (a run cut short, the same file in another release)
    assets_updated: int = 0
    assets_deleted: int = 0
    assets_unchanged: int = 0
    bytes: int = 0
    requests: int = 0
    not_modified: int = 0
    seconds: float = 0.0


@overload
def parse_time(text: str) -> dt.datetime: ...
@overload
def parse_time(text: str | None) -> dt.datetime | None: ...
def parse_time(text: str | None) -> dt.datetime | None:
    """An ISO 8601 time from the source (UTC); a value that is not one is a Skipped."""
    if not text:
        return None
    try:
        when = dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        raise Skipped(f"not a time: {str(text)[:40]!r}") from None
    return (when if when.tzinfo else when.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)


class Skipped(Exception):
    """A release or asset of the source that breaks the API's rules: left out, with a note."""


def _text(value: object, limit: int = 100_000) -> str | None:
    return value[:limit] if isinstance(value, str) else None


def _source_id(item: object) -> int:
    source_id = item.get("id") if isinstance(item, dict) else None
    if not isinstance(source_id, int) or isinstance(source_id, bool):
        raise Skipped("an item without a numeric id")
    return source_id


def fingerprint(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def mirror(hub: Hub, source_url: str, token: str | None, options: Options, report: Plain) -> Summary:
    target = Target(source_url)
    summary, started = Summary(source=target.web_url), time.monotonic()
    with Source(target, token, concurrency=options.concurrency, note=report.note) as source:
        try:
            _mirror(hub, target, source, token, options, report, summary)
        finally:
            summary.requests, summary.not_modified = source.requests, source.not_modified
            summary.seconds = round(time.monotonic() - started, 3)
    return summary


def _mirror(
    hub: Hub, target: Target, source: Source, token: str | None, options: Options, report: Plain, summary: Summary
) -> None:
    meta = _metadata(hub, target, source, options)
    owner, name = (options.as_name or f"{meta['owner']['login']}/{meta['name']}").split("/", 1)
    access = mirrors.ensure_repository(
        hub, owner, meta["owner"]["type"], name, meta, target.web_url, target.api_repo, options.stored()
    )
    summary.full_name = access.full_name
    report.repository(access.full_name, target.web_url)
    state = mirrors.state(hub, access)
    if state.etags.get("options") != options.stored():
        state.etags = {}
    if not options.releases_only:
        summary.refs_updated = mirrors.fetch_refs(hub, access, target.clone_url(meta.get("clone_url")), token)
    etags: dict[str, object] = {"options": options.stored(), target.api_repo: [meta.pop("etag"), meta]}
    Releases(hub, access, source, state, options, report, summary, etags).run()
    access = mirrors.update_metadata(hub, access, meta)  # the source's visibility once the copy is whole
    mirrors.save_etags(hub, access, etags)
    hub.storage.drop_partials(f"{access.id}-")  # complete: what is left belongs to assets gone at the source


def _metadata(hub: Hub, target: Target, source: Source, options: Options) -> Json:
    """The source repository's fields we copy, asked with the ETag of the previous run, each checked
    (a value hubdepot's API would refuse is dropped; a missing name or owner stops the run)."""
    old = mirrors.stored_etag(hub, target.web_url, target.api_repo)
    what = f"repository {target.owner}/{target.name}"
    body, etag = source.get_json(target.api_repo, old[0] if old else None, what=what, retries=3)
    if body is None:
        assert old is not None, "304 answers only a request with an ETag"
        return {**old[1], "etag": etag}
    owner = body.get("owner") if isinstance(body, dict) else None
    if not isinstance(owner, dict) or not isinstance(owner.get("login"), str) or not isinstance(body.get("name"), str):
        raise MirrorError(f"{what}: the source's answer has no repository name or owner")
    meta = {
        "name": body["name"],
        "description": _text(body.get("description"), 1000),
        "homepage": body.get("homepage") if mirrors.valid_homepage(body.get("homepage")) else None,
        "private": body.get("private") is True,
        "default_branch": body.get("default_branch") if mirrors.valid_branch(body.get("default_branch")) else None,
        "clone_url": _text(body.get("clone_url"), 2000),
    }
    kind = owner.get("type") if owner.get("type") in ("User", "Organization") else "User"
    meta["owner"] = {"login": owner["login"], "type": kind}
    return {**meta, "etag": etag}


class Releases:
    """The releases and assets of one repository, brought in line with the source's."""

    def __init__(
        self,
        hub: Hub,
        access: RepoAccess,
        source: Source,
        state: MirrorState,
        options: Options,
        report: Plain,
        summary: Summary,
        etags: dict[str, object],
    ) -> None:
        self.hub, self.access, self.source, self.state = hub, access, source, state
        self.options, self.report, self.summary, self.etags = options, report, summary, etags
        self.people: dict[str, int] = {}
        self.queues: dict[int, list[Job]] = {}  # per local release: its downloads, in the source's order
        self._order_lock = threading.Lock()

    def run(self) -> None:
        listed, seen = self._list()
        wanted = self._wanted(listed)
        self.report.releases(len(wanted))
        pending: list[tuple[Json, int, str]] = []
        jobs: list[Job] = []
        for release in wanted:
            try:
                pending.append(self._plan(release, jobs))
            except (Skipped, errors.ValidationFailed) as exc:
                self._skip(f"release {release['tag_name'][:100]!r}", exc)
        self._download(jobs)
        for release, local_id, status in pending:
            self._finish(release, local_id, status)
        for (kind, source_id), (local_id, _) in self.state.links.items():
            if kind == RELEASE and source_id not in seen:
                copies.delete_release(self.hub, self.access, local_id)
                self.summary.releases_deleted += 1
        self._latest()

    def _skip(self, what: str, exc: Exception) -> None:
        reason = "; ".join(
            e.get("message") or f"{e.get('field')} {e.get('code')}" for e in getattr(exc, "errors", [])
        ) or str(exc)
        self.report.note(f"{self.access.full_name}: {what} left out: {reason}")

    def _listed(self, items: object) -> list[Json]:
        """The releases of one page that have what a release needs (id, tag, creation time)."""
        if not isinstance(items, list):
            raise MirrorError(f"{self.source.target.host} did not answer a list of releases")
        out = []
        for item in items:
            try:
                _source_id(item)
                if not isinstance(item.get("tag_name"), str) or not isinstance(item.get("created_at"), str):
                    raise Skipped("no tag_name or created_at")
                parse_time(item["created_at"])
                out.append(item)
            except Skipped as exc:
                self._skip(f"release {str(item.get('id') if isinstance(item, dict) else item)[:40]}", exc)
        return out

    # -- listing ---------------------------------------------------------------------------

    def _list(self) -> tuple[list[Json], set[int]]:
        """Every release the source lists (pages answered 304 stand for what they held last time)."""
        url: str | None = f"{self.access_api()}/releases?per_page=100"
        listed, seen = [], set()
        while url:
            old = None if self.options.since else self.state.etags.get(url)
            items, etag, next_url = self.source.page(url, old[0] if old else None)
            if items is None:
                assert old is not None, "304 answers only a request with an ETag"
                ids, next_url = old[1]["ids"], old[1]["next"]
                seen.update(ids)
                self.summary.releases_unchanged += sum(1 for i in ids if (RELEASE, i) in self.state.links)
            else:
                items = self._listed(items)
                listed += items
                seen.update(item["id"] for item in items)
                ids = [i["id"] for i in items]
            self.etags[url] = [etag, {"ids": ids, "next": next_url}]
            url = next_url
        return listed, seen

    def access_api(self) -> str:
        return self.source.target.api_repo

    def _wanted(self, listed: list[Json]) -> list[Json]:
        out = [r for r in listed if self.options.include_drafts or not r.get("draft")]
        if self.options.since:
            start = next((r for r in listed if r["tag_name"] == self.options.since and not r.get("draft")), None)
            if start is None:
                raise MirrorError(f"--since {self.options.since}: no published release with that tag at the source")
            out = [r for r in out if r["created_at"] >= start["created_at"]]
        return sorted(out, key=lambda r: (r["created_at"], r["id"]))

    # -- releases --------------------------------------------------------------------------

    def _person(self, user: object) -> int:
        """The local account of a source's author or uploader (made by the API's login rules; bots
        as Bot accounts); a missing one, or one hubdepot cannot hold, stands for the repository's owner."""
        owner_id: int = self.access.owner.id
        if not isinstance(user, dict) or not isinstance(user.get("login"), str):
            return owner_id
        kind = user["type"] if isinstance(user.get("type"), str) else "User"
        login: str = user["login"]
        if login not in self.people:
            try:
                self.people[login] = mirrors.ensure_account(self.hub, login, kind).id
            except errors.ValidationFailed:
                self.people[login] = owner_id
        return self.people[login]

    def _copy(self, r: Json) -> ReleaseCopy:
        return ReleaseCopy(
            source_id=r["id"],
            tag_name=r["tag_name"],
            target_commitish=_text(r.get("target_commitish"), 1000) or "",
            name=_text(r.get("name")),
            body=_text(r.get("body"), 1_000_000),
            draft=bool(r.get("draft")),
            prerelease=bool(r.get("prerelease")),
            immutable=bool(r.get("immutable")),
            created_at=parse_time(r["created_at"]),
            updated_at=parse_time(r.get("updated_at") or r["created_at"]),
            published_at=parse_time(r.get("published_at")),
            author_id=self._person(r.get("author")),
        )

    def _plan(self, release: Json, jobs: list[Job]) -> tuple[Json, int, str]:
        """Bring the release row in line (a new one stays hidden); queue its assets' downloads."""
        copy = self._copy(release)
        print_ = fingerprint(dataclasses.asdict(copy))
        link = self.state.links.get((RELEASE, release["id"]))
        local_id = link[0] if link else None
        if link and link[1] == print_:
            status = "unchanged"
        else:
            status = "created" if link is None or link[1] == "" else "updated"
            local_id = copies.put_release(self.hub, self.access, copy, local_id, print_, hidden=status == "created")
            self.state.links[(RELEASE, release["id"])] = (local_id, print_)
        assert local_id is not None, "linked already, or just put"
        self._plan_assets(release, local_id, jobs)
        return release, local_id, status

    def _finish(self, release: Json, local_id: int, status: str) -> None:
        if status == "created":
            copy = self._copy(release)
            copies.put_release(self.hub, self.access, copy, local_id, fingerprint(dataclasses.asdict(copy)))
        setattr(self.summary, f"releases_{status}", getattr(self.summary, f"releases_{status}") + 1)
        self.report.release_done(release["tag_name"])

    def _latest(self) -> None:
        url = f"{self.access_api()}/releases/latest"
        old = self.state.etags.get(url)
        response = self.source.send(
            url, {"Accept": "application/vnd.github+json", **({"If-None-Match": old[0]} if old and old[0] else {})}
        )
        if response.status_code == 304:
            self.source.not_modified += 1
            self.etags[url] = old
            return
        if response.status_code == 404:
            source_id = None
        else:
            self.source.check(response, "latest release")
            try:
                source_id = _source_id(response.json())
            except (ValueError, Skipped):
                source_id = None
        link = self.state.links.get((RELEASE, source_id)) if source_id is not None else None
        copies.set_latest(self.hub, self.access, link[0] if link else None)
        self.etags[url] = [response.headers.get("etag"), source_id]

    # -- assets ----------------------------------------------------------------------------

    def _asset_copy(self, a: Json) -> AssetCopy:
        """The asset's row, by the API's rules; its download URL on the source's API origin."""
        _source_id(a)
        if not isinstance(a.get("name"), str) or not isinstance(a.get("created_at"), str):
            raise Skipped("no name or created_at")
        if not isinstance(a.get("size"), int) or a["size"] < 0 or not self.source.on_api(a.get("url")):
            raise Skipped(f"size {a.get('size')!r} or URL {str(a.get('url'))[:200]!r} not acceptable")
        digest = a.get("digest")
        if digest is not None and not (isinstance(digest, str) and _DIGEST.match(digest)):
            raise Skipped(f"digest {str(digest)[:80]!r} is not sha256:HEX")
        copy = AssetCopy(
            source_id=a["id"],
            name=a["name"],
            label=_text(a.get("label"), 255) or None,
            content_type=_text(a.get("content_type"), 255) or "application/octet-stream",
            created_at=parse_time(a["created_at"]),
            updated_at=parse_time(a.get("updated_at") or a["created_at"]),
            uploader_id=self._person(a.get("uploader")),
        )
        return dataclasses.replace(
            copy,
            **asset_service.checked_fields({"name": copy.name, "label": copy.label, "content_type": copy.content_type}),
        )

    def _plan_assets(self, release: Json, local_id: int, jobs: list[Job]) -> None:
        local = copies.local_assets(self.hub, local_id)
        keep = set()
        assets = release.get("assets")
        for asset in assets if isinstance(assets, list) else []:
            if not isinstance(asset, dict) or asset.get("state", "uploaded") != "uploaded":
                continue
            try:
                copy = self._asset_copy(asset)
            except (Skipped, errors.ValidationFailed) as exc:
                self._skip(f"asset {str(asset.get('name'))[:100]!r} of {release['tag_name'][:100]!r}", exc)
                continue
            print_ = fingerprint(dataclasses.asdict(copy), asset.get("size"), asset.get("digest"))
            link = self.state.links.get((ASSET, asset["id"]))
            mine, stored_print = link if link and link[0] in local else (None, None)
            keep.add(mine)
            if mine is not None and stored_print == print_:
                self.summary.assets_unchanged += 1
            elif mine is not None and _same_bytes(asset, local[mine]):
                copies.update_asset(self.hub, self.access, mine, copy, print_)
                self.summary.assets_updated += 1
            else:
                job = Job(asset, copy, local_id, print_, mine)
                jobs.append(job)
                self.queues.setdefault(local_id, []).append(job)
        gone = [asset_id for asset_id in local if asset_id not in keep]
        copies.delete_assets(self.hub, self.access, gone)
        self.summary.assets_deleted += len(gone)

    def _download(self, jobs: list[Job]) -> None:
        """Every queued asset, `concurrency` at once; each release's rows go in in the source's order
        (a prefix at a time), so listings match the source's."""
        if not jobs:
            return
        self.report.assets(len(jobs), sum(job.asset.get("size") or 0 for job in jobs))
        pool = ThreadPoolExecutor(max_workers=max(1, self.options.concurrency))
        try:
            for future in [pool.submit(self._fetch_asset, job) for job in jobs]:
                future.result()
        except BaseException:
            self.source.stopped = True  # the other downloads stop at their next chunk
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _fetch_asset(self, job: Job) -> None:
        asset, size = job.asset, int(job.asset.get("size") or 0)
        expected = (asset.get("digest") or "").removeprefix("sha256:")
        if expected and self.hub.storage.size(key_for(expected)) == size:
            job.blob = (key_for(expected), expected, size)  # stored already (an earlier run, another release)
            counts = {"assets_reused": 1}
        else:
            job.blob = self._stream(asset, size, expected)
            counts = {"assets_downloaded": 1, "bytes": size}
        self.report.asset_done(asset["name"], size)
        with self._order_lock:
            for name, n in counts.items():
                setattr(self.summary, name, getattr(self.summary, name) + n)
            queue = self.queues[job.release_id]
            while queue and queue[0].blob is not None:
                done = queue.pop(0)
                assert done.blob is not None
                copies.add_asset(
                    self.hub, self.access, done.release_id, done.copy, done.blob, done.print_, done.replaces
                )

    def _stream(self, asset: Json, size: int, expected: str) -> tuple[str, str, int]:
        self.report.asset_started(asset["name"], size)
        # kept across a crash only when the source names the digest: the whole is checked against it
        partial = f"{self.access.id}-{int(asset['id'])}-{size}-{expected[:16]}" if expected else None
        intake = self.source.download(asset["url"], self.hub.storage, size, self.report.advance, partial)
        if intake.size != size:
            intake.abort()
            raise MirrorError(f"asset {asset['name']}: the source sent {intake.size} bytes, its size is {size}")
        key, digest, _ = intake.commit()  # (a full disk: errors.StorageFull, the command's one line)
        if expected and expected != digest:
            raise MirrorError(
                f"asset {asset['name']}: digest sha256:{digest} differs from the source's {asset['digest']}"
            )
        return key, digest, size


@dataclasses.dataclass
class Job:
    """One asset to bring in: its source JSON, the row to write, and (once stored) its blob."""

    asset: Json
    copy: AssetCopy
    release_id: int
    print_: str
    replaces: int | None
    blob: tuple[str, str, int] | None = None


def _same_bytes(asset: Json, local: tuple[str, int]) -> bool:
    digest, size = local
    source_digest = (asset.get("digest") or "").removeprefix("sha256:")
    return bool(source_digest) and source_digest == digest and int(asset.get("size") or -1) == size
