"""A professional who works for two organisations, with one account: a second organisation's
admin adds them by their login; they reach what people gave either organisation. When one of
the two takes them out, only that organisation's accesses end for them: their account, what
people gave them personally and the other organisation's accesses stay."""

import html
from typing import Any

from fastapi.testclient import TestClient

from tests.app_fixtures import REAUTH, organisation, professional
from tests.integration.consent.test_grants import grant
from tests.integration.consent.test_member_closed import close, team
from tests.integration.webui.test_pages import SAME_ORIGIN, as_read, csrf_of, page_sign_in
from vault.runtime import Runtime


def join(client: TestClient, headers: dict[str, str], org_id: str, login: str, **more: str) -> Any:
    return client.post(
        f"/api/v1/organisations/{org_id}/members",
        headers=headers,
        json={"login": login, **REAUTH, **more},
    )


def two_organisations(client: TestClient, rt: Runtime) -> dict[str, Any]:
    """The CCAS team of test_member_closed, and the Secours populaire with its admin Sam."""
    t = team(client, rt)
    t["secours"] = organisation(client, t["admin"], "Secours populaire")
    t["sam"] = professional(client, t["admin"], t["secours"], "sam.responsable", role="org_admin")
    return t


def shown(page: str) -> str:
    return html.unescape(as_read(page))


def members(client: TestClient, headers: dict[str, str], org_id: str) -> set[str]:
    listed = client.get(f"/api/v1/organisations/{org_id}/counsellors", headers=headers)
    assert listed.status_code == 200, listed.text
    return {m["login"] for m in listed.json()}


def test_a_second_organisation_adds_a_professional_who_has_an_account(
    client: TestClient, rt: Runtime
) -> None:
    t = two_organisations(client, rt)
    claire = t["claire"]
    grant(client, t["amina"], organisation_id=t["secours"], scopes=["view"])
    assert client.get(t["content"], headers=claire["headers"]).status_code == 404

    joined = join(client, t["sam"]["headers"], t["secours"], "Claire.Martin")
    assert joined.status_code == 201, joined.text
    assert joined.json() == {
        "id": claire["id"],
        "login": "claire.martin",
        "display_name": "Claire Martin",
        "role": "counsellor",
    }
    # The same account, signed in before: what people gave the Secours reaches her now.
    assert client.get(t["content"], headers=claire["headers"]).status_code == 200
    assert "claire.martin" in members(client, t["sam"]["headers"], t["secours"])
    assert "claire.martin" in members(client, t["nadia"]["headers"], t["ccas"])
    assert client.get("/api/v1/me", headers=claire["headers"]).json()["role"] == "counsellor"


def test_only_a_professionals_login_is_added(client: TestClient, rt: Runtime) -> None:
    t = two_organisations(client, rt)
    sam, secours = t["sam"]["headers"], t["secours"]
    unknown = join(client, sam, secours, "nobody.here")
    beneficiary = join(client, sam, secours, "amina.diallo")
    platform_admin = join(client, sam, secours, "root.admin")
    for answer in (unknown, beneficiary, platform_admin):
        assert answer.status_code == 422
        assert answer.json() == {
            "detail": "Aucun professionnel n'a cet identifiant.",
            "field": "login",
        }
    assert join(client, sam, secours, "claire.martin", role="boss").status_code == 422
    assert members(client, sam, secours) == {"sam.responsable"}

    assert join(client, sam, secours, "claire.martin").status_code == 201
    again = join(client, sam, secours, "claire.martin")
    assert again.status_code == 409
    assert again.json()["detail"] == "Ce professionnel est déjà dans l'organisation."


def test_who_may_add_a_professional_who_has_an_account(client: TestClient, rt: Runtime) -> None:
    t = two_organisations(client, rt)
    secours = t["secours"]
    assert join(client, t["paul"]["headers"], secours, "claire.martin").status_code == 403
    assert join(client, t["amina"]["headers"], secours, "claire.martin").status_code == 403
    # Nadia manages the CCAS, not the Secours.
    assert join(client, t["nadia"]["headers"], secours, "claire.martin").status_code == 404
    assert join(client, t["sam"]["headers"], "no-such-org", "claire.martin").status_code == 404
    # Once someone trusts the Secours, only its own admins choose who reads what they gave.
    grant(client, t["amina"], organisation_id=secours, scopes=["view"])
    trusted = join(client, t["admin"], secours, "claire.martin")
    assert trusted.status_code == 409
    assert client.get(t["content"], headers=t["claire"]["headers"]).status_code == 404
    assert members(client, t["sam"]["headers"], secours) == {"sam.responsable"}


def test_leaving_one_of_two_organisations_keeps_the_account(
    client: TestClient, rt: Runtime
) -> None:
    t = two_organisations(client, rt)
    amina, claire = t["amina"], t["claire"]
    assert join(client, t["sam"]["headers"], t["secours"], "claire.martin").status_code == 201
    grant(client, amina, organisation_id=t["secours"], scopes=["view", "manage"])
    link = client.post(
        f"/api/v1/documents/{t['paper']}/shares",
        headers=claire["headers"],
        json={"recipient": "CAF du Loiret", "purpose": "RSA", "expires_in_hours": 24},
    )
    assert link.status_code == 201, link.text
    path = "/s/" + link.json()["url"].rsplit("/s/", 1)[1]
    assert client.get(path).status_code == 200

    assert close(client, t["sam"]["headers"], t["secours"], claire["id"]).status_code == 204

    assert client.get("/api/v1/me", headers=claire["headers"]).status_code == 200
    assert client.get(t["content"], headers=claire["headers"]).status_code == 404
    assert client.get(path).status_code == 410  # sent through the Secours's access
    assert "claire.martin" not in members(client, t["sam"]["headers"], t["secours"])
    assert "claire.martin" in members(client, t["nadia"]["headers"], t["ccas"])
    # What people gave her personally stays hers.
    personal = grant(client, amina, counsellor_id=claire["id"], scopes=["view"])
    assert client.get(t["content"], headers=claire["headers"]).status_code == 200
    statuses = {
        g["id"]: g["status"] for g in client.get("/api/v1/grants", headers=amina["headers"]).json()
    }
    assert statuses[personal] == "active"
    lines = client.get("/api/v1/journal", headers=amina["headers"]).json()
    assert "grant_holder_closed" not in {line["action"] for line in lines}

    # Her last organisation closes the account, as for anyone with one organisation.
    assert close(client, t["nadia"]["headers"], t["ccas"], claire["id"]).status_code == 204
    assert client.get("/api/v1/me", headers=claire["headers"]).status_code == 401


def test_an_admin_of_the_second_organisation_manages_that_one_only(
    client: TestClient, rt: Runtime
) -> None:
    t = two_organisations(client, rt)
    claire, secours = t["claire"], t["secours"]
    joined = join(client, t["sam"]["headers"], secours, "claire.martin", role="org_admin")
    assert joined.status_code == 201, joined.text
    assert client.get("/api/v1/me", headers=claire["headers"]).json()["role"] == "org_admin"
    assert "sam.responsable" in members(client, claire["headers"], secours)
    # In the CCAS she is a counsellor still.
    ccas_team = client.get(
        f"/api/v1/organisations/{t['ccas']}/counsellors", headers=claire["headers"]
    )
    assert ccas_team.status_code == 404
    assert close(client, claire["headers"], t["ccas"], t["paul"]["id"]).status_code == 404

    assert close(client, t["sam"]["headers"], secours, claire["id"]).status_code == 204
    assert client.get("/api/v1/me", headers=claire["headers"]).json()["role"] == "counsellor"
    gone = client.get(f"/api/v1/organisations/{secours}/counsellors", headers=claire["headers"])
    assert gone.status_code == 404


def test_the_organisation_page_adds_and_takes_out_a_professional_who_works_elsewhere(
    client: TestClient, rt: Runtime
) -> None:
    t = two_organisations(client, rt)
    claire, secours = t["claire"], t["secours"]
    page_sign_in(client, "sam.responsable")
    team_page = client.get("/organisation")
    adding = f"/organisation/{secours}/membres"
    assert f'action="{adding}"' in team_page.text
    csrf = csrf_of(team_page.text)

    wrong = client.post(
        adding, data={"csrf": csrf, "login": "amina.diallo", **REAUTH}, headers=SAME_ORIGIN
    )
    assert wrong.status_code == 422
    assert "Aucun professionnel n'a cet identifiant." in shown(wrong.text)
    assert f'id="{secours}-existing_login-error"' in wrong.text
    assert 'value="amina.diallo"' in wrong.text

    added = client.post(
        adding,
        data={"csrf": csrf, "login": "claire.martin", **REAUTH},
        headers=SAME_ORIGIN,
        follow_redirects=True,
    )
    assert added.status_code == 200
    assert "claire.martin" in added.text
    leaving = f"/organisation/{secours}/conseillers/{claire['id']}/fermer"
    assert f'href="{leaving}"' in added.text
    assert "Retirer de l'organisation" in shown(added.text)

    asked = shown(client.get(leaving).text)
    assert "Retirer Claire Martin de l'organisation ?" in asked
    assert "son compte reste ouvert" in asked
    done = client.post(leaving, data={"csrf": csrf}, headers=SAME_ORIGIN, follow_redirects=True)
    assert str(done.url).endswith("/organisation?retire=1")
    assert "Son compte reste ouvert." in shown(done.text)
    assert client.get("/api/v1/me", headers=claire["headers"]).status_code == 200


def test_a_professional_reads_which_organisations_they_work_for(
    client: TestClient, rt: Runtime
) -> None:
    t = two_organisations(client, rt)
    assert join(client, t["sam"]["headers"], t["secours"], "claire.martin").status_code == 201
    page_sign_in(client, "claire.martin")
    account = shown(client.get("/compte").text)
    assert "Mes organisations : CCAS d'Orléans, Secours populaire" in account
    page_sign_in(client, "amina.diallo")
    assert "Mes organisations" not in shown(client.get("/compte").text)


def test_a_person_who_gave_an_access_is_told_when_its_holder_joins_or_leaves(
    client: TestClient, rt: Runtime
) -> None:
    """A personal access follows the professional: the person who gave it reads in their
    history that she now also works for another organisation, then that she left one, and
    that the access is still hers to stop."""
    t = two_organisations(client, rt)
    grant(client, t["amina"], counsellor_id=t["claire"]["id"], scopes=["view"])
    # Paul asked Amina for an access she has not answered: she will see where he works then.
    asked = client.post(
        "/api/v1/access-requests",
        headers=t["paul"]["headers"],
        json={"login": "amina.diallo", "scopes": ["view"]},
    )
    assert asked.status_code == 202
    for login in ("claire.martin", "paul.agent"):
        assert join(client, t["sam"]["headers"], t["secours"], login).status_code == 201
    assert close(client, t["nadia"]["headers"], t["ccas"], t["claire"]["id"]).status_code == 204

    page_sign_in(client, "amina.diallo")
    history = shown(client.get("/historique?quoi=acces").text)
    assert (
        "Claire Martin travaille maintenant aussi pour Secours populaire. "
        "Son accès à vos papiers reste : vous pouvez l'arrêter dans « Qui voit mes papiers »."
    ) in history
    assert (
        "Claire Martin ne travaille plus pour CCAS d'Orléans. "
        "Son accès à vos papiers reste : vous pouvez l'arrêter dans « Qui voit mes papiers »."
    ) in history
    assert "Paul Agent travaille" not in history
