"""Blob format: a short coffre header, then Cobblestone256 (C2SP chunked encryption).

    MAGIC b"CFRB" (4) | format version (1) | user key version (uint32 BE) | blob id (UUID, 16)

The Cobblestone context is the header followed by the blob's context (owner, document, blob,
role). Cobblestone commits to its key and context in its own header, so an edited coffre header,
a wrong data key or a blob copied to another document or person fails before any chunk is
decrypted; chunk counters and the last-chunk flag catch reordering, truncation and trailing data.
"""

from __future__ import annotations

import itertools
import struct
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from cryptography.cobblestone import Cobblestone256Decryptor, Cobblestone256Encryptor
from cryptography.exceptions import InvalidTag

from keys.canonical import encode
from keys.errors import FormatError, IntegrityError

MAGIC = b"CFRB"
FORMAT_VERSION = 1
_HEADER = struct.Struct(">4sBI16s")
HEADER_SIZE = _HEADER.size

# Cobblestone is fed at most this much at once, so a caller's huge chunk is never duplicated whole.
_MAX_FEED = 1024 * 1024
# Smaller outputs are merged: Cobblestone emits 16 KiB chunks, and a tiny header and final chunk.
_MIN_PIECE = 256 * 1024

_ALTERED = "the document is altered or incomplete"


@dataclass(frozen=True)
class BlobContext:
    """Where a blob belongs. Ids are UUID strings; role names the blob's use, e.g. "original"."""

    owner_id: str
    document_id: str
    blob_id: str
    role: str

    def associated_data(self) -> bytes:
        return encode(b"coffre/blob/v1", self.owner_id, self.document_id, self.blob_id, self.role)


@dataclass(frozen=True)
class BlobHeader:
    format_version: int
    user_key_version: int
    blob_id: str


def read_header(head: bytes) -> BlobHeader:
    """Parse the header at the start of `head` (bytes after HEADER_SIZE are ignored).

    Not authenticated on its own: it only says which user key version wraps the blob's data key.
    decrypt_blob authenticates it.
    """
    if len(head) < HEADER_SIZE:
        raise FormatError("the blob is too short to hold a coffre header")
    magic, version, user_key_version, blob_id = _HEADER.unpack_from(head)
    if magic != MAGIC:
        raise FormatError("not a coffre blob (bad magic)")
    if version != FORMAT_VERSION:
        raise FormatError(f"unknown blob format version {version}")
    return BlobHeader(version, user_key_version, str(uuid.UUID(bytes=blob_id)))


def encrypt_blob(
    data_key: bytes, user_key_version: int, context: BlobContext, chunks: Iterable[bytes]
) -> Iterator[bytes]:
    """Yield the header then the Cobblestone ciphertext of the concatenated `chunks`.

    Raises ValueError at call time for a data key that is not 32 bytes, a blob id that is not a
    UUID or a user key version outside 0..2**32-1.
    """
    if not 0 <= user_key_version <= 0xFFFFFFFF:
        raise ValueError("user_key_version must fit in 32 bits")
    header = _HEADER.pack(MAGIC, FORMAT_VERSION, user_key_version, uuid.UUID(context.blob_id).bytes)
    encryptor = Cobblestone256Encryptor(data_key, header + context.associated_data())
    return _coalesce(_encrypt(header, encryptor, chunks))


def _encrypt(
    header: bytes, encryptor: Cobblestone256Encryptor, chunks: Iterable[bytes]
) -> Iterator[bytes]:
    yield header
    for chunk in chunks:
        for piece in _slices(chunk):
            yield encryptor.update(piece)
    yield encryptor.finalize()


def decrypt_blob(data_key: bytes, context: BlobContext, chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Yield the plaintext of a blob written by encrypt_blob for this same `context`.

    Only authenticated plaintext is yielded. Errors are raised while iterating: FormatError for a
    header this version cannot read, IntegrityError for anything else (altered, truncated,
    trailing data, wrong key or key size, blob of another document or person). A wrong key or
    context and an edited header fail on the first next(), before any plaintext. Once failed,
    the iterator keeps raising. A context.blob_id that is not a UUID raises ValueError.
    """
    return _FailClosed(_decrypt_blob(data_key, context, chunks))


def _decrypt_blob(
    data_key: bytes, context: BlobContext, chunks: Iterable[bytes]
) -> Iterator[bytes]:
    stream = iter(chunks)
    try:
        head = b""
        rest = b""
        for chunk in stream:
            missing = HEADER_SIZE - len(head)
            head += chunk[:missing]
            if len(head) == HEADER_SIZE:
                rest = chunk[missing:]
                break
        header = read_header(head)
        # Also caught by the Cobblestone context; checked first for a clearer message.
        if uuid.UUID(header.blob_id) != uuid.UUID(context.blob_id):
            raise IntegrityError("the blob belongs to another document")
        yield from cobblestone_decrypt_stream(
            data_key, head + context.associated_data(), itertools.chain([rest], stream)
        )
    finally:
        # Release the source (an open file, an HTTP body) now, even when decryption failed.
        close = getattr(stream, "close", None)
        if close is not None:
            close()


def cobblestone_decrypt_stream(
    key: bytes, context: bytes, chunks: Iterable[bytes]
) -> Iterator[bytes]:
    """Raw Cobblestone256 streaming decryption (no coffre header).

    Yields only authenticated plaintext: whole Cobblestone chunks, merged into pieces of 256 KiB
    to about 1 MiB. Every failure, including a key that is not 32 bytes, raises IntegrityError
    while iterating; the iterator then keeps raising.
    """
    return _FailClosed(_coalesce(_cobblestone_decrypt(key, context, chunks)))


def _cobblestone_decrypt(key: bytes, context: bytes, chunks: Iterable[bytes]) -> Iterator[bytes]:
    try:
        decryptor = Cobblestone256Decryptor(key, context)
    except ValueError:
        raise IntegrityError("the data key has an invalid size") from None
    for chunk in chunks:
        for piece in _slices(chunk):
            with _authenticating():
                plaintext = decryptor.update(piece)
            yield plaintext
    with _authenticating():
        plaintext = decryptor.finalize()
    yield plaintext


@contextmanager
def _authenticating() -> Iterator[None]:
    try:
        yield
    except InvalidTag:
        raise IntegrityError(_ALTERED) from None


class _FailClosed(Iterator[bytes]):
    """Keeps raising once decryption failed.

    A generator that raised is merely exhausted afterwards: a caller that caught the error and
    iterated again would see a clean end of document.
    """

    def __init__(self, inner: Iterator[bytes]) -> None:
        self._inner = inner
        self._failure: IntegrityError | None = None

    def __next__(self) -> bytes:
        if self._failure is not None:
            raise type(self._failure)(*self._failure.args)
        try:
            return next(self._inner)
        except IntegrityError as exc:
            self._failure = exc
            raise


def _slices(data: bytes) -> Iterator[memoryview]:
    view = memoryview(data)
    for start in range(0, len(view), _MAX_FEED):
        yield view[start : start + _MAX_FEED]


def _coalesce(pieces: Iterator[bytes]) -> Iterator[bytes]:
    buffer = bytearray()
    for piece in pieces:
        if len(piece) >= _MIN_PIECE:
            # Large pieces pass through uncopied, after what was buffered, to keep the order.
            if buffer:
                yield bytes(buffer)
                buffer.clear()
            yield piece
            continue
        buffer += piece
        if len(buffer) >= _MIN_PIECE:
            yield bytes(buffer)
            buffer.clear()
    if buffer:
        yield bytes(buffer)
