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

# A motion photo (Pixel, Samsung) keeps a short video after the picture's end marker, in the
# same file: an MP4's first box (size, `ftyp`), or Samsung's tag before it. The picture is whole
# there; the video goes when the photo is cleaned (previews.photos_as_one_file).
_VIDEO_AFTER_JPEG = re.compile(rb"\xff\xd9(?:[\x00-\xff]{4}ftyp|MotionPhoto_Data)")
_VIDEO_MARK_LENGTH = 18

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
        video_after = False
        for chunk in self._iter_all():
            self.size += len(chunk)
            if self.size > self._max_bytes:
                raise self._too_big
            if content_type == "image/jpeg" and not video_after:
                # Across the pieces' border too: the last bytes of the one before, then this.
                border = tail[-_VIDEO_MARK_LENGTH:] + chunk[:_VIDEO_MARK_LENGTH]
                video_after = any(_VIDEO_AFTER_JPEG.search(part) for part in (border, chunk))
            tail = (tail + chunk[-_TAIL:])[-_TAIL:]  # never a copy of the whole chunk
            yield chunk
        if end_marker not in tail and not video_after:
            raise DamagedFileError(DAMAGED, field="file")

    def _iter_all(self) -> Iterator[bytes]:
        if self._head:
            yield self._head
        yield from self._chunks
