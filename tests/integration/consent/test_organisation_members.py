"""Who adds a professional to an organisation. Its own admins always; a platform admin only
while no one has given the organisation access: a member added later reads through the grants
of people who trusted that organisation's own staff."""

from fastapi.testclient import TestClient

from tests.app_fixtures import (
    PASSWORD,
    PROVISIONAL_PASSWORD,
    REAUTH,
    admin_headers,
    choose_own_password,
    organisation,
    professional,
    sign_up,
)
from tests.integration.consent.test_grants import grant
from tests.integration.vault.test_documents_api import upload
from tests.samples import pdf
from vault.runtime import Runtime


def new_member(client: TestClient, headers: dict[str, str], org_id: str, login: str) -> int:
    answer = client.post(
        f"/api/v1/organisations/{org_id}/counsellors",
        headers=headers,
        json={
            "login": login,
            "display_name": "Agent",
            "password": PROVISIONAL_PASSWORD,
            **REAUTH,
        },
    )
    return answer.status_code


def test_a_platform_admin_adds_no_member_to_an_organisation_people_gave_access_to(
    client: TestClient, rt: Runtime
) -> None:
    admin = admin_headers(client, rt)
    ccas = organisation(client, admin)
    manager = professional(client, admin, ccas, "nadia.responsable", role="org_admin")
    amina = sign_up(client, "amina.diallo")
    content = f"/api/v1/documents/{upload(client, amina, pdf('carte')).json()['id']}/content"
    grant_id = grant(client, amina, organisation_id=ccas, scopes=["view"])

    refused = client.post(
        f"/api/v1/organisations/{ccas}/counsellors",
        headers=admin,
        json={"login": "x.admin", "display_name": "Agent", "password": PASSWORD, **REAUTH},
    )
    assert refused.status_code == 409, refused.text
    assert "responsable" in refused.json()["detail"]
    signed_in = client.post("/api/v1/session", json={"login": "x.admin", "password": PASSWORD})
    assert signed_in.status_code == 401
    assert client.get(content, headers=admin).status_code == 404

    # The organisation's own admin still adds its staff, who then read through the grant.
    assert new_member(client, manager["headers"], ccas, "claire.martin") == 201
    claire_headers = choose_own_password(client, "claire.martin")
    assert client.get(content, headers=claire_headers).status_code == 200

    # Once no one's access is in force any more, the platform admin may add members again.
    assert client.delete(f"/api/v1/grants/{grant_id}", headers=amina["headers"]).status_code == 204
    assert new_member(client, admin, ccas, "paul.agent") == 201


def test_a_platform_admin_still_staffs_a_new_organisation(client: TestClient, rt: Runtime) -> None:
    admin = admin_headers(client, rt)
    ccas = organisation(client, admin)
    other = organisation(client, admin, "Secours populaire")
    amina = sign_up(client, "amina.diallo")
    grant(client, amina, organisation_id=other, scopes=["view"])
    assert new_member(client, admin, ccas, "claire.martin") == 201
    assert new_member(client, admin, other, "paul.agent") == 409


def test_an_admin_gives_no_new_account_their_own_password(client: TestClient, rt: Runtime) -> None:
    """A browser may fill the admin's saved password into the new account's password: the new
    professional would then know the admin's. Refused, and no account is made."""
    admin = admin_headers(client, rt)
    ccas = organisation(client, admin)
    refused = client.post(
        f"/api/v1/organisations/{ccas}/counsellors",
        headers=admin,
        json={"login": "claire.martin", "display_name": "Claire", "password": PASSWORD, **REAUTH},
    )
    assert refused.status_code == 422, refused.text
    assert refused.json() == {
        "detail": "Choisissez un autre mot de passe que le vôtre.",
        "field": "password",
    }
    assert new_member(client, admin, ccas, "claire.martin") == 201
