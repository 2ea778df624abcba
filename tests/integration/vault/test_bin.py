"""Deleting a paper moves it to the bin: its owner sees it there and takes it back; after the
bin period it is erased with its data keys and its stored objects."""

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete as delete_statement
from sqlalchemy import select, text

from tests.integration.consent.test_grants import grant, setup
from tests.integration.vault.helpers import counts
from tests.integration.vault.test_documents_api import upload
from tests.integration.webui.test_pages import SAME_ORIGIN, as_read, csrf_of, page_sign_in
from tests.samples import pdf
from vault.db import transaction
from vault.documents import bin as bin_module
from vault.documents.bin import erase_expired, restore_document
from vault.documents.service import purge_objects
from vault.errors import NotFoundError
from vault.keylife.integrity import verify_papers
from vault.models import JournalEvent, Person, utcnow
from vault.runtime import Runtime

pytestmark = pytest.mark.master_keys


def delete(client: TestClient, who: dict[str, Any], document_id: str) -> int:
    return client.delete(f"/api/v1/documents/{document_id}", headers=who["headers"]).status_code


def in_bin(client: TestClient, who: dict[str, Any], vault: str = "me") -> Any:
    return client.get(f"/api/v1/vaults/{vault}/bin", headers=who["headers"])


def test_a_deleted_paper_waits_in_the_bin_and_comes_back_whole(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    paper = pdf("carte")
    document_id = upload(client, amina, paper).json()["id"]
    assert delete(client, amina, document_id) == 204

    assert client.get("/api/v1/vaults/me/documents", headers=amina["headers"]).json() == []
    for method, path in (
        ("GET", f"/api/v1/documents/{document_id}"),
        ("GET", f"/api/v1/documents/{document_id}/content"),
        ("PATCH", f"/api/v1/documents/{document_id}"),
        ("DELETE", f"/api/v1/documents/{document_id}"),
    ):
        kwargs: dict[str, Any] = {"json": {"title": "x"}} if method == "PATCH" else {}
        answer = client.request(method, path, headers=amina["headers"], **kwargs)
        assert answer.status_code == 404, (method, path)
    binned = in_bin(client, amina).json()
    assert [b["document"]["id"] for b in binned] == [document_id]
    assert binned[0]["document"]["title"] == "Carte d'identité"
    assert binned[0]["deleted_by_name"] == "Amina Diallo"
    assert counts(rt) == (1, 2, 2)  # the paper and its thumbnail

    restored = client.post(f"/api/v1/documents/{document_id}/restore", headers=amina["headers"])
    assert restored.status_code == 200
    assert restored.json()["id"] == document_id
    assert in_bin(client, amina).json() == []
    content = client.get(f"/api/v1/documents/{document_id}/content", headers=amina["headers"])
    assert content.content == paper
    again = client.post(f"/api/v1/documents/{document_id}/restore", headers=amina["headers"])
    assert again.status_code == 404


def test_only_the_owner_sees_the_bin_and_takes_back(
    client: TestClient, rt: Runtime, bruno: dict[str, Any]
) -> None:
    amina, claire, _ = setup(client, rt)
    grant(client, amina, counsellor_id=claire["id"], scopes=["view", "manage"])
    document_id = upload(client, amina, pdf("bail")).json()["id"]
    vault_id = client.get("/api/v1/me", headers=amina["headers"]).json()["vault_id"]

    assert delete(client, claire, document_id) == 204
    binned = in_bin(client, amina).json()
    assert binned[0]["deleted_by_name"] == "Claire Martin"
    for stranger in (claire, bruno):
        assert in_bin(client, stranger, vault_id).status_code == 404
        answer = client.post(
            f"/api/v1/documents/{document_id}/restore", headers=stranger["headers"]
        )
        assert answer.status_code == 404
    with transaction(rt.sessions) as db:
        refused = db.scalars(
            select(JournalEvent.action).where(JournalEvent.target_id == document_id)
        ).all()
    assert "document_deleted" in refused
    assert "access_refused" in refused
    assert (
        client.post(
            f"/api/v1/documents/{document_id}/restore", headers=amina["headers"]
        ).status_code
        == 200
    )


def test_after_the_bin_period_the_paper_is_erased_with_its_keys(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    kept = upload(client, amina, pdf("garde")).json()["id"]
    gone = upload(client, amina, pdf("jete")).json()["id"]
    assert delete(client, amina, gone) == 204

    with transaction(rt.sessions) as db:
        assert erase_expired(db, rt, utcnow() + timedelta(days=rt.settings.bin_days - 1)) == []
    with transaction(rt.sessions) as db:
        names = erase_expired(db, rt, utcnow() + timedelta(days=rt.settings.bin_days, minutes=1))
    assert len(names) == 2  # the paper and its thumbnail
    purge_objects(rt.store, names)

    assert counts(rt) == (1, 2, 2)  # the paper kept, and its thumbnail
    assert in_bin(client, amina).json() == []
    restore = client.post(f"/api/v1/documents/{gone}/restore", headers=amina["headers"])
    assert restore.status_code == 404
    with transaction(rt.sessions) as db:
        assert all(check.ok for check in verify_papers(db, rt))
        erased = db.scalars(
            select(JournalEvent).where(JournalEvent.action == "document_erased")
        ).one()
    assert erased.target_id == gone
    listed = client.get("/api/v1/vaults/me/documents", headers=amina["headers"]).json()
    assert [d["id"] for d in listed] == [kept]


def test_a_counsellors_deletion_goes_to_the_persons_bin(client: TestClient, rt: Runtime) -> None:
    amina, claire, _ = setup(client, rt)
    grant(client, amina, counsellor_id=claire["id"], scopes=["view", "manage"])
    document_id = upload(client, amina, pdf("bail"), title="Bail").json()["id"]
    page_sign_in(client, "claire.martin")
    delete_page = client.get(f"/papiers/{document_id}/supprimer")
    assert "La personne peut le remettre pendant 30 jours." in as_read(delete_page.text)
    deleted = client.post(
        f"/papiers/{document_id}/supprimer",
        data={"csrf": csrf_of(delete_page.text)},
        headers=SAME_ORIGIN,
    )
    assert "Le papier est dans la corbeille de Amina Diallo, qui peut le remettre." in as_read(
        deleted.text
    )
    assert "Bail" not in deleted.text

    client.cookies.clear()
    page_sign_in(client, "amina.diallo")
    binned = as_read(client.get("/corbeille").text)
    assert "Bail" in binned
    # Her own deletion speaks to her (review of the pages: it said « La personne »).
    other = upload(client, amina, pdf("quittance"), title="Quittance").json()["id"]
    own_page = as_read(client.get(f"/papiers/{other}/supprimer").text)
    assert "Vous pouvez le remettre pendant 30 jours." in own_page
    assert "La personne" not in own_page
    assert "par Claire Martin" in binned
    assert "Claire Martin, CCAS d&#39;Orléans, a mis « Bail » dans la corbeille." in as_read(
        client.get("/historique").text
    )


def test_a_paper_taken_back_while_the_sweep_erases_the_bin_is_not_said_back(
    client: TestClient, rt: Runtime, amina: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    if rt.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writing transaction at a time: the restore waits for it")
    document_id = upload(client, amina, pdf("titre")).json()["id"]
    assert delete(client, amina, document_id) == 204
    answers: list[str] = []

    def restore() -> None:
        with transaction(rt.sessions) as db:
            owner = db.get_one(Person, amina["user"]["id"])
            try:
                restore_document(db, rt, owner, document_id)
                answers.append("restored")
            except NotFoundError:
                answers.append("not found")

    real_delete = delete_statement  # what the sweep deletes with
    taking_back = threading.Thread(target=restore)

    def delete_once_taken_back(table: Any) -> Any:
        if taking_back.ident is None:
            # The sweep has read which papers to erase; the owner, who still sees the paper
            # in the bin, takes it back now: it is either done or waits for the sweep.
            taking_back.start()
            until_done_or_waiting(rt, taking_back)
        return real_delete(table)

    monkeypatch.setattr(bin_module, "delete", delete_once_taken_back)
    with transaction(rt.sessions) as db:
        names = erase_expired(db, rt, utcnow() + timedelta(days=rt.settings.bin_days, minutes=1))
    purge_objects(rt.store, names)
    taking_back.join(timeout=30)
    assert answers == ["not found"]  # the sweep came first: never « restored », then erased
    assert len(names) == 2  # the paper and its thumbnail
    assert client.get("/api/v1/vaults/me/documents", headers=amina["headers"]).json() == []
    assert in_bin(client, amina).json() == []


def until_done_or_waiting(rt: Runtime, thread: threading.Thread) -> None:
    """Until `thread` has ended, or waits for a row lock (PostgreSQL shows it in
    pg_stat_activity, read afresh by each transaction)."""
    deadline = time.monotonic() + 30
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    while thread.is_alive():
        with rt.engine.connect() as watcher:
            if watcher.execute(waiting).scalar():
                return
        assert time.monotonic() < deadline, "the restore neither ended nor waited"
        time.sleep(0.01)
