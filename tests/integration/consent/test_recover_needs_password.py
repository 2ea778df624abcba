"""Giving "recover", or accepting a request for it, asks for the password again: whoever may
reset the password could end up holding the account, so a tab left open must not hand it over."""

from typing import Any

from fastapi.testclient import TestClient

from tests.app_fixtures import PASSWORD
from tests.integration.consent.test_grants import setup
from tests.integration.webui.test_pages import SAME_ORIGIN, csrf_of, page_signed_in
from vault.runtime import Runtime


def give(client: TestClient, owner: dict[str, Any], helper_id: str, **extra: Any) -> Any:
    return client.post(
        "/api/v1/grants",
        headers=owner["headers"],
        json={"counsellor_id": helper_id, "scopes": ["view", "recover"], **extra},
    )


def test_giving_recover_needs_the_current_password(client: TestClient, rt: Runtime) -> None:
    amina, claire, _org = setup(client, rt)
    missing = give(client, amina, claire["id"])
    assert (missing.status_code, missing.json()["field"]) == (422, "current_password")
    wrong = give(client, amina, claire["id"], current_password="pas le bon mot de passe")
    assert (wrong.status_code, wrong.json()["field"]) == (422, "current_password")
    assert client.get("/api/v1/grants", headers=amina["headers"]).json() == []
    assert give(client, amina, claire["id"], current_password=PASSWORD).status_code == 201
    view_only = client.post(
        "/api/v1/grants",
        headers=amina["headers"],
        json={"counsellor_id": claire["id"], "scopes": ["view"]},
    )
    assert view_only.status_code == 201
    actions = [e["action"] for e in client.get("/api/v1/journal", headers=amina["headers"]).json()]
    assert "reauthentication_failed" in actions


def ask_for_recover(client: TestClient, claire: dict[str, Any]) -> None:
    asked = client.post(
        "/api/v1/access-requests",
        headers=claire["headers"],
        json={"login": "amina.diallo", "scopes": ["recover"]},
    )
    assert asked.status_code == 202


def pending_id(client: TestClient, owner: dict[str, Any]) -> str:
    grants = client.get("/api/v1/grants", headers=owner["headers"]).json()
    [pending] = [g for g in grants if g["status"] == "pending"]
    grant_id: str = pending["id"]
    return grant_id


def test_accepting_a_request_for_recover_needs_the_password(
    client: TestClient, rt: Runtime
) -> None:
    amina, claire, _org = setup(client, rt)
    ask_for_recover(client, claire)
    url = f"/api/v1/grants/{pending_id(client, amina)}/accept"
    assert client.post(url, headers=amina["headers"]).status_code == 422
    wrong = client.post(url, headers=amina["headers"], json={"current_password": "non non non"})
    assert wrong.status_code == 422
    accepted = client.post(url, headers=amina["headers"], json={"current_password": PASSWORD})
    assert accepted.json()["status"] == "active"


def on_the_access_page(client: TestClient, rt: Runtime) -> tuple[dict[str, Any], str, str]:
    """Claire asks for "recover", Amina signs in on the pages: Amina, the request's id and her
    access page."""
    amina, claire, _org = setup(client, rt)
    ask_for_recover(client, claire)
    grant_id = pending_id(client, amina)
    client.cookies.clear()
    page_signed_in(client, "amina.diallo")
    return amina, grant_id, client.get("/acces").text


def test_the_access_page_asks_for_the_password_before_accepting_recover(
    client: TestClient, rt: Runtime
) -> None:
    amina, grant_id, page = on_the_access_page(client, rt)
    assert f'id="current_password-{grant_id}"' in page
    refused = client.post(
        f"/acces/{grant_id}",
        data={"decision": "accept", "csrf": csrf_of(page)},
        headers=SAME_ORIGIN,
        follow_redirects=False,
    )
    assert refused.status_code == 422
    assert "Écrivez votre mot de passe actuel" in refused.text
    assert pending_id(client, amina) == grant_id
    accepted = client.post(
        f"/acces/{grant_id}",
        data={"decision": "accept", "current_password": PASSWORD, "csrf": csrf_of(page)},
        headers=SAME_ORIGIN,
        follow_redirects=False,
    )
    assert accepted.status_code == 303
    statuses = [g["status"] for g in client.get("/api/v1/grants", headers=amina["headers"]).json()]
    assert statuses == ["active"]


def test_wrong_passwords_on_the_access_page_say_when_to_try_again(
    client: TestClient, rt: Runtime
) -> None:
    amina, grant_id, page = on_the_access_page(client, rt)
    token = csrf_of(page)
    statuses = []
    for _attempt in range(30):
        answer = client.post(
            f"/acces/{grant_id}",
            data={"decision": "accept", "current_password": "non non non", "csrf": token},
            headers=SAME_ORIGIN,
            follow_redirects=False,
        )
        statuses.append(answer.status_code)
        if answer.status_code == 429:
            break
    assert statuses[-1] == 429, statuses
    assert set(statuses[:-1]) == {422}
    assert int(answer.headers["Retry-After"]) > 0
    assert pending_id(client, amina) == grant_id
