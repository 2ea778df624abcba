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
    # A request the person accepted was given when the journal says they did: one pass over
    # the journal, which has no index for a look per grant. UPDATE ... FROM: SQLite 3.33+.
    op.execute(
        """
        UPDATE grants SET given_at = accepted.at
        FROM (SELECT grant_id, MAX(occurred_at) AS at FROM journal
              WHERE action = 'grant_accepted' AND grant_id IS NOT NULL
              GROUP BY grant_id) AS accepted
        WHERE accepted.grant_id = grants.id AND grants.status NOT IN ('pending', 'refused')
        """
    )
    # Given at once (by the person, or in person with a counsellor): when it was made. A
    # request never accepted (waiting, refused, or ended with an account) was never given.
    op.execute(
        """
        UPDATE grants SET given_at = created_at
        WHERE given_at IS NULL AND status NOT IN ('pending', 'refused')
          AND (requested_by IS NULL OR consent = 'in_person')
        """
    )


def downgrade() -> None:
    with op.batch_alter_table("grants") as batch_op:
        batch_op.drop_column("given_at")
