"""create_hub(settings): what every use case needs (settings, database, blob storage, URLs, signer),
for the server (hubdepot.app) and the admin commands alike. It imports no web framework, so the
`hubdepot` commands start without loading the server."""

from __future__ import annotations

import dataclasses
import os
import secrets

from hubdepot.config import Settings
from hubdepot.db.generation import Generation
from hubdepot.db.session import Database
from hubdepot.git import lock
from hubdepot.git import repos as git_repos
from hubdepot.signing import Signer
from hubdepot.storage import BlobStorage, open_storage
from hubdepot.urls import Urls


@dataclasses.dataclass
class Hub:
    """Everything a use case needs (settings, database, blob storage, URLs, signer), built once by
    create_hub() for the server and the admin commands alike."""

    settings: Settings
    db: Database
    storage: BlobStorage
    urls: Urls
    signer: Signer


def secret_key(settings: Settings) -> bytes:
    """The URL-signing key: from settings, else a random one kept (mode 0600) in the data dir."""
    if settings.secret_key:
        return settings.secret_key.encode()
    path = settings.data_dir / "secret.key"
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def create_hub(settings: Settings) -> Hub:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    generation = Generation(settings.data_dir / "generation")
    db = Database(settings.database, generation)
    git_repos.watch(settings.repos_dir, generation.current)  # (kept handles are checked after writes only)
    if not db.is_sqlite:  # hosts sharing the repositories volume also lock each other out (db/locks.py)
        from hubdepot.db.coherence import Publisher  # (psycopg: imported only on PostgreSQL)
        from hubdepot.db.locks import AdvisoryLocks

        lock.use_cluster(settings.repos_dir, AdvisoryLocks(settings.database))
        generation.publish = Publisher(settings.database, generation)  # and see each other's writes
    return Hub(
        settings=settings,
        db=db,
        storage=open_storage(settings),
        urls=Urls(settings.public),
        signer=Signer(secret_key(settings)),
    )


def dispose(hub: Hub) -> None:
    """Close what create_hub opened: the database's pool and, on PostgreSQL, the lock pool and the
    notification connection (`hubdepot serve` does so before granian forks its workers)."""
    if hub.db.is_sqlite:
        hub.db.dispose()
        return
    from hubdepot.db.coherence import Publisher
    from hubdepot.db.locks import AdvisoryLocks

    generation = hub.db.generation
    if generation is not None and isinstance(generation.publish, Publisher):
        generation.publish.close()
    held = lock.use_cluster(hub.settings.repos_dir, None)
    if isinstance(held, AdvisoryLocks):
        held.dispose()
    hub.db.dispose()
