"""recovery code generations: the ten codes made together share a generation, and keep which
professional saw them when an account was created with the person present

Revision ID: 0008
Revises: 0007

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (no foreign key): SQLite adds them in place, without a rebuild.
    op.add_column("recovery_codes", sa.Column("generation", sa.String(length=36), nullable=True))
    op.add_column("recovery_codes", sa.Column("seen_by", sa.String(length=36), nullable=True))
    # Codes still in force from an account created with the person present: the journal says
    # who created it, and the person has made no codes since (one « codes made » line).
    op.execute(
        """
        UPDATE recovery_codes SET seen_by = (
            SELECT created.actor_id FROM journal created
            WHERE created.subject_id = recovery_codes.person_id
              AND created.action = 'account_created_in_person'
        )
        WHERE (
            SELECT count(*) FROM journal made
            WHERE made.subject_id = recovery_codes.person_id
              AND made.action = 'recovery_codes_created'
        ) = 1
        """
    )


def downgrade() -> None:
    with op.batch_alter_table("recovery_codes") as batch_op:
        batch_op.drop_column("seen_by")
        batch_op.drop_column("generation")
