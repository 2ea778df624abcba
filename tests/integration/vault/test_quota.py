"""Each person has room for a quota of papers: an upload past it gets 413, saying how much room is
left, and nothing is kept; two uploads at once cannot both squeeze in."""

import threading
from typing import Any

from fastapi.testclient import TestClient

from tests.app_fixtures import admin_headers, organisation, professional
from tests.integration.vault.helpers import counts
from tests.integration.vault.test_documents_api import upload
from tests.integration.vault.test_upload_checks import streamed_pdf
from tests.integration.webui.test_pages import add_paper, signed_up
from tests.samples import pdf
from vault.db import transaction
from vault.documents.quota import used_bytes
from vault.documents.service import (
    DocumentFields,
    StoredUpload,
    create_document,
    discard_upload,
    plan_upload,
    store_upload,
)
from vault.errors import FileTooLargeError
from vault.models import Person
from vault.runtime import Runtime

MiB = 1024 * 1024


def me(client: TestClient, who: dict[str, Any]) -> dict[str, Any]:
    answer = client.get("/api/v1/me", headers=who["headers"])
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_me_tells_the_room_taken(client: TestClient, rt: Runtime, amina: dict[str, Any]) -> None:
    assert (me(client, amina)["used_bytes"], me(client, amina)["quota_bytes"]) == (
        0,
        rt.settings.quota_bytes,
    )
    paper = pdf("quota", padding=5000)
    assert upload(client, amina, paper).status_code == 201
    assert me(client, amina)["used_bytes"] == len(paper)


def test_a_professional_without_a_vault_uses_nothing(client: TestClient, rt: Runtime) -> None:
    admin = admin_headers(client, rt)
    claire = professional(client, admin, organisation(client, admin), "claire.martin")
    assert me(client, claire)["used_bytes"] == 0
    assert me(client, claire)["quota_bytes"] == rt.settings.quota_bytes


def test_over_quota_is_413_and_keeps_nothing(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    assert upload(client, amina, pdf("first", padding=MiB)).status_code == 201
    before = counts(rt)
    rt.settings.quota_bytes = 4 * MiB
    answer = upload(client, amina, pdf("second", padding=4 * MiB))
    assert answer.status_code == 413
    assert answer.json() == {
        "detail": "Il reste 2 Mo de place dans votre coffre.",
        "field": "file",
    }
    assert counts(rt) == before


def test_a_body_declared_over_the_room_left_is_refused_before_its_file(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    rt.settings.quota_bytes = 2 * MiB
    boundary = "coffreboundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="category"\r\n\r\nidentity\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode() + pdf()
    answer = client.post(
        "/api/v1/vaults/me/documents",
        headers={
            **amina["headers"],
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(5 * MiB),
        },
        content=body,
    )
    assert answer.status_code == 413
    assert answer.json()["detail"] == "Il reste 2 Mo de place dans votre coffre."
    assert counts(rt) == (0, 0, 0)


def test_a_stream_past_the_room_left_is_stopped(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    rt.settings.quota_bytes = MiB + 1000
    answer = streamed_pdf(client, amina)
    assert answer.status_code == 413
    assert answer.json()["detail"] == "Il reste 1 Mo de place dans votre coffre."
    assert counts(rt) == (0, 0, 0)


def test_a_full_vault_says_so(client: TestClient, rt: Runtime, amina: dict[str, Any]) -> None:
    paper = pdf("all", padding=3000)
    assert upload(client, amina, paper).status_code == 201
    rt.settings.quota_bytes = len(paper)
    answer = upload(client, amina, pdf("more"))
    assert answer.status_code == 413
    assert answer.json()["detail"] == (
        "Votre coffre est plein. Supprimez des papiers pour faire de la place."
    )
    rt.settings.quota_bytes = len(paper) + 1000
    answer = upload(client, amina, pdf("more", padding=2000))
    assert answer.json()["detail"] == "Il reste moins de 1 Mo de place dans votre coffre."


def test_a_counsellor_upload_counts_against_the_person(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    admin = admin_headers(client, rt)
    claire = professional(client, admin, organisation(client, admin), "claire.martin")
    given = client.post(
        "/api/v1/grants",
        headers=amina["headers"],
        json={"counsellor_id": claire["id"], "scopes": ["view", "upload"]},
    )
    assert given.status_code == 201, given.text
    paper = pdf("by claire", padding=4000)
    assert upload(client, claire, paper, vault=amina["vault_id"]).status_code == 201
    assert me(client, amina)["used_bytes"] == len(paper)
    rt.settings.quota_bytes = 3 * MiB
    answer = upload(client, claire, pdf("big", padding=4 * MiB), vault=amina["vault_id"])
    assert answer.status_code == 413
    assert answer.json()["detail"] == "Il reste 2 Mo de place dans le coffre de Amina Diallo."


def test_two_uploads_at_once_cannot_both_pass(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    """Each fits the room left when it starts; recorded at the same moment, one is refused."""
    rt.settings.quota_bytes = 3 * MiB
    with transaction(rt.sessions) as db:
        owner = db.get_one(Person, amina["user"]["id"])
        plans = [plan_upload(db, rt, owner, amina["vault_id"]) for _ in range(2)]
    stored = [
        store_upload(rt, plan, [pdf(str(n), padding=2 * MiB)]) for n, plan in enumerate(plans)
    ]
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def record(upload: StoredUpload) -> None:
        start.wait()
        try:
            with transaction(rt.sessions) as db:
                create_document(db, rt, owner, upload, DocumentFields("Carte", "identity"))
            outcomes.append("kept")
        except FileTooLargeError:
            discard_upload(rt.store, upload)
            outcomes.append("refused")

    threads = [threading.Thread(target=record, args=(upload,)) for upload in stored]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["kept", "refused"]
    with transaction(rt.sessions) as db:
        assert used_bytes(db, owner.id) <= rt.settings.quota_bytes
    assert counts(rt) == (1, 1, 1)


def test_the_papers_page_shows_the_room_taken(client: TestClient, rt: Runtime) -> None:
    csrf = signed_up(client)
    assert add_paper(client, csrf, pdf("page", padding=MiB)).status_code == 200
    page = client.get("/papiers").text
    assert "1 Mo utilisés sur 600 Mo" in page
    assert '<meter min="0" max="629145600"' in page


def test_a_page_upload_over_quota_shows_the_error_summary(client: TestClient, rt: Runtime) -> None:
    csrf = signed_up(client)
    rt.settings.quota_bytes = 2 * MiB
    answer = add_paper(client, csrf, pdf("big", padding=3 * MiB))
    assert answer.status_code == 413
    assert "Il y a un problème" in answer.text
    assert 'href="#file"' in answer.text
    assert "Il reste 2 Mo de place dans votre coffre." in answer.text
    assert counts(rt) == (0, 0, 0)


def test_a_paper_taken_out_of_the_bin_must_fit_the_room_left(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    """Bin a paper, fill the room with another, take the first back: the vault would hold more
    than its quota. The paper stays in the bin, the person is told how to make room."""
    binned = upload(client, amina, pdf("first", padding=2 * MiB)).json()["id"]
    assert client.delete(f"/api/v1/documents/{binned}", headers=amina["headers"]).status_code
    rt.settings.quota_bytes = 3 * MiB
    assert upload(client, amina, pdf("second", padding=2 * MiB)).status_code == 201
    answer = client.post(f"/api/v1/documents/{binned}/restore", headers=amina["headers"])
    assert answer.status_code == 413
    assert answer.json() == {
        "detail": "Ce papier prend 3 Mo et il reste moins de 1 Mo de place dans votre coffre. "
        "Supprimez d'autres papiers, puis remettez-le.",
        "field": None,
    }
    in_bin = client.get("/api/v1/vaults/me/bin", headers=amina["headers"]).json()
    assert [b["document"]["id"] for b in in_bin] == [binned]
    assert me(client, amina)["used_bytes"] <= rt.settings.quota_bytes
    rt.settings.quota_bytes = 6 * MiB
    answer = client.post(f"/api/v1/documents/{binned}/restore", headers=amina["headers"])
    assert answer.status_code == 200, answer.text
