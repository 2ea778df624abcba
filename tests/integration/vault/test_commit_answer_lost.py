"""A commit whose answer is lost may have been made all the same (PostgreSQL commits, then the
connection drops before its answer). Review finding: an upload removed its stored file whenever
the transaction of its rows failed, the commit included; the paper could then be recorded with
no file, and the person told the upload had failed. Now the file is removed only when the rows
certainly are not kept; otherwise the sweep of unrecorded objects judges it later."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, event, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from tests.integration.vault.helpers import blob_of
from tests.integration.vault.test_documents_api import upload
from tests.samples import pdf
from vault.db import transaction
from vault.documents.previews import THUMBNAIL, add_thumbnail
from vault.models import Blob, Document
from vault.runtime import Runtime


@contextmanager
def answer_lost_after_commit(rt: Runtime, model: type[Document] | type[Blob]) -> Iterator[None]:
    """The first commit that writes a row of `model` is made, then raises as a lost connection
    would."""
    marked: set[int] = set()

    def note(session: Session, _context: Any, _instances: Any) -> None:
        if any(isinstance(row, model) for row in session.new):
            marked.add(id(session))

    def lose(session: Session) -> None:
        if id(session) in marked:
            marked.clear()
            raise OperationalError("COMMIT", {}, ConnectionError("server closed the connection"))

    event.listen(rt.sessions, "before_flush", note)
    event.listen(rt.sessions, "after_commit", lose)
    try:
        yield
    finally:
        event.remove(rt.sessions, "before_flush", note)
        event.remove(rt.sessions, "after_commit", lose)


def test_an_upload_whose_commit_answer_is_lost_keeps_its_file(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    paper = pdf("carte")
    cutting = TestClient(client.app, raise_server_exceptions=False)
    with answer_lost_after_commit(rt, Document):
        answer = upload(cutting, amina, paper)
    assert answer.status_code == 503  # the database is taken as unreachable

    # The rows were committed: the paper is there, and so is its file.
    [listed] = client.get("/api/v1/vaults/me/documents", headers=amina["headers"]).json()
    assert rt.store.exists(blob_of(rt, listed["id"]).object_name)
    content = client.get(f"/api/v1/documents/{listed['id']}/content", headers=amina["headers"])
    assert content.status_code == 200
    assert content.content == paper


def test_a_thumbnail_whose_commit_answer_is_lost_keeps_its_file(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    document_id = upload(client, amina, pdf("carte")).json()["id"]
    with transaction(rt.sessions) as db:  # drawn again below, as after a failed first try
        db.execute(delete(Blob).where(Blob.document_id == document_id, Blob.role == THUMBNAIL))
    with answer_lost_after_commit(rt, Blob), pytest.raises(OperationalError):
        add_thumbnail(rt, document_id)

    with transaction(rt.sessions) as db:
        [thumbnail] = db.scalars(
            select(Blob).where(Blob.document_id == document_id, Blob.role == THUMBNAIL)
        ).all()
    assert rt.store.exists(thumbnail.object_name)
    shown = client.get(f"/api/v1/documents/{document_id}/thumbnail", headers=amina["headers"])
    assert shown.status_code == 200
