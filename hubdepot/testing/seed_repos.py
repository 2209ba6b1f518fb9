"""A seed file's repositories: made as the API makes them (repos.create, contents.put_file,
git_data.create_ref, release_writes.create, the assets' upload path, hooks.create_hook)."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from hubdepot import errors
from hubdepot.services import Actor, RepoAccess
from hubdepot.services import accounts as account_service
from hubdepot.services import repos as repo_service
from hubdepot.testing.seed import GENERATED_MAX, SeedError, _at, _flag, _list, _mapping, _text, file_bytes, generated

if TYPE_CHECKING:
    from hubdepot.testing.seed import _Seeder


def repository(seeder: _Seeder, spec: Mapping[str, Any]) -> None:
    hub = seeder.hub
    owner, name = _text(spec, "owner"), _text(spec, "name")
    assert owner is not None and name is not None
    try:
        owner_row = account_service.by_login(hub, owner)
    except errors.NotFound:
        raise SeedError(f"owner: no user or organization {owner!r} (list it under users or orgs)") from None
    user_owned = owner_row.type == "User"
    actor = seeder.actor(owner) if user_owned else seeder.admin_of(owner)
    files = spec.get("files") or {}
    if not isinstance(files, dict):
        raise SeedError("files: a mapping of path to content")
    access = repo_service.create(
        hub,
        actor,
        None if user_owned else owner,
        name,
        description=spec.get("description"),
        homepage=spec.get("homepage"),
        private=_flag(spec, "private"),
        default_branch=spec.get("default_branch") or "main",
        auto_init=_flag(spec, "auto_init", default=not files),
    )
    seeder.made.append(f"repository {access.full_name}")
    _files(seeder, actor, access, files)
    access = repo_service.find(hub, actor, owner, name)  # with its first commit
    _refs(seeder, actor, access, spec)
    _collaborators(seeder, actor, access, _list(spec, "collaborators"))
    for i, release in enumerate(_list(spec, "releases")):
        with _at(f"releases[{i}]"):
            _release(seeder, actor, access, _mapping(release, "release", "tag_name"))
    if spec.get("webhooks"):
        from hubdepot.services import hooks

        scope = hooks.repo_scope(actor, access)
        for i, hook in enumerate(_list(spec, "webhooks")):
            with _at(f"webhooks[{i}]"):
                seeder.webhook(actor, scope, hook)


def _files(seeder: _Seeder, actor: Actor, access: RepoAccess, files: Mapping[Any, Any]) -> None:
    from hubdepot.services import contents

    for path, value in files.items():
        with _at(f"files[{path!r}]"):
            data = base64.b64encode(file_bytes(seeder, value)).decode()
            contents.put_file(
                seeder.hub,
                actor,
                access,
                str(path),
                message=f"Add {path}",
                content=data,
                sha=None,
                branch=None,
                author=None,
                committer=None,
            )


def _refs(seeder: _Seeder, actor: Actor, access: RepoAccess, spec: Mapping[str, Any]) -> None:
    """Branches and lightweight tags, at the head of the default branch or of `from`."""
    from hubdepot.services import git_data

    for kind, prefix in (("branches", "refs/heads/"), ("tags", "refs/tags/")):
        for i, item in enumerate(_list(spec, kind)):
            with _at(f"{kind}[{i}]"):
                item = _mapping(item, "ref", "name")
                start = item.get("from") or access.repo.default_branch
                sha = git_data.resolve_sha(access, str(start))
                git_data.create_ref(seeder.hub, actor, access, prefix + (_text(item, "name") or ""), sha)


def _collaborators(seeder: _Seeder, actor: Actor, access: RepoAccess, items: list[Any]) -> None:
    from hubdepot.services import collaborators

    for i, item in enumerate(items):
        with _at(f"collaborators[{i}]"):
            item = _mapping(item, "collaborator", "login")
            login = _text(item, "login") or ""
            collaborators.put(seeder.hub, actor, access, login, str(item.get("permission", "push")))


def _release(seeder: _Seeder, actor: Actor, access: RepoAccess, spec: Mapping[str, Any]) -> None:
    from hubdepot.services import release_writes

    _text(spec, "tag_name")
    fields = {key: value for key, value in spec.items() if key != "assets"}
    for key in ("name", "body", "target_commitish", "make_latest"):
        if fields.get(key) is not None and not isinstance(fields[key], str):
            raise SeedError(f"{key}: a string")
    for key in ("draft", "prerelease"):
        _flag(spec, key)
    view = release_writes.create(seeder.hub, actor, access, fields)
    seeder.made.append(f"release {access.full_name}@{view.url_tag}")
    for i, asset in enumerate(_list(spec, "assets")):
        with _at(f"assets[{i}]"):
            _asset(seeder, actor, access, view.row.id, _mapping(asset, "asset", "name"))


def _asset_bytes(seeder: _Seeder, spec: Mapping[str, Any]) -> tuple[int, Iterable[bytes]]:
    """(length, chunks): generated bytes for `size` alone, else the content or the file."""
    given = [key for key in ("size", "content", "path") if key in spec]
    if len(given) != 1:
        raise SeedError(": an asset has one of size (generated bytes), content or path")
    if given[0] == "size":
        size = spec["size"]
        if not isinstance(size, int) or isinstance(size, bool) or not 0 < size <= GENERATED_MAX:
            raise SeedError(f"size: a number of bytes from 1 to {GENERATED_MAX}")
        return size, generated(str(spec["name"]), size)
    data = file_bytes(seeder, {given[0]: spec[given[0]]})
    return len(data), [data]


def _asset(seeder: _Seeder, actor: Actor, access: RepoAccess, release_id: int, spec: Mapping[str, Any]) -> None:
    """Through the upload path: the checks before any byte, the intake, the row."""
    from hubdepot.services import assets

    hub = seeder.hub
    length, chunks = _asset_bytes(seeder, spec)
    fields = {
        "name": _text(spec, "name"),
        "label": spec.get("label"),
        "content_type": spec.get("content_type") or "application/octet-stream",
    }
    ticket = assets.open_upload(hub, actor, access, release_id, fields, length)
    intake = assets.intake(hub, ticket)
    try:
        for chunk in chunks:
            intake.write(chunk)
        blob = intake.commit()
    except BaseException:
        intake.abort()
        raise
    assets.finish_upload(hub, ticket, blob)
