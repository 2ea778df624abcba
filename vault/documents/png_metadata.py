"""A PNG sent alone is kept as it was drawn (a scan, a screenshot: lossless), without what it
may say about the person, the device or the place. Its chunks are copied one by one, keeping
only those that draw the picture; EXIF (a GPS position, the phone), text, comments, times and
any chunk we do not know stay behind. Nothing is decoded: the pixels kept are the bytes sent."""

from vault.documents.content_check import PICTURE_UNREADABLE
from vault.errors import DamagedFileError

SIGNATURE = b"\x89PNG\r\n\x1a\n"
# The image itself, its colours and transparency, and its physical size (a scan's resolution).
PICTURE_CHUNKS = frozenset(
    {
        b"IHDR",
        b"PLTE",
        b"IDAT",
        b"IEND",
        b"tRNS",
        b"cHRM",
        b"gAMA",
        b"iCCP",
        b"sBIT",
        b"sRGB",
        b"cICP",
        b"pHYs",
        b"bKGD",
    }
)
_FRAME = 12  # length (4), type (4) and CRC (4) around a chunk's data


def without_metadata(data: bytes) -> bytes:
    """The PNG with only its picture chunks, each byte for byte; DamagedFileError when its
    chunks do not add up."""
    if not data.startswith(SIGNATURE):
        raise DamagedFileError(PICTURE_UNREADABLE, field="file")
    kept, at = [SIGNATURE], len(SIGNATURE)
    while True:
        if at + _FRAME > len(data):
            raise DamagedFileError(PICTURE_UNREADABLE, field="file")
        end = at + _FRAME + int.from_bytes(data[at : at + 4], "big")
        kind = data[at + 4 : at + 8]
        if end > len(data):
            raise DamagedFileError(PICTURE_UNREADABLE, field="file")
        if kind in PICTURE_CHUNKS:
            kept.append(data[at:end])
        if kind == b"IEND":
            return b"".join(kept)
        at = end
