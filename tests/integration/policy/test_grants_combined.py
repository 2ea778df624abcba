"""Findings 8 and 9 of the takeover review: grants add up, a manage-only grant reads nothing,
and every look at a paper through a grant is one journal line that the request keeps."""

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.app_fixtures import admin_headers, organisation, professional, sign_up
from tests.integration.consent.test_grants import grant
from tests.integration.policy.test_matrix import World, build_world, credentials, route_table
from tests.integration.vault.test_documents_api import upload
from tests.samples import pdf
from vault.audit.journal import DOCUMENT_LISTED, DOCUMENT_VIEWED
from vault.models import Grant, JournalEvent
from vault.runtime import Runtime
from webui.app import create_app


def people(client: TestClient, rt: Runtime) -> tuple[dict[str, Any], dict[str, Any]]:
    admin = admin_headers(client, rt)
    claire = professional(client, admin, organisation(client, admin), "claire.martin")
    return sign_up(client, "amina.diallo"), claire


def test_two_grants_of_one_counsellor_add_up(client: TestClient, rt: Runtime) -> None:
    amina, claire = people(client, rt)
    identity = upload(client, amina, pdf("id"), category="identity").json()["id"]
    bank = upload(client, amina, pdf("rib"), category="bank").json()["id"]
    grant(client, amina, counsellor_id=claire["id"], categories=["identity"])
    grant(client, amina, counsellor_id=claire["id"], categories=["bank"])
    for document_id in (identity, bank):
        answer = client.get(f"/api/v1/documents/{document_id}/content", headers=claire["headers"])
        assert answer.status_code == 200, document_id
    listed = client.get(f"/api/v1/vaults/{amina['vault_id']}/documents", headers=claire["headers"])
    assert sorted(d["id"] for d in listed.json()) == sorted([identity, bank])
    mine = client.get("/api/v1/beneficiaries", headers=claire["headers"]).json()
    assert [(v["scopes"], v["categories"]) for v in mine] == [(["view"], ["bank", "identity"])]


def test_a_grant_for_one_scope_does_not_lend_another_scope_its_categories(
    client: TestClient, rt: Runtime
) -> None:
    amina, claire = people(client, rt)
    bank = upload(client, amina, pdf("rib"), category="bank").json()["id"]
    grant(client, amina, counsellor_id=claire["id"], scopes=["view"])
    grant(client, amina, counsellor_id=claire["id"], scopes=["manage"], categories=["identity"])
    changed = client.patch(
        f"/api/v1/documents/{bank}", headers=claire["headers"], json={"title": "Autre"}
    )
    assert changed.status_code == 404
    assert client.get(f"/api/v1/documents/{bank}", headers=claire["headers"]).status_code == 200


def test_a_manage_only_grant_reads_no_title_nor_file_name(client: TestClient, rt: Runtime) -> None:
    amina, claire = people(client, rt)
    secret_title = "Relevé de la banque postale"
    document_id = upload(
        client, amina, pdf(), filename="releve-secret.pdf", title=secret_title, category="bank"
    ).json()["id"]
    grant(client, amina, counsellor_id=claire["id"], scopes=["manage"])
    url = f"/api/v1/documents/{document_id}"
    for answer in (
        client.patch(url, headers=claire["headers"], json={}),
        client.patch(url, headers=claire["headers"], json={"category": "bank"}),
        client.get(url, headers=claire["headers"]),
        client.get(f"/api/v1/vaults/{amina['vault_id']}/documents", headers=claire["headers"]),
    ):
        assert answer.status_code == 404
        assert secret_title not in answer.text
        assert "releve-secret" not in answer.text
    assert client.get(url, headers=amina["headers"]).json()["title"] == secret_title


def journal_lines(world: World) -> list[JournalEvent]:
    with world.rt.sessions() as db:
        return list(
            db.scalars(
                select(JournalEvent)
                .where(JournalEvent.subject_id == world.people["owner"].id)
                .order_by(JournalEvent.seq)
            )
        )


def last_use(world: World) -> object:
    with world.rt.sessions() as db:
        return db.scalar(
            select(func.max(Grant.last_used_at)).where(
                Grant.counsellor_id == world.people["counsellor_granted"].id
            )
        )


def test_every_route_that_shows_a_paper_to_a_professional_writes_one_journal_line(
    rt: Runtime,
) -> None:
    """Generated from the route table: every GET that names a paper or a vault."""
    world = build_world(rt)
    client = TestClient(create_app(runtime=rt), base_url="http://coffre.test")
    shows = sorted(
        (method, path)
        for method, path in route_table(client.app)  # type: ignore[arg-type]
        if method == "GET"
        and ("{document_id}" in path or path.endswith(("{vault_id}", "{vault_id}/documents")))
    )
    assert len(shows) >= 7
    failures = []
    for _method, path in shows:
        document_id = world.new_document(thumbnail=path.endswith(("/thumbnail", "/vignette")))
        url = path.format(document_id=document_id, vault_id=world.vault_id)
        headers, _csrf = credentials(world, "counsellor_granted", client)
        before, used_before = journal_lines(world), last_use(world)
        answer = client.get(url, headers=headers)
        new = journal_lines(world)[len(before) :]
        expected = DOCUMENT_LISTED if path.endswith(("/documents", "/{vault_id}")) else None
        if (
            answer.status_code != 200
            or len(new) != 1
            or new[0].actor_id != world.people["counsellor_granted"].id
            or (expected is not None and new[0].action != expected)
            or last_use(world) == used_before
        ):
            failures.append(f"{path}: {answer.status_code} {[e.action for e in new]}")
    assert failures == [], "\n".join(failures)


def test_the_delete_page_keeps_its_journal_line(client: TestClient, rt: Runtime) -> None:
    """Finding 9: this page never committed, so the line and the grant's use were lost."""
    world = build_world(rt)
    document_id = world.new_document()
    headers, _csrf = credentials(world, "counsellor_granted", client)
    before = len(journal_lines(world))
    assert client.get(f"/papiers/{document_id}/supprimer").status_code == 200
    new = journal_lines(world)[before:]
    assert [(e.action, e.target_id) for e in new] == [(DOCUMENT_VIEWED, document_id)]
    assert headers
