"""Delegated access that the person grants, sees and revokes."""

import subprocess
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text, update

from tests.app_fixtures import PASSWORD, REAUTH, admin_headers, organisation, professional, sign_up
from tests.integration.vault.test_documents_api import upload
from tests.integration.vault.test_encryption_at_rest import coffre
from tests.samples import pdf, png
from vault.config import Settings
from vault.db import transaction
from vault.models import Grant, JournalEvent, utcnow
from vault.runtime import Runtime

pytestmark = pytest.mark.master_keys

ALL = ["view", "upload", "manage", "recover"]


def setup(client: TestClient, rt: Runtime) -> tuple[dict[str, Any], dict[str, Any], str]:
    admin = admin_headers(client, rt)
    org_id = organisation(client, admin)
    claire = professional(client, admin, org_id, "claire.martin")
    amina = sign_up(client, "amina.diallo")
    return amina, claire, org_id


def grant(client: TestClient, owner: dict[str, Any], **body: Any) -> str:
    answer = client.post(
        "/api/v1/grants",
        headers=owner["headers"],
        json={"scopes": ["view"], "current_password": PASSWORD, **body},
    )
    assert answer.status_code == 201, answer.text
    grant_id: str = answer.json()["id"]
    return grant_id


def test_grant_then_revoke_takes_effect_on_the_next_request(
    client: TestClient, rt: Runtime
) -> None:
    amina, claire, _org = setup(client, rt)
    document_id = upload(client, amina, pdf("carte")).json()["id"]
    content = f"/api/v1/documents/{document_id}/content"
    assert client.get(content, headers=claire["headers"]).status_code == 404
    grant_id = grant(client, amina, counsellor_id=claire["id"])
    assert client.get(content, headers=claire["headers"]).status_code == 200
    listed = client.get("/api/v1/beneficiaries", headers=claire["headers"]).json()
    assert [(v["login"], v["scopes"]) for v in listed] == [("amina.diallo", ["view"])]
    assert client.delete(f"/api/v1/grants/{grant_id}", headers=amina["headers"]).status_code == 204
    assert client.get(content, headers=claire["headers"]).status_code == 404
    assert client.get("/api/v1/beneficiaries", headers=claire["headers"]).json() == []


def test_expired_or_idle_grant_gives_nothing(client: TestClient, rt: Runtime) -> None:
    amina, claire, _org = setup(client, rt)
    document_id = upload(client, amina, pdf()).json()["id"]
    grant_id = grant(client, amina, counsellor_id=claire["id"])
    url = f"/api/v1/documents/{document_id}"
    assert client.get(url, headers=claire["headers"]).status_code == 200
    with transaction(rt.sessions) as db:
        db.execute(update(Grant).values(expires_at=utcnow()))
    assert client.get(url, headers=claire["headers"]).status_code == 404
    grants = client.get("/api/v1/grants", headers=amina["headers"]).json()
    assert [(g["id"], g["status"]) for g in grants] == [(grant_id, "expired")]
    second = grant(client, amina, counsellor_id=claire["id"])
    assert client.get(url, headers=claire["headers"]).status_code == 200
    rt.settings.grant_inactivity_days = 0
    assert client.get(url, headers=claire["headers"]).status_code == 404
    assert second


def test_private_paper_never_shows_through_a_grant(client: TestClient, rt: Runtime) -> None:
    amina, claire, _org = setup(client, rt)
    shown = upload(client, amina, pdf("shown")).json()["id"]
    hidden = upload(client, amina, pdf("hidden")).json()["id"]
    made_private = client.patch(
        f"/api/v1/documents/{hidden}", headers=amina["headers"], json={"private": True}
    )
    assert made_private.json()["private"] is True
    grant(client, amina, counsellor_id=claire["id"], scopes=ALL)
    seen = client.get(
        f"/api/v1/vaults/{amina['vault_id']}/documents", headers=claire["headers"]
    ).json()
    assert [d["id"] for d in seen] == [shown]
    for url in (f"/api/v1/documents/{hidden}", f"/api/v1/documents/{hidden}/content"):
        assert client.get(url, headers=claire["headers"]).status_code == 404
    assert (
        client.delete(f"/api/v1/documents/{hidden}", headers=claire["headers"]).status_code == 404
    )
    cannot_unhide = client.patch(
        f"/api/v1/documents/{shown}", headers=claire["headers"], json={"private": True}
    )
    assert cannot_unhide.status_code == 403


def test_scope_and_category_limits(client: TestClient, rt: Runtime) -> None:
    amina, claire, _org = setup(client, rt)
    identity = upload(client, amina, pdf(), category="identity").json()["id"]
    taxes = upload(client, amina, pdf(), category="taxes").json()["id"]
    grant(client, amina, counsellor_id=claire["id"], categories=["taxes"])
    assert client.get(f"/api/v1/documents/{identity}", headers=claire["headers"]).status_code == 404
    assert client.get(f"/api/v1/documents/{taxes}", headers=claire["headers"]).status_code == 200
    assert client.delete(f"/api/v1/documents/{taxes}", headers=claire["headers"]).status_code == 404
    assert upload(client, claire, png(), "p.png", vault=amina["vault_id"]).status_code == 404


def test_counsellor_upload_shows_who_added_it(client: TestClient, rt: Runtime) -> None:
    amina, claire, _org = setup(client, rt)
    grant(client, amina, counsellor_id=claire["id"], scopes=["view", "upload"])
    added = upload(client, claire, pdf("caf"), vault=amina["vault_id"], title="Attestation CAF")
    assert added.status_code == 201, added.text
    mine = client.get("/api/v1/vaults/me/documents", headers=amina["headers"]).json()
    assert [(d["title"], d["uploaded_by_name"]) for d in mine] == [
        ("Attestation CAF", "Claire Martin")
    ]


def test_organisation_grant_reaches_its_counsellors_only(client: TestClient, rt: Runtime) -> None:
    amina, claire, org_id = setup(client, rt)
    admin = admin_headers(client, rt, "second.admin")
    other_org = organisation(client, admin, "Secours Populaire")
    bob = professional(client, admin, org_id, "bob.leroy")
    eve = professional(client, admin, other_org, "eve.durand")
    document_id = upload(client, amina, pdf()).json()["id"]
    grant(client, amina, organisation_id=org_id)
    url = f"/api/v1/documents/{document_id}"
    assert client.get(url, headers=claire["headers"]).status_code == 200
    assert client.get(url, headers=bob["headers"]).status_code == 200
    assert client.get(url, headers=eve["headers"]).status_code == 404
    assert client.get(url, headers=admin).status_code == 404


def test_counsellor_view_appears_in_the_owner_journal(client: TestClient, rt: Runtime) -> None:
    amina, claire, _org = setup(client, rt)
    document_id = upload(client, amina, pdf()).json()["id"]
    grant(client, amina, counsellor_id=claire["id"])
    client.get(f"/api/v1/documents/{document_id}/content", headers=claire["headers"])
    journal = client.get("/api/v1/journal", headers=amina["headers"]).json()
    line = journal[0]
    assert line["action"] == "document_downloaded"
    assert line["actor_name"] == "Claire Martin"
    assert line["document_id"] == document_id
    assert "grant_created" in [e["action"] for e in journal]


def test_access_request_accepted_or_refused(client: TestClient, rt: Runtime) -> None:
    amina, claire, _org = setup(client, rt)
    document_id = upload(client, amina, pdf()).json()["id"]
    for login in ("amina.diallo", "personne.inconnue"):
        asked = client.post(
            "/api/v1/access-requests",
            headers=claire["headers"],
            json={"login": login, "scopes": ["view"]},
        )
        assert asked.status_code == 202
    pending = [
        g
        for g in client.get("/api/v1/grants", headers=amina["headers"]).json()
        if g["status"] == "pending"
    ]
    assert len(pending) == 1
    url = f"/api/v1/documents/{document_id}"
    assert client.get(url, headers=claire["headers"]).status_code == 404
    accepted = client.post(f"/api/v1/grants/{pending[0]['id']}/accept", headers=amina["headers"])
    assert accepted.json()["status"] == "active"
    assert client.get(url, headers=claire["headers"]).status_code == 200
    client.post(
        "/api/v1/access-requests",
        headers=claire["headers"],
        json={"login": "amina.diallo", "scopes": ["manage"]},
    )
    second = [
        g
        for g in client.get("/api/v1/grants", headers=amina["headers"]).json()
        if g["status"] == "pending"
    ]
    refused = client.post(f"/api/v1/grants/{second[0]['id']}/refuse", headers=amina["headers"])
    assert refused.json()["status"] == "refused"
    assert client.delete(url, headers=claire["headers"]).status_code == 404


def test_account_created_in_person(client: TestClient, rt: Runtime) -> None:
    _amina, claire, _org = setup(client, rt)
    without = client.post(
        "/api/v1/beneficiaries",
        headers=claire["headers"],
        json={
            "login": "moussa.t",
            "display_name": "Moussa T",
            "password": PASSWORD,
            "consent": False,
        },
    )
    assert without.status_code == 422
    created = client.post(
        "/api/v1/beneficiaries",
        headers=claire["headers"],
        json={
            "login": "moussa.t",
            "display_name": "Moussa T",
            "password": PASSWORD,
            "consent": True,
        },
    )
    assert created.status_code == 201, created.text
    assert len(created.json()["recovery_codes"]) == 10
    grants = client.get("/api/v1/grants", headers=claire["headers"]).json()
    assert [(g["consent"], sorted(g["scopes"])) for g in grants] == [("in_person", sorted(ALL))]
    added = upload(client, claire, pdf(), vault=created.json()["vault_id"])
    assert added.status_code == 201


def test_recover_scope_lets_a_counsellor_issue_a_reset_code(
    client: TestClient, rt: Runtime
) -> None:
    amina, claire, _org = setup(client, rt)
    person_id = client.get("/api/v1/me", headers=amina["headers"]).json()["id"]
    url = f"/api/v1/beneficiaries/{person_id}/reset-code"
    assert client.post(url, headers=claire["headers"], json=REAUTH).status_code == 404
    grant(client, amina, counsellor_id=claire["id"], scopes=["recover"])
    issued = client.post(url, headers=claire["headers"], json=REAUTH)
    assert issued.status_code == 201
    recovered = client.post(
        "/api/v1/recovery",
        json={
            "login": "amina.diallo",
            "code": issued.json()["code"],
            "new_password": "une phrase neuve",
        },
    )
    assert recovered.status_code == 204


def test_audit_verify_detects_tampering(
    client: TestClient, rt: Runtime, settings: Settings
) -> None:
    amina, claire, _org = setup(client, rt)
    grant(client, amina, counsellor_id=claire["id"])
    intact = coffre(settings, "audit", "verify")
    assert intact.returncode == 0, intact.stdout + intact.stderr
    assert "the chain is intact" in intact.stdout
    with transaction(rt.sessions) as db:
        line = db.scalars(select(JournalEvent).order_by(JournalEvent.seq.desc())).first()
        assert line is not None
        db.execute(text("UPDATE journal SET source = 'elsewhere' WHERE id = :id"), {"id": line.id})
    broken = coffre(settings, "audit", "verify")
    assert broken.returncode == 1
    assert f"entry {line.seq} was changed" in broken.stdout


def test_audit_verify_detects_a_removed_or_reordered_entry(
    client: TestClient, rt: Runtime, settings: Settings
) -> None:
    amina, claire, _org = setup(client, rt)
    grant(client, amina, counsellor_id=claire["id"])
    with transaction(rt.sessions) as db:
        db.execute(text("DELETE FROM journal WHERE seq = 2"))
    assert "entry 2 is missing" in coffre(settings, "audit", "verify").stdout
    with transaction(rt.sessions) as db:
        db.execute(text("UPDATE journal SET seq = 2 WHERE seq = 3"))
    reordered = coffre(settings, "audit", "verify")
    assert reordered.returncode == 1
    assert isinstance(reordered, subprocess.CompletedProcess)


def test_attempted_access_is_shown_to_the_owner(client: TestClient, rt: Runtime) -> None:
    amina, claire, _org = setup(client, rt)
    document_id = upload(client, amina, pdf()).json()["id"]
    assert (
        client.get(f"/api/v1/documents/{document_id}", headers=claire["headers"]).status_code == 404
    )
    line = client.get("/api/v1/journal", headers=amina["headers"]).json()[0]
    assert (line["action"], line["actor_name"]) == ("access_refused", "Claire Martin")
    assert client.get("/api/v1/documents/no-such-id", headers=claire["headers"]).status_code == 404


def test_audit_verify_detects_an_inserted_entry(
    client: TestClient, rt: Runtime, settings: Settings
) -> None:
    amina, claire, _org = setup(client, rt)
    grant(client, amina, counsellor_id=claire["id"])
    with transaction(rt.sessions) as db:
        last = db.scalars(select(JournalEvent).order_by(JournalEvent.seq.desc())).first()
        assert last is not None
        db.add(
            JournalEvent(
                seq=last.seq + 1,
                subject_id=last.subject_id,
                action="document_viewed",
                occurred_at=utcnow(),
                prev_hash=last.hash,
                hash="f" * 64,
            )
        )
    inserted = coffre(settings, "audit", "verify")
    assert inserted.returncode == 1
    assert f"entry {last.seq + 1} was changed" in inserted.stdout
    assert (
        f"the journal ends at entry {last.seq + 1} but its head says {last.seq}" in inserted.stdout
    )


@pytest.mark.parametrize("field", ["counsellor_id", "organisation_id"])
def test_a_lone_surrogate_for_whom_is_a_clear_error(
    client: TestClient, rt: Runtime, field: str
) -> None:
    """Hostile review: JSON allows `\\ud800`, no database takes it; it answered 500."""
    amina, _claire, _org = setup(client, rt)
    before = rows(rt)
    answer = client.post(
        "/api/v1/grants",
        headers={**amina["headers"], "Content-Type": "application/json"},
        content=b'{"scopes": ["view"], "%s": "\\ud800"}' % field.encode(),
    )
    assert answer.status_code == 422, answer.text
    assert rows(rt) == before


def rows(rt: Runtime) -> tuple[int, int]:
    """(grants, journal lines)."""
    with rt.sessions() as db:
        grants = db.scalar(select(func.count()).select_from(Grant)) or 0
        lines = db.scalar(select(func.count()).select_from(JournalEvent)) or 0
    return grants, lines
