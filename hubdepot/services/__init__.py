"""Use cases: permission checks, invariants, transactions. They raise hubdepot.errors only."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, NamedTuple, TypeAlias

import sqlalchemy as sa

from hubdepot.db import now as now  # (re-exported: every service stamps with it)

RANK = {None: 0, "pull": 1, "push": 2, "admin": 3}  # a repository permission's rank

Row: TypeAlias = sa.Row[*tuple[Any, ...]]
"""A database row of any width (SQLAlchemy 2.1's Row is variadic: sa.Row[Any] is a one-column row);
its columns are read by attribute and are Any."""


@dataclasses.dataclass(frozen=True)
class Actor:
    """The authenticated caller: an account row and the token's scopes."""

    account: Any  # an accounts row
    scopes: tuple[str, ...]
    token_id: int

    @property
    def id(self) -> int:
        account_id: int = self.account.id
        return account_id

    @property
    def login(self) -> str:
        login: str = self.account.login
        return login


class RepoAccess(NamedTuple):
    """A repository the caller may see, with the caller's permission on it (a tuple: made at every
    repository-scoped request, three times faster than a frozen dataclass)."""

    repo: Row  # a repositories row
    owner: Any  # an accounts row
    permission: str | None  # pull | push | admin (None never leaves find())
    git_dir: Path

    @property
    def id(self) -> int:
        repo_id: int = self.repo.id
        return repo_id

    @property
    def full_name(self) -> str:
        return f"{self.owner.login}/{self.repo.name}"

    def can(self, level: str) -> bool:
        return RANK[self.permission] >= RANK[level]


@dataclasses.dataclass(frozen=True)
class _SystemAccount:
    id: int = 0
    login: str = "hubdepot"
    type: str = "User"
    name: str = "hubdepot"
    email: str | None = None
    site_admin: bool = True


SYSTEM = Actor(account=_SystemAccount(), scopes=("repo",), token_id=0)
"""The administrator acting through the CLI: sees and may change everything."""
