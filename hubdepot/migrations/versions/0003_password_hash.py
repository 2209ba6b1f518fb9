"""accounts.password_hash: argon2id hashes for the web sign-in form

Revision ID: 0003_password_hash
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003_password_hash"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("password_hash", sa.String(255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("password_hash")
