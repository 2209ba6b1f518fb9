"""counters: fixed-window counts every host of a cluster shares (rate limits, sign-in throttling),
used on PostgreSQL; SQLite servers count in memory

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "counters",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("reset", sa.BigInteger(), nullable=False),
        sa.Column("used", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_counters")),
    )
    op.create_index(op.f("ix_counters_reset"), "counters", ["reset"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_counters_reset"), table_name="counters")
    op.drop_table("counters")
