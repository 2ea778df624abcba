"""A beneficiary stores papers and reads them back, byte for byte, on both back ends."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.app_fixtures import admin_headers
from tests.samples import jpeg, pdf, png
from vault.runtime import Runtime

pytestmark = pytest.mark.master_keys


def upload(
    client: TestClient,
    who: dict[str, Any],
    content: bytes,
    filename: str = "carte.pdf",
    vault: str = "me",
    **fields: str,
) -> Any:
    data = {"title": "Carte d'identité", "category": "identity", **fields}
    return client.post(
        f"/api/v1/vaults/{vault}/documents",
        headers=who["headers"],
        files={"file": (filename, content, "application/octet-stream")},
        data=data,
    )


def test_pdf_and_photo_round_trip(client: TestClient, amina: dict[str, Any]) -> None:
    paper, photo = pdf("round-trip"), png(32, 32)
    first = upload(client, amina, paper, expires_on="2031-05-01")
    second = upload(client, amina, photo, "photo.png", title="Attestation CAF", category="income")
    assert first.status_code == 201, first.text
    assert second.status_code == 201, second.text
    assert first.json()["content_type"] == "application/pdf"
    assert first.json()["expires_on"] == "2031-05-01"
    assert second.json()["content_type"] == "image/png"
    assert second.json()["size"] == len(photo)

    listed = client.get("/api/v1/vaults/me/documents", headers=amina["headers"]).json()
    assert {d["title"] for d in listed} == {"Carte d'identité", "Attestation CAF"}

    for created, original in ((first, paper), (second, photo)):
        document_id = created.json()["id"]
        metadata = client.get(f"/api/v1/documents/{document_id}", headers=amina["headers"])
        assert metadata.json() == created.json()
        content = client.get(f"/api/v1/documents/{document_id}/content", headers=amina["headers"])
        assert content.status_code == 200
        assert content.content == original
        assert content.headers["content-type"] == created.json()["content_type"]
        assert content.headers["cache-control"] == "no-store"


def test_vault_id_and_me_are_the_same_vault(client: TestClient, amina: dict[str, Any]) -> None:
    assert upload(client, amina, jpeg(), "photo.jpg", vault=amina["vault_id"]).status_code == 201
    mine = client.get(f"/api/v1/vaults/{amina['vault_id']}/documents", headers=amina["headers"])
    assert [d["content_type"] for d in mine.json()] == ["image/jpeg"]


def test_big_document_crossing_s3_parts(client: TestClient, amina: dict[str, Any]) -> None:
    big = pdf("big", padding=12 * 1024 * 1024)
    created = upload(client, amina, big)
    assert created.status_code == 201, created.text
    content = client.get(
        f"/api/v1/documents/{created.json()['id']}/content", headers=amina["headers"]
    )
    assert content.content == big


def test_patch_and_delete(client: TestClient, amina: dict[str, Any]) -> None:
    document_id = upload(client, amina, pdf()).json()["id"]
    changed = client.patch(
        f"/api/v1/documents/{document_id}",
        headers=amina["headers"],
        json={"title": "Passeport", "expires_on": "2030-01-31"},
    )
    assert changed.status_code == 200
    assert changed.json()["title"] == "Passeport"
    assert changed.json()["expires_on"] == "2030-01-31"
    assert changed.json()["category"] == "identity"
    cleared = client.patch(
        f"/api/v1/documents/{document_id}", headers=amina["headers"], json={"expires_on": None}
    )
    assert cleared.json()["expires_on"] is None
    for wrong in ("x", ""):  # an empty one was taken for "unchanged", answered 200
        bad = client.patch(
            f"/api/v1/documents/{document_id}", headers=amina["headers"], json={"category": wrong}
        )
        assert bad.status_code == 422
        assert bad.json()["field"] == "category"
    # A year mistyped (0202 for 2027) is not kept silently: no paper ends before 1900 or after 2199.
    for mistyped in ("0202-05-01", "9999-12-31"):
        wrong_year = client.patch(
            f"/api/v1/documents/{document_id}",
            headers=amina["headers"],
            json={"expires_on": mistyped},
        )
        assert (wrong_year.status_code, wrong_year.json()["field"]) == (422, "expires_on")
    refused = upload(client, amina, pdf("avis"), expires_on="0202-05-01")
    assert (refused.status_code, refused.json()["field"]) == (422, "expires_on")
    assert len(client.get("/api/v1/vaults/me/documents", headers=amina["headers"]).json()) == 1
    # A misspelt field is named, not dropped: the paper is not left public by a 200.
    misspelt = client.patch(
        f"/api/v1/documents/{document_id}", headers=amina["headers"], json={"privat": True}
    )
    assert misspelt.status_code == 422
    assert misspelt.json()["field"] == "privat"

    assert (
        client.delete(f"/api/v1/documents/{document_id}", headers=amina["headers"]).status_code
        == 204
    )
    assert (
        client.get(f"/api/v1/documents/{document_id}", headers=amina["headers"]).status_code == 404
    )
    assert client.get("/api/v1/vaults/me/documents", headers=amina["headers"]).json() == []


def test_another_person_gets_404_everywhere(
    client: TestClient, amina: dict[str, Any], bruno: dict[str, Any]
) -> None:
    document_id = upload(client, amina, pdf("secret")).json()["id"]
    base = f"/api/v1/documents/{document_id}"
    for method, url in (
        ("GET", base),
        ("GET", f"{base}/content"),
        ("PATCH", base),
        ("DELETE", base),
        ("GET", f"/api/v1/vaults/{amina['vault_id']}/documents"),
    ):
        answer = client.request(method, url, headers=bruno["headers"], json={"title": "x"})
        assert answer.status_code == 404, (method, url)
        assert "secret" not in answer.text
    assert upload(client, bruno, pdf(), vault=amina["vault_id"]).status_code == 404
    assert client.get(f"{base}/content", headers=amina["headers"]).status_code == 200
    assert len(client.get("/api/v1/vaults/me/documents", headers=amina["headers"]).json()) == 1


def test_unknown_document_and_missing_token(client: TestClient, amina: dict[str, Any]) -> None:
    assert client.get("/api/v1/documents/nope", headers=amina["headers"]).status_code == 404
    assert client.get("/api/v1/vaults/me/documents").status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer forged"}).status_code == 401


def test_sign_out_kills_the_token(client: TestClient, amina: dict[str, Any]) -> None:
    assert client.get("/api/v1/me", headers=amina["headers"]).json()["login"] == "amina.diallo"
    assert client.delete("/api/v1/session", headers=amina["headers"]).status_code == 204
    assert client.get("/api/v1/me", headers=amina["headers"]).status_code == 401


def test_wrong_login_and_wrong_password_look_the_same(
    client: TestClient, amina: dict[str, Any]
) -> None:
    wrong_password = client.post(
        "/api/v1/session", json={"login": "amina.diallo", "password": "x" * 12}
    )
    unknown = client.post("/api/v1/session", json={"login": "nobody.here", "password": "x" * 12})
    assert wrong_password.status_code == unknown.status_code == 401
    assert wrong_password.json() == unknown.json()


def test_admin_cannot_read_papers(client: TestClient, rt: Runtime, amina: dict[str, Any]) -> None:
    headers = admin_headers(client, rt)
    document_id = upload(client, amina, pdf()).json()["id"]
    assert (
        client.get(f"/api/v1/documents/{document_id}/content", headers=headers).status_code == 404
    )
    assert (
        client.get(f"/api/v1/vaults/{amina['vault_id']}/documents", headers=headers).status_code
        == 404
    )


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "database": "ok", "storage": "ok", "keyring": "ok"}
