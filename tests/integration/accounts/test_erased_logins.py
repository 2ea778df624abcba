"""A closed account takes a login no one can sign up with: whoever knows a person's id (a
professional reads their own in GET /api/v1/me, a person her helpers' in her history) cannot
take it first and so make the account impossible to close."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.app_fixtures import PASSWORD, sign_up
from tests.integration.consent.test_grants import grant
from tests.integration.consent.test_member_closed import close, team
from vault.accounts.erasure import erase_account
from vault.runtime import Runtime


def self_sign_up(client: TestClient, login: str) -> Any:
    return client.post(
        "/api/v1/beneficiaries",
        json={"login": login, "display_name": "Quelqu'un", "password": PASSWORD},
    )


def test_a_counsellor_cannot_keep_their_account_from_being_closed(
    client: TestClient, rt: Runtime
) -> None:
    t = team(client, rt)
    claire = t["claire"]
    grant(client, t["amina"], counsellor_id=claire["id"], scopes=["view"])
    own_id = client.get("/api/v1/me", headers=claire["headers"]).json()["id"]
    # Claire, about to leave, signs up under the login the closings of old took.
    self_sign_up(client, f"erased-{own_id}")
    assert close(client, t["nadia"]["headers"], t["ccas"], claire["id"]).status_code == 204
    assert client.get(t["content"], headers=claire["headers"]).status_code == 401


@pytest.mark.parametrize("settings", ["embedded"], indirect=True)
def test_no_login_of_a_sign_up_stops_an_erasure(client: TestClient, rt: Runtime) -> None:
    amina = sign_up(client, "amina.diallo")
    amina_id = client.get("/api/v1/me", headers=amina["headers"]).json()["id"]
    for login in (f"erased-{amina_id}", f"erased:{amina_id}"):
        self_sign_up(client, login)
    erase_account(rt, "amina.diallo")
    assert client.get("/api/v1/me", headers=amina["headers"]).status_code == 401
