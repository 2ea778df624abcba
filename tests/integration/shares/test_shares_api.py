"""Sending a marked copy through the API: who may, what is kept, and what the link gives."""

import io
import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select, update

from tests.app_fixtures import admin_headers, organisation, professional, sign_up
from tests.integration.consent.test_grants import grant
from tests.integration.shares.helpers import download, make_share, token_of, visitor
from tests.integration.vault.test_documents_api import upload
from tests.integration.webui.test_pages import as_read
from tests.samples import changed_pixels, pdf, photo
from vault.db import transaction
from vault.documents.service import DocumentFields, create_document, plan_upload, store_upload
from vault.models import Blob, Document, JournalEvent, Person, Share, utcnow
from vault.runtime import Runtime


def paper(client: TestClient, who: dict[str, Any], content: bytes | None = None) -> str:
    created = upload(client, who, content or photo(), "carte.jpg")
    assert created.status_code == 201, created.text
    document_id: str = created.json()["id"]
    return document_id


def kept_unchecked(rt: Runtime, who: dict[str, Any], content: bytes) -> str:
    """A paper kept as uploads were before pypdf checked them: such papers are still there."""
    with transaction(rt.sessions) as db:
        owner = db.get_one(Person, who["user"]["id"])
        plan = plan_upload(db, rt, owner, who["vault_id"])
    stored = store_upload(rt, plan, [content])
    with transaction(rt.sessions) as db:
        owner = db.get_one(Person, who["user"]["id"])
        return create_document(db, rt, owner, stored, DocumentFields("Avis", "taxes")).id


def test_owner_makes_lists_and_revokes_a_link(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    document_id = paper(client, amina)
    created = make_share(client, amina, document_id, max_downloads=2)
    assert created.status_code == 201, created.text
    body = created.json()
    assert set(body) == {"id", "url", "expires_at"}
    assert body["url"].startswith("http://coffre.test/s/")
    token = token_of(created)
    assert len(token) >= 43  # 32 random bytes

    listed = client.get(f"/api/v1/documents/{document_id}/shares", headers=amina["headers"])
    assert listed.status_code == 200
    [share] = listed.json()
    assert share["recipient"] == "CAF du Loiret"
    assert share["purpose"] == "Dossier RSA"
    assert share["max_downloads"] == 2
    assert share["downloads"] == 0
    assert share["revoked"] is False
    assert share["valid"] is True
    assert share["created_by"] == "Amina Diallo"

    with transaction(rt.sessions) as db:
        row = db.get_one(Share, body["id"])
        assert token not in row.token_hash
        assert b"CAF" not in row.recipient_sealed
        blob = db.get_one(Blob, row.blob_id)
        assert (blob.role, blob.document_id) == ("share", document_id)
        actions = list(db.scalars(select(JournalEvent.action)))
    assert "share_created" in actions

    revoked = client.delete(f"/api/v1/shares/{body['id']}", headers=amina["headers"])
    assert revoked.status_code == 204
    [share] = client.get(f"/api/v1/documents/{document_id}/shares", headers=amina["headers"]).json()
    assert (share["revoked"], share["valid"]) == (True, False)
    assert visitor(client).get(f"/s/{token}").status_code == 410


def test_the_copy_is_marked_and_counted(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    document_id = paper(client, amina)
    created = make_share(client, amina, document_id, max_downloads=1)
    token = token_of(created)
    anonymous = visitor(client)
    page = anonymous.get(f"/s/{token}")
    assert page.status_code == 200
    assert "Carte d&#39;identité" in page.text or "Carte d'identité" in page.text
    assert "Amina Diallo" in page.text

    copy = download(anonymous, token)
    assert copy.status_code == 200, copy.text
    assert copy.headers["content-disposition"].startswith("attachment")
    assert copy.headers["cache-control"] == "no-store"
    assert copy.headers["x-content-type-options"] == "nosniff"
    image = Image.open(io.BytesIO(copy.content))
    assert changed_pixels(Image.new("RGB", image.size, (250, 250, 250)), image) > 500
    assert copy.content != photo()
    # The last download used, the link is over, the page and the download alike.
    assert anonymous.get(f"/s/{token}").status_code == 410
    assert "Ce lien n'est plus valable." in anonymous.get(f"/s/{token}").text
    assert download(anonymous, token).status_code == 410
    with transaction(rt.sessions) as db:
        opened = db.scalars(select(JournalEvent).where(JournalEvent.action == "share_opened"))
        assert [e.target_id for e in opened] == [created.json()["id"]]


def test_an_unknown_or_expired_link_says_the_same(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    document_id = paper(client, amina)
    created = make_share(client, amina, document_id)
    with transaction(rt.sessions) as db:
        db.execute(
            update(Share)
            .where(Share.id == created.json()["id"])
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
    anonymous, token, unknown_token = visitor(client), token_of(created), "x" * 43
    expired = anonymous.get(f"/s/{token}")
    unknown = anonymous.get(f"/s/{unknown_token}")
    assert expired.status_code == unknown.status_code == 410
    # The same page, but for the link itself (the language switch comes back to it).
    assert expired.text.replace(token, "T") == unknown.text.replace(unknown_token, "T")


def test_a_paper_in_the_bin_stops_its_links(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    document_id = paper(client, amina)
    token = token_of(make_share(client, amina, document_id))
    with transaction(rt.sessions) as db:
        db.execute(update(Document).where(Document.id == document_id).values(deleted_at=utcnow()))
    assert visitor(client).get(f"/s/{token}").status_code == 410
    assert download(client, token).status_code == 410


def test_deleting_a_paper_stops_its_links_for_good(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    """Whoever deletes a paper wants it out of reach: a restore brings the paper back, not the
    links that were sent before."""
    document_id = paper(client, amina)
    token = token_of(make_share(client, amina, document_id))
    deleted = client.delete(f"/api/v1/documents/{document_id}", headers=amina["headers"])
    assert deleted.status_code == 204
    restored = client.post(f"/api/v1/documents/{document_id}/restore", headers=amina["headers"])
    assert restored.status_code == 200
    assert visitor(client).get(f"/s/{token}").status_code == 410
    assert download(client, token).status_code == 410
    links = client.get(f"/api/v1/documents/{document_id}/shares", headers=amina["headers"])
    assert [(link["revoked"], link["valid"]) for link in links.json()] == [(True, False)]


def test_others_get_404_and_a_counsellor_with_view_may(client: TestClient, rt: Runtime) -> None:
    admin = admin_headers(client, rt)
    org_id = organisation(client, admin)
    claire = professional(client, admin, org_id, "claire.martin")
    amina = sign_up(client, "amina.diallo")
    bruno = sign_up(client, "bruno.martin", "Bruno Martin")
    document_id = paper(client, amina)
    mine = make_share(client, amina, document_id).json()["id"]
    for outsider in (bruno, claire):
        assert make_share(client, outsider, document_id).status_code == 404
        listed = client.get(f"/api/v1/documents/{document_id}/shares", headers=outsider["headers"])
        assert listed.status_code == 404
        stopped = client.delete(f"/api/v1/shares/{mine}", headers=outsider["headers"])
        # The same answer as for a link that does not exist: an id tells nothing.
        nowhere = client.delete(f"/api/v1/shares/{uuid.uuid4()}", headers=outsider["headers"])
        assert (stopped.status_code, stopped.json()) == (404, nowhere.json())

    grant(client, amina, counsellor_id=claire["id"], scopes=["view"])
    created = make_share(client, claire, document_id)
    assert created.status_code == 201, created.text
    page = visitor(client).get(f"/s/{token_of(created)}")
    assert "avec Claire Martin (CCAS d&#39;Orléans)" in as_read(page.text)
    listed = client.get(f"/api/v1/documents/{document_id}/shares", headers=claire["headers"])
    assert {s["created_by"] for s in listed.json()} == {"Amina Diallo", "Claire Martin"}
    # Whom and why a copy went to is read by the person and by whoever made the link: a
    # helper sees that the person sent one, not to whom (privacy review, 2026-12-05).
    assert {(s["created_by"], s["recipient"], s["purpose"]) for s in listed.json()} == {
        ("Amina Diallo", None, None),
        ("Claire Martin", "CAF du Loiret", "Dossier RSA"),
    }
    own = client.get(f"/api/v1/documents/{document_id}/shares", headers=amina["headers"])
    assert {s["recipient"] for s in own.json()} == {"CAF du Loiret"}
    assert None not in {s["purpose"] for s in own.json()}
    assert client.delete(f"/api/v1/shares/{mine}", headers=claire["headers"]).status_code == 204
    with transaction(rt.sessions) as db:
        made = db.scalars(select(JournalEvent).where(JournalEvent.action == "share_created"))
        assert {(e.actor_id, e.organisation_id is not None) for e in made} == {
            (amina["user"]["id"], False),
            (claire["id"], True),
        }


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"expires_in_hours": 0}, "expires_in_hours"),
        ({"expires_in_hours": 721}, "expires_in_hours"),
        ({"recipient": "  "}, "recipient"),
        ({"purpose": ""}, "purpose"),
        ({"max_downloads": 0}, "max_downloads"),
        # Six at least: ~9,000 guesses fit in a link's longest life, most of 10,000 codes.
        ({"code": "12345"}, "code"),
    ],
)
def test_wrong_fields_are_refused(
    client: TestClient, rt: Runtime, amina: dict[str, Any], fields: dict[str, Any], field: str
) -> None:
    document_id = paper(client, amina)
    answer = make_share(client, amina, document_id, **fields)
    assert answer.status_code == 422
    assert answer.json()["field"] == field
    with transaction(rt.sessions) as db:
        assert db.scalars(select(Share)).all() == []


def test_a_damaged_paper_gets_a_clear_refusal_and_nothing_is_kept(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    broken = pdf("abime").replace(b"/Type /Page ", b"/Type /Xyz ")
    document_id = kept_unchecked(rt, amina, broken)
    objects = len(list(rt.store.list()))
    answer = make_share(client, amina, document_id)
    assert answer.status_code == 422, answer.text
    assert "copie" in answer.json()["detail"]
    assert len(list(rt.store.list())) == objects
    with transaction(rt.sessions) as db:
        assert db.scalars(select(Share)).all() == []


def test_a_code_is_asked_and_wrong_codes_are_throttled_and_journaled(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    # A wait that outlasts a slow machine's requests: 1 s (the default) could end between two.
    rt.settings.throttle_base_delay_seconds = 60
    document_id = paper(client, amina)
    token = token_of(make_share(client, amina, document_id, code="soleil-42"))
    anonymous = visitor(client)
    page = anonymous.get(f"/s/{token}")
    assert page.status_code == 200
    assert 'name="code"' in page.text
    assert download(anonymous, token).status_code == 422
    statuses = [download(anonymous, token, "mauvais").status_code for _ in range(7)]
    assert statuses[:4] == [422] * 4
    assert statuses[-1] == 429
    with transaction(rt.sessions) as db:
        failed = db.scalars(
            select(JournalEvent).where(JournalEvent.action == "share_code_failed")
        ).all()
        assert failed
        assert {e.subject_id for e in failed} == {amina["user"]["id"]}
