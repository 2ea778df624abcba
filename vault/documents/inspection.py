"""Checks an upload while it streams: its type by its content (never by its name), its size
against the limit, and that it is not cut short. Nothing is buffered beyond a small head and
tail, so memory stays flat whatever the size."""

import re
from collections.abc import Iterable, Iterator

from vault.errors import (
    N_,
    DamagedFileError,
    EmptyFileError,
    FileTooLargeError,
    UnsupportedFileError,
)

_HEAD = 16
_TAIL = 1024

# (content type, leading bytes, what its last bytes must contain when the file is complete)
_FORMATS: tuple[tuple[str, bytes, bytes], ...] = (
    ("application/pdf", b"%PDF-", b"%%EOF"),
    ("image/jpeg", b"\xff\xd8\xff", b"\xff\xd9"),
    ("image/png", b"\x89PNG\r\n\x1a\n", b"IEND\xaeB`\x82"),
)

# A motion photo keeps a short video after the picture's end marker, in the same file. A
# Pixel's: the MP4 itself (its first box: a size, then `ftyp`). A Samsung's: fields of
# Samsung's trailer (two zero bytes, a type, the length of a name, the name; the video is in
# « MotionPhoto_Data »), and the file ends with the trailer's `SEFT`. The picture is whole
# there; the video goes when the photo is cleaned (previews.photos_as_one_file).
_MP4_AFTER_JPEG = re.compile(rb"\xff\xd9[\x00-\xff]{4}ftyp")
_SAMSUNG_FIELD_AFTER_JPEG = re.compile(rb"\xff\xd9\x00\x00[\x00-\xff]{2}[\x01-\x7f]\x00{3}[A-Za-z]")
_SAMSUNG_TRAILER_END = b"SEFT"
_VIDEO_MARK_LENGTH = 11

UNSUPPORTED = N_("Le fichier doit être un JPG, PNG ou PDF.")
EMPTY = N_("Le fichier est vide.")
DAMAGED = N_("Le fichier est abîmé ou incomplet. Essayez de l'envoyer à nouveau.")


def too_large(max_bytes: int) -> FileTooLargeError:
    return FileTooLargeError(
        "Le fichier doit faire moins de %(megabytes)s Mo.",
        field="file",
        megabytes=max_bytes // (1024 * 1024),
    )


class InspectedUpload:
    """Wraps the raw byte stream; call `content_type()` first, then iterate to get the bytes."""

    def __init__(
        self,
        chunks: Iterable[bytes],
        max_bytes: int,
        too_big: FileTooLargeError | None = None,
    ) -> None:
        """`too_big`: the refusal past `max_bytes`, when the limit is not the instance's
        largest file (e.g. the room left in the vault)."""
        self._chunks = iter(chunks)
        self._max_bytes = max_bytes
        self._too_big = too_big or too_large(max_bytes)
        self._head = b""
        self._type: tuple[str, bytes, bytes] | None = None
        self.size = 0

    def content_type(self) -> str:
        """Read just enough to recognise the format; refuse empty and unknown files."""
        return self._format()[0]

    def _format(self) -> tuple[str, bytes, bytes]:
        if self._type is None:
            for chunk in self._chunks:
                self._head += chunk
                if len(self._head) >= _HEAD:
                    break
            if not self._head:
                raise EmptyFileError(EMPTY, field="file")
            self._type = next((f for f in _FORMATS if self._head.startswith(f[1])), None)
            if self._type is None:
                raise UnsupportedFileError(UNSUPPORTED, field="file")
        return self._type

    def __iter__(self) -> Iterator[bytes]:
        content_type, _head, end_marker = self._format()
        tail = b""
        mp4_after = samsung_after = False
        for chunk in self._iter_all():
            self.size += len(chunk)
            if self.size > self._max_bytes:
                raise self._too_big
            if content_type == "image/jpeg" and not (mp4_after or samsung_after):
                # Across the pieces' border too: the last bytes of the one before, then this.
                parts = (tail[-_VIDEO_MARK_LENGTH:] + chunk[:_VIDEO_MARK_LENGTH], chunk)
                mp4_after = any(_MP4_AFTER_JPEG.search(part) for part in parts)
                samsung_after = any(_SAMSUNG_FIELD_AFTER_JPEG.search(part) for part in parts)
            tail = (tail + chunk[-_TAIL:])[-_TAIL:]  # never a copy of the whole chunk
            yield chunk
        whole = end_marker in tail or mp4_after
        if not (whole or (samsung_after and tail.endswith(_SAMSUNG_TRAILER_END))):
            raise DamagedFileError(DAMAGED, field="file")

    def _iter_all(self) -> Iterator[bytes]:
        if self._head:
            yield self._head
        yield from self._chunks
