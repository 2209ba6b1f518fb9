"""git over smart HTTP: who may fetch and push, and a push as one locked, recorded change.

Rules (GitHub's): anyone may fetch a public repository; a private one asks an anonymous caller for
credentials (401, as for a repository that does not exist, so nothing leaks), and is "Repository
not found." to a signed-in caller without access; pushing needs push permission ("Permission to
o/r denied to login.").

A push runs git receive-pack with the repository lock held from before the first byte of the pack
until git has updated the refs, so it is serialised with contents API commits, release tags and
git data API writes. git checks each ref's old value itself (compare-and-swap) and rejects the
whole push when the pre-receive hook refuses it (tags of immutable releases). The refs before and
after are compared and the changes go to services.refs.record(). A pusher that goes silent for
git/transport.py IDLE_SECONDS is cut off, so no client holds the lock for long.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import anyio

from hubdepot import errors
from hubdepot.git import refs as git_refs
from hubdepot.git import transport
from hubdepot.git.lock import repo_lock_async
from hubdepot.hub import Hub
from hubdepot.services import Actor, RepoAccess
from hubdepot.services import refs as ref_service
from hubdepot.services import repos as repo_service

log = logging.getLogger("hubdepot")
SERVICES = transport.SERVICES
UPLOAD, RECEIVE = SERVICES


def authorize(hub: Hub, actor: Actor | None, owner: str, name: str, service: str) -> RepoAccess:
    """The repository `owner/name[.git]` if the caller may run `service` on it; GitHub's answers otherwise."""
    if name.lower().endswith(".git"):
        name = name[:-4]
    try:
        access = repo_service.find(hub, actor, owner, name)
    except errors.NotFound:
        if actor is None:
            raise errors.Unauthenticated("Authentication failed") from None
        raise
    if service == RECEIVE and not access.can("push"):
        if actor is None:
            raise errors.Unauthenticated("Authentication failed")
        raise errors.Forbidden(f"Permission to {access.full_name} denied to {actor.login}.")
    if service == RECEIVE:
        repo_service.check_writable(access)
    return access


def _hooks(hub: Hub) -> Path:
    return transport.install_hooks(hub.settings.data_dir / "hooks")


def advertise(hub: Hub, access: RepoAccess, service: str, protocol: str | None) -> AsyncIterator[bytes]:
    argv = transport.command(access.git_dir, service, advertise=True)
    return transport.run(argv, transport.environment(protocol), None)


async def serve(
    hub: Hub, actor: Actor | None, access: RepoAccess, service: str, body: AsyncIterator[bytes], protocol: str | None
) -> AsyncIterator[bytes]:
    whole = await transport.unless_probe(body)
    if whole is None:  # git checking its credentials before a large request: nothing to run or lock
        return
    if service == UPLOAD:
        argv = transport.command(access.git_dir, service, advertise=False)
        chunks = transport.run(argv, transport.environment(protocol), whole)
    else:
        chunks = _push(hub, actor, access, whole, protocol)
    async for chunk in chunks:
        yield chunk


async def _push(
    hub: Hub, actor: Actor | None, access: RepoAccess, body: AsyncIterator[bytes], protocol: str | None
) -> AsyncIterator[bytes]:
    hooks = await anyio.to_thread.run_sync(_hooks, hub)
    argv = transport.command(access.git_dir, RECEIVE, advertise=False, hooks_dir=hooks)
    updates: list[ref_service.RefUpdate] = []
    try:
        async with repo_lock_async(access.git_dir):
            before = await anyio.to_thread.run_sync(git_refs.snapshot, access.git_dir)
            guarded = await anyio.to_thread.run_sync(_guarded, hub, access, hooks)
            env = transport.environment(protocol, {"HUBDEPOT_PROTECTED_REFS": str(guarded)})
            try:
                async for chunk in transport.run(argv, env, body):
                    yield chunk
            finally:
                with anyio.CancelScope(shield=True):
                    guarded.unlink(missing_ok=True)
                    after = await anyio.to_thread.run_sync(git_refs.snapshot, access.git_dir)
                    updates = git_refs.changes(before, after)
    finally:
        if updates:  # acknowledged or not, what git changed is recorded (even if the client left)
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(_record, hub, access, actor, updates)


def _guarded(hub: Hub, access: RepoAccess, hooks: Path) -> Path:
    """The refs this push may not touch, one a line, in a file the pre-receive hook reads."""
    fd, name = tempfile.mkstemp(prefix=f"protected-{access.id}-", dir=hooks)
    with os.fdopen(fd, "w") as out:
        out.writelines(f"{ref}\n" for ref in ref_service.protected(hub, access))
    return Path(name)


def _record(hub: Hub, access: RepoAccess, actor: Actor | None, updates: list[ref_service.RefUpdate]) -> None:
    """The refs have moved (git said so to the client): a failure to record is logged, not sent."""
    try:
        ref_service.record(hub, access, actor, updates)
    except Exception:
        log.exception("push to %s: refs moved but not recorded: %s", access.full_name, updates)
