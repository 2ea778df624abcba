"""Helpers for the streaming tests of keys.format."""

from collections.abc import Iterable, Iterator

from keys.errors import CryptoError


def rechunk(pieces: Iterable[bytes], size: int | None) -> Iterator[bytes]:
    """Re-cut a stream into pieces of `size` bytes (the last may be shorter); None: unchanged."""
    if size is None:
        yield from pieces
        return
    pending = b""
    for piece in pieces:
        data = pending + piece
        cut = len(data) - len(data) % size
        for start in range(0, cut, size):
            yield data[start : start + size]
        pending = data[cut:]
    if pending:
        yield pending


def drain(stream: Iterator[bytes]) -> tuple[bytes, CryptoError | None]:
    """Everything the stream yields before it ends or fails, and the error if it failed."""
    out = bytearray()
    try:
        for piece in stream:
            out += piece
    except CryptoError as exc:
        return bytes(out), exc
    return bytes(out), None
