"""`coffre serve` killed (SIGKILL) while a client is half-way through sending a paper: once
restarted, no paper from that upload is listed; what the write left (a temp file, an S3
multipart upload in progress) is removed by `coffre storage sweep`; every paper and the journal
still verify. On the embedded default, then on PostgreSQL and S3."""

import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from mypy_boto3_s3 import S3Client

from tests.integration.faults.live import (
    COFFRE,
    UPLOAD,
    MiB,
    assert_nothing_half_written,
    coffre,
    command,
    command_env,
    eventually,
    form,
    form_headers,
    paper,
    sign_up,
    titles,
    unfinished_uploads,
    uploaded,
)
from tests.ports import free_port
from vault.config import Settings
from vault.runtime import Runtime

PART = 5 * MiB


@pytest.fixture(params=["embedded", pytest.param("server", marks=[pytest.mark.pg, pytest.mark.s3])])
def settings(request: pytest.FixtureRequest, tmp_path: Path, sqlite_schema: Path) -> Settings:
    server = request.param == "server"
    if not server:
        (tmp_path / "data").mkdir(mode=0o700)
        shutil.copyfile(sqlite_schema, tmp_path / "data" / "coffre.db")
    return Settings(
        _env_file=None,
        data_dir=tmp_path / "data",
        keyring=(tmp_path / "keys" / "keyring.json").as_uri(),
        database_url=request.getfixturevalue("pg_migrated_database") if server else None,
        storage_url=request.getfixturevalue("s3_bucket_url") if server else None,
        s3_part_mib=PART // MiB,
    )


@contextmanager
def coffre_serve(env: dict[str, str], log: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`coffre serve` in a process of its own, once it is ready; stopped at the end, unless the
    test killed it."""
    port = free_port()
    with log.open("ab") as output:
        server = subprocess.Popen(
            [COFFRE, "serve", "--port", str(port)], env=env, stdout=output, stderr=output
        )
    url = f"http://127.0.0.1:{port}"
    try:
        eventually("coffre serve answers", lambda: _ready(url, server, log), seconds=60)
        yield url, server
    finally:
        if server.poll() is None:
            server.terminate()
        server.wait(timeout=30)


def _ready(url: str, server: subprocess.Popen[bytes], log: Path) -> bool:
    assert server.poll() is None, f"coffre serve stopped: {log.read_text()}"
    try:
        return httpx.get(f"{url}/readyz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def send_half(url: str, headers: dict[str, str], content: bytes) -> socket.socket:
    """A client that sends the headers and half the body of an upload, then waits."""
    body = form("avis", content)
    address = urlsplit(url)
    lines = [
        f"POST {UPLOAD} HTTP/1.1",
        f"Host: {address.netloc}",
        f"Content-Length: {len(body)}",
        *(f"{name}: {value}" for name, value in form_headers(headers).items()),
    ]
    client = socket.create_connection((address.hostname or "", address.port or 80))
    client.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body[: len(body) // 2])
    return client


def test_a_server_killed_mid_upload_leaves_nothing(
    settings: Settings, rt: Runtime, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    s3_client: S3Client | None = (
        request.getfixturevalue("s3_client") if settings.storage_url else None
    )
    env = {**command_env(settings), "COFFRE_S3_PART_MIB": str(PART // MiB)}
    log = tmp_path / "serve.log"
    with coffre_serve(env, log) as (url, server), httpx.Client(base_url=url) as http:
        amina = sign_up(http, "amina.diallo")
        uploaded(http, amina, "carte", paper(50_000))
        # More than one S3 part: a multipart upload is under way when the kill comes.
        with send_half(url, amina, paper(3 * PART)):
            eventually("the upload is being stored", lambda: unfinished_uploads(rt, s3_client))
            server.kill()
            server.wait(timeout=30)

    # Restarted: the person's session is still open, and their list is as before the upload.
    with coffre_serve(env, log) as (url, _), httpx.Client(base_url=url) as http:
        assert titles(http, amina) == ["carte"]

    assert unfinished_uploads(rt, s3_client) == 1
    swept = coffre(env, "storage", "sweep")
    assert "1 unfinished uploads removed." in swept
    assert " 0 failed." in command(rt, "keys", "verify")
    assert "the chain is intact" in command(rt, "audit", "verify")
    assert_nothing_half_written(rt, s3_client)
