"""`hubdepot backup create`: one consistent snapshot of a running hubdepot, incremental within DEST.

The order is the consistency argument (docs/backup.md): 1. every table, in one database snapshot;
2. for each repository that snapshot holds, its refs (under the repository lock), then its object
files; 3. the blobs the snapshot's rows name. Whatever a row names was written before the row was
committed (blobs are durable before their row, objects before the ref that names them, a release's
tag before its row) and is never deleted while a row names it, so it is there when copied later.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib.metadata
import os
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from hubdepot import errors
from hubdepot.backup import files
from hubdepot.backup.store import FORMAT, Dest, Manifest
from hubdepot.db import dump as db_dump
from hubdepot.git import backup as git_backup
from hubdepot.git import repos as git_repos
from hubdepot.hub import Hub

DATA_FILES = ("secret.key", "admin-token")  # the data dir's own files a restored server needs
THREADS = 4
ROUNDS = 5  # listings of a repository whose files a concurrent `git gc` keeps replacing


@dataclasses.dataclass
class Run:
    """One `create` under way: where it writes, what the last snapshot knew, what went wrong."""

    hub: Hub
    dest: Dest
    pool: ThreadPoolExecutor
    hints: dict[tuple[int, str], list[Any]]  # (repo id, path) -> [path, digest, size, mtime_ns] (JSON)
    repo_ids: set[int] = dataclasses.field(default_factory=set)
    blob_sizes: dict[str, int] = dataclasses.field(default_factory=dict)  # blob key -> size the row gives
    problems: list[str] = dataclasses.field(default_factory=list)


def create(hub: Hub, root: Path, keep: int | None = None, include_blobs: bool | None = None) -> Manifest:
    """Take one snapshot into `root`; keep only the newest `keep`. Returns its manifest."""
    files.lower_priority()
    dest = Dest.open(root, create=True)
    with dest.locked(exclusive=True), ThreadPoolExecutor(THREADS) as pool:
        dest.clean()
        names = dest.names()
        run = Run(hub, dest, pool, _hints(dest.manifest(names[-1])) if names else {})
        manifest = _take(run, include_blobs)
        dest.commit(manifest)
        if keep is not None:
            manifest["pruned"] = dest.prune(keep)
    return manifest


def _take(run: Run, include_blobs: bool | None) -> Manifest:
    started = dt.datetime.now(dt.UTC)
    name = run.dest.new_name()
    revision, tables = db_dump.dump(run.hub.db, lambda table, lines: run.dest.put_chunks(lines), _seen(run))
    repositories = [_repository(run, repo_id) for repo_id in sorted(run.repo_ids)]
    included = include_blobs if include_blobs is not None else not run.hub.settings.storage.startswith("s3://")
    return {
        "format": FORMAT,
        "name": name,
        "started_at": started.isoformat(),
        "finished_at": dt.datetime.now(dt.UTC).isoformat(),
        "hubdepot": importlib.metadata.version("hubdepot"),
        "engine": "sqlite" if run.hub.db.is_sqlite else "postgresql",
        "database": {
            "revision": revision,
            "tables": [{"name": t.name, "rows": t.rows, "digest": t.stored[0], "size": t.stored[1]} for t in tables],
        },
        "files": _data_files(run),
        "repositories": repositories,
        "blobs": {"included": included, "items": _blobs(run, included)},
        "problems": run.problems,
    }


def _seen(run: Run) -> Callable[[str, Mapping[str, Any]], None]:
    def seen(table: str, row: Mapping[str, Any]) -> None:
        if table == "repositories":
            run.repo_ids.add(row["id"])
        key = row.get("blob_key")
        if key:
            run.blob_sizes[key] = row.get("size") or 0

    return seen


def _hints(manifest: Manifest) -> dict[tuple[int, str], list[Any]]:
    return {(repo["id"], entry[0]): entry for repo in manifest["repositories"] for entry in repo["files"]}


def _data_files(run: Run) -> list[dict[str, str | int]]:
    out: list[dict[str, str | int]] = []
    from_env = ("secret.key",) if run.hub.settings.secret_key else ()  # (that key comes from the environment)
    for name in (n for n in DATA_FILES if n not in from_env):
        try:
            digest, size = run.dest.put_file(run.hub.settings.data_dir / name)
        except FileNotFoundError:
            continue
        out.append({"path": name, "digest": digest, "size": size})
    return out


def _repository(run: Run, repo_id: int) -> dict[str, object]:
    git_dir = git_repos.git_dir(run.hub.settings.repos_dir, repo_id)
    try:
        refs = git_backup.read_refs(git_dir)
    except errors.NotFound:
        run.problems.append(f"repository {repo_id}: git directory {git_dir} missing (deleted during the backup?)")
        return {"id": repo_id, "refs": {}, "files": [], "missing": True}
    copied: dict[str, list[str | int]] = {}
    for _ in range(ROUNDS):
        todo = [(path, st) for path, st in git_backup.files_of(git_dir) if path not in copied]
        results = run.pool.map(lambda item: _repo_file(run, repo_id, git_dir, *item), todo)
        gone = 0
        for (path, _st), entry in zip(todo, results, strict=True):
            if entry is None:
                gone += 1
            else:
                copied[path] = entry
        if not gone:
            break
    else:
        run.problems.append(f"repository {repo_id}: files kept vanishing while copied (a git gc running?)")
    return {"id": repo_id, "refs": refs, "files": sorted(copied.values())}


def _repo_file(run: Run, repo_id: int, git_dir: Path, path: str, st: os.stat_result) -> list[str | int] | None:
    """[path, digest, size, mtime_ns] of one file; the earlier snapshot's when the file has not changed
    since (same size and modification time, its object still in DEST); None when it is gone."""
    hint = run.hints.get((repo_id, path))
    if hint and hint[2] == st.st_size and hint[3] == st.st_mtime_ns and run.dest.size_of(hint[1]) == st.st_size:
        return hint
    try:
        digest, size = run.dest.put_file(git_dir / path)
    except FileNotFoundError:
        return None
    return [path, digest, size, st.st_mtime_ns]


def _blobs(run: Run, included: bool) -> list[list[str | int]]:
    keys = sorted(run.blob_sizes)
    if not included:
        return [[key, run.blob_sizes[key]] for key in keys]
    return [item for item in run.pool.map(lambda key: _blob(run, key), keys) if item is not None]


def _blob(run: Run, key: str) -> list[str | int] | None:
    digest = key.rpartition("/")[2]
    size = run.dest.size_of(digest)
    if size is not None:
        return [key, size]
    try:
        local = run.hub.storage.local_path(key)
        if local is not None:  # (named by its sha256, which the upload checked: copied, not hashed again)
            run.dest.put_named(local, digest, run.blob_sizes[key])
            return [key, run.blob_sizes[key]]
        found = run.dest.put_chunks(_read(run, key))
    except (FileNotFoundError, errors.NotFound):
        run.problems.append(f"blob {key}: missing in storage (removed during the backup?)")
        return None
    except ValueError as exc:
        run.problems.append(f"blob {key}: {exc} (not copied)")
        return None
    if found[0] != digest:
        run.problems.append(f"blob {key}: its bytes in storage do not match its digest (not copied)")
        return None
    return [key, found[1]]


def _read(run: Run, key: str) -> Iterator[bytes]:
    yield from run.hub.storage.read(key)
