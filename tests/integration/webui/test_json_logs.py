"""What a real `coffre serve` writes with COFFRE_LOG_FORMAT=json: a JSON object per line, every
line of a request naming its id, one line per request with its route's template, and nothing
of the person: no login, no name, no title, no id of a person or a paper, no query."""

import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.app_fixtures import PASSWORD
from tests.integration.test_cli import COFFRE, env_for, wait_ready
from tests.integration.webui.test_server_logs import Served
from tests.ports import free_port
from tests.samples import pdf

TITLE = "Avis d'imposition de Madame Diallo"
TOKEN = "a-scraper-token-0123456789"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("json-logs")
    port, log = free_port(), folder / "server.log"
    env = {
        **env_for(folder / "coffre-data"),
        "COFFRE_LOG_FORMAT": "json",
        "COFFRE_METRICS_TOKEN": TOKEN,
    }
    with log.open("w") as output:
        server = subprocess.Popen(
            [COFFRE, "serve", "--port", str(port)], env=env, stdout=output, stderr=subprocess.STDOUT
        )
        try:
            wait_ready(port)
            yield Served(f"http://127.0.0.1:{port}", port, log, folder / "coffre-data", {})
        finally:
            server.terminate()
            server.wait(timeout=10)


def written_lines(served: Served, start: int, until: str) -> list[dict[str, Any]]:
    text = served.wait_for(start, until)
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_every_line_is_json_and_no_line_names_the_person(served: Served) -> None:
    start = 0
    person = {"login": "amina.diallo", "display_name": "Amina Diallo", "password": PASSWORD}
    created = httpx.post(
        f"{served.url}/api/v1/beneficiaries",
        json=person,
        headers={"X-Request-ID": "essai-json-0001"},
    )
    assert created.status_code == 201
    assert created.headers["x-request-id"] == "essai-json-0001"
    signing_in = {"login": person["login"], "password": PASSWORD}
    token = httpx.post(f"{served.url}/api/v1/session", json=signing_in).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    content = pdf("Diallo")
    added = httpx.post(
        f"{served.url}/api/v1/vaults/me/documents",
        headers=headers,
        files={"file": ("avis-diallo.pdf", content, "application/pdf")},
        data={"title": TITLE, "category": "taxes"},
    )
    assert added.status_code == 201, added.text
    document_id = added.json()["id"]
    sent = httpx.get(
        f"{served.url}/api/v1/documents/{document_id}/content",
        params={"disposition": "attachment"},
        headers=headers,
    )
    assert sent.content == content
    wrong = httpx.post(
        f"{served.url}/api/v1/session",
        json={**signing_in, "password": "pas le bon mot de passe"},
    )
    assert wrong.status_code == 401
    httpx.get(f"{served.url}/api/v1/login-suggestion", params={"display_name": "Amina Diallo"})
    # A client that goes away in the middle of its upload: coffre's own line, in its request.
    with socket.create_connection(("127.0.0.1", served.port)) as connection:
        connection.sendall(
            b"POST /api/v1/vaults/me/documents HTTP/1.1\r\nHost: coffre.test\r\n"
            + f"Authorization: Bearer {token}\r\nX-Request-ID: essai-coupe-0002\r\n".encode()
            + b"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 5000000\r\n\r\n"
            + b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n'
            + os.urandom(100_000)
        )
        time.sleep(0.5)
    lines = written_lines(served, start, "client went away")

    requests = [line for line in lines if line["logger"] == "coffre.requests"]
    by_route: dict[tuple[str, str], dict[str, Any]] = {}
    for line in requests:  # the first of each route
        by_route.setdefault((line["method"], line["route"]), line)
    signed_up = by_route["POST", "/api/v1/beneficiaries"]
    assert signed_up["request_id"] == "essai-json-0001"
    assert signed_up["status"] == 201
    assert set(signed_up) == {
        "time",
        "level",
        "logger",
        "message",
        "request_id",
        "method",
        "route",
        "status",
        "duration_ms",
        "bytes_sent",
        "bytes_received",
    }
    assert signed_up["bytes_received"] == len(created.request.content)
    downloaded = by_route["GET", "/api/v1/documents/{document_id}/content"]
    assert downloaded["bytes_sent"] == len(content)
    assert downloaded["request_id"] == sent.headers["x-request-id"]
    assert by_route["POST", "/api/v1/vaults/{vault_id}/documents"]["status"] == 201
    assert any(line["status"] == 401 for line in requests if line["route"] == "/api/v1/session")
    assert ("GET", "/api/v1/login-suggestion") in by_route
    # Every line of the cut upload names its request: coffre's and the request's own.
    cut = [line for line in lines if line.get("request_id") == "essai-coupe-0002"]
    assert {line["logger"] for line in cut} == {"coffre", "coffre.requests"}, cut
    assert cut[-1]["status"] == 499
    assert "complete" not in cut[-1]  # coffre let it end quietly: nothing went up
    # uvicorn's access line, which names the path itself, is not written.
    assert not any(line["logger"] == "uvicorn.access" for line in lines)

    whole = served.written_since(0)
    vault_id = created.json()["vault_id"]
    person_id = created.json()["id"]
    for private in ("amina", "Diallo", TITLE, document_id, vault_id, person_id, "disposition"):
        assert private not in whole, private
    assert "Traceback" not in whole


def test_the_scraper_reads_the_metrics(served: Served) -> None:
    assert httpx.get(f"{served.url}/metrics").status_code == 401
    answer = httpx.get(f"{served.url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200
    assert "coffre_http_requests_total" in answer.text
