"""roles, statuses and consent kinds checked by the database; grant scopes and categories as rows

Revision ID: 0003
Revises: 0002

Scopes and categories were comma-joined text: a duplicated category overflowed the column on
PostgreSQL, and nothing stopped a word the code does not know. They become rows with a
primary key (no duplicate) and a CHECK constraint (no unknown word).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLES = ("beneficiary", "counsellor", "org_admin", "admin")
MEMBER_ROLES = ("counsellor", "org_admin")
STATUSES = ("pending", "active", "refused", "revoked", "expired")
CONSENTS = ("online", "in_person")
SCOPES = ("view", "upload", "manage", "recover")
CATEGORIES = (
    "identity",
    "residence",
    "health",
    "housing",
    "income",
    "employment",
    "taxes",
    "bank",
    "family",
    "justice",
    "education",
    "other",
)


def _one_of(column: str, words: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(w) for w in words)})"


def upgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.create_check_constraint("ck_people_role", _one_of("role", ROLES))
    with op.batch_alter_table("memberships") as batch:
        batch.create_check_constraint("ck_memberships_role", _one_of("role", MEMBER_ROLES))
    op.create_table(
        "grant_scopes",
        sa.Column("grant_id", sa.String(36), sa.ForeignKey("grants.id"), primary_key=True),
        sa.Column("scope", sa.String(20), primary_key=True),
        sa.CheckConstraint(_one_of("scope", SCOPES), name="ck_grant_scopes_scope"),
    )
    op.create_table(
        "grant_categories",
        sa.Column("grant_id", sa.String(36), sa.ForeignKey("grants.id"), primary_key=True),
        sa.Column("category", sa.String(20), primary_key=True),
        sa.CheckConstraint(_one_of("category", CATEGORIES), name="ck_grant_categories_category"),
    )
    connection = op.get_bind()
    grants = connection.execute(sa.text("SELECT id, scopes, categories FROM grants")).all()
    scope_rows = [
        {"grant_id": grant_id, "scope": scope}
        for grant_id, scopes, _categories in grants
        for scope in dict.fromkeys(s for s in scopes.split(",") if s)
    ]
    category_rows = [
        {"grant_id": grant_id, "category": category}
        for grant_id, _scopes, categories in grants
        for category in dict.fromkeys(c for c in (categories or "").split(",") if c)
    ]
    if scope_rows:
        connection.execute(
            sa.text("INSERT INTO grant_scopes (grant_id, scope) VALUES (:grant_id, :scope)"),
            scope_rows,
        )
    if category_rows:
        connection.execute(
            sa.text(
                "INSERT INTO grant_categories (grant_id, category) VALUES (:grant_id, :category)"
            ),
            category_rows,
        )
    with op.batch_alter_table("grants") as batch:
        batch.drop_column("scopes")
        batch.drop_column("categories")
        batch.create_check_constraint("ck_grants_status", _one_of("status", STATUSES))
        batch.create_check_constraint("ck_grants_consent", _one_of("consent", CONSENTS))


def downgrade() -> None:
    with op.batch_alter_table("grants") as batch:
        batch.drop_constraint("ck_grants_consent", type_="check")
        batch.drop_constraint("ck_grants_status", type_="check")
        batch.add_column(sa.Column("scopes", sa.String(100), nullable=False, server_default=""))
        batch.add_column(sa.Column("categories", sa.String(300), nullable=True))
    connection = op.get_bind()
    scopes: dict[str, list[str]] = {}
    for grant_id, scope in connection.execute(sa.text("SELECT grant_id, scope FROM grant_scopes")):
        scopes.setdefault(grant_id, []).append(scope)
    categories: dict[str, list[str]] = {}
    for grant_id, category in connection.execute(
        sa.text("SELECT grant_id, category FROM grant_categories")
    ):
        categories.setdefault(grant_id, []).append(category)
    for grant_id in scopes.keys() | categories.keys():
        connection.execute(
            sa.text("UPDATE grants SET scopes = :scopes, categories = :categories WHERE id = :id"),
            {
                "id": grant_id,
                "scopes": ",".join(s for s in SCOPES if s in scopes.get(grant_id, [])),
                "categories": ",".join(c for c in CATEGORIES if c in categories.get(grant_id, []))
                or None,
            },
        )
    op.drop_table("grant_categories")
    op.drop_table("grant_scopes")
    with op.batch_alter_table("memberships") as batch:
        batch.drop_constraint("ck_memberships_role", type_="check")
    with op.batch_alter_table("people") as batch:
        batch.drop_constraint("ck_people_role", type_="check")
