"""Test mode's reset (`POST /_hubdepot/reset`): every row goes except the accounts and tokens kept,
in one write transaction (children first), so the next request sees a new server's state."""

from __future__ import annotations

import sqlalchemy as sa

from hubdepot.db.session import Database
from hubdepot.db.tables import accounts, metadata, tokens


def keep_first_admin(db: Database, login: str) -> tuple[int, int]:
    """(account id, token id) of `login` and its first token: what a reset keeps."""
    with db.read() as conn:
        account_id = conn.execute(sa.select(accounts.c.id).where(accounts.c.login_key == login.lower())).scalar_one()
        token_id = conn.execute(sa.select(sa.func.min(tokens.c.id)).where(tokens.c.account_id == account_id)).scalar()
    return int(account_id), int(token_id or 0)


def wipe(db: Database, account_id: int, token_id: int) -> None:
    with db.write() as conn:
        for table in reversed(metadata.sorted_tables):
            if table is accounts:
                conn.execute(table.delete().where(table.c.id != account_id))
            elif table is tokens:
                conn.execute(table.delete().where(table.c.id != token_id))
            else:
                conn.execute(table.delete())
