"""A person changes their own name (mistyped when the account was made, or spelled as on their
papers), on « Mon compte » or through the API; journaled for them. A professional's name is the
one their organisation gave: refused."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.app_fixtures import admin_headers, organisation, professional, sign_up
from tests.integration.webui.test_pages import SAME_ORIGIN, as_read, csrf_of, signed_up


def journal_actions(client: TestClient, headers: dict[str, str]) -> list[str]:
    return [line["action"] for line in client.get("/api/v1/journal", headers=headers).json()]


def test_the_person_changes_their_name_through_the_api(client: TestClient) -> None:
    amina = sign_up(client, "amina.diallo")
    changed = client.patch(
        "/api/v1/me", headers=amina["headers"], json={"display_name": "  Aminata\u200b Diallo "}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["display_name"] == "Aminata Diallo"
    assert client.get("/api/v1/me", headers=amina["headers"]).json()["display_name"] == (
        "Aminata Diallo"
    )
    assert journal_actions(client, amina["headers"]).count("name_changed") == 1
    same = client.patch(
        "/api/v1/me", headers=amina["headers"], json={"display_name": "Aminata Diallo"}
    )
    assert same.status_code == 200
    assert journal_actions(client, amina["headers"]).count("name_changed") == 1


@pytest.mark.parametrize("name", ["", "   ", "\u200b", "x" * 201])
def test_an_empty_or_too_long_name_is_refused(client: TestClient, name: str) -> None:
    amina = sign_up(client, "amina.diallo")
    before = client.get("/api/v1/me", headers=amina["headers"]).json()["display_name"]
    refused = client.patch("/api/v1/me", headers=amina["headers"], json={"display_name": name})
    assert refused.status_code == 422
    assert refused.json()["field"] == "display_name"
    assert client.get("/api/v1/me", headers=amina["headers"]).json()["display_name"] == before
    assert "name_changed" not in journal_actions(client, amina["headers"])


def test_a_professional_keeps_the_name_their_organisation_gave(client: TestClient, rt: Any) -> None:
    admin = admin_headers(client, rt)
    claire = professional(client, admin, organisation(client, admin), "claire.martin")
    refused = client.patch(
        "/api/v1/me", headers=claire["headers"], json={"display_name": "Préfecture du Loiret"}
    )
    assert refused.status_code == 403
    assert client.get("/api/v1/me", headers=claire["headers"]).json()["display_name"] == (
        "Claire Martin"
    )


def test_the_person_changes_their_name_on_their_account_page(client: TestClient) -> None:
    signed_up(client)
    account = client.get("/compte").text
    assert 'action="/compte/nom"' in account
    assert 'value="Fatou Sow"' in account
    changed = client.post(
        "/compte/nom",
        data={"csrf": csrf_of(account), "display_name": "Fatoumata Sow"},
        headers=SAME_ORIGIN,
        follow_redirects=True,
    )
    assert changed.status_code == 200
    assert "Votre nom est changé." in changed.text
    assert 'value="Fatoumata Sow"' in changed.text
    assert "Vous avez changé votre nom." in as_read(client.get("/historique").text)
    refused = client.post(
        "/compte/nom",
        data={"csrf": csrf_of(changed.text), "display_name": " "},
        headers=SAME_ORIGIN,
    )
    assert refused.status_code == 422
    assert "Écrivez votre nom." in refused.text
    too_long = client.post(
        "/compte/nom",
        data={"csrf": csrf_of(changed.text), "display_name": "Fatoumata " * 30},
        headers=SAME_ORIGIN,
    )
    assert too_long.status_code == 422
    assert "Le nom doit faire moins de 200 caractères." in too_long.text
    assert 'value="Fatoumata Sow"' in client.get("/compte").text


def test_without_its_token_the_name_stays(client: TestClient) -> None:
    signed_up(client)
    refused = client.post("/compte/nom", data={"display_name": "Volé"}, headers=SAME_ORIGIN)
    assert refused.status_code == 403
    assert 'value="Fatou Sow"' in client.get("/compte").text


def test_a_refused_contact_change_leaves_the_name_as_it_was(client: TestClient) -> None:
    """The wrong password's failure is kept (counted, journaled); nothing else of the request."""
    amina = sign_up(client, "amina.diallo")
    refused = client.patch(
        "/api/v1/me",
        headers=amina["headers"],
        json={
            "display_name": "Aminata Diallo",
            "email": "aminata@example.org",
            "current_password": "not her password",
        },
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["field"] == "current_password"
    me = client.get("/api/v1/me", headers=amina["headers"]).json()
    assert me["display_name"] == "Amina Diallo"
    actions = journal_actions(client, amina["headers"])
    assert "reauthentication_failed" in actions
    assert "name_changed" not in actions
