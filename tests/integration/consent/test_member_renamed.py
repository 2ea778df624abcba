"""An organisation's admin corrects a professional's name (mistyped when the account was made,
or changed since). The people who gave that professional an access, or were asked for one,
read it in their history: the name they knew is not the one they see now. The professional
reads it in theirs, and the admin's trail keeps it."""

import html
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.integration.consent.test_grants import grant
from tests.integration.consent.test_member_closed import team
from tests.integration.consent.test_member_elsewhere import join, two_organisations
from tests.integration.webui.test_pages import SAME_ORIGIN, as_read, csrf_of, page_sign_in
from vault.db import transaction
from vault.models import JournalEvent
from vault.runtime import Runtime

NOTICE = (
    "Le nom d'un professionnel qui a accès à vos papiers a été corrigé par son organisation. "
    "Son nom est maintenant : Claire Martin-Dubois, CCAS d'Orléans."
)


def rename(
    client: TestClient, headers: dict[str, str], org_id: str, member_id: str, name: str
) -> Any:
    return client.patch(
        f"/api/v1/organisations/{org_id}/counsellors/{member_id}",
        headers=headers,
        json={"display_name": name},
    )


def history_of(client: TestClient, login: str) -> str:
    page_sign_in(client, login)
    return html.unescape(as_read(client.get("/historique").text))


def lines(rt: Runtime) -> int:
    with transaction(rt.sessions) as db:
        return db.scalar(select(func.count()).select_from(JournalEvent)) or 0


def test_an_admin_corrects_a_professionals_name(client: TestClient, rt: Runtime) -> None:
    t = team(client, rt)
    amina, claire = t["amina"], t["claire"]
    grant(client, amina, counsellor_id=claire["id"], scopes=["view"])

    renamed = rename(
        client, t["nadia"]["headers"], t["ccas"], claire["id"], "  Claire  Martin-Dubois "
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json() == {
        "id": claire["id"],
        "login": "claire.martin",
        "display_name": "Claire Martin-Dubois",
        "role": "counsellor",
    }
    me = client.get("/api/v1/me", headers=claire["headers"]).json()
    assert me["display_name"] == "Claire Martin-Dubois"
    listed = client.get(
        f"/api/v1/organisations/{t['ccas']}/counsellors", headers=t["nadia"]["headers"]
    ).json()
    assert {m["display_name"] for m in listed} >= {"Claire Martin-Dubois"}

    # The same name again changes nothing and writes nothing.
    before = lines(rt)
    again = rename(client, t["nadia"]["headers"], t["ccas"], claire["id"], "Claire Martin-Dubois")
    assert again.status_code == 200
    assert lines(rt) == before

    assert NOTICE in history_of(client, "amina.diallo")
    assert "Nadia" not in history_of(client, "amina.diallo")
    own = history_of(client, "claire.martin")
    assert "CCAS d'Orléans, a corrigé votre nom." in own
    trail = history_of(client, "nadia.responsable")
    assert "Vous avez corrigé le nom de Claire Martin-Dubois, CCAS d'Orléans." in trail


def test_a_person_asked_for_an_access_is_told_too(client: TestClient, rt: Runtime) -> None:
    t = team(client, rt)
    asked = client.post(
        "/api/v1/access-requests",
        headers=t["claire"]["headers"],
        json={"login": "amina.diallo", "scopes": ["view"]},
    )
    assert asked.status_code == 202, asked.text
    renamed = rename(client, t["nadia"]["headers"], t["ccas"], t["claire"]["id"], "Claire Dubois")
    assert renamed.status_code == 200
    history = history_of(client, "amina.diallo")
    assert "Son nom est maintenant : Claire Dubois, CCAS d'Orléans." in history


def test_who_may_correct_a_name(client: TestClient, rt: Runtime) -> None:
    t = two_organisations(client, rt)
    claire, ccas, secours = t["claire"]["id"], t["ccas"], t["secours"]
    assert rename(client, t["paul"]["headers"], ccas, claire, "X").status_code == 403
    assert rename(client, t["amina"]["headers"], ccas, claire, "X").status_code == 403
    # Sam manages the Secours, not the CCAS; Claire is not in the Secours.
    assert rename(client, t["sam"]["headers"], ccas, claire, "X").status_code == 404
    assert rename(client, t["sam"]["headers"], secours, claire, "X").status_code == 404
    assert rename(client, t["nadia"]["headers"], ccas, "no-such-id", "X").status_code == 404
    amina = client.get("/api/v1/me", headers=t["amina"]["headers"]).json()["id"]
    assert rename(client, t["nadia"]["headers"], ccas, amina, "X").status_code == 404

    for empty in ("", "   ", "\u200b"):
        refused = rename(client, t["nadia"]["headers"], ccas, claire, empty)
        assert refused.status_code == 422
        assert refused.json() == {"detail": "Écrivez son nom.", "field": "display_name"}
    assert rename(client, t["nadia"]["headers"], ccas, claire, "x" * 201).status_code == 422

    # A platform admin may, until someone trusts the organisation: then only its own admins.
    assert rename(client, t["admin"], ccas, claire, "Claire M.").status_code == 200
    grant(client, t["amina"], organisation_id=ccas, scopes=["view"])
    trusted = rename(client, t["admin"], ccas, claire, "Someone Else")
    assert trusted.status_code == 409
    assert trusted.json()["detail"] == (
        "Des personnes ont donné accès à cette organisation. "
        "Seul son responsable peut corriger le nom d'un professionnel."
    )
    assert rename(client, t["nadia"]["headers"], ccas, claire, "Claire Martin").status_code == 200

    # Her name is read by two organisations: neither corrects it alone.
    assert join(client, t["sam"]["headers"], secours, "claire.martin").status_code == 201
    elsewhere = rename(client, t["nadia"]["headers"], ccas, claire, "Claire Autre")
    assert elsewhere.status_code == 409
    assert elsewhere.json()["detail"] == (
        "Ce professionnel travaille aussi pour une autre organisation : "
        "son nom ne se corrige pas ici."
    )
    me = client.get("/api/v1/me", headers=t["claire"]["headers"]).json()
    assert me["display_name"] == "Claire Martin"


def test_the_organisation_page_corrects_a_name(client: TestClient, rt: Runtime) -> None:
    t = team(client, rt)
    claire, ccas = t["claire"], t["ccas"]
    grant(client, t["amina"], counsellor_id=claire["id"], scopes=["view"])
    page_sign_in(client, "nadia.responsable")
    team_page = client.get("/organisation")
    form_page = f"/organisation/{ccas}/conseillers/{claire['id']}/nom"
    assert f'href="{form_page}"' in team_page.text
    assert "Corriger le nom" in html.unescape(team_page.text)

    asked = client.get(form_page)
    assert asked.status_code == 200
    read = html.unescape(as_read(asked.text))
    assert "Corriger le nom de Claire Martin" in read
    assert 'value="Claire Martin"' in asked.text
    csrf = csrf_of(asked.text)

    assert client.post(form_page, data={"display_name": "Claire Dubois"}).status_code == 403
    empty = client.post(form_page, data={"csrf": csrf, "display_name": " "}, headers=SAME_ORIGIN)
    assert empty.status_code == 422
    assert "Écrivez son nom." in html.unescape(empty.text)
    assert 'id="display_name-error"' in empty.text

    done = client.post(
        form_page,
        data={"csrf": csrf, "display_name": "Claire Dubois"},
        headers=SAME_ORIGIN,
        follow_redirects=True,
    )
    assert str(done.url).endswith("/organisation?nom=1")
    assert "Le nom est corrigé." in html.unescape(done.text)
    assert "Claire Dubois" in html.unescape(as_read(done.text))
    me = client.get("/api/v1/me", headers=claire["headers"]).json()
    assert me["display_name"] == "Claire Dubois"

    # Another organisation's professional, or a person: not a page of Nadia's.
    amina = client.get("/api/v1/me", headers=t["amina"]["headers"]).json()["id"]
    assert client.get(f"/organisation/{ccas}/conseillers/{amina}/nom").status_code == 404
