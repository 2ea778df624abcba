"""The sweep removes the objects no row names once older than its grace period (vault.sweeper).
Review finding: an upload whose form ended long after its file began to be stored (a phone
sending slowly, a client that stalls after the file) recorded a paper whose object the sweep
could have removed meanwhile: a paper without its file. Past half of the grace period the
object is looked for before a row names it; gone, the upload is refused and nothing is kept."""

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.integration.vault.test_documents_api import upload
from tests.samples import pdf
from vault.db import transaction
from vault.runtime import Runtime
from vault.sweeper import sweep_orphans


def test_an_upload_whose_file_was_swept_meanwhile_is_refused(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    rt.settings.orphan_grace_minutes = 0  # any upload is then past half of it
    real_put = rt.store.put

    def put_then_sweep(name: str, chunks: Iterable[bytes]) -> int:
        written = real_put(name, chunks)
        with transaction(rt.sessions) as db:
            assert sweep_orphans(db, rt.store, timedelta(0)) == 1
        return written

    rt.store.put = put_then_sweep  # type: ignore[method-assign]
    try:
        answer = upload(client, amina, pdf("carte"))
    finally:
        rt.store.put = real_put  # type: ignore[method-assign]
    assert answer.status_code == 422, answer.text
    assert "L'envoi a pris trop de temps. Envoyez le fichier à nouveau." in answer.text
    assert client.get("/api/v1/vaults/me/documents", headers=amina["headers"]).json() == []


def test_a_slow_upload_whose_file_is_there_is_kept(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    rt.settings.orphan_grace_minutes = 0
    paper = pdf("carte")
    answer = upload(client, amina, paper)
    assert answer.status_code == 201, answer.text
    url = f"/api/v1/documents/{answer.json()['id']}/content"
    assert client.get(url, headers=amina["headers"]).content == paper
