"""Mirror one repository: metadata, refs, releases, assets. Incremental (fingerprints of what was
copied, ETags of the source's pages) and resumable (an asset is complete or absent; ETags are
saved only at the end of a run, so a run cut short is redone from the lists, skipping every
asset already stored).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import overload

from hubdepot import errors
from hubdepot.mirror.source import MirrorError, Source, Target
from hubdepot.services import Hub, mirrors
from hubdepot.services import mirror_releases as copies
from hubdepot.services.mirror_releases import ASSET, RELEASE, AssetCopy, ReleaseCopy
from hubdepot.storage import key_for


@dataclasses.dataclass
class Options:
    releases_only: bool = False
    since: str | None = None
    include_drafts: bool = False
    concurrency: int = 4
    as_name: str | None = None  # OWNER/NAME here

    def stored(self) -> dict:
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
    if not text:
        return None
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(dt.UTC)


def fingerprint(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def mirror(hub: Hub, source_url: str, token: str | None, options: Options, report) -> Summary:
    target = Target(source_url)
    summary, started = Summary(source=target.web_url), time.monotonic()
    with Source(target, token, concurrency=options.concurrency, note=report.note) as source:
        try:
            _mirror(hub, target, source, token, options, report, summary)
        finally:
            summary.requests, summary.not_modified = source.requests, source.not_modified
            summary.seconds = round(time.monotonic() - started, 3)
    return summary


def _mirror(hub, target: Target, source: Source, token, options: Options, report, summary: Summary) -> None:
    meta = _metadata(hub, target, source, options)
    owner, name = (options.as_name or f"{meta['owner']['login']}/{meta['name']}").split("/", 1)
    access = mirrors.ensure_repository(
        hub, owner, meta["owner"].get("type", "User"), name, meta, target.web_url, target.api_repo, options.stored()
    )
    summary.full_name = access.full_name
    report.repository(access.full_name, target.web_url)
    state = mirrors.state(hub, access)
    if state.etags.get("options") != options.stored():
        state.etags = {}
    if not options.releases_only:
        summary.refs_updated = mirrors.fetch_refs(hub, access, meta.get("clone_url") or target.web_url + ".git", token)
    access = mirrors.update_metadata(hub, access, meta)
    etags = {"options": options.stored(), target.api_repo: [meta.pop("etag"), meta]}
    Releases(hub, access, source, state, options, report, summary, etags).run()
    mirrors.save_etags(hub, access, etags)
    hub.storage.drop_partials(f"{access.id}-")  # complete: what is left belongs to assets gone at the source


_META = ("name", "description", "homepage", "private", "default_branch", "clone_url")


def _metadata(hub, target: Target, source: Source, options: Options) -> dict:
    """The source repository's fields we copy, asked with the ETag of the previous run."""
    old = mirrors.stored_etag(hub, target.web_url, target.api_repo)
    what = f"repository {target.owner}/{target.name}"
    body, etag = source.get_json(target.api_repo, old[0] if old else None, what=what, retries=3)
    if body is None:
        assert old is not None, "304 answers only a request with an ETag"
        return {**old[1], "etag": etag}
    meta = {key: body.get(key) for key in _META}
    meta["owner"] = {"login": body["owner"]["login"], "type": body["owner"].get("type", "User")}
    return {**meta, "etag": etag}


class Releases:
    """The releases and assets of one repository, brought in line with the source's."""

    def __init__(self, hub, access, source: Source, state, options: Options, report, summary: Summary, etags: dict):
        self.hub, self.access, self.source, self.state = hub, access, source, state
        self.options, self.report, self.summary, self.etags = options, report, summary, etags
        self.people: dict[str, int] = {}
        self.queues: dict[int, list[Job]] = {}  # per local release: its downloads, in the source's order
        self._order_lock = threading.Lock()

    def run(self) -> None:
        listed, seen = self._list()
        wanted = self._wanted(listed)
        self.report.releases(len(wanted))
        pending: list[tuple[dict, int, str]] = []
        jobs: list[Job] = []
        for release in wanted:
            pending.append(self._plan(release, jobs))
        self._download(jobs)
        for release, local_id, status in pending:
            self._finish(release, local_id, status)
        for (kind, source_id), (local_id, _) in self.state.links.items():
            if kind == RELEASE and source_id not in seen:
                copies.delete_release(self.hub, self.access, local_id)
                self.summary.releases_deleted += 1
        self._latest()

    # -- listing ---------------------------------------------------------------------------

    def _list(self) -> tuple[list[dict], set[int]]:
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
                listed += items
                seen.update(item["id"] for item in items)
                ids = [i["id"] for i in items]
            self.etags[url] = [etag, {"ids": ids, "next": next_url}]
            url = next_url
        return listed, seen

    def access_api(self) -> str:
        return self.source.target.api_repo

    def _wanted(self, listed: list[dict]) -> list[dict]:
        out = [r for r in listed if self.options.include_drafts or not r.get("draft")]
        if self.options.since:
            start = next((r for r in listed if r["tag_name"] == self.options.since and not r.get("draft")), None)
            if start is None:
                raise MirrorError(f"--since {self.options.since}: no published release with that tag at the source")
            out = [r for r in out if r["created_at"] >= start["created_at"]]
        return sorted(out, key=lambda r: (r["created_at"], r["id"]))

    # -- releases --------------------------------------------------------------------------

    def _person(self, user: dict | None) -> int | None:
        if not user:
            return None
        login = user["login"]
        if login not in self.people:
            try:
                self.people[login] = mirrors.ensure_account(self.hub, login, user.get("type", "User")).id
            except errors.ValidationFailed:  # a login hubdepot cannot hold (bots' "name[bot]")
                self.people[login] = self.access.owner.id
        return self.people[login]

    def _copy(self, r: dict) -> ReleaseCopy:
        return ReleaseCopy(
            source_id=r["id"],
            tag_name=r["tag_name"],
            target_commitish=r.get("target_commitish") or "",
            name=r.get("name"),
            body=r.get("body"),
            draft=bool(r.get("draft")),
            prerelease=bool(r.get("prerelease")),
            immutable=bool(r.get("immutable")),
            created_at=parse_time(r["created_at"]),
            updated_at=parse_time(r.get("updated_at") or r["created_at"]),
            published_at=parse_time(r.get("published_at")),
            author_id=self._person(r.get("author")),
        )

    def _plan(self, release: dict, jobs: list) -> tuple[dict, int, str]:
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

    def _finish(self, release: dict, local_id: int, status: str) -> None:
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
            source_id = response.json()["id"]
        link = self.state.links.get((RELEASE, source_id)) if source_id is not None else None
        copies.set_latest(self.hub, self.access, link[0] if link else None)
        self.etags[url] = [response.headers.get("etag"), source_id]

    # -- assets ----------------------------------------------------------------------------

    def _asset_copy(self, a: dict) -> AssetCopy:
        return AssetCopy(
            source_id=a["id"],
            name=a["name"],
            label=a.get("label") or None,
            content_type=a.get("content_type") or "application/octet-stream",
            created_at=parse_time(a["created_at"]),
            updated_at=parse_time(a.get("updated_at") or a["created_at"]),
            uploader_id=self._person(a.get("uploader")),
        )

    def _plan_assets(self, release: dict, local_id: int, jobs: list) -> None:
        local = copies.local_assets(self.hub, local_id)
        keep = set()
        for asset in release.get("assets") or []:
            if asset.get("state", "uploaded") != "uploaded":
                continue
            copy = self._asset_copy(asset)
            print_ = fingerprint(dataclasses.asdict(copy), asset.get("size"), asset.get("digest"))
            link = self.state.links.get((ASSET, asset["id"]))
            mine = link[0] if link and link[0] in local else None
            keep.add(mine)
            if mine is not None and link[1] == print_:
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

    def _download(self, jobs: list) -> None:
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

    def _stream(self, asset: dict, size: int, expected: str) -> tuple[str, str, int]:
        self.report.asset_started(asset["name"], size)
        # kept across a crash only when the source names the digest: the whole is checked against it
        partial = f"{self.access.id}-{int(asset['id'])}-{size}-{expected[:16]}" if expected else None
        writer = self.source.download(asset["url"], self.hub.storage, size, self.report.advance, partial)
        if writer.size != size:
            writer.abort()
            raise MirrorError(f"asset {asset['name']}: the source sent {writer.size} bytes, its size is {size}")
        key, digest = writer.commit()  # (a full disk: errors.StorageFull, the command's one line)
        if expected and expected != digest:
            raise MirrorError(
                f"asset {asset['name']}: digest sha256:{digest} differs from the source's {asset['digest']}"
            )
        return key, digest, size


@dataclasses.dataclass
class Job:
    """One asset to bring in: its source JSON, the row to write, and (once stored) its blob."""

    asset: dict
    copy: AssetCopy
    release_id: int
    print_: str
    replaces: int | None
    blob: tuple[str, str, int] | None = None


def _same_bytes(asset: dict, local: tuple[str, int]) -> bool:
    digest, size = local
    source_digest = (asset.get("digest") or "").removeprefix("sha256:")
    return bool(source_digest) and source_digest == digest and int(asset.get("size") or -1) == size
