"""`hubdepot backup list` and `hubdepot backup verify`: what the snapshots hold, and whether it is intact."""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from hubdepot.backup import files
from hubdepot.backup.store import Dest, Manifest, entries

THREADS = 4


@dataclasses.dataclass(frozen=True)
class Summary:
    name: str
    started_at: str
    files: int
    size: int  # bytes of all its files
    new: int  # bytes of the files the snapshot before it did not hold
    changes: str
    problems: list[str]


def summaries(root: Path) -> list[Summary]:
    """Every complete snapshot, oldest first, with what changed since the one before."""
    dest = Dest.open(root)
    out, before = [], None
    with dest.locked(exclusive=False):
        for name in dest.names():
            manifest = dest.manifest(name)
            held = {digest: size for _path, digest, size in entries(manifest)}
            had = {} if before is None else {d: s for _p, d, s in entries(before)}
            out.append(
                Summary(
                    name=name,
                    started_at=manifest["started_at"],
                    files=sum(1 for _ in entries(manifest)),
                    size=sum(size for _p, _d, size in entries(manifest)),
                    new=sum(size for digest, size in held.items() if digest not in had),
                    changes=changes(before, manifest),
                    problems=manifest["problems"],
                )
            )
            before = manifest
    return out


def changes(before: Manifest | None, after: Manifest) -> str:
    """What a snapshot changed against the one before, in a few words."""
    if before is None:
        return "first snapshot"
    parts = []
    tables = {t["name"]: t["digest"] for t in before["database"]["tables"]}
    changed = [t["name"] for t in after["database"]["tables"] if tables.get(t["name"]) != t["digest"]]
    if changed:
        parts.append("tables " + ",".join(changed))
    repos = {r["id"]: r["refs"] for r in before["repositories"]}
    now = {r["id"]: r["refs"] for r in after["repositories"]}
    moved = sum(1 for i in now if i in repos and repos[i] != now[i])
    for count, word in ((len(now.keys() - repos), "new"), (moved, "changed"), (len(repos.keys() - now), "gone")):
        if count:
            parts.append(f"{count} repositories {word}")
    blobs, keys = {k for k, _ in before["blobs"]["items"]}, {k for k, _ in after["blobs"]["items"]}
    if keys - blobs or blobs - keys:
        parts.append(f"blobs +{len(keys - blobs)} -{len(blobs - keys)}")
    return "; ".join(parts) or "nothing changed"


def verify(root: Path, name: str | None = None) -> tuple[list[str], list[str]]:
    """(problems, per-snapshot results): every file of the snapshot(s) re-read against its digest."""
    dest = Dest.open(root)
    with dest.locked(exclusive=False):
        names = [dest.manifest(name)["name"]] if name else dest.names()
        where: dict[str, list[tuple[str, str, int]]] = {}
        elsewhere = {}  # snapshot -> how many blobs it names without holding them (S3 without --include-blobs)
        for snapshot in names:
            manifest = dest.manifest(snapshot)
            for path, digest, size in entries(manifest):
                where.setdefault(digest, []).append((snapshot, path, size))
            if not manifest["blobs"]["included"]:
                elsewhere[snapshot] = len(manifest["blobs"]["items"])
        with ThreadPoolExecutor(THREADS) as pool:
            found = dict(zip(where, pool.map(lambda digest: _check(dest, digest), where), strict=True))
    problems = []
    for digest, uses in where.items():
        for snapshot, path, size in uses:
            state = found[digest]
            if state is None:
                problems.append(f"{snapshot}: {path}: missing ({dest.path_of(digest)})")
            elif state != (digest, size):
                problems.append(
                    f"{snapshot}: {path}: damaged, its bytes do not match the digest ({dest.path_of(digest)})"
                )
    bad = {line.split(":", 1)[0] for line in problems}
    results = [
        f"{snapshot}: {'damaged' if snapshot in bad else 'ok'}{_note(elsewhere.get(snapshot))}" for snapshot in names
    ]
    return problems, results


def _note(blobs: int | None) -> str:
    return "" if blobs is None else f" ({blobs} blobs in the live storage, not held here: not checked)"


def _check(dest: Dest, digest: str) -> tuple[str, int] | None:
    try:
        return files.hash_file(dest.path_of(digest))
    except FileNotFoundError:
        return None
