"""A coffre over real HTTP for the fault tests, a person using it through the API, and what
must hold once a fault is over: no paper half-written, nothing left behind after the sweeper,
every paper and the journal verified."""

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest.mock import patch

import httpx
import uvicorn
from mypy_boto3_s3 import S3Client
from sqlalchemy import select
from typer.testing import CliRunner

from storage import LocalBlobStore, S3BlobStore
from storage.local import TMP_DIR
from tests.ports import free_port
from tests.samples import pdf
from vault.audit.journal import verify_chain
from vault.config import Settings
from vault.db import transaction
from vault.keylife.integrity import verify_papers
from vault.models import Blob
from vault.runtime import Runtime
from webui.app import create_app
from webui.cli import app, shared
from webui.errors import UNAVAILABLE

MiB = 1024 * 1024
COFFRE = str(Path(sys.executable).parent / "coffre")
PASSWORD = "un mot de passe assez long"
BOUNDARY = "panne"
UPLOAD = "/api/v1/vaults/me/documents"


@contextmanager
def serve(rt: Runtime) -> Iterator[str]:
    """The app of `rt` served by uvicorn, as `coffre serve` does, in a thread of the test."""
    port = free_port()
    config = uvicorn.Config(
        create_app(runtime=rt),
        host="127.0.0.1",
        port=port,
        proxy_headers=False,
        log_config=None,  # the test process's logging stays as pytest set it
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the test server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def sign_up(http: httpx.Client, login: str) -> dict[str, str]:
    """A person signs up and in; their bearer headers."""
    created = http.post(
        "/api/v1/beneficiaries",
        json={"login": login, "display_name": "Amina Diallo", "password": PASSWORD},
    )
    assert created.status_code == 201, created.text
    session = http.post("/api/v1/session", json={"login": login, "password": PASSWORD})
    assert session.status_code == 201, session.text
    return {"Authorization": f"Bearer {session.json()['token']}"}


def paper(size: int) -> bytes:
    """A valid PDF of about `size` bytes (random padding: it does not compress)."""
    return pdf(padding=size)


def upload(
    http: httpx.Client, headers: dict[str, str], title: str, content: bytes
) -> httpx.Response:
    return http.post(
        UPLOAD,
        headers=headers,
        data={"category": "identity", "title": title},
        files={"file": (f"{title}.pdf", content, "application/pdf")},
    )


def uploaded(http: httpx.Client, headers: dict[str, str], title: str, content: bytes) -> str:
    """Upload a paper that must go through, and wait for its thumbnail (made just after the
    answer), so that no store traffic of the upload is left when a fault comes; its id."""
    answer = upload(http, headers, title, content)
    assert answer.status_code == 201, answer.text
    document_id: str = answer.json()["id"]
    thumbnail = f"/api/v1/documents/{document_id}/thumbnail"
    eventually("a thumbnail", lambda: http.get(thumbnail, headers=headers).status_code == 200)
    return document_id


def content_path(document_id: str) -> str:
    return f"/api/v1/documents/{document_id}/content"


def download(http: httpx.Client, headers: dict[str, str], document_id: str) -> httpx.Response:
    return http.get(content_path(document_id), headers=headers)


def form(title: str, content: bytes) -> bytes:
    """The body of a multipart form with one paper, for a client that sends it its own way."""
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="category"\r\n\r\nidentity\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="title"\r\n\r\n{title}\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{title}.pdf"'
        "\r\nContent-Type: application/pdf\r\n\r\n"
    ).encode()
    return head + content + f"\r\n--{BOUNDARY}--\r\n".encode()


def form_headers(headers: dict[str, str]) -> dict[str, str]:
    return {**headers, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


def titles(http: httpx.Client, headers: dict[str, str]) -> list[str]:
    listed = http.get(UPLOAD, headers=headers)
    assert listed.status_code == 200, listed.text
    return sorted(document["title"] for document in listed.json())


def assert_unavailable(answer: httpx.Response) -> None:
    """A clean 503 in the API's error model, with a message a person can read."""
    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"] == "application/json"
    assert answer.json() == {"detail": UNAVAILABLE, "field": None}


def eventually(what: str, ready: Callable[[], object], seconds: float = 20) -> None:
    """Wait until `ready()` is true."""
    deadline = time.monotonic() + seconds
    while not ready():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.05)


# --- what must hold once a fault is over -------------------------------------------------------


def unfinished_uploads(rt: Runtime, s3_client: S3Client | None = None) -> int:
    """Writes begun and never ended: temp files of the local store, S3 multipart uploads."""
    if isinstance(rt.store, LocalBlobStore):
        return len(list((rt.store.root / TMP_DIR).iterdir()))
    assert isinstance(rt.store, S3BlobStore)
    assert s3_client is not None
    uploads = s3_client.list_multipart_uploads(Bucket=rt.store.bucket).get("Uploads", [])
    return len(uploads)


def stored_against_rows(rt: Runtime) -> tuple[set[str], set[str]]:
    """(objects no row refers to, rows whose object is missing)."""
    with transaction(rt.sessions) as db:
        rows = set(db.scalars(select(Blob.object_name)))
    objects = {info.name for info in rt.store.list()}
    return objects - rows, rows - objects


def assert_nothing_half_written(rt: Runtime, s3_client: S3Client | None = None) -> None:
    """After the sweep: each stored object is a paper's and each paper's object is there, no
    write is left unfinished, every blob decrypts and checks out, the journal's chain holds.
    A thumbnail made just after an upload's answer may be between its object and its row."""
    eventually("each object is a paper's", lambda: stored_against_rows(rt) == (set(), set()))
    assert unfinished_uploads(rt, s3_client) == 0
    with transaction(rt.sessions) as db:
        problems = [check.failures for check in verify_papers(db, rt) if not check.ok]
        assert problems == []
        assert verify_chain(db).problems == []


# --- the `coffre` command, as an administrator runs it after a fault ---------------------------


def command_env(settings: Settings) -> dict[str, str]:
    """The environment of a `coffre` process on the same data as `settings`; the sweeper
    without its grace period (no upload is in flight when it runs here)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COFFRE_")}
    env.update(
        COFFRE_DATA_DIR=str(settings.data_dir),
        COFFRE_KEYRING=settings.resolved_keyring(),
        COFFRE_DATABASE_URL=settings.resolved_database_url(),
        COFFRE_STORAGE_URL=settings.resolved_storage_url(),
        COFFRE_ORPHAN_GRACE_MINUTES="0",
    )
    return env


def coffre(env: dict[str, str], *args: str) -> str:
    """Run `coffre ARGS` in a process of its own; its output, once it has exited 0."""
    run = subprocess.run(
        [COFFRE, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 0, f"coffre {' '.join(args)}: {run.stdout}{run.stderr}"
    return run.stdout


def command(rt: Runtime, *args: str) -> str:
    """Run the `coffre ARGS` command on `rt`, in this process (a process of its own takes
    seconds to start); its output, once it has exited 0."""
    with patch.object(shared, "runtime", return_value=rt):
        result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, f"coffre {' '.join(args)}: {result.output}"
    return result.stdout


def sweep_and_verify(rt: Runtime) -> str:
    """`coffre storage sweep` (without its grace period: no upload is in flight), then
    `coffre keys verify` and `coffre audit verify`, which must pass; what the sweep said."""
    rt.settings.orphan_grace_minutes = 0
    swept = command(rt, "storage", "sweep")
    assert " 0 failed." in command(rt, "keys", "verify")
    assert "the chain is intact" in command(rt, "audit", "verify")
    return swept
