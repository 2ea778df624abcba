"""One damaged row never takes a list down. A paper whose keys or sealed text cannot be opened
is listed as unreadable beside the others (API `readable: false`, pages « Papier illisible »),
opening it is a clear refusal (409), the export leaves it out and names it in its manifest,
`coffre keys verify` says what is wrong with it, and whoever sees it can report it to the
platform admins. Each failure is one log line: ids and what is wrong, never a title, never a
traceback."""

import io
import json
import logging
import re
import zipfile
from datetime import date
from typing import Any

import pytest
import typer
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.app_fixtures import admin_headers, organisation, professional
from tests.integration.consent.test_history_paging import grant
from tests.integration.reminders.smtp import Inbox, inbox
from tests.integration.reminders.test_reminders import give_email, with_smtp
from tests.integration.vault.damage import (
    alter_object_start,
    damage_data_key,
    damage_key_slot,
    damage_title,
    remove_object,
)
from tests.integration.vault.helpers import blob_of
from tests.integration.vault.test_documents_api import upload
from tests.integration.vault.test_encryption_at_rest import flip_bit
from tests.integration.vault.test_expiry import in_days
from tests.samples import pdf
from vault.accounts.sessions import open_session
from vault.db import transaction
from vault.documents.reminders import send_due
from vault.documents.service import DocumentFields, create_document, plan_upload, store_upload
from vault.models import Blob, JournalEvent, Person
from vault.runtime import Runtime
from webui.cli import keys as keys_command
from webui.cli import shared as cli_shared
from webui.i18n import CatalogueWording

pytestmark = pytest.mark.master_keys

__all__ = ["inbox"]

LIST = "/api/v1/vaults/me/documents"
SECRET_TITLE = "Titre-Secret-5521"
SAME_ORIGIN = {"Origin": "http://coffre.test", "Sec-Fetch-Site": "same-origin"}


def added(
    rt: Runtime,
    who: dict[str, Any],
    title: str = SECRET_TITLE,
    category: str = "identity",
    expires_on: str | None = None,
    padding: int = 0,
) -> str:
    """A paper added by its owner through the service: no thumbnail is drawn, which keeps these
    tests quick (the pages' test adds one through the API)."""
    with transaction(rt.sessions) as db:
        plan = plan_upload(db, rt, db.get_one(Person, who["user"]["id"]), who["vault_id"])
    stored = store_upload(rt, plan, [pdf(title, padding=padding)])
    fields = DocumentFields(
        title, category, date.fromisoformat(expires_on) if expires_on else None, "carte.pdf"
    )
    with transaction(rt.sessions) as db:
        owner = db.get_one(Person, who["user"]["id"])
        return create_document(db, rt, owner, stored, fields).id


def integrity_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The lines logged about unreadable papers; each is one line with no traceback and no
    title."""
    records = [r for r in caplog.records if "unreadable paper" in r.getMessage()]
    for record in records:
        assert record.exc_info is None
        assert "\n" not in record.getMessage()
        assert SECRET_TITLE not in record.getMessage()
    return [r.getMessage() for r in records]


def pages_as(client: TestClient, rt: Runtime, person_id: str) -> str:
    """A page session for the person; returns its CSRF token."""
    with transaction(rt.sessions) as db:
        person = db.get_one(Person, person_id)
        token, session = open_session(db, rt.settings, person, "web")
        csrf = session.csrf_token
    client.cookies.set("coffre_session", token, domain="coffre.test")
    return csrf


def test_the_list_survives_damaged_rows(
    client: TestClient, rt: Runtime, amina: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    fine = added(rt, amina, "Bon papier")
    title_gone = added(rt, amina, category="income", expires_on="2020-01-31")
    key_gone = added(rt, amina, category="health")
    damage_title(rt, title_gone)
    damage_data_key(rt, key_gone)

    with caplog.at_level(logging.WARNING):
        answer = client.get(LIST, headers=amina["headers"])
    assert answer.status_code == 200, answer.text
    papers = {p["id"]: p for p in answer.json()}
    assert papers[fine]["readable"] is True
    assert papers[fine]["title"] == "Bon papier"
    for document_id, category in ((title_gone, "income"), (key_gone, "health")):
        paper = papers[document_id]
        assert paper["readable"] is False
        assert paper["title"] is None
        assert paper["filename"] is None
        assert paper["category"] == category
        assert paper["size"] > 0
    assert papers[title_gone]["expires_on"] == "2020-01-31"
    assert papers[title_gone]["expiry"] == "expired"
    lines = integrity_lines(caplog)
    assert len(lines) == 2
    assert any(title_gone in line and "sealed title" in line for line in lines)
    assert any(key_gone in line and "wrapped data key" in line for line in lines)
    assert all(amina["vault_id"] in line for line in lines)
    assert SECRET_TITLE not in answer.text


def test_a_damaged_key_slot_leaves_every_paper_listed(
    client: TestClient, rt: Runtime, amina: dict[str, Any], bruno: dict[str, Any]
) -> None:
    mine = [added(rt, amina), added(rt, amina)]
    binned = added(rt, amina)
    assert client.delete(f"/api/v1/documents/{binned}", headers=amina["headers"]).status_code == 204
    theirs = added(rt, bruno, "Papier de Bruno")
    damage_key_slot(rt, amina["user"]["id"])

    listed = client.get(LIST, headers=amina["headers"])
    assert listed.status_code == 200, listed.text
    assert {p["id"]: p["readable"] for p in listed.json()} == dict.fromkeys(mine, False)
    in_bin = client.get("/api/v1/vaults/me/bin", headers=amina["headers"])
    assert in_bin.status_code == 200, in_bin.text
    assert [(p["document"]["id"], p["document"]["readable"]) for p in in_bin.json()] == [
        (binned, False)
    ]
    [other] = client.get(LIST, headers=bruno["headers"]).json()
    assert (other["id"], other["title"], other["readable"]) == (theirs, "Papier de Bruno", True)


def test_opening_an_unreadable_paper_is_a_clear_error(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    damaged = added(rt, amina)
    damage_title(rt, damaged)
    headers = amina["headers"]

    card = client.get(f"/api/v1/documents/{damaged}", headers=headers)
    assert card.status_code == 200
    assert (card.json()["readable"], card.json()["title"]) == (False, None)
    for answer in (
        client.get(f"/api/v1/documents/{damaged}/content", headers=headers),
        client.patch(f"/api/v1/documents/{damaged}", headers=headers, json={"title": "Neuf"}),
        client.post(
            f"/api/v1/documents/{damaged}/shares",
            headers=headers,
            json={"recipient": "CAF", "purpose": "RSA", "expires_in_hours": 24},
        ),
    ):
        assert answer.status_code == 409, answer.text
        assert "abîmé" in answer.json()["detail"]
    # The person can still put it away, and take it back.
    assert client.delete(f"/api/v1/documents/{damaged}", headers=headers).status_code == 204
    [binned] = client.get("/api/v1/vaults/me/bin", headers=headers).json()
    assert binned["document"]["readable"] is False
    restored = client.post(f"/api/v1/documents/{damaged}/restore", headers=headers)
    assert restored.status_code == 200
    assert restored.json()["readable"] is False


def test_a_missing_or_altered_object_is_a_clear_error(
    client: TestClient, rt: Runtime, amina: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    gone = added(rt, amina)
    altered = added(rt, amina)
    remove_object(rt, gone)
    alter_object_start(rt, altered)

    # Lists read no stored object: these are found when opened, and by `coffre keys verify`.
    assert client.get(LIST, headers=amina["headers"]).status_code == 200
    with caplog.at_level(logging.WARNING):
        for document_id in (gone, altered):
            answer = client.get(
                f"/api/v1/documents/{document_id}/content", headers=amina["headers"]
            )
            assert answer.status_code == 409, answer.text
            assert "abîmé" in answer.json()["detail"]
    lines = integrity_lines(caplog)
    assert any(gone in line and "blob missing" in line for line in lines)
    assert any(altered in line and "blob fails authentication" in line for line in lines)

    # The page that frames the paper shows the error, and the report opens in the whole window.
    pages_as(client, rt, amina["user"]["id"])
    framed = client.get(f"/papiers/{gone}/fichier")
    assert framed.status_code == 409
    assert "abîmé" in framed.text
    assert re.search(rf'action="/papiers/{gone}/signaler"[^>]*target="_top"', framed.text)


def test_a_paper_damaged_further_in_is_cut_short_in_one_line(
    client: TestClient, rt: Runtime, amina: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    damaged = added(rt, amina, padding=2_000_000)
    name = blob_of(rt, damaged).object_name
    stored = bytearray(b"".join(rt.store.get(name)))
    stored[len(stored) * 3 // 4] ^= 0x01  # past its first piece (up to about 1 MiB)
    rt.store.put(name, [bytes(stored)])

    # The fault goes up to the server, which cuts the connection (a real one:
    # tests/integration/webui/test_server_logs.py); this client hands back what was sent.
    cutting = TestClient(client.app, raise_server_exceptions=False)
    with caplog.at_level(logging.WARNING):
        answer = cutting.get(f"/api/v1/documents/{damaged}/content", headers=amina["headers"])
    # The status was sent before the damage was met: the body stops short of it.
    assert answer.status_code == 200
    assert len(answer.content) < 2_000_000
    [line] = integrity_lines(caplog)
    assert damaged in line
    assert "blob fails authentication" in line
    assert all(r.exc_info is None for r in caplog.records)


def test_pages_show_an_unreadable_paper_and_report_it(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    fine = added(rt, amina, "Bon papier")
    # Through the API: its thumbnail is drawn, and must not be shown.
    damaged = upload(client, amina, pdf(), title=SECRET_TITLE, category="income").json()["id"]
    damage_title(rt, damaged)
    csrf = pages_as(client, rt, amina["user"]["id"])

    listed = client.get("/papiers")
    assert listed.status_code == 200
    assert "Bon papier" in listed.text
    assert f'href="/papiers/{fine}"' in listed.text
    assert "Papier illisible" in listed.text
    assert "Ce papier est abîmé. Il ne peut pas être ouvert." in listed.text
    assert f'action="/papiers/{damaged}/signaler"' in listed.text
    assert f"/papiers/{damaged}/vignette" not in listed.text
    assert "None" not in listed.text
    for path in (f"/papiers/{damaged}", f"/papiers/{damaged}/supprimer", "/historique"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert "None" not in answer.text
    assert "Papier illisible" in client.get(f"/papiers/{damaged}").text
    opened = client.get(f"/papiers/{damaged}/voir")
    assert opened.status_code == 409
    assert "abîmé" in opened.text

    reported = client.post(
        f"/papiers/{damaged}/signaler",
        data={"csrf": csrf},
        headers=SAME_ORIGIN,
        follow_redirects=False,
    )
    assert reported.status_code == 303
    after = client.get(reported.headers["location"])
    assert "L'équipe du service est prévenue." in after.text
    assert f'action="/papiers/{damaged}/signaler"' not in after.text
    assert "Ce papier est signalé." in after.text
    history = client.get("/historique").text
    assert "Vous avez signalé un papier abîmé." in history

    # Reported once, whatever the clicks: one line for the admins.
    again = client.post(f"/api/v1/documents/{damaged}/report", headers=amina["headers"])
    assert again.status_code == 204
    with transaction(rt.sessions) as db:
        lines = db.scalars(
            select(JournalEvent.target_id).where(JournalEvent.action == "document_reported")
        ).all()
    assert lines == [damaged]

    # The platform admins see which paper, in which vault: ids only.
    admin_headers(client, rt)
    with transaction(rt.sessions) as db:
        admin_id = db.scalars(select(Person.id).where(Person.login == "root.admin")).one()
    pages_as(client, rt, admin_id)
    keys_page = client.get("/admin/cles")
    assert keys_page.status_code == 200
    assert "Papiers signalés" in keys_page.text
    assert damaged in keys_page.text
    assert amina["vault_id"] in keys_page.text
    assert SECRET_TITLE not in keys_page.text


def test_only_those_who_see_a_paper_may_report_it(
    client: TestClient, rt: Runtime, amina: dict[str, Any], bruno: dict[str, Any]
) -> None:
    damaged = added(rt, amina)
    report = f"/api/v1/documents/{damaged}/report"
    assert client.post(report, headers=bruno["headers"]).status_code == 404
    assert client.post(report).status_code == 401
    assert client.post(report, headers=amina["headers"]).status_code == 204


def test_a_counsellor_sees_the_others_and_the_counts(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    admin = admin_headers(client, rt)
    claire = professional(client, admin, organisation(client, admin), "claire.martin")
    grant(client, amina, claire)
    fine = added(rt, amina, "Bon papier", expires_on="2020-01-31")
    damaged = added(rt, amina, category="income", expires_on="2020-02-28")
    damage_title(rt, damaged)

    listed = client.get(f"/api/v1/vaults/{amina['vault_id']}/documents", headers=claire["headers"])
    assert listed.status_code == 200, listed.text
    assert {p["id"]: p["readable"] for p in listed.json()} == {fine: True, damaged: False}

    csrf = pages_as(client, rt, claire["id"])
    people = client.get("/personnes")
    assert people.status_code == 200
    person = client.get(f"/personnes/{amina['vault_id']}")
    assert person.status_code == 200
    assert "Bon papier" in person.text
    assert "Papier illisible" in person.text
    reported = client.post(
        f"/papiers/{damaged}/signaler",
        data={"csrf": csrf},
        headers=SAME_ORIGIN,
        follow_redirects=False,
    )
    assert reported.status_code == 303
    assert reported.headers["location"].startswith(f"/personnes/{amina['vault_id']}")
    journal = client.get("/api/v1/journal", headers=amina["headers"]).json()
    assert any(e["action"] == "document_reported" for e in journal)


def test_the_export_leaves_unreadable_papers_out_and_names_them(
    client: TestClient, rt: Runtime, amina: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    fine = added(rt, amina, "Bon papier")
    title_gone = added(rt, amina, category="income")
    gone = added(rt, amina, "Papier parti", category="health")
    altered = added(rt, amina, "Papier altéré", category="bank")
    damage_title(rt, title_gone)
    remove_object(rt, gone)
    alter_object_start(rt, altered)

    with caplog.at_level(logging.WARNING):
        answer = client.get("/api/v1/vaults/me/export", headers=amina["headers"])
    assert answer.status_code == 200, answer.text
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    assert archive.testzip() is None
    assert archive.namelist() == ["identite/Bon papier.pdf", "manifest.json", "journal.csv"]
    manifest = json.loads(archive.read("manifest.json"))
    assert [p["title"] for p in manifest["papers"]] == ["Bon papier"]
    assert manifest["papers"][0]["id"] == fine
    unreadable = {p["id"]: p for p in manifest["unreadable"]}
    assert set(unreadable) == {title_gone, gone, altered}
    assert unreadable[title_gone]["category"] == "income"
    assert "title" not in unreadable[title_gone]
    # The journal names a paper by its title where it can: not the one whose title is lost.
    journal = archive.read("journal.csv").decode()
    assert "Papier parti" in journal
    assert SECRET_TITLE not in journal
    lines = integrity_lines(caplog)
    assert {i for i in (title_gone, gone, altered) if any(i in line for line in lines)} == {
        title_gone,
        gone,
        altered,
    }


def test_keys_verify_names_each_unreadable_paper(
    client: TestClient,
    rt: Runtime,
    amina: dict[str, Any],
    bruno: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fine = added(rt, amina, "Bon papier")
    title_gone = added(rt, amina)
    key_gone = added(rt, amina)
    gone = added(rt, amina)
    altered = added(rt, amina)
    slot_gone = added(rt, bruno)
    damage_title(rt, title_gone)
    damage_data_key(rt, key_gone)
    remove_object(rt, gone)
    flip_bit(rt, blob_of(rt, altered).object_name, -20)
    damage_key_slot(rt, bruno["user"]["id"])
    monkeypatch.setattr(cli_shared, "runtime", lambda: rt)

    with pytest.raises(typer.Exit) as stopped:
        keys_command.keys_verify()
    assert stopped.value.exit_code == 1
    out = capsys.readouterr().out
    amina_vault, bruno_vault = amina["vault_id"], bruno["vault_id"]
    assert f"FAILED document {title_gone} (vault {amina_vault}): sealed title" in out
    with transaction(rt.sessions) as db:
        blobs = {
            b.document_id: b.id
            for b in db.scalars(select(Blob).where(Blob.role == "original")).all()
        }
    for document_id, problem in (
        (key_gone, "wrapped data key"),
        (gone, "blob missing"),
        (altered, "blob fails authentication"),
    ):
        assert (
            f"FAILED blob {blobs[document_id]} (document {document_id}, vault {amina_vault}): "
            f"{problem}" in out
        )
    assert f"FAILED document {slot_gone} (vault {bruno_vault}): key slot" in out
    assert fine not in out
    assert SECRET_TITLE not in out
    assert "5 of 6 documents cannot be read." in out


def test_reminders_survive_a_person_whose_keys_cannot_be_read(
    client: TestClient, rt: Runtime, amina: dict[str, Any], bruno: dict[str, Any], inbox: Inbox
) -> None:
    give_email(client, amina, "amina@example.org")
    give_email(client, bruno, "bruno@example.org")
    for who in (amina, bruno):
        added(rt, who, expires_on=in_days(20).isoformat())
    damage_key_slot(rt, amina["user"]["id"])

    report = send_due(with_smtp(rt, inbox.port), wording=CatalogueWording())
    # Bruno's email leaves; Amina's address cannot be read: she is told at her next visit.
    assert (report.emails, report.banners, report.failures) == (1, 1, [])
    assert [m["To"] for m in inbox.messages] == ["bruno@example.org"]
