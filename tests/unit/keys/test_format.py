import dataclasses
import hashlib
import os
import uuid
from collections.abc import Callable, Iterator

import pytest

from keys.errors import FormatError, IntegrityError
from keys.format import (
    FORMAT_VERSION,
    HEADER_SIZE,
    MAGIC,
    BlobContext,
    BlobHeader,
    cobblestone_decrypt_stream,
    decrypt_blob,
    encrypt_blob,
    read_header,
)
from keys.wrap import new_key
from tests.unit.keys.streams import drain, rechunk

CHUNK = 16384
TAG = 16
COBBLESTONE_HEADER = 56
MiB = 1024 * 1024
# Offset of Cobblestone's first chunk in a coffre blob; chunk i starts at BODY + i * SEALED_CHUNK.
BODY = HEADER_SIZE + COBBLESTONE_HEADER
SEALED_CHUNK = CHUNK + TAG
# Two full chunks and a short final one.
MESSAGE_SIZE = 2 * CHUNK + 7232


def make_context(**changes: str) -> BlobContext:
    context = BlobContext(
        owner_id=str(uuid.uuid4()),
        document_id=str(uuid.uuid4()),
        blob_id=str(uuid.uuid4()),
        role="original",
    )
    return dataclasses.replace(context, **changes)


def encrypt(key: bytes, context: BlobContext, data: bytes, user_key_version: int = 1) -> bytes:
    return b"".join(encrypt_blob(key, user_key_version, context, [data]))


def flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]


def test_header_layout() -> None:
    key, context = new_key(), make_context()
    blob = encrypt(key, context, b"", user_key_version=7)
    assert HEADER_SIZE == 4 + 1 + 4 + 16
    assert blob[:4] == MAGIC == b"CFRB"
    assert read_header(blob) == BlobHeader(FORMAT_VERSION, 7, context.blob_id)
    assert blob[HEADER_SIZE - 16 : HEADER_SIZE] == uuid.UUID(context.blob_id).bytes
    assert len(blob) == HEADER_SIZE + 72


def test_associated_data_is_length_prefixed_and_labelled() -> None:
    def field(raw: bytes) -> bytes:
        return len(raw).to_bytes(4, "big") + raw

    context = BlobContext("o", "d", "b", "original")
    expected = b"".join(field(f) for f in (b"coffre/blob/v1", b"o", b"d", b"b", b"original"))
    assert context.associated_data() == expected
    shifted = BlobContext("o", "db", "", "original")
    assert BlobContext("o", "d", "b", "original").associated_data() != shifted.associated_data()


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 5])
@pytest.mark.parametrize("feed", [1, 7777, SEALED_CHUNK, None])
def test_round_trip(size: int, feed: int | None) -> None:
    key, context = new_key(), make_context()
    data = os.urandom(size)
    blob = b"".join(encrypt_blob(key, 3, context, rechunk([data], feed)))
    assert len(blob) == BODY + size + TAG * (size // CHUNK + 1)
    out, error = drain(decrypt_blob(key, context, rechunk([blob], feed)))
    assert error is None
    assert out == data


def test_50_mb_round_trip_streams_in_bounded_pieces() -> None:
    size = 50 * 1000 * 1000
    key, context = new_key(), make_context()
    sent, received = hashlib.sha256(), hashlib.sha256()
    largest = {"ciphertext": 0, "plaintext": 0}
    blob_size = received_size = 0

    def plaintext() -> Iterator[bytes]:
        for start in range(0, size, MiB):
            piece = os.urandom(min(MiB, size - start))
            sent.update(piece)
            yield piece

    def ciphertext() -> Iterator[bytes]:
        nonlocal blob_size
        for piece in encrypt_blob(key, 1, context, plaintext()):
            blob_size += len(piece)
            largest["ciphertext"] = max(largest["ciphertext"], len(piece))
            yield piece

    for piece in decrypt_blob(key, context, rechunk(ciphertext(), 7777)):
        received.update(piece)
        received_size += len(piece)
        largest["plaintext"] = max(largest["plaintext"], len(piece))

    assert received_size == size
    assert received.digest() == sent.digest()
    assert blob_size == BODY + size + TAG * (size // CHUNK + 1)
    assert max(largest.values()) <= 1.1 * MiB


def test_huge_input_chunk_is_sliced_and_tiny_outputs_are_merged() -> None:
    key, context = new_key(), make_context()
    sliced = [len(p) for p in encrypt_blob(key, 1, context, [os.urandom(5 * MiB)])]
    assert max(sliced) <= 1.1 * MiB
    merged = [len(p) for p in encrypt_blob(key, 1, context, rechunk([os.urandom(MiB)], 1000))]
    assert all(n >= 256 * 1024 for n in merged[:-1])


Mutation = Callable[[bytes], bytes]

# (mutation, error type, how many chunks are authenticated before the damage)
TAMPERING: dict[str, tuple[Mutation, type[IntegrityError], int]] = {
    "magic": (lambda b: flip(b, 0), FormatError, 0),
    "format version": (lambda b: flip(b, 4), FormatError, 0),
    "user key version": (lambda b: flip(b, 8), IntegrityError, 0),
    "blob id": (lambda b: flip(b, HEADER_SIZE - 1), IntegrityError, 0),
    "cobblestone header": (lambda b: flip(b, HEADER_SIZE + 3), IntegrityError, 0),
    "first chunk": (lambda b: flip(b, BODY + 100), IntegrityError, 0),
    "second chunk": (lambda b: flip(b, BODY + SEALED_CHUNK + 100), IntegrityError, 1),
    "last tag": (lambda b: flip(b, len(b) - 1), IntegrityError, 2),
    "empty": (lambda b: b"", FormatError, 0),
    "half a header": (lambda b: b[: HEADER_SIZE // 2], FormatError, 0),
    "header only": (lambda b: b[:HEADER_SIZE], IntegrityError, 0),
    "both headers only": (lambda b: b[:BODY], IntegrityError, 0),
    "after one chunk": (lambda b: b[: BODY + SEALED_CHUNK], IntegrityError, 1),
    "after two chunks": (lambda b: b[: BODY + 2 * SEALED_CHUNK], IntegrityError, 2),
    "mid first chunk": (lambda b: b[: BODY + 5000], IntegrityError, 0),
    "mid second chunk": (lambda b: b[: BODY + SEALED_CHUNK + 5000], IntegrityError, 1),
    "mid last tag": (lambda b: b[:-1], IntegrityError, 2),
    "trailing byte": (lambda b: b + b"\0", IntegrityError, 2),
    "trailing garbage": (lambda b: b + os.urandom(100), IntegrityError, 2),
    "trailing copy of last chunk": (lambda b: b + b[BODY + 2 * SEALED_CHUNK :], IntegrityError, 2),
    "chunks swapped": (
        lambda b: (
            b[:BODY]
            + b[BODY + SEALED_CHUNK : BODY + 2 * SEALED_CHUNK]
            + b[BODY : BODY + SEALED_CHUNK]
            + b[BODY + 2 * SEALED_CHUNK :]
        ),
        IntegrityError,
        0,
    ),
}


@pytest.mark.parametrize("feed", [1, 7777, None])
@pytest.mark.parametrize("case", TAMPERING)
def test_tampered_blob_is_refused(case: str, feed: int | None) -> None:
    mutate, error_type, authentic_chunks = TAMPERING[case]
    key, context = new_key(), make_context()
    data = os.urandom(MESSAGE_SIZE)
    stream = decrypt_blob(key, context, rechunk([mutate(encrypt(key, context, data))], feed))
    out, error = drain(stream)
    assert type(error) is error_type
    assert out == data[: len(out)]
    assert len(out) <= authentic_chunks * CHUNK
    with pytest.raises(IntegrityError):
        next(stream)


def test_streaming_failure_yields_only_an_authenticated_prefix() -> None:
    key, context = new_key(), make_context()
    data = os.urandom(20 * CHUNK + 5)
    blob = flip(encrypt(key, context, data), BODY + 20 * SEALED_CHUNK + 2)
    out, error = drain(decrypt_blob(key, context, rechunk([blob], 7777)))
    assert isinstance(error, IntegrityError)
    # Non-empty: plaintext is streamed, not held until the end.
    assert 0 < len(out) <= 20 * CHUNK
    assert out == data[: len(out)]


def test_wrong_key_is_refused_before_any_plaintext() -> None:
    key, other_key, context = new_key(), new_key(), make_context()
    out, error = drain(decrypt_blob(other_key, context, [encrypt(key, context, b"x" * 50000)]))
    assert isinstance(error, IntegrityError)
    assert out == b""
    assert key.hex() not in str(error)
    assert other_key.hex() not in str(error)


@pytest.mark.parametrize("field", ["owner_id", "document_id", "role"])
def test_blob_moved_to_another_context_is_refused(field: str) -> None:
    key, context = new_key(), make_context()
    blob = encrypt(key, context, b"carte d'identite")
    moved = dataclasses.replace(context, **{field: "another"})
    out, error = drain(decrypt_blob(key, moved, [blob]))
    assert isinstance(error, IntegrityError)
    assert out == b""


def test_blob_swapped_with_another_documents_blob_is_refused() -> None:
    key_a, context_a = new_key(), make_context()
    key_b, context_b = new_key(), make_context(owner_id=context_a.owner_id)
    blob_a = encrypt(key_a, context_a, b"avis d'imposition")
    for key in (key_a, key_b):
        out, error = drain(decrypt_blob(key, context_b, [blob_a]))
        assert isinstance(error, IntegrityError)
        assert "another document" in str(error)
        assert out == b""


@pytest.mark.parametrize(
    ("head", "message"),
    [
        (b"CFRB\x01", "too short"),
        (b"XXXX" + bytes(21), "bad magic"),
        (b"CFRB\x02" + bytes(20), "unknown blob format version 2"),
    ],
)
def test_read_header_refuses_what_it_cannot_read(head: bytes, message: str) -> None:
    with pytest.raises(FormatError, match=message):
        read_header(head)


@pytest.mark.parametrize(
    ("key", "user_key_version", "blob_id"),
    [
        (bytes(16), 1, str(uuid.uuid4())),
        (bytes(32), -1, str(uuid.uuid4())),
        (bytes(32), 2**32, str(uuid.uuid4())),
        (bytes(32), 1, "not-a-uuid"),
    ],
    # Named, not numbered by their random ids: parallel workers must collect the same tests.
    ids=["short key", "negative version", "version too large", "blob id not a uuid"],
)
def test_encrypt_refuses_bad_arguments_at_call_time(
    key: bytes, user_key_version: int, blob_id: str
) -> None:
    with pytest.raises(ValueError, match=r"."):
        encrypt_blob(key, user_key_version, make_context(blob_id=blob_id), [b"x"])


@pytest.mark.parametrize("size", [0, 16, 31, 33, 64])
def test_decrypt_refuses_a_key_of_the_wrong_size(size: int) -> None:
    context = make_context()
    blob = encrypt(new_key(), context, b"x")
    with pytest.raises(IntegrityError, match="invalid size"):
        b"".join(decrypt_blob(bytes(size), context, [blob]))
    with pytest.raises(IntegrityError, match="invalid size"):
        b"".join(cobblestone_decrypt_stream(bytes(size), b"", [blob[HEADER_SIZE:]]))
