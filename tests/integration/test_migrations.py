"""Every migration, up and down, on SQLite and PostgreSQL, with rows in the tables: nothing is
lost, and the comma-joined scopes and categories of grants become rows and come back."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from vault.db import downgrade, make_engine, migrate, migrations_config
from vault.models import Base

PERSON = "11111111-1111-1111-1111-111111111111"
HELPER = "22222222-2222-2222-2222-222222222222"
VAULT = "33333333-3333-3333-3333-333333333333"
ORGANISATION = "44444444-4444-4444-4444-444444444444"
GRANT = "55555555-5555-5555-5555-555555555555"
NOW = "2026-11-30 10:00:00+00:00"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'coffre.db'}"
    else:
        url = request.getfixturevalue("pg_database")
    built = make_engine(url)
    yield built
    built.dispose()


def fill_version_2(engine: Engine) -> None:
    """People, a vault, an organisation and a grant as version 0002 stored them."""
    with engine.begin() as db:
        for person_id, login, role in (
            (PERSON, "amina", "beneficiary"),
            (HELPER, "claire", "counsellor"),
        ):
            db.execute(
                text(
                    "INSERT INTO people (id, login, display_name, role, password_hash,"
                    " preferred_language, created_at) VALUES (:id, :login, :login, :role, 'x',"
                    " 'fr', :now)"
                ),
                {"id": person_id, "login": login, "role": role, "now": NOW},
            )
        db.execute(
            text("INSERT INTO vaults (id, owner_id, created_at) VALUES (:id, :owner, :now)"),
            {"id": VAULT, "owner": PERSON, "now": NOW},
        )
        db.execute(
            text("INSERT INTO organisations (id, name, created_at) VALUES (:id, 'CCAS', :now)"),
            {"id": ORGANISATION, "now": NOW},
        )
        db.execute(
            text(
                "INSERT INTO memberships (id, person_id, organisation_id, role, created_at)"
                " VALUES ('m1', :person, :organisation, 'counsellor', :now)"
            ),
            {"person": HELPER, "organisation": ORGANISATION, "now": NOW},
        )
        db.execute(
            text(
                "INSERT INTO grants (id, vault_id, counsellor_id, scopes, categories, status,"
                " consent, expires_at, created_at, last_used_at) VALUES (:id, :vault, :helper,"
                " 'view,manage', 'identity,bank', 'active', 'online', :now, :now, :now)"
            ),
            {"id": GRANT, "vault": VAULT, "helper": HELPER, "now": NOW},
        )


def rows(engine: Engine, query: str) -> list[tuple[object, ...]]:
    with engine.connect() as db:
        return [tuple(r) for r in db.execute(text(query))]


def test_every_migration_goes_up_and_down_with_data(engine: Engine) -> None:
    migrate(engine, "0002")
    fill_version_2(engine)
    migrate(engine)
    assert rows(engine, "SELECT scope FROM grant_scopes ORDER BY scope") == [
        ("manage",),
        ("view",),
    ]
    assert rows(engine, "SELECT category FROM grant_categories ORDER BY category") == [
        ("bank",),
        ("identity",),
    ]
    assert rows(engine, "SELECT login FROM people ORDER BY login") == [("amina",), ("claire",)]
    downgrade(engine, "0002")
    assert rows(engine, "SELECT scopes, categories FROM grants") == [
        ("view,manage", "identity,bank")
    ]
    assert "grant_scopes" not in inspect(engine).get_table_names()
    migrate(engine)
    assert len(rows(engine, "SELECT scope FROM grant_scopes")) == 2


def test_codes_of_an_account_created_in_person_are_marked_seen(engine: Engine) -> None:
    """0008: the codes still in force since a professional created the account with the person
    are marked seen by them; codes the person made again afterwards are hers."""
    migrate(engine, "0002")
    fill_version_2(engine)
    migrate(engine, "0007")
    other = "66666666-6666-6666-6666-666666666666"
    with engine.begin() as db:
        db.execute(
            text(
                "INSERT INTO people (id, login, display_name, role, password_hash,"
                " preferred_language, created_at) VALUES (:id, 'bruno', 'bruno', 'beneficiary',"
                " 'x', 'fr', :now)"
            ),
            {"id": other, "now": NOW},
        )
        lines = [
            (PERSON, HELPER, "account_created_in_person"),
            (PERSON, PERSON, "recovery_codes_created"),
            (other, HELPER, "account_created_in_person"),
            (other, other, "recovery_codes_created"),
            (other, other, "recovery_codes_created"),
        ]
        for seq, (subject, actor, action) in enumerate(lines, start=1):
            db.execute(
                text(
                    "INSERT INTO journal (id, seq, subject_id, actor_id, action, source,"
                    " occurred_at, prev_hash, hash) VALUES (:id, :seq, :subject, :actor,"
                    " :action, '', :now, 'x', 'x')"
                ),
                {
                    "id": f"j{seq}",
                    "seq": seq,
                    "subject": subject,
                    "actor": actor,
                    "action": action,
                    "now": NOW,
                },
            )
        for person in (PERSON, other):
            db.execute(
                text(
                    "INSERT INTO recovery_codes (id, person_id, code_hash, created_at)"
                    " VALUES (:id, :person, :id, :now)"
                ),
                {"id": f"code-{person[:8]}", "person": person, "now": NOW},
            )
    migrate(engine)
    assert rows(engine, "SELECT person_id, seen_by FROM recovery_codes ORDER BY person_id") == [
        (PERSON, HELPER),
        (other, None),
    ]


def test_accounts_still_on_their_admins_password_are_marked(engine: Engine) -> None:
    """0009: a professional's account an admin made, whose owner has set no password since,
    must choose its own; one who has, and anyone who signed up, need not."""
    migrate(engine, "0002")
    fill_version_2(engine)
    migrate(engine, "0008")
    paul = "77777777-7777-7777-7777-777777777777"
    admin = "88888888-8888-8888-8888-888888888888"
    with engine.begin() as db:
        for person_id, login in ((paul, "paul"), (admin, "nadia")):
            db.execute(
                text(
                    "INSERT INTO people (id, login, display_name, role, password_hash,"
                    " preferred_language, created_at) VALUES (:id, :login, :login, 'counsellor',"
                    " 'x', 'fr', :now)"
                ),
                {"id": person_id, "login": login, "now": NOW},
            )
        lines = [
            (admin, HELPER, "counsellor_created"),
            (admin, paul, "counsellor_created"),
            (HELPER, None, "password_changed"),
        ]
        for seq, (subject, target, action) in enumerate(lines, start=1):
            db.execute(
                text(
                    "INSERT INTO journal (id, seq, subject_id, actor_id, action, target_id,"
                    " source, occurred_at, prev_hash, hash) VALUES (:id, :seq, :subject,"
                    " :subject, :action, :target, '', :now, 'x', 'x')"
                ),
                {
                    "id": f"j{seq}",
                    "seq": seq,
                    "subject": subject,
                    "target": target,
                    "action": action,
                    "now": NOW,
                },
            )
    migrate(engine)
    assert rows(engine, "SELECT login FROM people WHERE password_provisional ORDER BY login") == [
        ("paul",)
    ]


def test_grants_are_given_when_made_or_when_their_request_was_accepted(engine: Engine) -> None:
    """0010: a grant made at once was given when made; a request the person accepted, when the
    journal says they did; a request waiting, refused, or ended unanswered (an account closed)
    was never given."""
    migrate(engine, "0002")
    fill_version_2(engine)
    migrate(engine, "0009")
    later = "2026-12-02 09:30:00+00:00"
    with engine.begin() as db:
        for grant_id, status in (
            ("accepted", "revoked"),
            ("waiting", "pending"),
            ("no", "refused"),
            ("ended_unanswered", "revoked"),
        ):
            db.execute(
                text(
                    "INSERT INTO grants (id, vault_id, counsellor_id, status, consent,"
                    " requested_by, expires_at, created_at, last_used_at) VALUES (:id, :vault,"
                    " :helper, :status, 'online', :helper, :now, :now, :now)"
                ),
                {"id": grant_id, "vault": VAULT, "helper": HELPER, "status": status, "now": NOW},
            )
        db.execute(
            text(
                "INSERT INTO journal (id, seq, subject_id, actor_id, action, grant_id, source,"
                " occurred_at, prev_hash, hash) VALUES ('j1', 1, :person, :person,"
                " 'grant_accepted', 'accepted', '', :later, 'x', 'x')"
            ),
            {"person": PERSON, "later": later},
        )
    migrate(engine)
    assert rows(engine, "SELECT id FROM grants WHERE given_at = created_at") == [(GRANT,)]
    assert rows(engine, "SELECT id FROM grants WHERE given_at > created_at") == [("accepted",)]
    assert rows(engine, "SELECT id FROM grants WHERE given_at IS NULL ORDER BY id") == [
        ("ended_unanswered",),
        ("no",),
        ("waiting",),
    ]


def test_each_migration_goes_down_and_up_again(engine: Engine) -> None:
    """Every downgrade runs (the test above crosses only some of them), down to nothing."""
    script = ScriptDirectory.from_config(migrations_config())
    previous = "base"
    for step in reversed(list(script.walk_revisions())):
        migrate(engine, step.revision)
        downgrade(engine, previous)
        migrate(engine, step.revision)
        previous = step.revision
    downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}


def test_the_migrations_build_the_schema_the_models_describe(engine: Engine) -> None:
    migrate(engine)
    with engine.connect() as db:
        assert compare_metadata(MigrationContext.configure(db), Base.metadata) == []


def test_the_database_refuses_a_word_the_code_does_not_know(engine: Engine) -> None:
    migrate(engine)
    unknown_role = text(
        "INSERT INTO people (id, login, display_name, role, password_hash, preferred_language,"
        " created_at, reset_notice_pending) VALUES ('p', 'x', 'x', 'superuser', 'x', 'fr', :now,"
        " false)"
    )
    with pytest.raises(IntegrityError, match=r"(?i)check"), engine.begin() as db:
        db.execute(unknown_role, {"now": NOW})


def test_sqlite_keeps_foreign_keys_on_after_migrating(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'coffre.db'}")
    migrate(engine)
    with engine.connect() as db:
        assert db.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()
