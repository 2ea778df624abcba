"""No statement, commit or rollback of an upload or a download is sent from the event loop's
thread: one there (a round trip to PostgreSQL, an fsync on SQLite) would hold up every other
request the process serves meanwhile."""

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event

from tests.integration.vault.test_documents_api import upload
from tests.integration.webui.test_pages import add_paper, signed_up
from tests.samples import pdf
from vault.runtime import Runtime


def on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


@contextmanager
def sent_from_the_loop(rt: Runtime) -> Iterator[list[str]]:
    """What the app sends the database from the event loop's thread meanwhile."""
    found: list[str] = []

    def statement(_connection: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        if on_event_loop():
            found.append(" ".join(sql.split()[:4]))

    def ended(kind: str) -> Callable[..., None]:
        def note(*_args: Any) -> None:
            if on_event_loop():
                found.append(kind)

        return note

    listeners = [
        ("before_cursor_execute", statement),
        ("commit", ended("COMMIT")),
        ("rollback", ended("ROLLBACK")),
    ]
    for name, listener in listeners:
        event.listen(rt.engine, name, listener)
    try:
        yield found
    finally:
        for name, listener in listeners:
            event.remove(rt.engine, name, listener)


def test_an_upload_and_a_download_through_the_api(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    with sent_from_the_loop(rt) as found:
        added = upload(client, amina, pdf("carte"))
        assert added.status_code == 201
        content = client.get(
            f"/api/v1/documents/{added.json()['id']}/content", headers=amina["headers"]
        )
        assert content.status_code == 200
    assert found == []


def test_an_upload_through_the_page(client: TestClient, rt: Runtime) -> None:
    csrf = signed_up(client)
    with sent_from_the_loop(rt) as found:
        added = add_paper(client, csrf, pdf("carte"))
        assert "Le papier est bien dans votre coffre" in added.text
    assert found == []
