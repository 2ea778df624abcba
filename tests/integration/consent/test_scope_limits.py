"""What one scope gives and what a grant's categories hold back, scope by scope (SECURITY.md,
"What a counsellor can and cannot do"), and who an organisation's grant reaches."""

from typing import Any

from fastapi.testclient import TestClient

from tests.app_fixtures import admin_headers, professional
from tests.integration.consent.test_grants import grant, setup
from tests.integration.vault.helpers import counts
from tests.integration.vault.test_documents_api import upload
from tests.samples import pdf
from vault.runtime import Runtime


def journal_of(client: TestClient, who: dict[str, Any]) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = client.get("/api/v1/journal", headers=who["headers"]).json()
    return lines


def test_an_upload_only_grant_adds_papers_and_reads_none(client: TestClient, rt: Runtime) -> None:
    amina, claire, _org = setup(client, rt)
    hers = upload(client, amina, pdf("carte"), category="identity").json()["id"]
    grant(client, amina, counsellor_id=claire["id"], scopes=["upload"])
    added = upload(client, claire, pdf("caf"), vault=amina["vault_id"], title="Attestation CAF")
    assert added.status_code == 201, added.text
    theirs = added.json()["id"]
    # Adding is all: neither the list, nor a paper (even the one they added), nor a change.
    vault = f"/api/v1/vaults/{amina['vault_id']}/documents"
    assert client.get(vault, headers=claire["headers"]).status_code == 404
    for document_id in (hers, theirs):
        url = f"/api/v1/documents/{document_id}"
        assert client.get(url, headers=claire["headers"]).status_code == 404
        assert client.get(f"{url}/content", headers=claire["headers"]).status_code == 404
        assert client.patch(url, headers=claire["headers"], json={}).status_code == 404
        assert client.delete(url, headers=claire["headers"]).status_code == 404
    mine = client.get("/api/v1/vaults/me/documents", headers=amina["headers"]).json()
    assert {(d["title"], d["uploaded_by_name"]) for d in mine} == {
        ("Carte d'identité", "Amina Diallo"),
        ("Attestation CAF", "Claire Martin"),
    }
    [added_line] = [
        line
        for line in journal_of(client, amina)
        if line["action"] == "document_added" and line["document_id"] == theirs
    ]
    assert added_line["actor_name"] == "Claire Martin"
    assert added_line["organisation_name"] == "CCAS d'Orléans"


def test_an_upload_outside_the_grants_categories_is_refused(
    client: TestClient, rt: Runtime
) -> None:
    amina, claire, _org = setup(client, rt)
    grant(
        client, amina, counsellor_id=claire["id"], scopes=["view", "upload"], categories=["taxes"]
    )
    before = counts(rt)
    refused = upload(client, claire, pdf("carte"), vault=amina["vault_id"], category="identity")
    assert refused.status_code == 422
    assert refused.json()["field"] == "category"
    assert counts(rt) == before  # nothing stored, no row
    allowed = upload(client, claire, pdf("avis"), vault=amina["vault_id"], category="taxes")
    assert allowed.status_code == 201, allowed.text


def test_a_manage_grant_cannot_move_a_paper_out_of_its_categories(
    client: TestClient, rt: Runtime
) -> None:
    amina, claire, _org = setup(client, rt)
    taxes = upload(client, amina, pdf("avis"), category="taxes", title="Avis d'impôt").json()["id"]
    grant(
        client, amina, counsellor_id=claire["id"], scopes=["view", "manage"], categories=["taxes"]
    )
    url = f"/api/v1/documents/{taxes}"
    moved = client.patch(url, headers=claire["headers"], json={"category": "identity"})
    assert moved.status_code == 422
    assert moved.json()["field"] == "category"
    paper = client.get(url, headers=amina["headers"]).json()
    assert paper["category"] == "taxes"
    # Within the grant the change is theirs to make.
    renamed = client.patch(url, headers=claire["headers"], json={"title": "Avis 2026"})
    assert renamed.status_code == 200, renamed.text
    assert client.delete(url, headers=claire["headers"]).status_code == 204
    done = [
        (line["action"], line["actor_name"], line["organisation_name"])
        for line in journal_of(client, amina)
        if line["document_id"] == taxes
    ]
    assert done[:2] == [
        ("document_deleted", "Claire Martin", "CCAS d'Orléans"),
        ("document_changed", "Claire Martin", "CCAS d'Orléans"),
    ]


def test_a_member_added_later_reaches_the_organisation_grant(
    client: TestClient, rt: Runtime
) -> None:
    """Membership is read at each request: the organisation's grant reaches whoever its admin
    adds after the grant was given."""
    amina, _claire, org_id = setup(client, rt)
    admin = admin_headers(client, rt, "second.admin")
    manager = professional(client, admin, org_id, "nadia.responsable", role="org_admin")
    document_id = upload(client, amina, pdf()).json()["id"]
    grant(client, amina, organisation_id=org_id)
    newcomer = professional(client, manager["headers"], org_id, "nora.benali")
    url = f"/api/v1/documents/{document_id}"
    assert client.get(url, headers=newcomer["headers"]).status_code == 200
    viewed = journal_of(client, amina)[0]
    assert (viewed["action"], viewed["actor_name"]) == ("document_viewed", "Nora Benali")
    assert viewed["organisation_name"] == "CCAS d'Orléans"
