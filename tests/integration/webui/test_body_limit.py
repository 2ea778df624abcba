"""Every request body but an upload's is bounded (webui/bodies.py): past 1 MiB it is refused
with 413 in the shape of every refusal, and no more of it is read. Uploads keep their own,
larger bound (COFFRE_MAX_UPLOAD_BYTES)."""

import json
from typing import Any

from fastapi.testclient import TestClient
from starlette.types import ASGIApp, Message

from tests.asgi_requests import post_scope
from tests.event_loops import on_a_loop
from tests.integration.vault.helpers import counts
from tests.integration.vault.test_documents_api import upload
from tests.integration.webui.test_pages import SAME_ORIGIN, add_paper, form_csrf, signed_up
from tests.samples import pdf
from vault.runtime import Runtime
from webui import i18n
from webui.bodies import MAX_BODY, TOO_BIG

PIECE = 64 * 1024
MiB = 1024 * 1024


def sent_in_pieces(
    app: ASGIApp, path: str, pieces: int, headers: dict[str, str]
) -> tuple[int, dict[str, Any], int]:
    """POST `pieces` pieces of a JSON string straight to the app, as a server hands them over:
    (the status, the JSON answer, how many pieces the app asked for)."""
    asked = 0
    answer: list[Message] = []

    async def receive() -> Message:
        nonlocal asked
        asked += 1
        if asked > pieces:
            return {"type": "http.disconnect"}
        return {"type": "http.request", "body": b"1" * PIECE, "more_body": asked < pieces}

    async def send(message: Message) -> None:
        answer.append(message)

    async def run() -> None:
        await app(post_scope(path, headers), receive, send)

    on_a_loop(run)
    status = next(m["status"] for m in answer if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in answer if m["type"] == "http.response.body")
    return status, json.loads(body), asked


def test_a_body_declared_too_big_is_refused_before_a_byte_is_read(client: TestClient) -> None:
    declared = {"content-type": "application/json", "content-length": str(100 * MiB)}
    status, answer, asked = sent_in_pieces(client.app, "/api/v1/session", 1600, declared)
    assert (status, answer) == (413, {"detail": TOO_BIG, "field": None})
    assert asked == 0


def test_a_body_without_a_length_is_stopped_past_the_bound(client: TestClient) -> None:
    chunked = {"content-type": "application/json", "transfer-encoding": "chunked"}
    status, answer, asked = sent_in_pieces(client.app, "/api/v1/session", 1600, chunked)
    assert (status, answer) == (413, {"detail": TOO_BIG, "field": None})
    assert asked == MAX_BODY // PIECE + 1


def test_a_json_body_within_the_bound_is_read(client: TestClient) -> None:
    body = {"login": "nobody", "password": "x" * (MAX_BODY - 100)}
    answer = client.post("/api/v1/session", json=body)
    assert answer.status_code == 422  # judged: a password that long is not one
    assert answer.json()["field"] == "password"


def test_a_page_form_too_big_gets_the_error_page_in_the_persons_language(
    client: TestClient,
) -> None:
    token = form_csrf(client, "/connexion")
    answer = client.post(
        "/connexion",
        data={"csrf": token, "login": "amina.diallo", "password": "x" * MAX_BODY},
        headers={**SAME_ORIGIN, "Accept-Language": "ar"},
    )
    assert answer.status_code == 413
    assert answer.headers["content-type"].startswith("text/html")
    with i18n.speaking("ar"):
        assert i18n.gettext(TOO_BIG) in answer.text


def test_uploads_keep_their_own_bound(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    paper = pdf("grand", padding=2 * MiB)
    assert upload(client, amina, paper).status_code == 201
    client.cookies.clear()
    added = add_paper(client, signed_up(client), paper)
    assert "Le papier est bien dans votre coffre" in added.text
    assert counts(rt)[0] == 2
