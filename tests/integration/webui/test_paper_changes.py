"""« Modifier » a paper in pages: its name, its type and its end of validity, by the person or
a helper whose access lets them manage it; a date typed by hand as people write it (31/12/2030)
is understood; a wrong one shows the form again and changes nothing."""

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.integration.accounts.test_assisted_reset import NEW, give, reset_alone, setup
from tests.integration.vault.test_documents_api import upload
from tests.integration.webui.test_pages import (
    SAME_ORIGIN,
    add_paper,
    as_read,
    csrf_of,
    page_sign_in,
    signed_up,
)
from tests.samples import pdf
from vault.audit.journal import ACCESS_REFUSED
from vault.models import JournalEvent
from vault.runtime import Runtime


def change(client: TestClient, paper: str, csrf: str, **fields: str) -> Any:
    return client.post(
        f"{paper}/modifier",
        data={"csrf": csrf, **fields},
        headers=SAME_ORIGIN,
        follow_redirects=True,
    )


def card(client: TestClient, headers: dict[str, str], document_id: str) -> dict[str, Any]:
    answer = client.get(f"/api/v1/documents/{document_id}", headers=headers)
    assert answer.status_code == 200, answer.text
    shown: dict[str, Any] = answer.json()
    return shown


def own_paper(client: TestClient) -> tuple[str, str]:
    """A person signed up in pages with one paper, « Ma carte »: (its page, the CSRF token)."""
    csrf = signed_up(client)
    added = add_paper(client, csrf, pdf("carte"))
    assert added.status_code == 200
    return str(added.url.path), csrf


def test_the_person_changes_the_name_the_type_and_the_end_of_a_paper(
    client: TestClient,
) -> None:
    paper, csrf = own_paper(client)
    assert f'href="{paper}/modifier"' in client.get(paper).text
    form = client.get(f"{paper}/modifier")
    assert form.status_code == 200
    assert 'value="Ma carte"' in form.text
    assert re.search(r'<option value="identity"\s+selected>', form.text)
    changed = change(
        client, paper, csrf, title="Titre de séjour", category="residence", expires_on="2031-05-01"
    )
    assert changed.status_code == 200
    assert str(changed.url.path) == paper
    shown = as_read(changed.text)
    assert "Le papier est modifié." in shown
    assert "<h1>Titre de séjour</h1>" in shown
    assert "1 mai 2031" in shown
    assert "Vous avez modifié « Titre de séjour »." in as_read(client.get("/historique").text)


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("31/12/2030", "31 décembre 2030"),
        ("1.2.2031", "1 février 2031"),
        ("05-03-2031", "5 mars 2031"),
        (" 2031-05-01 ", "1 mai 2031"),
        ("٣١/١٢/٢٠٣٠", "31 décembre 2030"),
    ],
)
def test_a_date_typed_by_hand_is_understood(client: TestClient, typed: str, kept: str) -> None:
    """Where a browser has no date field, people write the day first, as on their papers."""
    paper, csrf = own_paper(client)
    changed = change(client, paper, csrf, title="Ma carte", category="identity", expires_on=typed)
    assert "Le papier est modifié." in changed.text
    assert kept in changed.text


def test_a_paper_is_added_with_a_date_typed_by_hand(client: TestClient) -> None:
    csrf = signed_up(client)
    added = client.post(
        "/papiers/ajouter",
        data={
            "csrf": csrf,
            "category": "identity",
            "title": "Ma carte",
            "expires_on": "31/12/2030",
        },
        files={"file": ("carte.pdf", pdf("carte"), "application/pdf")},
        headers=SAME_ORIGIN,
        follow_redirects=True,
    )
    assert "Le papier est bien dans votre coffre" in added.text
    assert "31 décembre 2030" in added.text


@pytest.mark.parametrize("typed", ["31/02/2030", "2030-13-01", "demain", "12/2030", "1/2/30"])
def test_a_wrong_date_shows_the_form_again_and_changes_nothing(
    client: TestClient, typed: str
) -> None:
    paper, csrf = own_paper(client)
    refused = change(client, paper, csrf, title="Autre nom", category="bank", expires_on=typed)
    assert refused.status_code == 422
    # Its example is written as people write dates, which the page takes.
    assert "La date doit être une vraie date, par exemple 31/12/2030." in refused.text
    assert 'value="Autre nom"' in refused.text
    assert f'value="{typed}"' in refused.text
    shown = as_read(client.get(paper).text)
    assert "<h1>Ma carte</h1>" in shown
    assert "Valable jusqu" not in shown
    assert "Vous avez modifié" not in as_read(client.get("/historique").text)


def test_emptying_the_end_date_takes_it_away(client: TestClient) -> None:
    paper, csrf = own_paper(client)
    change(client, paper, csrf, title="Ma carte", category="identity", expires_on="2031-05-01")
    assert 'value="2031-05-01"' in client.get(f"{paper}/modifier").text
    emptied = change(client, paper, csrf, title="Ma carte", category="identity", expires_on="")
    assert "Le papier est modifié." in emptied.text
    assert "Valable jusqu" not in emptied.text


def test_without_its_token_the_change_is_refused(client: TestClient) -> None:
    paper, _csrf = own_paper(client)
    refused = change(client, paper, "", title="Volé", category="bank")
    assert refused.status_code == 403
    assert "<h1>Ma carte</h1>" in as_read(client.get(paper).text)


def test_a_helper_who_may_manage_changes_it_and_the_person_reads_who(
    client: TestClient, rt: Runtime
) -> None:
    amina, claire, _org = setup(client, rt)
    document_id = upload(client, amina, pdf("carte"), title="Carte").json()["id"]
    give(client, amina, claire, scopes=["view", "manage"])
    client.cookies.clear()
    page_sign_in(client, "claire.martin")
    paper = f"/papiers/{document_id}"
    shown = client.get(paper).text
    assert f'href="{paper}/modifier"' in shown
    changed = change(client, paper, csrf_of(shown), title="Carte", expires_on="31/12/2030")
    assert "Le papier est modifié." in changed.text
    assert card(client, amina["headers"], document_id)["expires_on"] == "2030-12-31"
    lines = client.get("/api/v1/journal", headers=amina["headers"]).json()
    assert any(
        line["action"] == "document_changed" and line["actor_name"] == "Claire Martin"
        for line in lines
    ), lines


def test_a_helper_who_may_only_look_gets_no_form(client: TestClient, rt: Runtime) -> None:
    """No link to « Modifier » nor « Supprimer »; their forms refused as any paper outside
    their access is, and the person reads that they tried."""
    amina, claire, _org = setup(client, rt)
    document_id = upload(client, amina, pdf("carte"), title="Carte").json()["id"]
    give(client, amina, claire, scopes=["view"])
    client.cookies.clear()
    page_sign_in(client, "claire.martin")
    paper = f"/papiers/{document_id}"
    shown = client.get(paper).text
    assert "/modifier" not in shown
    assert "/supprimer" not in shown
    assert client.get(f"{paper}/modifier").status_code == 404
    assert client.get(f"{paper}/supprimer").status_code == 404
    refused = change(client, paper, csrf_of(shown), title="Autre", category="identity")
    assert refused.status_code == 404
    assert card(client, amina["headers"], document_id)["title"] == "Carte"
    with rt.sessions() as db:
        actions = db.scalars(
            select(JournalEvent.action).where(JournalEvent.subject_id == amina["id"])
        ).all()
    assert ACCESS_REFUSED in actions


def test_a_helper_limited_to_some_types_keeps_the_paper_within_them(
    client: TestClient, rt: Runtime
) -> None:
    amina, claire, _org = setup(client, rt)
    document_id = upload(client, amina, pdf("avis"), title="Avis", category="taxes").json()["id"]
    give(client, amina, claire, scopes=["view", "manage"], categories=["taxes", "bank"])
    client.cookies.clear()
    page_sign_in(client, "claire.martin")
    paper = f"/papiers/{document_id}"
    form = client.get(f"{paper}/modifier").text
    offered = re.findall(r'<option value="([a-z]+)"', form)
    assert offered == ["taxes", "bank"]
    refused = change(client, paper, csrf_of(form), title="Avis", category="identity")
    assert refused.status_code == 422
    assert "Ce type de papier n&#39;est pas dans votre accès." in refused.text
    assert card(client, amina["headers"], document_id)["category"] == "taxes"
    moved = change(client, paper, csrf_of(form), title="Avis", category="bank")
    assert "Le papier est modifié." in moved.text


def test_a_held_account_changes_no_paper(client: TestClient, rt: Runtime) -> None:
    """After a reset the counsellor made alone, the account gets no more than the counsellor:
    the form and its answer are closed, and the paper stays as it was."""
    amina, claire, _org = setup(client, rt)
    document_id = upload(client, amina, pdf("carte"), title="Carte").json()["id"]
    give(client, amina, claire, scopes=["recover"])
    reset_alone(client, amina, claire)
    client.cookies.clear()
    page_sign_in(client, "amina.diallo", NEW)
    paper = f"/papiers/{document_id}"
    closed = client.get(f"{paper}/modifier")
    assert closed.status_code == 423
    assert "Claire Martin" in closed.text
    csrf = csrf_of(client.get("/compte").text)
    refused = change(client, paper, csrf, title="Autre", category="bank", expires_on="")
    assert refused.status_code == 423
    with rt.sessions() as db:
        changes = db.scalars(
            select(JournalEvent.action).where(JournalEvent.action == "document_changed")
        ).all()
    assert changes == []
