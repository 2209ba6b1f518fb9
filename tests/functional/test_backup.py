"""`hubdepot backup`: snapshots taken while clients write, restored into a fresh database and data dir
(any engine, local disk or S3) and served by a second server; verify, --keep and SIGKILL mid-way.

Every write a client saw acknowledged before `backup create` started must come back from the restored
server with the same JSON and the same bytes; its repositories clone and pass `git fsck`."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from hubdepot.backup.store import entries as store_entries
from tests.conftest import BASE_PG_URL, WORKER, scratch_database, unique
from tests.support import s3
from tests.support import server as server_support
from tests.support.clients import git_env
from tests.support.receivers import PyReceiver
from tests.support.releases import upload

PASSWORD = "correct horse battery"
FAULT_ROUNDS = int(os.environ.get("HUBDEPOT_BACKUP_FAULT_ROUNDS", "2"))


def hubdepot(*args, env: dict | None = None, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
    run_env = {k: v for k, v in os.environ.items() if not k.startswith("HUBDEPOT_")} | (env or {})
    done = subprocess.run(
        [sys.executable, "-m", "hubdepot", *map(str, args)],
        env=run_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check:
        assert done.returncode == 0, done.stderr
    return done


def env_of(server) -> dict:
    """The settings a command needs to act on `server`'s database, data dir and storage."""
    out = {k: v for k, v in server.env.items() if k.startswith("HUBDEPOT_") and k != "HUBDEPOT_WORKERS"}
    return out | {"HUBDEPOT_DATA_DIR": str(server.data_dir)}


def fresh_database(backend: str) -> str:
    if not backend.startswith("postgresql"):
        return ""
    return scratch_database(f"backup_{WORKER or 'main'}_{unique('db').replace('-', '_')}", fresh=True)


class Git:
    def __init__(self, home: Path):
        home.mkdir(parents=True, exist_ok=True)
        self.env = git_env(home)

    def __call__(self, *args, cwd=None) -> str:
        done = subprocess.run(["git", *args], cwd=cwd, env=self.env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"git {args}: {done.stderr}"
        return done.stdout.strip()


def git_url(server, repo: str, token: str) -> str:
    scheme, rest = server.url.split("://", 1)
    return f"{scheme}://x-access-token:{token}@{rest}/{repo}.git"


# -- a source server and a client writing to it while the snapshot is taken ---------------------------
@dataclasses.dataclass
class Ack:
    """One write the client saw acknowledged: when, what, and what the server answered."""

    at: float
    kind: str  # asset | contents | push | release
    key: str  # asset id, file path, branch, release id
    answer: dict
    sha256: str = ""


class Writer(threading.Thread):
    """Asset uploads, contents commits, git pushes and release edits, round and round, until stopped."""

    def __init__(self, server, repo: str, work: Path):
        super().__init__(daemon=True)
        self.server, self.repo, self.work = server, repo, work
        self.api = httpx.Client(base_url=server.api, headers={"Authorization": f"token {server.token}"}, timeout=60)
        self.git = Git(work.parent / "home")
        self.acks: list[Ack] = []
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.release = self.api.post(f"/repos/{repo}/releases", json={"tag_name": "v0", "name": "assets"}).json()
        self.git("clone", "-q", git_url(server, repo, server.token), str(work))

    def run(self) -> None:
        steps = [self.asset, self.contents, self.push, self.edit]
        try:
            n = 0
            while not self.stop.is_set():
                steps[n % len(steps)](n)
                n += 1
        except BaseException as exc:  # (the test thread re-raises it)
            self.error = exc

    def asset(self, n: int) -> None:
        data = random.randbytes(random.randint(1, 300_000))
        r = upload(self.api, self.release, f"asset-{n}.bin", data)
        assert r.status_code == 201, r.text
        self.acks.append(
            Ack(time.monotonic(), "asset", str(r.json()["id"]), r.json(), hashlib.sha256(data).hexdigest())
        )

    def contents(self, n: int) -> None:
        body = {"message": f"write {n}", "content": base64.b64encode(f"file {n}\n".encode()).decode()}
        r = self.api.put(f"/repos/{self.repo}/contents/written/{n}.txt", json=body)
        assert r.status_code == 201, r.text
        self.acks.append(Ack(time.monotonic(), "contents", f"written/{n}.txt", r.json()))

    def push(self, n: int) -> None:
        (self.work / f"pushed-{n}.txt").write_text(f"pushed {n}\n")
        self.git("add", ".", cwd=self.work)
        self.git("commit", "-q", "-m", f"push {n}", cwd=self.work)
        self.git("push", "-q", "origin", f"HEAD:refs/heads/b{n}", cwd=self.work)
        sha = self.git("rev-parse", "HEAD", cwd=self.work)
        self.acks.append(Ack(time.monotonic(), "push", f"b{n}", {"sha": sha}))

    def edit(self, n: int) -> None:
        made = self.api.post(f"/repos/{self.repo}/releases", json={"tag_name": f"r{n}", "name": f"release {n}"})
        assert made.status_code == 201, made.text
        r = self.api.patch(f"/repos/{self.repo}/releases/{made.json()['id']}", json={"body": f"notes {n}"})
        assert r.status_code == 200, r.text
        self.acks.append(Ack(time.monotonic(), "release", str(r.json()["id"]), r.json()))


@dataclasses.dataclass
class Taken:
    source: server_support.Server
    repo: str
    dest: Path
    name: str
    acks: list[Ack]  # acknowledged before `backup create` started
    delivered: set[str]  # webhook deliveries done before it started
    receiver: PyReceiver
    login: str  # a user with a web sign-in password


def _user_with_password(source) -> str:
    from hubdepot.config import Settings
    from hubdepot.hub import create_hub
    from hubdepot.services import accounts, sessions

    login, hub = unique("signer"), create_hub(Settings.load(env=env_of(source)))
    try:
        accounts.create_account(hub, login, "User")
        sessions.set_password(hub, login, PASSWORD)
    finally:
        hub.db.dispose()
    return login


def _delivered(api, repo: str, hook_id: int, count: int) -> set[str]:
    """The guids of the hook's deliveries once at least `count` are recorded and none is pending."""
    deadline = time.monotonic() + 20
    while True:
        items = api.get(f"/repos/{repo}/hooks/{hook_id}/deliveries", params={"per_page": 100}).json()
        if len(items) >= count and all(d["status_code"] == 200 for d in items):
            return {d["guid"] for d in items}
        assert time.monotonic() < deadline, items
        time.sleep(0.2)


@pytest.fixture(scope="module")
def taken(backend, tmp_path_factory):
    """A snapshot of a server taken while a client writes to it (one per backend)."""
    root = tmp_path_factory.mktemp(f"backup-{backend}")
    source = server_support.start(root / "source", fresh_database(backend))
    receiver = PyReceiver().start()
    try:
        yield _take(source, receiver, root)
    finally:
        receiver.stop()
        source.stop()


def _take(source, receiver: PyReceiver, root: Path) -> Taken:
    api = httpx.Client(base_url=source.api, headers={"Authorization": f"token {source.token}"}, timeout=60)
    repo = f"admin/{unique('kept')}"
    assert api.post("/user/repos", json={"name": repo.split("/")[1], "auto_init": True}).status_code == 201
    hook = api.post(f"/repos/{repo}/hooks", json={"config": {"url": receiver.url, "content_type": "json"}}).json()
    assert api.post(f"/repos/{repo}/releases", json={"tag_name": "hooked"}).status_code == 201
    delivered = _delivered(api, repo, hook["id"], 2)  # ping, release
    login = _user_with_password(source)
    writer = Writer(source, repo, root / "work")
    writer.start()
    while len(writer.acks) < 8 and writer.is_alive():
        time.sleep(0.05)
    began = time.monotonic()
    dest = root / "dest"
    name = hubdepot("backup", "create", dest, env=env_of(source)).stdout.strip()
    writer.stop.set()
    writer.join(60)
    assert writer.error is None, writer.error
    acks = [ack for ack in writer.acks if ack.at < began]
    assert {ack.kind for ack in acks} == {"asset", "contents", "push", "release"}
    return Taken(source, repo, dest, name, acks, delivered, receiver, login)


# -- restoring and comparing ----------------------------------------------------------------------
def restore_and_serve(taken: Taken, root: Path, database_url: str = "", env: dict | None = None, fsck: bool = True):
    """Restore the snapshot into a fresh data dir (+ database), check it with fsck, start a server on it."""
    target = {"HUBDEPOT_DATA_DIR": str(root)} | (env or {})
    if database_url:
        target["HUBDEPOT_DATABASE_URL"] = database_url
    hubdepot("backup", "restore", taken.dest, "--snapshot", taken.name, env=target)
    checked = hubdepot("fsck", env=target, check=False) if fsck else None
    assert checked is None or checked.returncode == 0, checked.stdout + checked.stderr
    return server_support.start(root, database_url, env=env)


def same(source, restored, answer: dict) -> dict:
    """`answer` from the source as the restored server would give it (its own origin in the URLs)."""
    return json.loads(json.dumps(answer).replace(source.url, restored.url))


def check_restored(taken: Taken, restored, tmp: Path, downloaded: int = 0) -> None:
    """`downloaded`: how many times each asset was downloaded since the source answered (a snapshot of a
    restored server counts the downloads check_restored made there)."""
    api = httpx.Client(base_url=restored.api, headers={"Authorization": f"token {taken.source.token}"}, timeout=60)
    source = httpx.Client(base_url=taken.source.api, headers={"Authorization": f"token {taken.source.token}"})
    for ack in taken.acks:
        if ack.kind == "asset":
            expected = same(taken.source, restored, ack.answer) | {"download_count": downloaded}
            assert api.get(f"/repos/{taken.repo}/releases/assets/{ack.key}").json() == expected
            got = api.get(
                f"/repos/{taken.repo}/releases/assets/{ack.key}",
                headers={"Accept": "application/octet-stream"},
                follow_redirects=True,
            )
            assert hashlib.sha256(got.content).hexdigest() == ack.sha256
        elif ack.kind == "contents":
            path = f"/repos/{taken.repo}/contents/{ack.key}"
            assert api.get(path).json() == same(taken.source, restored, source.get(path).json())
        elif ack.kind == "push":
            assert api.get(f"/repos/{taken.repo}/branches/{ack.key}").json()["commit"]["sha"] == ack.answer["sha"]
        else:
            assert api.get(f"/repos/{taken.repo}/releases/{ack.key}").json() == same(taken.source, restored, ack.answer)
    git = Git(tmp / "home")
    git("clone", "-q", "--mirror", git_url(restored, taken.repo, taken.source.token), str(tmp / "clone"))
    git("fsck", "--strict", cwd=tmp / "clone")
    _sign_in(restored, taken.login)


def _sign_in(server, login: str) -> None:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        token = re.search(r'name="authenticity_token" value="([^"]+)"', client.get("/login").text).group(1)
        r = client.post("/session", data={"login": login, "password": PASSWORD, "authenticity_token": token})
        assert r.status_code == 302, r.text


def check_outbox(taken: Taken, restored) -> None:
    """The restored server sends none of the deliveries the source had made before the snapshot."""
    host = restored.url.split("://", 1)[1]
    time.sleep(1.5)  # (several polls of the restored server's delivery task)
    again = {d.guid for d in taken.receiver.received if d.headers.get("x-github-enterprise-host") == host}
    assert not again & taken.delivered


# -- the tests ------------------------------------------------------------------------------------
def test_online_snapshot_restores_every_acknowledged_write(taken, backend, tmp_path):
    restored = restore_and_serve(
        taken, tmp_path / "restored", fresh_database(backend), {"HUBDEPOT_WEBHOOK_POLL_MS": "200"}
    )
    try:
        check_restored(taken, restored, tmp_path)
        check_outbox(taken, restored)
    finally:
        restored.stop()


def test_sqlite_snapshot_moves_to_postgresql_and_s3_and_back(taken, backend, tmp_path):
    """The way up (SQLite and local disk -> PostgreSQL and S3), then a snapshot of the S3-backed server:
    without --include-blobs it names the bucket's blobs, with it the blobs come home to local disk."""
    if backend != "sqlite":
        pytest.skip("the way up starts from the embedded default")
    bucket = s3.new_bucket()
    on_s3 = s3.settings_env(bucket)
    up = restore_and_serve(taken, tmp_path / "up", fresh_database("postgresql" if BASE_PG_URL else ""), on_s3)
    try:
        stored = s3.client().list_objects_v2(Bucket=bucket).get("Contents", [])
        assert len(stored) >= sum(1 for ack in taken.acks if ack.kind == "asset")
        assert not list((tmp_path / "up" / "blobs").rglob("sha256/*/*/*"))
        check_restored(taken, up, tmp_path / "up-check")
        dest = tmp_path / "from-s3"
        named = hubdepot("backup", "create", dest, env=env_of(up)).stdout.strip()
        with_blobs = hubdepot("backup", "create", dest, "--include-blobs", env=env_of(up)).stdout.strip()
    finally:
        up.stop()
    manifests = [json.loads((dest / "snapshots" / n / "manifest.json").read_text()) for n in (named, with_blobs)]
    assert [m["blobs"]["included"] for m in manifests] == [False, True]
    # the snapshot that only names the blobs restores where the bucket is, and nowhere else
    refused = hubdepot(
        "backup", "restore", dest, "--snapshot", named, env={"HUBDEPOT_DATA_DIR": str(tmp_path / "x")}, check=False
    )
    assert refused.returncode == 1 and "not in the storage" in refused.stderr
    hubdepot("backup", "restore", dest, "--snapshot", named, env=on_s3 | {"HUBDEPOT_DATA_DIR": str(tmp_path / "y")})
    home = dataclasses.replace(taken, dest=dest, name=with_blobs)
    down = restore_and_serve(home, tmp_path / "down", fsck=False)
    try:
        assert len(list((tmp_path / "down" / "blobs").rglob("sha256/*/*/*"))) == len(stored)
        check_restored(home, down, tmp_path / "down-check", downloaded=1)
    finally:
        down.stop()


def _kill_create_midway(source, dest: Path, within: float) -> None:
    """Start `backup create`, SIGKILL it at a random point once it has begun writing into DEST (within
    `within` seconds after)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUBDEPOT_")} | env_of(source)
    cmd = [sys.executable, "-m", "hubdepot", "backup", "create", str(dest)]
    process = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while process.poll() is None and not any((dest / "tmp").iterdir()):
        time.sleep(0.002)
    time.sleep(random.uniform(0, within))
    process.send_signal(signal.SIGKILL)
    process.wait(30)


def _damage_and_verify(dest: Path, second: str, last: str, manifests: list[dict]) -> None:
    """A flipped byte in a blob of the newest snapshot, a table dump of the one before gone: verify
    names both, and --snapshot checks that one alone."""
    asset = manifests[1]["blobs"]["items"][-1][0].rpartition("/")[2]
    flipped = dest / "objects" / asset[:2] / asset[2:4] / asset
    flipped.chmod(0o600)
    data = bytearray(flipped.read_bytes())
    data[len(data) // 2] ^= 0x01
    flipped.write_bytes(bytes(data))
    table = manifests[0]["database"]["tables"][0]
    gone = dest / "objects" / table["digest"][:2] / table["digest"][2:4] / table["digest"]
    gone.unlink()
    verified = hubdepot("backup", "verify", dest, check=False)
    assert verified.returncode == 1
    assert f"{last}: blobs/sha256/{asset[:2]}/{asset[2:4]}/{asset}: damaged" in verified.stdout
    assert f"{second}: database/{table['name']}.jsonl: missing" in verified.stdout
    only = hubdepot("backup", "verify", dest, "--snapshot", second, check=False)
    assert only.returncode == 1 and last not in only.stdout


def test_sigkill_keep_and_verify(taken, backend, tmp_path):
    """create killed at random points never lists a snapshot nor breaks earlier ones; --keep prunes
    without breaking the kept ones; verify names a flipped byte and a missing file."""
    if backend != "sqlite":
        pytest.skip("the destination's behaviour does not depend on the engine")
    dest = tmp_path / "dest"
    shutil.copytree(taken.dest, dest)
    api = httpx.Client(base_url=taken.source.api, headers={"Authorization": f"token {taken.source.token}"}, timeout=60)
    release = api.post(f"/repos/{taken.repo}/releases", json={"tag_name": unique("big")}).json()
    timing = time.monotonic()
    second = hubdepot("backup", "create", dest, env=env_of(taken.source)).stdout.strip()
    took = time.monotonic() - timing
    names = [taken.name, second]
    for n in range(FAULT_ROUNDS):
        assert upload(api, release, f"big-{n}.bin", random.randbytes(8 << 20)).status_code == 201
        _kill_create_midway(taken.source, dest, took / 2)
        listed = [s["name"] for s in json.loads(hubdepot("backup", "list", dest, "--json").stdout)]
        assert listed[: len(names)] == names and len(listed) <= len(names) + 1  # (+1: killed once complete)
        names = listed
        assert hubdepot("backup", "verify", dest).stdout.splitlines() == [f"{name}: ok" for name in names]
    assert upload(api, release, "last.bin", b"last").status_code == 201
    last = hubdepot("backup", "create", dest, "--keep", "2", env=env_of(taken.source)).stdout.strip()
    second = names[-1]
    listed = json.loads(hubdepot("backup", "list", dest, "--json").stdout)
    assert [s["name"] for s in listed] == [second, last] and listed[1]["changes"].startswith("tables ")
    assert not list((dest / "tmp").iterdir())
    assert sorted(p.name for p in (dest / "snapshots").iterdir()) == [second, last]
    manifests = [json.loads((dest / "snapshots" / n / "manifest.json").read_text()) for n in (second, last)]
    named = {digest for m in manifests for _path, digest, _size in store_entries(m)}
    assert named == {p.name for p in (dest / "objects").rglob("*") if p.is_file()}  # nothing else is kept
    _damage_and_verify(dest, second, last, manifests)


def test_snapshot_of_an_older_schema_restores_and_migrates(tmp_path):
    """A snapshot taken by an older hubdepot (schema 0004) restores into this one: the rows go into
    the schema they were taken from, then the migrations bring it to head. A second restore into the
    same place is refused, unless --force."""
    from hubdepot.backup.create import create
    from hubdepot.config import Settings
    from hubdepot.db import migrate
    from hubdepot.hub import create_hub
    from hubdepot.services import accounts

    hub = create_hub(Settings.load(env={"HUBDEPOT_DATA_DIR": str(tmp_path / "old")}))
    try:
        migrate.upgrade(hub.db, "0004")
        account = accounts.create_account(hub, "elder", "User", name="From 0004")
        token = accounts.create_token(hub, "elder")
        manifest = create(hub, tmp_path / "dest")
    finally:
        hub.db.dispose()
    assert manifest["database"]["revision"] == "0004"
    target = {"HUBDEPOT_DATA_DIR": str(tmp_path / "new")}
    hubdepot("backup", "restore", tmp_path / "dest", env=target)
    assert hubdepot("db", "check", env=target).stdout.strip() == migrate.heads()[0]
    restored = server_support.start(tmp_path / "new")
    try:
        me = httpx.get(restored.api + "/user", headers={"Authorization": f"token {token}"})
        assert me.status_code == 200 and me.json()["login"] == account.login == "elder"
        assert me.json()["name"] == "From 0004"
    finally:
        restored.stop()
    refused = hubdepot("backup", "restore", tmp_path / "dest", env=target, check=False)
    assert refused.returncode == 1 and "refusing to restore: the database has rows" in refused.stderr
    hubdepot("backup", "restore", tmp_path / "dest", "--force", env=target)
    assert hubdepot("db", "check", env=target).stdout.strip() == migrate.heads()[0]
