"""A professional who leaves: their organisation's admin closes their account. They sign in no
more, their open sessions end, the accesses people gave them personally end (each person reads
why in their history), the links they sent stop serving and the reset codes they gave no longer
work. What people gave the organisation stays, for its other members."""

import html
import threading
from typing import Any

from fastapi.testclient import TestClient

from tests.app_fixtures import PASSWORD, REAUTH, admin_headers, organisation, professional, sign_up
from tests.integration.accounts.test_assisted_reset import NEW
from tests.integration.consent.test_grants import grant
from tests.integration.vault.test_documents_api import upload
from tests.integration.webui.test_pages import SAME_ORIGIN, as_read, csrf_of, page_sign_in
from tests.samples import pdf
from vault.consent.organisations import close_member
from vault.db import transaction
from vault.errors import ConflictError
from vault.models import Person
from vault.runtime import Runtime


def team(client: TestClient, rt: Runtime) -> dict[str, Any]:
    """A CCAS with its admin Nadia and two counsellors, Claire and Paul; Amina, who has a paper."""
    admin = admin_headers(client, rt)
    ccas = organisation(client, admin)
    people: dict[str, Any] = {
        "admin": admin,
        "ccas": ccas,
        "nadia": professional(client, admin, ccas, "nadia.responsable", role="org_admin"),
        "claire": professional(client, admin, ccas, "claire.martin"),
        "paul": professional(client, admin, ccas, "paul.agent"),
        "amina": sign_up(client, "amina.diallo"),
    }
    paper = upload(client, people["amina"], pdf("carte")).json()["id"]
    people["content"] = f"/api/v1/documents/{paper}/content"
    people["paper"] = paper
    return people


def close(client: TestClient, headers: dict[str, str], org_id: str, member_id: str) -> Any:
    return client.delete(f"/api/v1/organisations/{org_id}/counsellors/{member_id}", headers=headers)


def test_a_closed_account_signs_in_no_more_and_its_personal_accesses_end(
    client: TestClient, rt: Runtime
) -> None:
    t = team(client, rt)
    amina, claire = t["amina"], t["claire"]
    personal = grant(client, amina, counsellor_id=claire["id"], scopes=["view", "recover"])
    assert client.get(t["content"], headers=claire["headers"]).status_code == 200

    assert close(client, t["nadia"]["headers"], t["ccas"], claire["id"]).status_code == 204

    assert client.get("/api/v1/me", headers=claire["headers"]).status_code == 401
    assert client.get(t["content"], headers=claire["headers"]).status_code == 401
    again = client.post("/api/v1/session", json={"login": "claire.martin", "password": PASSWORD})
    assert again.status_code == 401
    grants = client.get("/api/v1/grants", headers=amina["headers"]).json()
    assert [(g["id"], g["status"]) for g in grants] == [(personal, "revoked")]
    members = client.get(
        f"/api/v1/organisations/{t['ccas']}/counsellors", headers=t["nadia"]["headers"]
    ).json()
    assert "claire.martin" not in {m["login"] for m in members}
    assert {"nadia.responsable", "paul.agent"} <= {m["login"] for m in members}
    lines = client.get("/api/v1/journal", headers=amina["headers"]).json()
    assert lines[0]["action"] == "grant_holder_closed"


def test_the_person_reads_why_their_helpers_access_ended(client: TestClient, rt: Runtime) -> None:
    t = team(client, rt)
    grant(client, t["amina"], counsellor_id=t["claire"]["id"])
    assert close(client, t["nadia"]["headers"], t["ccas"], t["claire"]["id"]).status_code == 204
    page_sign_in(client, "amina.diallo")
    history = html.unescape(as_read(client.get("/historique").text))
    assert (
        "L'accès de Claire Martin, CCAS d'Orléans s'est arrêté : son compte est fermé." in history
    )


def test_what_people_gave_the_organisation_stays_for_its_other_members(
    client: TestClient, rt: Runtime
) -> None:
    t = team(client, rt)
    grant(client, t["amina"], organisation_id=t["ccas"], scopes=["view"])
    assert close(client, t["nadia"]["headers"], t["ccas"], t["claire"]["id"]).status_code == 204
    assert client.get(t["content"], headers=t["paul"]["headers"]).status_code == 200
    grants = client.get("/api/v1/grants", headers=t["amina"]["headers"]).json()
    assert [g["status"] for g in grants] == ["active"]


def test_the_links_a_closed_account_sent_stop_serving(client: TestClient, rt: Runtime) -> None:
    t = team(client, rt)
    grant(client, t["amina"], counsellor_id=t["claire"]["id"], scopes=["view", "manage"])
    link = client.post(
        f"/api/v1/documents/{t['paper']}/shares",
        headers=t["claire"]["headers"],
        json={"recipient": "CAF du Loiret", "purpose": "RSA", "expires_in_hours": 24},
    )
    assert link.status_code == 201, link.text
    path = "/s/" + link.json()["url"].rsplit("/s/", 1)[1]
    assert client.get(path).status_code == 200
    assert close(client, t["nadia"]["headers"], t["ccas"], t["claire"]["id"]).status_code == 204
    assert client.get(path).status_code == 410


def test_a_reset_code_a_closed_account_gave_no_longer_works(
    client: TestClient, rt: Runtime
) -> None:
    t = team(client, rt)
    amina = t["amina"]
    grant(client, amina, counsellor_id=t["claire"]["id"], scopes=["view", "recover"])
    given = client.post(
        f"/api/v1/beneficiaries/{amina['user']['id']}/reset-code",
        headers=t["claire"]["headers"],
        json=REAUTH,
    )
    assert given.status_code == 201, given.text
    assert close(client, t["nadia"]["headers"], t["ccas"], t["claire"]["id"]).status_code == 204
    redeemed = client.post(
        "/api/v1/recovery",
        json={"login": "amina.diallo", "code": given.json()["code"], "new_password": NEW},
    )
    assert redeemed.status_code != 204
    kept = client.post("/api/v1/session", json={"login": "amina.diallo", "password": PASSWORD})
    assert kept.status_code == 201


def test_who_may_close_an_account(client: TestClient, rt: Runtime) -> None:
    t = team(client, rt)
    ccas, claire = t["ccas"], t["claire"]
    other_admin = admin_headers(client, rt, "other.root")
    secours = organisation(client, other_admin, "Secours populaire")
    stranger = professional(client, other_admin, secours, "sam.responsable", role="org_admin")

    assert close(client, t["paul"]["headers"], ccas, claire["id"]).status_code == 403
    assert close(client, stranger["headers"], ccas, claire["id"]).status_code == 404
    assert close(client, t["amina"]["headers"], ccas, claire["id"]).status_code == 403
    # Someone who is not in this organisation, by the admin of that organisation.
    assert close(client, t["nadia"]["headers"], ccas, stranger["id"]).status_code == 404
    assert close(client, t["nadia"]["headers"], ccas, t["amina"]["user"]["id"]).status_code == 404
    assert client.get("/api/v1/me", headers=claire["headers"]).status_code == 200

    mine = close(client, t["nadia"]["headers"], ccas, t["nadia"]["id"])
    assert mine.status_code == 409
    assert "propre compte" in mine.json()["detail"]
    # The platform admin may close a member, but not the organisation's last admin.
    last = close(client, t["admin"], ccas, t["nadia"]["id"])
    assert last.status_code == 409
    assert "seul administrateur" in last.json()["detail"]
    assert close(client, t["admin"], ccas, claire["id"]).status_code == 204
    assert close(client, t["nadia"]["headers"], ccas, claire["id"]).status_code == 404


def test_the_organisation_page_closes_an_account_after_asking(
    client: TestClient, rt: Runtime
) -> None:
    t = team(client, rt)
    claire = t["claire"]
    page_sign_in(client, "nadia.responsable")
    team_page = client.get("/organisation").text
    closing = f"/organisation/{t['ccas']}/conseillers/{claire['id']}/fermer"
    assert f'href="{closing}"' in team_page
    assert f"/conseillers/{t['nadia']['id']}/fermer" not in team_page

    asked = client.get(closing)
    assert asked.status_code == 200
    assert "Claire Martin" in as_read(asked.text)
    csrf = csrf_of(asked.text)
    refused = client.post(closing, data={}, headers=SAME_ORIGIN)
    assert refused.status_code == 403
    assert client.get("/api/v1/me", headers=claire["headers"]).status_code == 200

    done = client.post(closing, data={"csrf": csrf}, headers=SAME_ORIGIN, follow_redirects=True)
    assert done.status_code == 200
    assert str(done.url).endswith("/organisation?ferme=1")
    shown = as_read(done.text)
    assert "Le compte est fermé." in shown
    assert "claire.martin" not in shown
    assert client.get("/api/v1/me", headers=claire["headers"]).status_code == 401
    assert client.get(closing).status_code == 404


def test_a_counsellor_has_no_closing_page(client: TestClient, rt: Runtime) -> None:
    t = team(client, rt)
    page_sign_in(client, "paul.agent")
    closing = f"/organisation/{t['ccas']}/conseillers/{t['claire']['id']}/fermer"
    assert client.get(closing).status_code == 403


def test_two_admins_closing_each_other_at_once_leave_one_of_them(
    client: TestClient, rt: Runtime
) -> None:
    admin = admin_headers(client, rt)
    ccas = organisation(client, admin)
    nadia = professional(client, admin, ccas, "nadia.responsable", role="org_admin")
    olga = professional(client, admin, ccas, "olga.responsable", role="org_admin")
    outcome: list[str] = []

    def olga_closes_nadia() -> None:
        try:
            with transaction(rt.sessions) as db:
                close_member(db, db.get_one(Person, olga["id"]), ccas, nadia["id"])
            outcome.append("closed")
        except ConflictError:
            outcome.append("refused")

    with transaction(rt.sessions) as first:
        close_member(first, first.get_one(Person, nadia["id"]), ccas, olga["id"])
        second = threading.Thread(target=olga_closes_nadia)
        second.start()
        second.join(timeout=1)
        assert second.is_alive(), "the second closing did not wait for the first"
    second.join(timeout=30)
    assert outcome == ["refused"]
    members = client.get(f"/api/v1/organisations/{ccas}/counsellors", headers=admin).json()
    assert [m["login"] for m in members] == ["nadia.responsable"]


def test_a_request_pending_from_a_closed_account_ends_as_a_request(
    client: TestClient, rt: Runtime
) -> None:
    t = team(client, rt)
    asked = client.post(
        "/api/v1/access-requests",
        headers=t["claire"]["headers"],
        json={"login": "amina.diallo", "scopes": ["view"]},
    )
    assert asked.status_code in (201, 202), asked.text
    assert close(client, t["nadia"]["headers"], t["ccas"], t["claire"]["id"]).status_code == 204
    lines = client.get("/api/v1/journal", headers=t["amina"]["headers"]).json()
    assert lines[0]["action"] == "request_holder_closed"
    page_sign_in(client, "amina.diallo")
    history = html.unescape(as_read(client.get("/historique").text))
    assert (
        "La demande de Claire Martin, CCAS d'Orléans s'est arrêtée : son compte est fermé."
        in history
    )
