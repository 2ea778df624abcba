"""A counsellor of two organisations is named, in the person's history, with the organisation
whose access they used: the one the person gave the access to; for an access given to the
counsellor personally, or an attempt without any, the organisation they joined first. The
database returns someone's organisations in no set order (SQLite: by their id), so each test
runs with either organisation joined first, its id placed where that order would be wrong."""

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.integration.consent.test_history_paging import counsellor, grant, journal
from tests.integration.vault.test_documents_api import upload
from tests.samples import pdf
from vault.db import transaction
from vault.models import Membership, Organisation
from vault.runtime import Runtime

CCAS = "CCAS d'Orléans"
SECOURS = "Secours populaire"
# First or last of any organisation's id, so that an order by id is never the joining order.
SORTS_FIRST = "00000000-0000-4000-8000-000000000000"
SORTS_LAST = "ffffffff-ffff-4fff-bfff-ffffffffffff"


def member_of_two(client: TestClient, rt: Runtime, secours_joined_first: bool) -> dict[str, Any]:
    """Claire, counsellor of the CCAS d'Orléans, who also joined the Secours populaire (before
    or after); the Secours populaire's id sorts where the one joined first does not."""
    claire = counsellor(client, rt)
    with transaction(rt.sessions) as db:
        ccas = db.scalars(select(Membership).where(Membership.person_id == claire["id"])).one()
        secours = Organisation(id=SORTS_LAST if secours_joined_first else SORTS_FIRST, name=SECOURS)
        db.add(secours)
        db.flush()
        joined = timedelta(days=-1 if secours_joined_first else 1)
        db.add(
            Membership(
                person_id=claire["id"],
                organisation_id=secours.id,
                role=ccas.role,
                created_at=ccas.created_at + joined,
            )
        )
    claire["secours_id"] = secours.id
    return claire


def organisation_grant(client: TestClient, owner: dict[str, Any], organisation_id: str) -> None:
    answer = client.post(
        "/api/v1/grants",
        headers=owner["headers"],
        json={"organisation_id": organisation_id, "scopes": ["view"]},
    )
    assert answer.status_code == 201, answer.text


def named(client: TestClient, owner: dict[str, Any], action: str) -> list[str | None]:
    """The organisation each of the owner's journal lines of that kind names, newest first."""
    return [e["organisation_name"] for e in journal(client, owner) if e["action"] == action]


BOTH_ORDERS = pytest.mark.parametrize(
    "secours_joined_first", [False, True], ids=["secours-joined-last", "secours-joined-first"]
)


@BOTH_ORDERS
def test_a_paper_opened_through_an_organisations_access_names_that_organisation(
    client: TestClient, rt: Runtime, amina: dict[str, Any], secours_joined_first: bool
) -> None:
    claire = member_of_two(client, rt, secours_joined_first)
    document_id = upload(client, amina, pdf("carte")).json()["id"]
    organisation_grant(client, amina, claire["secours_id"])
    listed = client.get(f"/api/v1/vaults/{amina['vault_id']}/documents", headers=claire["headers"])
    assert listed.status_code == 200, listed.text
    opened = client.get(f"/api/v1/documents/{document_id}", headers=claire["headers"])
    assert opened.status_code == 200, opened.text
    assert named(client, amina, "documents_listed") == [SECOURS]
    assert named(client, amina, "document_viewed") == [SECOURS]


@BOTH_ORDERS
def test_a_private_paper_refused_through_an_organisations_access_names_that_organisation(
    client: TestClient, rt: Runtime, amina: dict[str, Any], secours_joined_first: bool
) -> None:
    claire = member_of_two(client, rt, secours_joined_first)
    document_id = upload(client, amina, pdf("carte")).json()["id"]
    hidden = client.patch(
        f"/api/v1/documents/{document_id}", headers=amina["headers"], json={"private": True}
    )
    assert hidden.status_code == 200, hidden.text
    organisation_grant(client, amina, claire["secours_id"])
    tried = client.get(f"/api/v1/documents/{document_id}", headers=claire["headers"])
    assert tried.status_code == 404
    assert named(client, amina, "access_refused") == [SECOURS]


@BOTH_ORDERS
def test_a_personal_access_names_the_organisation_joined_first(
    client: TestClient, rt: Runtime, amina: dict[str, Any], secours_joined_first: bool
) -> None:
    claire = member_of_two(client, rt, secours_joined_first)
    document_id = upload(client, amina, pdf("carte")).json()["id"]
    grant(client, amina, claire)
    for _ in range(2):
        opened = client.get(f"/api/v1/documents/{document_id}", headers=claire["headers"])
        assert opened.status_code == 200, opened.text
    first = SECOURS if secours_joined_first else CCAS
    assert named(client, amina, "document_viewed") == [first, first]


@BOTH_ORDERS
def test_an_attempt_without_access_names_the_organisation_joined_first(
    client: TestClient, rt: Runtime, amina: dict[str, Any], secours_joined_first: bool
) -> None:
    claire = member_of_two(client, rt, secours_joined_first)
    document_id = upload(client, amina, pdf("carte")).json()["id"]
    tried = client.get(f"/api/v1/documents/{document_id}", headers=claire["headers"])
    assert tried.status_code == 404
    listed = client.get(f"/api/v1/vaults/{amina['vault_id']}/documents", headers=claire["headers"])
    assert listed.status_code == 404
    first = SECOURS if secours_joined_first else CCAS
    assert named(client, amina, "access_refused") == [first]
