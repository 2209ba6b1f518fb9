"""release listing index: (repository_id, draft, created_at, id)

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("releases") as batch:
        batch.drop_index("ix_releases_repository_id_created")
        batch.create_index("ix_releases_listing", ["repository_id", "draft", "created_at", "id"])


def downgrade() -> None:
    with op.batch_alter_table("releases") as batch:
        batch.drop_index("ix_releases_listing")
        batch.create_index("ix_releases_repository_id_created", ["repository_id", "created_at", "id"])
