"""latest release indexes: the pinned release and the newest one not excluded are index seeks, and a
release's assets come in id order without a sort

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_releases_pinned", "releases", ["repository_id", "latest_pinned", "published_at", "created_at", "id"]
    )
    op.create_index(
        "ix_releases_latest",
        "releases",
        ["repository_id", "draft", "prerelease", "latest_excluded", "created_at", "id"],
    )
    op.create_index("ix_release_assets_release_id_id", "release_assets", ["release_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_release_assets_release_id_id", table_name="release_assets")
    op.drop_index("ix_releases_latest", table_name="releases")
    op.drop_index("ix_releases_pinned", table_name="releases")
