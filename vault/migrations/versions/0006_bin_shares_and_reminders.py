"""bin, shares and reminders: deleted papers wait in a bin; marked copies sent by link; expiry
reminders sent once per paper, person and threshold

Revision ID: 0006
Revises: 0005

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reminders",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("document_id", sa.String(length=36), nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("threshold_days", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("document_id", "person_id", "threshold_days"),
    )
    op.create_index("ix_reminders_document_id", "reminders", ["document_id"])
    op.create_index("ix_reminders_person_id", "reminders", ["person_id"])

    op.create_table(
        "shares",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("document_id", sa.String(length=36), nullable=False),
        sa.Column("blob_id", sa.String(length=36), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_key_id", sa.String(length=36), nullable=False),
        sa.Column("recipient_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("purpose_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("code_hash", sa.String(length=200), nullable=True),
        sa.Column("created_by", sa.String(length=36), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("max_downloads", sa.Integer(), nullable=True),
        sa.Column("downloads", sa.Integer(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["people.id"]),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"]),
        sa.ForeignKeyConstraint(["user_key_id"], ["user_keys.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_shares_document_id", "shares", ["document_id"])
    op.create_index("ix_shares_user_key_id", "shares", ["user_key_id"])

    # Plain ADD COLUMN (no foreign key): SQLite adds them in place, without rebuilding the table.
    op.add_column("documents", sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("documents", sa.Column("deleted_by", sa.String(length=36), nullable=True))
    op.create_index("ix_documents_deleted_at", "documents", ["deleted_at"])


def downgrade() -> None:
    op.drop_index("ix_documents_deleted_at", table_name="documents")
    with op.batch_alter_table("documents") as batch_op:
        batch_op.drop_column("deleted_by")
        batch_op.drop_column("deleted_at")
    op.drop_index("ix_shares_user_key_id", table_name="shares")
    op.drop_index("ix_shares_document_id", table_name="shares")
    op.drop_table("shares")
    op.drop_index("ix_reminders_person_id", table_name="reminders")
    op.drop_index("ix_reminders_document_id", table_name="reminders")
    op.drop_table("reminders")
