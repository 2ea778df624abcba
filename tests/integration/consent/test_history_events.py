"""« Historique » shows every event of the vault, the person's own included (papers added,
changed, made private, deleted; accesses given and ended), and filters them without
JavaScript: who acted, and what about."""

import html
import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.app_fixtures import PASSWORD
from tests.integration.consent.test_history_paging import (
    counsellor,
    grant,
    journal,
    older_link,
    refused,
)
from tests.integration.vault.test_documents_api import upload
from tests.integration.webui.test_pages import as_read, page_sign_in
from tests.samples import pdf
from vault.accounts.erasure import erase_account
from vault.db import transaction
from vault.models import Person
from vault.runtime import Runtime


def lines(client: TestClient, **params: str) -> list[str]:
    """The sentences of the history page, newest first, each checked to carry its time."""
    answer = client.get("/historique", params=params)
    assert answer.status_code == 200, answer.text
    items = re.findall(r'<ul class="history">(.*?)</ul>', answer.text, re.S)[0]
    found = []
    for item in re.findall(r"<li[^>]*>(.*?)</li>", items, re.S):
        if item.startswith("Rien pour"):
            continue
        assert re.search(r'<time datetime="[^"]+">\d{1,2} \w+ \d{4}, \d\d:\d\d</time>', item), item
        found.append(html.unescape(as_read(item.split("</time> — ", 1)[1])))
    return found


def own_story(client: TestClient, rt: Runtime, amina: dict[str, Any]) -> dict[str, Any]:
    """Amina adds, renames, hides and shows a paper, deletes another, gives Claire an access
    and ends it."""
    kept = upload(client, amina, pdf("carte")).json()["id"]
    patch = f"/api/v1/documents/{kept}"
    for body in ({"title": "Titre de séjour"}, {"private": True}, {"private": False}):
        assert client.patch(patch, headers=amina["headers"], json=body).status_code == 200
    gone = upload(client, amina, pdf("vieux"), title="Vieux papier").json()["id"]
    deleted = client.delete(f"/api/v1/documents/{gone}", headers=amina["headers"])
    assert deleted.status_code == 204
    claire = counsellor(client, rt)
    grant_id = grant(client, amina, claire)
    ended = client.delete(f"/api/v1/grants/{grant_id}", headers=amina["headers"])
    assert ended.status_code == 204
    return claire


def test_the_persons_own_events_appear(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    own_story(client, rt, amina)
    page_sign_in(client, "amina.diallo")
    shown = lines(client)
    assert shown[0] == "Vous avez ouvert votre coffre."
    assert shown[-2:] == [
        "Vous avez ouvert votre coffre.",
        "Vous avez reçu de nouveaux codes de secours.",
    ]
    assert shown[1:-2] == [
        "Vous avez arrêté l'accès de Claire Martin, CCAS d'Orléans.",
        "Vous avez donné un accès à vos papiers. Cet accès est pour Claire Martin, CCAS d'Orléans.",
        "Vous avez mis « Vieux papier » dans la corbeille.",
        "Vous avez ajouté « Vieux papier ».",
        "Vous avez rendu « Titre de séjour » visible pour vos accès.",
        "Vous avez rendu « Titre de séjour » privé.",
        "Vous avez modifié « Titre de séjour ».",
        "Vous avez ajouté « Titre de séjour ».",
    ]


def test_a_change_that_changes_nothing_is_not_a_line(
    client: TestClient, amina: dict[str, Any]
) -> None:
    kept = upload(client, amina, pdf("carte")).json()["id"]
    patch = f"/api/v1/documents/{kept}"
    for body in ({"title": "Carte d'identité"}, {"private": False}):
        assert client.patch(patch, headers=amina["headers"], json=body).status_code == 200
    actions = [e["action"] for e in client.get("/api/v1/journal", headers=amina["headers"]).json()]
    assert actions.count("document_added") == 1
    assert "document_changed" not in actions
    assert "document_made_private" not in actions


def helped_then_refused(client: TestClient, rt: Runtime, amina: dict[str, Any]) -> None:
    """Amina adds a paper; Claire looks at it, loses her access and tries again twice;
    someone tries a wrong password on Amina's login."""
    document_id = upload(client, amina, pdf("carte")).json()["id"]
    claire = counsellor(client, rt)
    grant_id = grant(client, amina, claire)
    assert client.get(f"/api/v1/documents/{document_id}", headers=claire["headers"]).is_success
    client.delete(f"/api/v1/grants/{grant_id}", headers=amina["headers"])
    refused(client, claire, document_id, 2)
    wrong = client.post(
        "/api/v1/session", json={"login": "amina.diallo", "password": PASSWORD + "!"}
    )
    assert wrong.status_code == 401


def test_filters_by_who_and_by_what(client: TestClient, rt: Runtime, amina: dict[str, Any]) -> None:
    helped_then_refused(client, rt, amina)
    page_sign_in(client, "amina.diallo")
    amina_id = client.get("/api/v1/me", headers=amina["headers"]).json()["id"]
    claire = "Claire Martin, CCAS d'Orléans,"

    everything = lines(client)
    assert f"{claire} a regardé la fiche de « Carte d'identité »." in everything
    assert f"{claire} a essayé 2 fois d'ouvrir vos papiers, sans en avoir le droit." in everything
    assert "Vous avez ajouté « Carte d'identité »." in everything

    by_me = lines(client, qui=amina_id)
    assert by_me
    assert all(line.startswith("Vous ") for line in by_me), by_me

    by_helpers = lines(client, qui="aidants")
    assert by_helpers
    assert all(line.startswith("Claire Martin") for line in by_helpers), by_helpers

    refusals = lines(client, quoi="refus")
    assert refusals == [
        "Quelqu'un a essayé d'ouvrir votre coffre avec un mauvais mot de passe.",
        f"{claire} a essayé 2 fois d'ouvrir vos papiers, sans en avoir le droit.",
    ]
    assert lines(client, qui="aidants", quoi="refus") == refusals[1:]

    papers = lines(client, quoi="papiers")
    assert "Vous avez ajouté « Carte d'identité »." in papers
    assert f"{claire} a regardé la fiche de « Carte d'identité »." in papers
    assert not [line for line in papers if "accès" in line or "a essayé" in line], papers

    accesses = lines(client, quoi="acces")
    assert accesses == [
        "Vous avez arrêté l'accès de Claire Martin, CCAS d'Orléans.",
        "Vous avez donné un accès à vos papiers. Cet accès est pour Claire Martin, CCAS d'Orléans.",
    ]

    sign_ins = lines(client, quoi="connexions")
    assert "Vous avez ouvert votre coffre." in sign_ins
    assert not [line for line in sign_ins if "«" in line or "accès" in line], sign_ins

    # An unknown choice shows everything rather than an error.
    assert lines(client, qui="", quoi="n-importe") == everything


def test_the_filter_form_works_without_javascript(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    helped_then_refused(client, rt, amina)
    page_sign_in(client, "amina.diallo")
    text = html.unescape(client.get("/historique", params={"qui": "aidants", "quoi": "refus"}).text)
    form = text.split('<form method="get" action="/historique"', 1)[1].split("</form>", 1)[0]
    assert "<script" not in form
    assert "onchange" not in form
    assert '<select id="qui" name="qui"' in form
    assert '<select id="quoi" name="quoi"' in form
    assert '<option value="aidants" selected>Vos aidants</option>' in form
    assert '<option value="refus" selected>Les essais refusés</option>' in form
    for choice in ("Tout", "Les papiers", "Les accès", "Les connexions"):
        assert f">{choice}</option>" in form, choice


def test_paging_keeps_both_filters(client: TestClient, rt: Runtime, amina: dict[str, Any]) -> None:
    claire = counsellor(client, rt)
    document_id = upload(client, amina, pdf()).json()["id"]
    grant(client, amina, claire)
    for _ in range(55):
        client.get(f"/api/v1/documents/{document_id}", headers=claire["headers"])
    page_sign_in(client, "amina.diallo")
    first = client.get("/historique", params={"qui": "aidants", "quoi": "papiers"})
    link = older_link(first.text)
    assert link is not None
    assert "qui=aidants" in link
    assert "quoi=papiers" in link
    older = html.unescape(client.get(link).text)
    assert "Claire Martin" in older
    assert "Vous avez" not in older


def vault_refusals(client: TestClient, owner: dict[str, Any]) -> list[dict[str, Any]]:
    """The owner's journal lines of refused attempts, each person's of one day grouped."""
    lines = client.get("/api/v1/journal", headers=owner["headers"], params={"limit": 200})
    return [line for line in lines.json() if line["action"] == "access_refused"]


def test_a_helpers_refused_look_at_the_whole_vault_is_in_the_history(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    """Taking every paper, the bin, adding without "upload", the list after the access ended:
    each refusal is a line, as a refused paper is, naming who tried."""
    vault = amina["vault_id"]
    claire = counsellor(client, rt)
    grant_id = grant(client, amina, claire)
    tries = [
        client.get(f"/api/v1/vaults/{vault}/export", headers=claire["headers"]),
        client.get(f"/api/v1/vaults/{vault}/bin", headers=claire["headers"]),
        upload(client, claire, pdf("ajout"), vault=vault),
    ]
    assert [answer.status_code for answer in tries] == [404, 404, 404]
    assert [(r["actor_id"], r["count"]) for r in vault_refusals(client, amina)] == [
        (claire["id"], 3)
    ]
    client.delete(f"/api/v1/grants/{grant_id}", headers=amina["headers"])
    listed = client.get(f"/api/v1/vaults/{vault}/documents", headers=claire["headers"])
    assert listed.status_code == 404
    refusal = vault_refusals(client, amina)[0]
    assert (refusal["actor_id"], refusal["count"], refusal["document_id"]) == (
        claire["id"],
        4,
        None,
    )
    assert refusal["organisation_name"] == "CCAS d'Orléans"
    # The page of the person among Claire's people, too (review finding: no line was written).
    page_sign_in(client, "claire.martin")
    assert client.get(f"/personnes/{vault}").status_code == 404
    assert vault_refusals(client, amina)[0]["count"] == 5


def test_a_refused_look_at_the_list_reads_as_such(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    claire = counsellor(client, rt)
    answer = client.get(f"/api/v1/vaults/{amina['vault_id']}/documents", headers=claire["headers"])
    assert answer.status_code == 404
    page_sign_in(client, "amina.diallo")
    assert lines(client, qui="aidants") == [
        "Claire Martin, CCAS d'Orléans, a essayé de voir vos papiers, sans en avoir le droit."
    ]


def test_the_owner_and_an_unknown_vault_write_no_refusal(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    claire = counsellor(client, rt)
    unknown = client.get("/api/v1/vaults/no-such-vault/documents", headers=claire["headers"])
    assert unknown.status_code == 404
    assert client.get("/api/v1/vaults/me/bin", headers=amina["headers"]).status_code == 200
    assert vault_refusals(client, amina) == []


def test_a_helpers_lines_keep_their_name_once_their_account_is_erased(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    """A professional who leaves is erased by the operator: the people whose papers they
    opened still read who it was, not « Compte supprimé »."""
    document_id = upload(client, amina, pdf("carte")).json()["id"]
    claire = counsellor(client, rt)
    grant(client, amina, claire)
    assert client.get(f"/api/v1/documents/{document_id}", headers=claire["headers"]).is_success
    erase_account(rt, "claire.martin")
    viewed = [e for e in journal(client, amina) if e["action"] == "document_viewed"]
    assert [e["actor_name"] for e in viewed] == ["Claire Martin"]
    page_sign_in(client, "amina.diallo")
    shown = lines(client, qui="aidants")
    assert shown == ["Claire Martin, CCAS d'Orléans, a regardé la fiche de « Carte d'identité »."]
    # Her access ended with her account, which the person reads too.
    access = lines(client, quoi="acces")
    assert access[0] == (
        "L'accès de Claire Martin, CCAS d'Orléans s'est arrêté : son compte est fermé."
    )
    assert "Cet accès est pour Claire Martin, CCAS d'Orléans." in access[1]
    # What could open the account is gone all the same.
    answer = client.post("/api/v1/session", json={"login": "claire.martin", "password": PASSWORD})
    assert answer.status_code == 401


def test_an_erased_person_who_helped_no_one_keeps_no_name(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    erase_account(rt, "amina.diallo")
    with transaction(rt.sessions) as db:
        person = db.scalars(select(Person).where(Person.id == amina["user"]["id"])).one()
        assert person.display_name == "Compte supprimé"
