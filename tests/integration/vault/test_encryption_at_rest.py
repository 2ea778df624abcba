"""What is stored is ciphertext bound to its place: nothing readable at rest, and any change,
swap or move is caught before a byte past the authentic part is served."""

import os
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect, select, text, update

from storage import LocalBlobStore, S3BlobStore
from tests.buckets import drop_bucket
from tests.integration.vault.helpers import blob_of, counts, stored_bytes
from tests.integration.vault.test_documents_api import upload
from tests.samples import pdf
from vault.config import Settings
from vault.db import transaction
from vault.models import Blob, utcnow
from vault.runtime import Runtime
from vault.sweeper import sweep_orphans

pytestmark = pytest.mark.master_keys

MARKER = "ZX-MARQUEUR-7731"
TITLE = "Titre-Secret-4412"


def database_dump(rt: Runtime, settings: Settings) -> bytes:
    """Every byte the database holds: the SQLite files themselves, or every row on PostgreSQL."""
    if rt.engine.dialect.name == "sqlite":
        rt.engine.dispose()
        folder = settings.data_dir
        return b"".join(p.read_bytes() for p in folder.iterdir() if p.name.startswith("coffre.db"))
    dump = b""
    with rt.engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):  # noqa: S608
                dump += repr(tuple(row)).encode()
                dump += b"".join(v for v in row if isinstance(v, bytes))
    return dump


def test_store_and_database_hold_no_plaintext(
    client: TestClient, rt: Runtime, settings: Settings, amina: dict[str, Any]
) -> None:
    paper = pdf(MARKER, padding=40_000)
    created = upload(client, amina, paper, f"{MARKER}.pdf", title=TITLE)
    assert created.status_code == 201
    objects = stored_bytes(rt)
    assert len(objects) == 2  # the paper and its thumbnail, each encrypted
    for stored in objects:
        assert stored.startswith(b"CFRB")
        for needle in (MARKER.encode(), TITLE.encode(), paper[100:164]):
            assert needle not in stored
    names = [info.name for info in rt.store.list()]
    assert all(MARKER not in n and created.json()["id"] not in n for n in names)
    dump = database_dump(rt, settings)
    assert b"amina.diallo" in dump  # the dump is real: the login is there in clear
    for needle in (MARKER.encode(), TITLE.encode(), TITLE.encode("utf-16-le"), paper[100:164]):
        assert needle not in dump


def flip_bit(rt: Runtime, name: str, offset: int) -> None:
    data = bytearray(b"".join(rt.store.get(name)))
    data[offset] ^= 0x01
    rt.store.put(name, [bytes(data)])


def test_flipped_bit_is_refused(client: TestClient, rt: Runtime, amina: dict[str, Any]) -> None:
    for offset in (5, 200, -3):
        document_id = upload(client, amina, pdf(padding=100_000)).json()["id"]
        flip_bit(rt, blob_of(rt, document_id).object_name, offset)
        answer = client.get(f"/api/v1/documents/{document_id}/content", headers=amina["headers"])
        if answer.status_code == 200:
            # The fault lies past the first authenticated chunk: the body stops before it.
            assert len(answer.content) < 100_000
        else:
            assert answer.status_code == 409
            assert "abîmé" in answer.json()["detail"]


def test_truncation_at_chunk_boundary_is_refused(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    paper = pdf(padding=5 * 16384)
    document_id = upload(client, amina, paper).json()["id"]
    name = blob_of(rt, document_id).object_name
    whole = b"".join(rt.store.get(name))
    cobblestone_header, chunk = 56, 16384 + 16
    rt.store.put(name, [whole[: 13 + cobblestone_header + 2 * chunk]])
    received = b""
    try:
        with client.stream(
            "GET", f"/api/v1/documents/{document_id}/content", headers=amina["headers"]
        ) as answer:
            status = answer.status_code
            for piece in answer.iter_raw():
                received += piece
    except Exception:
        status = 200
    if status == 200:
        assert len(received) <= 2 * 16384
        assert paper.startswith(received)
    else:
        assert status == 409


def test_blob_swapped_between_two_people_is_refused(
    client: TestClient, rt: Runtime, amina: dict[str, Any], bruno: dict[str, Any]
) -> None:
    mine = upload(client, amina, pdf("amina")).json()["id"]
    theirs = upload(client, bruno, pdf("bruno")).json()["id"]
    their_bytes = b"".join(rt.store.get(blob_of(rt, theirs).object_name))
    rt.store.put(blob_of(rt, mine).object_name, [their_bytes])
    answer = client.get(f"/api/v1/documents/{mine}/content", headers=amina["headers"])
    assert answer.status_code == 409
    assert b"bruno" not in answer.content


def test_wrapped_key_moved_to_another_row_is_refused(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    first = upload(client, amina, pdf("one")).json()["id"]
    second = upload(client, amina, pdf("two")).json()["id"]
    with transaction(rt.sessions) as db:
        wrapped = db.scalar(select(Blob.wrapped_data_key).where(Blob.document_id == first))
        db.execute(update(Blob).where(Blob.document_id == second).values(wrapped_data_key=wrapped))
    answer = client.get(f"/api/v1/documents/{second}/content", headers=amina["headers"])
    assert answer.status_code == 409
    assert (
        client.get(f"/api/v1/documents/{first}/content", headers=amina["headers"]).status_code
        == 200
    )


def coffre_env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "COFFRE_DATA_DIR": str(settings.data_dir),
        "COFFRE_DATABASE_URL": settings.resolved_database_url(),
        "COFFRE_STORAGE_URL": settings.resolved_storage_url(),
        "COFFRE_KEYRING": settings.resolved_keyring(),
    }


COFFRE = str(Path(sys.executable).parent / "coffre")
COFFRE_ENV = (COFFRE, coffre_env)


def coffre(
    settings: Settings, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the `coffre` command on this test's coffre, as an administrator would."""
    return subprocess.run(
        [COFFRE, *args],
        env=coffre_env(settings),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_keys_verify_passes_then_fails_on_corruption(
    client: TestClient, rt: Runtime, settings: Settings, amina: dict[str, Any]
) -> None:
    ids = [upload(client, amina, pdf(str(i), padding=30_000)).json()["id"] for i in range(3)]
    good = coffre(settings, "keys", "verify")
    assert good.returncode == 0, good.stdout + good.stderr
    # Each paper and its thumbnail: a thumbnail is checked like any blob.
    assert "6 of 6 blobs verified, 0 failed" in good.stdout
    flip_bit(rt, blob_of(rt, ids[1]).object_name, -20)
    bad = coffre(settings, "keys", "verify")
    assert bad.returncode == 1
    assert f"FAILED blob {blob_of(rt, ids[1]).id}" in bad.stdout
    assert "5 of 6 blobs verified, 1 failed" in bad.stdout
    status = coffre(settings, "keys", "status")
    assert status.returncode == 0
    assert "primary" in status.stdout


def break_store(rt: Runtime, s3_client_factory: Any) -> None:
    """Make every write fail for real: the bucket is gone, or the folder is now a file."""
    store = rt.store
    if isinstance(store, S3BlobStore):
        drop_bucket(s3_client_factory(), store.bucket)
    else:
        assert isinstance(store, LocalBlobStore)
        shutil.rmtree(store.root)
        store.root.write_bytes(b"not a directory")


def test_failed_store_write_leaves_no_row(
    client: TestClient, rt: Runtime, amina: dict[str, Any], request: pytest.FixtureRequest
) -> None:
    break_store(rt, lambda: request.getfixturevalue("s3_client"))
    answer = upload(client, amina, pdf())
    assert answer.status_code == 503
    assert "indisponible" in answer.json()["detail"]
    with transaction(rt.sessions) as db:
        assert db.scalar(select(Blob.id)) is None


def test_sweeper_removes_unreferenced_objects_only(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    upload(client, amina, pdf())
    rt.store.put("0123456789abcdef0123456789abcdef", [b"leftover of a crash"])
    with transaction(rt.sessions) as db:
        assert sweep_orphans(db, rt.store, timedelta(hours=1)) == 0
        assert sweep_orphans(db, rt.store, timedelta(0), now=utcnow() + timedelta(minutes=1)) == 1
    assert counts(rt) == (1, 2, 2)  # the paper and its thumbnail
    assert client.get("/api/v1/vaults/me/documents", headers=amina["headers"]).status_code == 200
