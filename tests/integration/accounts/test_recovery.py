"""Getting back in without email or phone: recovery codes and counsellor reset codes."""

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.app_fixtures import PASSWORD, REAUTH, sign_up
from vault.accounts.accounts import create_person
from vault.accounts.recovery import create_reset_code, issue_reset_code
from vault.consent.grants import GrantTerms, create_grant
from vault.db import transaction
from vault.errors import NotFoundError
from vault.models import Person, utcnow
from vault.runtime import Runtime

pytestmark = pytest.mark.master_keys

NEW = "une phrase toute neuve"


def recover(client: TestClient, login: str, code: str, password: str = NEW) -> int:
    answer = client.post(
        "/api/v1/recovery", json={"login": login, "code": code, "new_password": password}
    )
    return answer.status_code


def actions(client: TestClient, login: str, password: str) -> list[str]:
    token = client.post("/api/v1/session", json={"login": login, "password": password}).json()[
        "token"
    ]
    journal = client.get("/api/v1/journal", headers={"Authorization": f"Bearer {token}"}).json()
    return [entry["action"] for entry in journal]


def test_a_recovery_code_works_once_and_only_once(client: TestClient) -> None:
    created = client.post(
        "/api/v1/beneficiaries",
        json={"login": "amina.diallo", "display_name": "Amina", "password": PASSWORD},
    )
    codes = created.json()["recovery_codes"]
    assert len(codes) == len(set(codes)) == 10
    other_session = client.post(
        "/api/v1/session", json={"login": "amina.diallo", "password": PASSWORD}
    ).json()["token"]
    assert recover(client, "amina.diallo", codes[0]) == 204
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {other_session}"}).status_code
        == 401
    )
    assert recover(client, "amina.diallo", codes[0], "encore une autre phrase") == 401
    assert (
        client.post("/api/v1/session", json={"login": "amina.diallo", "password": NEW}).status_code
        == 201
    )
    assert (
        recover(client, "amina.diallo", codes[1].replace("-", " ").lower(), "troisieme phrase ok")
        == 204
    )


def test_a_refused_new_password_does_not_spend_the_code(client: TestClient) -> None:
    codes = client.post(
        "/api/v1/beneficiaries",
        json={"login": "amina.diallo", "display_name": "Amina", "password": PASSWORD},
    ).json()["recovery_codes"]
    assert recover(client, "amina.diallo", codes[0], "court") == 422
    assert recover(client, "amina.diallo", codes[0]) == 204


def test_new_codes_replace_the_old_ones(client: TestClient) -> None:
    amina = sign_up(client, "amina.diallo")
    again = {"current_password": PASSWORD}
    url = "/api/v1/me/recovery-codes"
    first = client.post(url, headers=amina["headers"], json=again).json()["codes"]
    second = client.post(url, headers=amina["headers"], json=again).json()["codes"]
    assert recover(client, "amina.diallo", first[0]) == 401
    assert recover(client, "amina.diallo", second[0]) == 204


def test_a_code_of_someone_else_does_not_work(client: TestClient) -> None:
    sign_up(client, "amina.diallo")
    bruno_codes = client.post(
        "/api/v1/beneficiaries",
        json={"login": "bruno.martin", "display_name": "Bruno", "password": PASSWORD},
    ).json()["recovery_codes"]
    assert recover(client, "amina.diallo", bruno_codes[0]) == 401
    assert recover(client, "personne.inconnue", bruno_codes[0]) == 401


def test_counsellor_reset_code(client: TestClient, rt: Runtime) -> None:
    sign_up(client, "amina.diallo")
    with transaction(rt.sessions) as db:
        helper = create_person(
            db,
            rt.master_keys,
            login="c.martin",
            display_name="C",
            password=PASSWORD,
            role="counsellor",
        )
        amina = db.scalars(select(Person).where(Person.login == "amina.diallo")).one()
        create_grant(db, rt, amina, GrantTerms(["recover"]), counsellor_id=helper.id)
        code, expires_at = create_reset_code(db, rt, amina, helper)
        stale, _ = create_reset_code(db, rt, amina, helper, now=utcnow() - timedelta(minutes=16))
    assert expires_at - utcnow() <= timedelta(minutes=15)
    assert recover(client, "amina.diallo", stale) == 401
    assert recover(client, "amina.diallo", code) == 204
    assert recover(client, "amina.diallo", code, "encore une autre phrase") == 401


def test_no_one_may_issue_a_reset_code_without_a_grant(client: TestClient, rt: Runtime) -> None:
    sign_up(client, "amina.diallo")
    with transaction(rt.sessions) as db:
        helper = create_person(
            db,
            rt.master_keys,
            login="c.martin",
            display_name="C",
            password=PASSWORD,
            role="counsellor",
        )
        amina = db.scalars(select(Person).where(Person.login == "amina.diallo")).one()
        with pytest.raises(NotFoundError):
            issue_reset_code(db, rt, helper, amina.id)
    token = client.post("/api/v1/session", json={"login": "c.martin", "password": PASSWORD}).json()[
        "token"
    ]
    answer = client.post(
        f"/api/v1/beneficiaries/{amina.id}/reset-code",
        headers={"Authorization": f"Bearer {token}"},
        json=REAUTH,
    )
    assert answer.status_code == 404


def test_every_recovery_step_is_journaled(client: TestClient, rt: Runtime) -> None:
    codes = client.post(
        "/api/v1/beneficiaries",
        json={"login": "amina.diallo", "display_name": "Amina", "password": PASSWORD},
    ).json()["recovery_codes"]
    assert recover(client, "amina.diallo", "AAAA-BBBB-CCCC") == 401
    assert recover(client, "amina.diallo", codes[0]) == 204
    with transaction(rt.sessions) as db:
        helper = create_person(
            db,
            rt.master_keys,
            login="c.martin",
            display_name="C",
            password=PASSWORD,
            role="counsellor",
        )
        amina = db.scalars(select(Person).where(Person.login == "amina.diallo")).one()
        # A reset code works only while its counsellor holds the person's "recover" scope.
        create_grant(db, rt, amina, GrantTerms(["recover"]), counsellor_id=helper.id)
        code, _ = create_reset_code(db, rt, amina, helper)
    assert recover(client, "amina.diallo", code, "phrase numero trois") == 204
    history = actions(client, "amina.diallo", "phrase numero trois")
    assert history[:1] == ["sign_in"]
    for step in (
        "recovery_codes_created",
        "recovery_failed",
        "recovery_code_used",
        "password_changed",
        "reset_code_issued",
        "reset_code_used",
    ):
        assert step in history, step
    assert history.count("password_changed") == 2
