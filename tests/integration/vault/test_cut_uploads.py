"""An upload is received, encrypted and sent to the store at the same time (several parts in
flight): cut at any point, by the person's connection, the store or the encryption, it leaves
no stored object, no hidden S3 part and no row."""

import contextlib
from collections.abc import Iterable, Iterator
from typing import Any, cast

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from mypy_boto3_s3 import S3Client
from starlette.requests import ClientDisconnect
from starlette.types import Message

from keys.format import encrypt_blob
from storage import BlobStore, BlobStoreError, S3BlobStore
from tests.asgi_requests import post_scope
from tests.event_loops import on_a_loop
from tests.integration.storage.test_blob_store import PartFails
from tests.integration.vault.helpers import counts
from tests.samples import large_pdf
from vault.documents import service
from vault.runtime import Runtime

MiB = 1024 * 1024
PAPER = 20 * MiB  # several S3 parts of 8 MiB: some sent, some in flight when the cut comes
BOUNDARY = "coupure"


def form(size: int = PAPER) -> bytes:
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="category"\r\n\r\nidentity\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="long.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    return head + b"".join(large_pdf(size)) + tail


def nothing_left(rt: Runtime, request: pytest.FixtureRequest) -> None:
    assert counts(rt) == (0, 0, 0)
    if isinstance(rt.store, S3BlobStore):
        client: S3Client = request.getfixturevalue("s3_client")
        assert client.list_multipart_uploads(Bucket=rt.store.bucket).get("Uploads", []) == []


def post(app: FastAPI, token: str, body: bytes, cut_at: int | None = None) -> list[Message]:
    """POST the form, by 64 KiB, as a client that goes away after `cut_at` bytes (None: that
    sends it all); what the app sent back."""
    end = len(body) if cut_at is None else cut_at
    pieces = [body[start : min(start + 65536, end)] for start in range(0, end, 65536)]
    sent: list[Message] = []

    async def receive() -> Message:
        if pieces:
            piece = pieces.pop(0)
            more = bool(pieces) or cut_at is not None
            return {"type": "http.request", "body": piece, "more_body": more}
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    headers = {
        "authorization": f"Bearer {token}",
        "content-type": f"multipart/form-data; boundary={BOUNDARY}",
        "content-length": str(len(body)),
    }

    async def run() -> None:
        with contextlib.suppress(ClientDisconnect):
            await app(post_scope("/api/v1/vaults/me/documents", headers), receive, send)

    on_a_loop(run)
    return sent


@pytest.mark.parametrize(
    "cut_at",
    [200, 1 * MiB, 12 * MiB, PAPER, PAPER + 150],
    ids=["in-the-fields", "first-part", "parts-in-flight", "last-part", "before-the-end"],
)
def test_a_person_who_goes_away_leaves_nothing(
    client: TestClient,
    rt: Runtime,
    amina: dict[str, Any],
    cut_at: int,
    request: pytest.FixtureRequest,
) -> None:
    app = cast(FastAPI, client.app)
    body = form()
    assert cut_at < len(body)
    post(app, amina["token"], body, cut_at)
    nothing_left(rt, request)
    # The same form, sent whole, goes through: the cut was the only problem.
    whole = post(app, amina["token"], body)
    assert whole[0]["status"] == 201, whole
    assert counts(rt)[0] == 1


class FailsMidway:
    """A store that fails after taking `good` bytes, as a full disk or a lost S3 server would."""

    def __init__(self, store: BlobStore, good: int) -> None:
        self._store = store
        self._good = good

    def put(self, name: str, chunks: Iterable[bytes]) -> int:
        def until_failure() -> Iterator[bytes]:
            taken = 0
            for chunk in chunks:
                taken += len(chunk)
                if taken > self._good:
                    raise BlobStoreError("the store went away")
                yield chunk

        return self._store.put(name, until_failure())

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def failing_store(rt: Runtime, request: pytest.FixtureRequest) -> BlobStore:
    """The back end's own failure: an S3 part refused by the server; elsewhere, a store that
    stops taking bytes midway."""
    if isinstance(rt.store, S3BlobStore):
        client: S3Client = request.getfixturevalue("s3_client")
        return S3BlobStore(rt.store.bucket, cast(S3Client, PartFails(client, 2)))
    return cast(BlobStore, FailsMidway(rt.store, 12 * MiB))


def test_a_store_failing_midway_leaves_nothing(
    client: TestClient, rt: Runtime, amina: dict[str, Any], request: pytest.FixtureRequest
) -> None:
    working = rt.store
    rt.store = failing_store(rt, request)
    answer = post(cast(FastAPI, client.app), amina["token"], form())
    assert answer[0]["status"] == 503
    rt.store = working
    nothing_left(rt, request)


def test_an_encryption_failing_midway_leaves_nothing(
    client: TestClient,
    rt: Runtime,
    amina: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:

    class Broken(Exception):
        pass

    def breaks_midway(*args: Any) -> Iterator[bytes]:
        encrypted = 0
        for piece in encrypt_blob(*args):
            encrypted += len(piece)
            if encrypted > 12 * MiB:
                raise Broken
            yield piece

    monkeypatch.setattr(service, "encrypt_blob", breaks_midway)
    with contextlib.suppress(Broken):
        answer = post(cast(FastAPI, client.app), amina["token"], form())
        assert answer[0]["status"] == 500
    nothing_left(rt, request)
