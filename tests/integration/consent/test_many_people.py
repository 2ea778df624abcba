"""« Les personnes » for a counsellor who follows hundreds of people, or thousands through an
organisation-wide grant: the page and the API read the same few rows whatever the number of
people."""

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert

from tests.integration.consent.test_history_paging import counsellor
from tests.integration.vault.test_round_trips import statements
from tests.integration.webui.test_pages import page_sign_in
from vault.accounts import sessions
from vault.db import transaction
from vault.models import Grant, GrantScope, Person, Vault, new_id, utcnow
from vault.runtime import Runtime
from vault.vocabulary import Consent, GrantStatus, Role, Scope

MANY = 1500


@pytest.fixture(autouse=True)
def seen_just_now(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every request comes moments after the one before, however slow the test machine."""
    monkeypatch.setattr(sessions, "SEEN_EVERY", timedelta(hours=1))


def granted_by(rt: Runtime, counsellor_id: str, names: list[str]) -> None:
    """People who each gave the counsellor every scope, written as rows in a few statements:
    listing them reads no key, so none is made (making 1,500 accounts one by one would take
    minutes)."""
    people: list[dict[str, object]] = []
    vaults: list[dict[str, object]] = []
    grants: list[dict[str, object]] = []
    scopes: list[dict[str, object]] = []
    now = utcnow()
    for number, name in enumerate(names):
        person_id, vault_id, grant_id = new_id(), new_id(), new_id()
        people.append(
            {
                "id": person_id,
                "login": f"{person_id[:8]}.{number}",
                "display_name": name,
                "role": Role.BENEFICIARY,
                "password_hash": "!",
            }
        )
        vaults.append({"id": vault_id, "owner_id": person_id})
        grants.append(
            {
                "id": grant_id,
                "vault_id": vault_id,
                "counsellor_id": counsellor_id,
                "status": GrantStatus.ACTIVE,
                "consent": Consent.IN_PERSON,
                "expires_at": now + timedelta(days=300),
                "last_used_at": now,
            }
        )
        scopes.extend({"grant_id": grant_id, "scope": scope} for scope in Scope)
    with transaction(rt.sessions) as db:
        db.execute(insert(Person), people)
        db.execute(insert(Vault), vaults)
        db.execute(insert(Grant), grants)
        db.execute(insert(GrantScope), scopes)


def numbered(count: int, start: int = 0) -> list[str]:
    return [f"Personne {n:04d}" for n in range(start, start + count)]


def statements_of(client: TestClient, rt: Runtime, url: str, **kwargs: Any) -> int:
    with statements(rt) as seen:
        answer = client.get(url, **kwargs)
    assert answer.status_code == 200, answer.text
    return len(seen)


def test_the_people_page_and_the_api_read_as_many_rows_for_3_people_as_for_1500(
    client: TestClient, rt: Runtime
) -> None:
    claire = counsellor(client, rt)
    granted_by(rt, claire["id"], numbered(3))
    page_sign_in(client, "claire.martin")
    client.get("/personnes")  # the banners and the session, seen once
    few_page = statements_of(client, rt, "/personnes")
    few_api = statements_of(client, rt, "/api/v1/beneficiaries", headers=claire["headers"])

    granted_by(rt, claire["id"], numbered(MANY - 3, start=3))
    many_page = statements_of(client, rt, "/personnes")
    many_api = statements_of(client, rt, "/api/v1/beneficiaries", headers=claire["headers"])

    assert (many_page, many_api) == (few_page, few_api)
    # The session and the caller; the grants, their scopes, their categories; the people;
    # the page only: the grants, scopes and categories that judge what each grant shows, the
    # papers that need attention, the waiting banners.
    assert many_api <= 6
    assert many_page <= 11
