"""The whole storage path on each back end: encrypt, store, fetch, decrypt, byte for byte."""

import hashlib
import os
import uuid
from collections.abc import Iterator

import pytest

from keys.errors import IntegrityError
from keys.format import BlobContext, decrypt_blob, encrypt_blob
from keys.wrap import new_key
from storage import BlobStore

CHUNK = 16384
MiB = 1024 * 1024


def context() -> BlobContext:
    return BlobContext(str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4()), "original")


def pieces(size: int, seed: bytes) -> Iterator[bytes]:
    """`size` pseudo-random bytes, made 1 MiB at a time so a big test stays small in memory."""
    block = hashlib.sha512(seed).digest() * (MiB // 64)
    sent = 0
    while sent < size:
        piece = block[: min(MiB, size - sent)]
        sent += len(piece)
        yield piece


@pytest.mark.parametrize(
    "size",
    [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 50 * 1000 * 1000],
    ids=["0B", "1B", "chunk-1", "chunk", "chunk+1", "50MB"],
)
def test_round_trip(blob_store: BlobStore, size: int) -> None:
    key, where = new_key(), context()
    name = uuid.uuid4().hex
    blob_store.put(name, encrypt_blob(key, 1, where, pieces(size, b"x")))
    expected = hashlib.sha256()
    for piece in pieces(size, b"x"):
        expected.update(piece)
    got = hashlib.sha256()
    length = 0
    for piece in decrypt_blob(key, where, blob_store.get(name)):
        got.update(piece)
        length += len(piece)
    assert (length, got.hexdigest()) == (size, expected.hexdigest())


def test_stored_object_opens_only_in_its_own_context(blob_store: BlobStore) -> None:
    key, where = new_key(), context()
    blob_store.put("a" * 32, encrypt_blob(key, 1, where, [os.urandom(40_000)]))
    elsewhere = BlobContext(where.owner_id, str(uuid.uuid4()), where.blob_id, where.role)
    with pytest.raises(IntegrityError):
        b"".join(decrypt_blob(key, elsewhere, blob_store.get("a" * 32)))
