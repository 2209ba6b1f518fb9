"""The schema, as SQLAlchemy Core tables. Alembic migrations create it; tests check they agree."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

import sqlalchemy as sa

if TYPE_CHECKING:
    from typing_extensions import Unpack

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
    }
)

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = sa.DateTime(timezone=True)


def _id() -> sa.Column[int]:
    return sa.Column("id", Id, primary_key=True, autoincrement=True)


class _ColumnOptions(TypedDict, total=False):
    nullable: bool
    primary_key: bool
    index: bool


def _fk(name: str, target: str, **kw: Unpack[_ColumnOptions]) -> sa.Column[int]:
    return sa.Column(name, Id, sa.ForeignKey(target, ondelete="CASCADE"), **kw)


accounts = sa.Table(
    "accounts",
    metadata,
    _id(),
    sa.Column("login", sa.String(39), nullable=False),
    sa.Column("login_key", sa.String(39), nullable=False, unique=True),  # lower-cased login
    sa.Column("type", sa.String(16), nullable=False),  # User | Organization | Bot
    sa.Column("name", sa.String(255)),
    sa.Column("email", sa.String(255)),
    sa.Column("site_admin", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", When, nullable=False),
    sa.Column("updated_at", When, nullable=False),
    sa.Column("password_hash", sa.String(255)),  # argon2id, for the web sign-in form; NULL: no password
)

tokens = sa.Table(
    "tokens",
    metadata,
    _id(),
    _fk("account_id", "accounts.id", nullable=False, index=True),
    sa.Column("digest", sa.String(64), nullable=False, unique=True),  # sha256 of the token
    sa.Column("hint", sa.String(8), nullable=False),  # last 4 characters, for listings
    sa.Column("scopes", sa.String(1000), nullable=False, default=""),
    sa.Column("note", sa.String(255)),
    sa.Column("created_at", When, nullable=False),
    sa.Column("expires_at", When),
)

memberships = sa.Table(
    "memberships",
    metadata,
    _fk("org_id", "accounts.id", primary_key=True),
    _fk("user_id", "accounts.id", primary_key=True, index=True),
    sa.Column("role", sa.String(16), nullable=False, default="member"),  # member | admin
)

repositories = sa.Table(
    "repositories",
    metadata,
    _id(),
    _fk("owner_id", "accounts.id", nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("name_key", sa.String(100), nullable=False),  # lower-cased name
    sa.Column("description", sa.Text),
    sa.Column("homepage", sa.String(255)),
    sa.Column("private", sa.Boolean, nullable=False, default=False),
    sa.Column("default_branch", sa.String(255), nullable=False, default="main"),
    sa.Column("immutable_releases", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", When, nullable=False),
    sa.Column("updated_at", When, nullable=False),
    sa.Column("pushed_at", When),
    sa.Column("mirror_url", sa.String(1000)),  # set on repositories copied by `hubdepot mirror`
    sa.UniqueConstraint("owner_id", "name_key"),
)

collaborators = sa.Table(
    "collaborators",
    metadata,
    _fk("repository_id", "repositories.id", primary_key=True),
    _fk("account_id", "accounts.id", primary_key=True, index=True),
    sa.Column("permission", sa.String(16), nullable=False),  # pull | push | admin
)

releases = sa.Table(
    "releases",
    metadata,
    _id(),
    _fk("repository_id", "repositories.id", nullable=False),
    sa.Column("tag_name", sa.String(255), nullable=False),
    sa.Column("target_commitish", sa.String(255), nullable=False),
    sa.Column("name", sa.String(255)),
    sa.Column("body", sa.Text),
    sa.Column("draft", sa.Boolean, nullable=False, default=False),
    sa.Column("prerelease", sa.Boolean, nullable=False, default=False),
    sa.Column("immutable", sa.Boolean, nullable=False, default=False),
    sa.Column("latest_pinned", sa.Boolean, nullable=False, default=False),  # make_latest=true
    sa.Column("latest_excluded", sa.Boolean, nullable=False, default=False),  # make_latest=false
    _fk("author_id", "accounts.id", nullable=False),
    sa.Column("created_at", When, nullable=False),
    sa.Column("updated_at", When, nullable=False),
    sa.Column("published_at", When),
    # the release list's order (drafts first, newest first), so a page is an index range, not a sort
    sa.Index("ix_releases_listing", "repository_id", "draft", "created_at", "id"),
    sa.Index("ix_releases_repository_id_tag_name", "repository_id", "tag_name"),
    # the latest release (services/releases): the pinned one, else the newest not excluded, each a seek
    sa.Index("ix_releases_pinned", "repository_id", "latest_pinned", "published_at", "created_at", "id"),
    sa.Index("ix_releases_latest", "repository_id", "draft", "prerelease", "latest_excluded", "created_at", "id"),
)

release_assets = sa.Table(
    "release_assets",
    metadata,
    _id(),
    _fk("release_id", "releases.id", nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("label", sa.String(255)),
    sa.Column("content_type", sa.String(255), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),  # uploaded | open | starter
    sa.Column("size", sa.BigInteger, nullable=False, default=0),
    sa.Column("digest", sa.String(64)),  # sha256 hex of the bytes
    sa.Column("blob_key", sa.String(255)),
    sa.Column("download_count", sa.BigInteger, nullable=False, default=0),
    _fk("uploader_id", "accounts.id"),
    sa.Column("created_at", When, nullable=False),
    sa.Column("updated_at", When, nullable=False),
    sa.UniqueConstraint("release_id", "name"),
    sa.Index("ix_release_assets_release_id_id", "release_id", "id"),  # a release's assets in order, no sort
)

downloads = sa.Table(
    "downloads",
    metadata,
    _id(),
    _fk("repository_id", "repositories.id", nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("content_type", sa.String(255), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("state", sa.String(16), nullable=False, default="new"),  # new | uploaded
    sa.Column("digest", sa.String(64)),
    sa.Column("blob_key", sa.String(255)),
    sa.Column("download_count", sa.BigInteger, nullable=False, default=0),
    _fk("uploader_id", "accounts.id"),
    sa.Column("created_at", When, nullable=False),
    sa.Column("updated_at", When, nullable=False),
    sa.UniqueConstraint("repository_id", "name"),
)

revoked_sessions = sa.Table(
    "revoked_sessions",
    metadata,
    sa.Column("digest", sa.String(64), primary_key=True),  # sha256 of a signed-out session's nonce
    sa.Column("expires_at", When, nullable=False, index=True),  # when the cookie would have expired anyway
)

# fixed-window counts every host shares on PostgreSQL (db/counters.py: rate limits, sign-in throttling)
counters = sa.Table(
    "counters",
    metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("reset", sa.BigInteger, nullable=False, index=True),  # epoch seconds the window ends at
    sa.Column("used", sa.BigInteger, nullable=False),
)

# -- webhooks: hooks, the outbox of events, and each hook's deliveries (hubdepot/events) -----------
hooks = sa.Table(
    "hooks",
    metadata,
    _id(),
    _fk("repository_id", "repositories.id", index=True),  # a repository's hook, or
    _fk("org_id", "accounts.id", index=True),  # an organisation's
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    sa.Column("events", sa.String(2000), nullable=False),  # JSON list of event names ("*" = all)
    sa.Column("url", sa.String(2000), nullable=False),
    sa.Column("content_type", sa.String(8), nullable=False, default="form"),  # json | form
    sa.Column("secret", sa.String(255)),
    sa.Column("insecure_ssl", sa.String(1), nullable=False, default="0"),
    sa.Column("last_code", sa.Integer),
    sa.Column("last_status", sa.String(16), nullable=False, default="unused"),
    sa.Column("last_message", sa.String(255)),
    sa.Column("lease_owner", sa.String(64)),  # the serve process delivering this hook's due deliveries,
    sa.Column("lease_until", When),  # until then (a dead process's lease expires; another takes over)
    sa.Column("created_at", When, nullable=False),
    sa.Column("updated_at", When, nullable=False),
)

webhook_events = sa.Table(
    "webhook_events",
    metadata,
    _id(),
    sa.Column("guid", sa.String(36), nullable=False),
    sa.Column("event", sa.String(64), nullable=False),
    sa.Column("action", sa.String(64)),
    sa.Column("repository_id", Id),  # no foreign key: a repository's `deleted` event outlives it
    sa.Column("payload", sa.Text, nullable=False),  # the JSON body, as sent
    sa.Column("created_at", When, nullable=False),
)

webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    _id(),
    _fk("event_id", "webhook_events.id", nullable=False, index=True),
    _fk("hook_id", "hooks.id", nullable=False),
    sa.Column("guid", sa.String(36), nullable=False),  # X-GitHub-Delivery: the event's, kept by redeliveries
    sa.Column("redelivery", sa.Boolean, nullable=False, default=False),
    sa.Column("state", sa.String(8), nullable=False),  # pending | done
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("next_at", When, nullable=False),  # due time while pending
    sa.Column("delivered_at", When),
    sa.Column("duration", sa.Float),
    sa.Column("status", sa.String(255), nullable=False, default="Pending"),
    sa.Column("status_code", sa.Integer, nullable=False, default=0),
    sa.Column("request_headers", sa.Text),
    sa.Column("response_headers", sa.Text),
    sa.Column("response_body", sa.Text),
    sa.Column("created_at", When, nullable=False),
    sa.Index("ix_webhook_deliveries_due", "state", "next_at"),
    sa.Index("ix_webhook_deliveries_listing", "hook_id", "id"),
)

# `hubdepot mirror`: where a mirrored repository comes from, and what it has copied so far.
mirrors = sa.Table(
    "mirrors",
    metadata,
    _fk("repository_id", "repositories.id", primary_key=True),
    sa.Column("source_url", sa.String(1000), nullable=False),  # the repository's web URL at the source
    sa.Column("api_url", sa.String(1000), nullable=False),  # its API URL (.../repos/o/r)
    sa.Column("options", sa.Text, nullable=False),  # JSON: releases_only, since, include_drafts
    sa.Column("etags", sa.Text, nullable=False),  # JSON: {url: [etag, [source ids on that page]]}
    sa.Column("synced_at", When),
)

mirror_links = sa.Table(
    "mirror_links",
    metadata,
    _fk("repository_id", "repositories.id", primary_key=True),
    sa.Column("kind", sa.String(8), primary_key=True),  # release | asset
    sa.Column("source_id", sa.BigInteger, primary_key=True),
    sa.Column("local_id", sa.BigInteger, nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=False),  # sha256 of the fields copied ("" = unfinished)
)
