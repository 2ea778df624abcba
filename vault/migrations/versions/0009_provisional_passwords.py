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


# What sets a password its owner chose: their own change, a recovery or reset code.
CHOSEN_BY_THEM = ("password_changed", "recovery_code_used", "reset_code_used")


def upgrade() -> None:
    # Plain ADD COLUMN: SQLite adds it in place.
    op.add_column(
        "people",
        sa.Column("password_provisional", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    # The open accounts an admin made (the admin's trail names them) whose owner has set no
    # password since: theirs is still the admin's.
    people = sa.table(
        "people",
        sa.column("id", sa.String),
        sa.column("erased_at", sa.DateTime),
        sa.column("password_provisional", sa.Boolean),
    )
    journal = sa.table(
        "journal",
        sa.column("subject_id", sa.String),
        sa.column("target_id", sa.String),
        sa.column("action", sa.String),
    )
    made = sa.select(journal.c.target_id).where(journal.c.action == "counsellor_created")
    chosen = sa.select(journal.c.subject_id).where(journal.c.action.in_(CHOSEN_BY_THEM))
    op.execute(
        people.update()
        .where(people.c.id.in_(made), people.c.id.not_in(chosen), people.c.erased_at.is_(None))
        .values(password_provisional=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("people") as batch_op:
        batch_op.drop_column("password_provisional")
