"""Seed files: users, organisations, tokens with fixed values, repositories with files, branches,
tags, releases with assets, webhooks (schema in docs/testing.md). Everything goes through the
services the API calls, so a seeded repository is what the same requests would have made; a
mistake is one line naming where it is (`repositories[0].releases[1].tag_name: ...`)."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hubdepot import errors
from hubdepot.hub import Hub
from hubdepot.services import Actor, RepoAccess
from hubdepot.services import accounts as account_service
from hubdepot.services import repos as repo_service

if TYPE_CHECKING:
    from hubdepot.services.hooks import Scope as HookScope

KEYS = {
    "": {"users", "orgs", "repositories"},
    "user": {"login", "name", "email", "site_admin", "tokens"},
    "org": {"login", "name", "email", "members", "webhooks"},
    "member": {"login", "role"},
    "token": {"value", "scopes", "note"},
    "repository": {"owner", "name", "description", "homepage", "private", "default_branch", "auto_init", "files"}
    | {"branches", "tags", "releases", "collaborators", "webhooks"},
    "file": {"content", "base64", "path"},
    "ref": {"name", "from"},
    "release": {"tag_name", "target_commitish", "name", "body", "draft", "prerelease", "make_latest", "assets"},
    "asset": {"name", "label", "content_type", "size", "content", "path"},
    "collaborator": {"login", "permission"},
    "webhook": {"url", "events", "secret", "content_type", "active"},
}
GENERATED_MAX = 512 * 1024**2  # `size:` alone: bytes made here, at most this many


class SeedError(ValueError):
    """What is wrong with a seed file, in one line."""


def parse(text: str, name: str = "seed") -> dict[str, Any]:
    """A seed document from YAML or JSON text (JSON is read as JSON, so its errors say JSON's)."""
    if name.endswith(".json"):
        try:
            doc = json.loads(text)
        except ValueError as exc:
            raise SeedError(f"{name}: not JSON: {exc}") from None
    else:
        import yaml

        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark, problem = getattr(exc, "problem_mark", None), getattr(exc, "problem", None) or exc
            where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
            raise SeedError(f"{name}: not YAML: {where}{' '.join(str(problem).split())}") from None
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise SeedError(f"{name}: a seed is a mapping (users, orgs, repositories)")
    return doc


def load_file(hub: Hub, path: Path, receiver: str | None = None) -> list[str]:
    """Load the seed file at `path` (files named in it are relative to it); returns what was made."""
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise SeedError(f"{path}: cannot read: {exc}") from None
    return load(hub, parse(text, path.name), path.parent, receiver, path.name)


def load(
    hub: Hub, doc: Mapping[str, Any], base: Path | None, receiver: str | None = None, name: str = "seed"
) -> list[str]:
    """Load a parsed seed. `base`: where file paths are read from (None: paths are refused, as over
    HTTP); `receiver`: the URL a webhook without one is sent to (the built-in receiver)."""
    seeder = _Seeder(hub, base, receiver)
    try:
        _check_keys(doc, "")
        for i, user in enumerate(_list(doc, "users")):
            with _at(f"users[{i}]"):
                seeder.user(_mapping(user, "user", "login"))
        for i, org in enumerate(_list(doc, "orgs")):
            with _at(f"orgs[{i}]"):
                seeder.org(_mapping(org, "org", "login"))
        for i, repo in enumerate(_list(doc, "repositories")):
            with _at(f"repositories[{i}]"):
                seeder.repository(_mapping(repo, "repository", "name"))
    except SeedError as exc:
        raise SeedError(f"{name}: {str(exc).removeprefix(': ')}") from None
    return seeder.made


# -- checking the document ---------------------------------------------------------------------------
@contextlib.contextmanager
def _at(where: str) -> Iterator[None]:
    """Errors inside name where they happened: `a[0].b: message`."""
    try:
        yield
    except SeedError as exc:
        raise SeedError(f"{where}.{exc}" if not str(exc).startswith(":") else f"{where}{exc}") from None
    except errors.ValidationFailed as exc:
        detail = "; ".join(f"{e.get('field')}: {e.get('message') or e.get('code')}" for e in exc.errors)
        raise SeedError(f"{where}: {detail or exc.message}") from None
    except errors.HubdepotError as exc:
        raise SeedError(f"{where}: {exc.message}") from None


def _check_keys(value: Mapping[str, Any], kind: str) -> None:
    unknown = sorted(set(map(str, value)) - KEYS[kind])
    if unknown:
        raise SeedError(f": unknown key {unknown[0]!r} (known: {', '.join(sorted(KEYS[kind]))})")


def _list(value: Mapping[str, Any], key: str) -> list[Any]:
    items = value.get(key) or []
    if not isinstance(items, list):
        raise SeedError(f"{key}: a list")
    return items


def _mapping(value: Any, kind: str, short: str) -> Mapping[str, Any]:
    """A mapping of `kind`; a plain string stands for {short: value}."""
    if isinstance(value, str):
        value = {short: value}
    if not isinstance(value, dict):
        raise SeedError(f": a {kind} is a mapping or a string")
    _check_keys(value, kind)
    return value


def _text(value: Mapping[str, Any], key: str, required: bool = True) -> str | None:
    found = value.get(key)
    if found is None and not required:
        return None
    if not isinstance(found, str) or not found:
        raise SeedError(f"{key}: a non-empty string")
    return found


def _flag(value: Mapping[str, Any], key: str, default: bool = False) -> bool:
    found = value.get(key, default)
    if not isinstance(found, bool):
        raise SeedError(f"{key}: true or false")
    return found


def generated(name: str, size: int) -> Iterator[bytes]:
    """`size` bytes that depend only on the asset's name (so a seeded asset's digest is stable)."""
    counter, left = 0, size
    while left > 0:
        block = b"".join(hashlib.sha256(f"{name}:{counter + i}".encode()).digest() for i in range(2048))
        counter += 2048
        yield block[:left]
        left -= len(block)


class _Seeder:
    def __init__(self, hub: Hub, base: Path | None, receiver: str | None):
        self.hub, self.base, self.receiver = hub, base, receiver
        self.made: list[str] = []

    # -- accounts --------------------------------------------------------------------------------
    def actor(self, login: str) -> Actor:
        account = account_service.by_login(self.hub, login)
        return Actor(account=account, scopes=account_service.DEFAULT_SCOPES, token_id=0)

    def _account(self, spec: Mapping[str, Any], kind: str, **more: Any) -> str:
        """A user's or organisation's account from its spec (login, name, email); its login."""
        login = _text(spec, "login")
        assert login is not None
        name, email = _text(spec, "name", required=False), _text(spec, "email", required=False)
        account_service.create_account(self.hub, login, kind, name=name, email=email, **more)
        return login

    def user(self, spec: Mapping[str, Any]) -> None:
        login = self._account(spec, "User", site_admin=_flag(spec, "site_admin"))
        self.made.append(f"user {login}")
        for i, token in enumerate(_list(spec, "tokens")):
            with _at(f"tokens[{i}]"):
                token = _mapping(token, "token", "value")
                scopes = token.get("scopes", list(account_service.DEFAULT_SCOPES))
                if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
                    raise SeedError("scopes: a list of strings")
                note = token.get("note") or "seed"
                account_service.create_token(self.hub, login, tuple(scopes), note, _text(token, "value"))

    def org(self, spec: Mapping[str, Any]) -> None:
        login = self._account(spec, "Organization")
        self.made.append(f"organization {login}")
        for i, member in enumerate(_list(spec, "members")):
            with _at(f"members[{i}]"):
                member = _mapping(member, "member", "login")
                role = member.get("role", "member")
                if role not in ("member", "admin"):
                    raise SeedError("role: member or admin")
                account_service.add_member(self.hub, login, _text(member, "login") or "", role)
        for i, hook in enumerate(_list(spec, "webhooks")):
            with _at(f"webhooks[{i}]"):
                from hubdepot.services import hooks

                actor = self.admin_of(login)
                self.webhook(actor, hooks.org_scope(self.hub, actor, login), hook)

    def admin_of(self, org: str) -> Actor:
        """Who acts for an organisation: the site administrator `admin` (there on every server)."""
        return self.actor("admin")

    # -- repositories ----------------------------------------------------------------------------
    def repository(self, spec: Mapping[str, Any]) -> None:
        from hubdepot.testing import seed_repos

        seed_repos.repository(self, spec)

    def webhook(self, actor: Actor, scope: HookScope, spec: Any) -> None:
        from hubdepot.services import hooks

        spec = _mapping(spec, "webhook", "url")
        url = spec.get("url") or self.receiver
        if not url:
            raise SeedError("url: needed (only an ephemeral server has a built-in receiver)")
        config = {"url": url, "content_type": spec.get("content_type", "json")}
        if spec.get("secret") is not None:
            config["secret"] = spec["secret"]
        events, active = spec.get("events", ["*"]), _flag(spec, "active", True)
        hook = {"name": "web", "config": config, "events": events, "active": active}
        hooks.create_hook(self.hub, actor, scope, hook)
        self.made.append(f"webhook {url}")

    def read_file(self, relative: Any) -> bytes:
        if self.base is None:
            raise SeedError("path: files are read only from a seed file (inline them: content or base64)")
        if not isinstance(relative, str) or not relative:
            raise SeedError("path: a non-empty string")
        try:
            return (self.base / relative).read_bytes()
        except OSError as exc:
            raise SeedError(f"path: cannot read {relative}: {exc.strerror}") from None


def file_bytes(seeder: _Seeder, value: Any) -> bytes:
    """A file's bytes: inline text, or {content: text} | {base64: ...} | {path: relative file}."""
    if isinstance(value, str):
        return value.encode()
    value = _mapping(value, "file", "content")
    if len(value) != 1:
        raise SeedError(": one of content, base64 or path")
    if "path" in value:
        return seeder.read_file(value["path"])
    if "base64" in value:
        try:
            return base64.b64decode(str(value["base64"]), validate=True)
        except ValueError:
            raise SeedError("base64: not base64") from None
    return (_text(value, "content") or "").encode()


def find(seeder: _Seeder, actor: Actor, owner: str, name: str) -> RepoAccess:
    return repo_service.find(seeder.hub, actor, owner, name)
