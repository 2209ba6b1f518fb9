"""mirrors: repositories.mirror_url, the mirrors table (source, options, ETags) and mirror_links
(source release/asset id -> local id, with a fingerprint of what was copied)

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("repositories") as batch:
        batch.add_column(sa.Column("mirror_url", sa.String(length=1000), nullable=True))
    op.create_table(
        "mirrors",
        sa.Column("repository_id", Id, nullable=False),
        sa.Column("source_url", sa.String(length=1000), nullable=False),
        sa.Column("api_url", sa.String(length=1000), nullable=False),
        sa.Column("options", sa.Text(), nullable=False),
        sa.Column("etags", sa.Text(), nullable=False),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["repository_id"],
            ["repositories.id"],
            name=op.f("fk_mirrors_repository_id_repositories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("repository_id", name=op.f("pk_mirrors")),
    )
    op.create_table(
        "mirror_links",
        sa.Column("repository_id", Id, nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("source_id", sa.BigInteger(), nullable=False),
        sa.Column("local_id", sa.BigInteger(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["repository_id"],
            ["repositories.id"],
            name=op.f("fk_mirror_links_repository_id_repositories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("repository_id", "kind", "source_id", name=op.f("pk_mirror_links")),
    )


def downgrade() -> None:
    op.drop_table("mirror_links")
    op.drop_table("mirrors")
    with op.batch_alter_table("repositories") as batch:
        batch.drop_column("mirror_url")
