"""grants given at: when the person gave a grant, at once or by accepting a request (a helper's
share link serves only under grants given before it was made)

Revision ID: 0010
Revises: 0009

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN: SQLite adds it in place.
    op.add_column("grants", sa.Column("given_at", sa.DateTime(timezone=True), nullable=True))
    # Given at once: when it was made. A request the person accepted: when the journal says
    # they did. A request still waiting, or refused, was never given.
    op.execute(
        """
        UPDATE grants SET given_at = COALESCE(
            (SELECT MAX(accepted.occurred_at) FROM journal accepted
             WHERE accepted.grant_id = grants.id AND accepted.action = 'grant_accepted'),
            created_at)
        WHERE status NOT IN ('pending', 'refused')
        """
    )


def downgrade() -> None:
    with op.batch_alter_table("grants") as batch_op:
        batch_op.drop_column("given_at")
