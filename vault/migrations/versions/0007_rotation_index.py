"""rotation indexes: the key jobs find what is left to do through an index, in its order,
without stepping over the rows already done. Key slots are indexed on (kind, master_version)
rather than master_version alone (a master rotation reads kind "master" below the new version);
blobs on created_at (a re-encryption reads the blobs made before it started)

Revision ID: 0007
Revises: 0006

"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_key_slots_kind_master_version", "key_slots", ["kind", "master_version"])
    op.drop_index("ix_key_slots_master_version", table_name="key_slots")
    op.create_index("ix_blobs_created_at", "blobs", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_blobs_created_at", table_name="blobs")
    op.create_index("ix_key_slots_master_version", "key_slots", ["master_version"])
    op.drop_index("ix_key_slots_kind_master_version", table_name="key_slots")
