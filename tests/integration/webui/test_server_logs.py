"""What a real `coffre serve` writes: one line per refused client or integrity failure, no
traceback for a client that went away, no name from login-suggestion in the access log, and no
Server header on its answers."""

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.app_fixtures import PASSWORD
from tests.integration.test_cli import COFFRE, env_for, wait_ready
from tests.ports import free_port
from tests.samples import pdf

MiB = 1024 * 1024


@dataclass
class Served:
    url: str
    port: int
    log: Path
    data_dir: Path
    headers: dict[str, str]

    def written_since(self, start: int) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[start:]

    def mark(self) -> int:
        return len(self.log.read_text(encoding="utf-8", errors="replace"))

    def wait_for(self, start: int, words: str) -> str:
        deadline = time.monotonic() + 20
        while words not in (written := self.written_since(start)):
            assert time.monotonic() < deadline, f"never logged {words!r}:\n{written}"
            time.sleep(0.1)
        time.sleep(0.3)  # anything the server would write just after
        return self.written_since(start)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("served")
    port, log = free_port(), folder / "server.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [COFFRE, "serve", "--port", str(port)],
            env=env_for(folder / "coffre-data"),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_ready(port)
            url = f"http://127.0.0.1:{port}"
            body = {"login": "amina.diallo", "display_name": "Amina Diallo", "password": PASSWORD}
            assert httpx.post(f"{url}/api/v1/beneficiaries", json=body).status_code == 201
            signing_in = {"login": body["login"], "password": PASSWORD}
            session = httpx.post(f"{url}/api/v1/session", json=signing_in)
            headers = {"Authorization": f"Bearer {session.json()['token']}"}
            yield Served(url, port, log, folder / "coffre-data", headers)
        finally:
            server.terminate()
            server.wait(timeout=10)


def upload(served: Served, content: bytes) -> str:
    answer = httpx.post(
        f"{served.url}/api/v1/vaults/me/documents",
        headers=served.headers,
        files={"file": ("carte.pdf", content, "application/pdf")},
        data={"category": "identity"},
        timeout=60,
    )
    assert answer.status_code == 201, answer.text
    document_id: str = answer.json()["id"]
    return document_id


def thumbnail_drawn(served: Served, document_id: str) -> None:
    """Wait for the thumbnail that is drawn from the paper just after the upload's answer."""
    deadline = time.monotonic() + 60
    address = f"{served.url}/api/v1/documents/{document_id}/thumbnail"
    while httpx.get(address, headers=served.headers).status_code != 200:
        assert time.monotonic() < deadline, "no thumbnail was drawn"
        time.sleep(0.1)


def stored_files(served: Served) -> list[Path]:
    return [path for path in (served.data_dir / "blobs").rglob("*") if path.is_file()]


def test_no_server_header(served: Served) -> None:
    answer = httpx.get(f"{served.url}/connexion")
    assert "server" not in answer.headers
    assert answer.headers["x-content-type-options"] == "nosniff"


def test_the_name_given_to_login_suggestion_stays_out_of_the_log(served: Served) -> None:
    start = served.mark()
    answer = httpx.get(
        f"{served.url}/api/v1/login-suggestion", params={"display_name": "Fatou Zerbo"}
    )
    assert answer.status_code == 200
    written = served.wait_for(start, "/api/v1/login-suggestion?…")
    assert "Zerbo" not in written


def test_an_upload_cut_by_the_client_is_one_line(served: Served) -> None:
    start = served.mark()
    head = (
        b'--b\r\nContent-Disposition: form-data; name="category"\r\n\r\nidentity\r\n'
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
        b"Content-Type: application/pdf\r\n\r\n%PDF-1.4\n"
    )
    with socket.create_connection(("127.0.0.1", served.port)) as connection:
        connection.sendall(
            b"POST /api/v1/vaults/me/documents HTTP/1.1\r\nHost: coffre.test\r\n"
            + f"Authorization: {served.headers['Authorization']}\r\n".encode()
            + b"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 5000000\r\n\r\n"
            + head
            + os.urandom(300_000)
        )
        time.sleep(0.5)
    written = served.wait_for(start, "client went away during POST /api/v1/vaults/me/documents")
    assert "Traceback" not in written
    assert written.count("\n") == 1, written


def test_a_download_cut_by_the_client_leaves_no_traceback(served: Served) -> None:
    document_id = upload(served, pdf(padding=6 * MiB))
    start = served.mark()
    with socket.create_connection(("127.0.0.1", served.port)) as connection:
        connection.sendall(
            f"GET /api/v1/documents/{document_id}/content HTTP/1.1\r\nHost: coffre.test\r\n"
            f"Authorization: {served.headers['Authorization']}\r\n\r\n".encode()
        )
        connection.recv(65536)
    written = served.wait_for(start, f"/api/v1/documents/{document_id}/content")
    time.sleep(1)
    assert "Traceback" not in served.written_since(start), written


def test_an_integrity_failure_mid_download_is_one_line(served: Served) -> None:
    before = set(stored_files(served))
    document_id = upload(served, pdf(padding=6 * MiB))
    # Drawn from the paper: damaged before, its failure would be logged too.
    thumbnail_drawn(served, document_id)
    # The paper's object, not the thumbnail.
    paper = max(set(stored_files(served)) - before, key=lambda path: path.stat().st_size)
    damaged = bytearray(paper.read_bytes())
    damaged[-100_000] ^= 1
    paper.write_bytes(damaged)
    start = served.mark()
    with pytest.raises(httpx.RemoteProtocolError):  # cut: never a whole-looking file
        httpx.get(f"{served.url}/api/v1/documents/{document_id}/content", headers=served.headers)
    written = served.wait_for(start, f"unreadable paper {document_id} in vault ")
    assert "Traceback" not in written
    assert "Exception in ASGI application" not in written
    # The access line and ours come in either order: the read-ahead thread finds the damage.
    ours, access = sorted(written.strip().splitlines(), key=lambda line: "GET " in line)
    assert ours.startswith(f"unreadable paper {document_id} in vault "), written
    assert ours.endswith(": blob fails authentication"), written
    assert f"GET /api/v1/documents/{document_id}/content" in access, written


def test_refused_clients_get_one_line_each(served: Served) -> None:
    start = served.mark()
    refusals = [
        httpx.post(f"{served.url}/api/v1/session", content=b"{pas du json"),
        httpx.get(f"{served.url}/api/v1/me", headers={"Authorization": "Bearer faux"}),
        httpx.put(f"{served.url}/api/v1/me", headers=served.headers),
        httpx.post(f"{served.url}/connexion", data={"login": "x"}),
        httpx.post(
            f"{served.url}/api/v1/vaults/me/documents",
            headers={**served.headers, "Content-Type": "multipart/form-data"},
            content=b"--sans-fin",
        ),
    ]
    assert all(400 <= answer.status_code < 500 for answer in refusals), refusals
    with socket.create_connection(("127.0.0.1", served.port)) as connection:
        connection.sendall(b"PAS DU HTTP\r\n\r\n")
        connection.recv(1024)
    written = served.wait_for(start, "Invalid HTTP request received.")
    assert "Traceback" not in written
    assert len(written.strip().splitlines()) == len(refusals) + 1, written
