"""provisional passwords: a professional whose account an admin made, with a password that
admin chose, chooses their own before anything else

Revision ID: 0009
Revises: 0008

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN: SQLite adds it in place. Accounts made before are not marked: whether
    # their password was changed since cannot be told.
    op.add_column(
        "people",
        sa.Column("password_provisional", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    with op.batch_alter_table("people") as batch_op:
        batch_op.drop_column("password_provisional")
