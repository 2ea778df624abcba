"""What one paper costs the database: the statements of an upload and of a download (the
figures are in bench/README.md, http_path). A download writes nothing when the session was
seen moments ago; an upload writes once, its paper's rows, beside the thumbnail's own row."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.engine import Connection

from tests.integration.vault.test_documents_api import upload
from tests.samples import pdf
from vault.accounts import sessions
from vault.db import transaction
from vault.models import AuthSession, utcnow
from vault.runtime import Runtime


@contextmanager
def statements(rt: Runtime) -> Iterator[list[str]]:
    """The SQL statements the app sends meanwhile, transaction control left out."""
    seen: list[str] = []

    def note(_connection: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            seen.append(" ".join(statement.split()))

    event.listen(rt.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(rt.engine, "before_cursor_execute", note)


def writes(seen: list[str]) -> list[str]:
    return [" ".join(s.split()[:3]) for s in seen if not s.startswith("SELECT")]


@pytest.fixture
def seen_just_now(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every request comes moments after the one before, however slow the test machine."""
    monkeypatch.setattr(sessions, "SEEN_EVERY", timedelta(hours=1))


@pytest.mark.usefixtures("seen_just_now")
def test_a_download_reads_seven_rows_and_writes_nothing(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    document_id = upload(client, amina, pdf("lu")).json()["id"]
    with statements(rt) as seen:
        answer = client.get(f"/api/v1/documents/{document_id}/content", headers=amina["headers"])
    assert answer.status_code == 200
    assert writes(seen) == []
    # session, person, document, vault, blob, user key, its master slot
    assert len(seen) <= 7, seen


@pytest.mark.usefixtures("seen_just_now")
def test_an_upload_writes_its_rows_once(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    with statements(rt) as seen:
        answer = upload(client, amina, pdf("ajouté"))
    assert answer.status_code == 201
    assert writes(seen) == [
        "INSERT INTO documents",
        "INSERT INTO blobs",
        "INSERT INTO journal",
        "UPDATE journal_head SET",
        "INSERT INTO blobs",  # the thumbnail, made after the answer
    ]
    # 22, and 2 in each of the two recording transactions: the owner's row locked, then their
    # live key version read (a rotation may have replaced it since the bytes were stored).
    assert len(seen) <= 26, seen


def test_a_session_seen_moments_ago_is_not_written_again(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    def last_seen() -> Any:
        with transaction(rt.sessions) as db:
            return db.query(AuthSession.last_seen_at).one()[0]

    first = last_seen()
    with statements(rt) as seen:
        assert client.get("/api/v1/me", headers=amina["headers"]).status_code == 200
    if utcnow() - first < sessions.SEEN_EVERY:
        assert not any(s.startswith("UPDATE sessions") for s in seen)
    with transaction(rt.sessions) as db:
        session = db.query(AuthSession).one()
        session.last_seen_at = utcnow() - sessions.SEEN_EVERY
    with statements(rt) as seen:
        assert client.get("/api/v1/me", headers=amina["headers"]).status_code == 200
    assert any(s.startswith("UPDATE sessions") for s in seen)
    assert last_seen() > first
