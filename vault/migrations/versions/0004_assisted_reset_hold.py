"""assisted reset hold: who reset a person's password with them, and until when papers stay closed

Revision ID: 0004
Revises: 0003

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (no foreign key): SQLite adds them in place, without rebuilding `people`.
    op.add_column("people", sa.Column("held_since", sa.DateTime(timezone=True), nullable=True))
    op.add_column("people", sa.Column("held_until", sa.DateTime(timezone=True), nullable=True))
    op.add_column("people", sa.Column("held_by", sa.String(length=36), nullable=True))
    op.add_column("people", sa.Column("held_organisation_id", sa.String(length=36), nullable=True))
    op.add_column(
        "people",
        sa.Column("reset_notice_pending", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    with op.batch_alter_table("people") as batch_op:
        batch_op.drop_column("reset_notice_pending")
        batch_op.drop_column("held_organisation_id")
        batch_op.drop_column("held_by")
        batch_op.drop_column("held_until")
        batch_op.drop_column("held_since")
