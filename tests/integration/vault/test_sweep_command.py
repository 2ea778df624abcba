"""`coffre storage sweep` as cron runs it, a real process on the test's back end: a paper
whose bin period is over goes for good, its wrapped data keys and stored objects with it;
papers still in their bin period, and the others, stay whole."""

import subprocess
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from tests.integration.shares.helpers import make_share
from tests.integration.test_cli import COFFRE, env_for
from tests.integration.vault.test_documents_api import upload
from tests.samples import pdf
from vault.config import Settings
from vault.db import transaction
from vault.keylife.integrity import verify_papers
from vault.models import Blob, Document, JournalEvent, Share, utcnow
from vault.runtime import Runtime


def sweep(settings: Settings) -> subprocess.CompletedProcess[str]:
    env = {**env_for(settings.data_dir), "COFFRE_KEYRING": settings.keyring or ""}
    for name, value in (
        ("COFFRE_DATABASE_URL", settings.database_url),
        ("COFFRE_STORAGE_URL", settings.storage_url),
    ):
        if value:
            env[name] = value
    return subprocess.run(
        [COFFRE, "storage", "sweep"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def blobs_of(rt: Runtime, document_id: str) -> list[Blob]:
    with transaction(rt.sessions) as db:
        return list(db.scalars(select(Blob).where(Blob.document_id == document_id)))


def test_the_sweep_command_erases_a_paper_whose_bin_period_is_over(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    kept = upload(client, amina, pdf("garde")).json()["id"]
    recent = upload(client, amina, pdf("hier")).json()["id"]
    over = upload(client, amina, pdf("jete")).json()["id"]
    assert make_share(client, amina, over).status_code == 201
    for document_id in (recent, over):
        deleted = client.delete(f"/api/v1/documents/{document_id}", headers=amina["headers"])
        assert deleted.status_code == 204
    with transaction(rt.sessions) as db:
        db.execute(
            update(Document)
            .where(Document.id == over)
            .values(deleted_at=utcnow() - timedelta(days=rt.settings.bin_days, minutes=1))
        )
    erased = blobs_of(rt, over)
    # The paper, its thumbnail and the marked copy of its link, each under its own data key.
    assert {blob.role for blob in erased} == {"original", "thumbnail", "share"}
    assert all(blob.wrapped_data_key for blob in erased)

    done = sweep(rt.settings)
    assert done.returncode == 0, done.stderr
    assert "3 objects of papers erased from the bin." in done.stdout

    assert blobs_of(rt, over) == []  # the wrapped data keys are gone with the rows
    stored = {info.name for info in rt.store.list()}
    assert not stored & {blob.object_name for blob in erased}
    with transaction(rt.sessions) as db:
        assert db.get(Document, over) is None
        assert db.scalars(select(Share)).all() == []
        lines = db.scalars(select(JournalEvent).where(JournalEvent.action == "document_erased"))
        assert [line.target_id for line in lines] == [over]
        assert all(check.ok for check in verify_papers(db, rt))
    for document_id in (kept, recent):
        assert {blob.object_name for blob in blobs_of(rt, document_id)} <= stored
    in_bin = client.get("/api/v1/vaults/me/bin", headers=amina["headers"]).json()
    assert [paper["document"]["id"] for paper in in_bin] == [recent]
