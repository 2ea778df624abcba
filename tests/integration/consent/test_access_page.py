"""« Qui voit mes papiers »: each request and access names the professional and their
organisation, so the person knows who is asking."""

import html
import re
from typing import Any

from fastapi.testclient import TestClient

from tests.app_fixtures import admin_headers, organisation, professional
from tests.integration.webui.test_pages import SAME_ORIGIN, as_read, csrf_of, page_sign_in
from vault.db import transaction
from vault.models import Membership
from vault.runtime import Runtime
from vault.vocabulary import MemberRole


def plain(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", as_read(fragment))).split())


def cards(client: TestClient) -> list[str]:
    """The first line of each request or access card, then each ended access, in page order."""
    answer = client.get("/acces")
    assert answer.status_code == 200, answer.text
    heads = re.findall(r'<p class="lead">(.*?)</p>', answer.text, re.S)
    ended = answer.text.split("<h2>Accès terminés</h2>", 1)[1:]
    items = re.findall(r"<li>(.*?)</li>", ended[0], re.S) if ended else []
    return [plain(fragment) for fragment in heads + items]


def ask(client: TestClient, helper: dict[str, Any], scopes: list[str]) -> None:
    asked = client.post(
        "/api/v1/access-requests",
        headers=helper["headers"],
        json={"login": "amina.diallo", "scopes": scopes},
    )
    assert asked.status_code == 202


def pending_id(client: TestClient, owner: dict[str, Any]) -> str:
    grants = client.get("/api/v1/grants", headers=owner["headers"]).json()
    grant_id: str = next(g["id"] for g in grants if g["status"] == "pending")
    return grant_id


def test_request_and_grant_cards_name_the_organisation(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    admin = admin_headers(client, rt)
    lyon = organisation(client, admin, "CCAS de Lyon")
    claire = professional(client, admin, lyon, "claire.martin")
    ask(client, claire, ["view"])
    page_sign_in(client, "amina.diallo")
    assert cards(client)[0] == "Claire Martin, CCAS de Lyon demande à :"
    history = html.unescape(as_read(client.get("/historique").text))
    assert "Claire Martin, CCAS de Lyon, demande à voir vos papiers." in history

    accepted = client.post(
        f"/api/v1/grants/{pending_id(client, amina)}/accept", headers=amina["headers"]
    )
    assert accepted.status_code == 200, accepted.text
    assert cards(client) == ["Claire Martin, CCAS de Lyon peut :"]

    ended = client.delete(f"/api/v1/grants/{accepted.json()['id']}", headers=amina["headers"])
    assert ended.status_code == 204
    assert cards(client) == ["Claire Martin, CCAS de Lyon : Arrêté"]


def test_a_professional_of_two_organisations_and_an_organisation_grant(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    admin = admin_headers(client, rt)
    lyon = organisation(client, admin, "CCAS de Lyon")
    france_services = organisation(client, admin, "France Services Vénissieux")
    claire = professional(client, admin, lyon, "claire.martin")
    with transaction(rt.sessions) as db:
        db.add(
            Membership(
                person_id=claire["id"],
                organisation_id=france_services,
                role=MemberRole.COUNSELLOR,
            )
        )
    ask(client, claire, ["view"])
    given = client.post(
        "/api/v1/grants",
        headers=amina["headers"],
        json={"organisation_id": france_services, "scopes": ["view"]},
    )
    assert given.status_code == 201, given.text
    page_sign_in(client, "amina.diallo")
    assert cards(client) == [
        "Claire Martin, CCAS de Lyon, France Services Vénissieux demande à :",
        "France Services Vénissieux peut :",
    ]


def a_request_to(client: TestClient, rt: Runtime, owner: dict[str, Any]) -> str:
    """A counsellor asks to view the owner's papers: the pending request's id."""
    admin = admin_headers(client, rt)
    claire = professional(client, admin, organisation(client, admin, "CCAS de Lyon"), "c.martin")
    ask(client, claire, ["view"])
    return pending_id(client, owner)


def decide_on_the_page(client: TestClient, grant_id: str, decision: str) -> Any:
    return client.post(
        f"/acces/{grant_id}",
        data={"decision": decision, "csrf": csrf_of(client.get("/acces").text)},
        headers=SAME_ORIGIN,
        follow_redirects=False,
    )


def test_a_request_answered_twice_is_a_conflict_and_keeps_the_first_answer(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    """Answered in another tab, or a form sent again: 409 (API.md: a conflict), not a field
    of the form at fault; the first answer stands."""
    grant_id = a_request_to(client, rt, amina)
    accept = f"/api/v1/grants/{grant_id}/accept"
    assert client.post(accept, headers=amina["headers"]).status_code == 200

    again = client.post(accept, headers=amina["headers"])
    assert (again.status_code, again.json()) == (
        409,
        {"detail": "Cette demande a déjà reçu une réponse.", "field": None},
    )
    refused = client.post(f"/api/v1/grants/{grant_id}/refuse", headers=amina["headers"])
    assert refused.status_code == 409
    page_sign_in(client, "amina.diallo")
    on_the_page = decide_on_the_page(client, grant_id, "refuse")
    assert on_the_page.status_code == 409
    assert "Cette demande a déjà reçu une réponse." in html.unescape(on_the_page.text)
    grants = client.get("/api/v1/grants", headers=amina["headers"]).json()
    assert [g["status"] for g in grants] == ["active"]


def test_a_decision_the_page_never_sends_changes_nothing(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    grant_id = a_request_to(client, rt, amina)
    page_sign_in(client, "amina.diallo")

    answer = decide_on_the_page(client, grant_id, "peut-être")
    assert answer.status_code == 422
    assert "Le formulaire envoyé est incomplet." in html.unescape(answer.text)
    grants = client.get("/api/v1/grants", headers=amina["headers"]).json()
    assert [g["status"] for g in grants] == ["pending"]
