"""Only a PNG's picture chunks are kept, byte for byte; a PNG whose chunks do not add up is
refused rather than guessed at."""

import zlib

import pytest

from tests.samples import png
from vault.documents.png_metadata import SIGNATURE, without_metadata
from vault.errors import DamagedFileError


def chunk(kind: bytes, data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")


def test_only_picture_chunks_are_kept_in_their_order() -> None:
    plain = png(8, 8)
    ihdr, rest = plain[8:33], plain[33:]
    resolution = chunk(b"pHYs", bytes(9))
    sent = (
        SIGNATURE
        + ihdr
        + chunk(b"tIME", bytes(7))
        + resolution
        + chunk(b"eXIf", b"MM\x00*GPS")
        + chunk(b"caBX", b"a manifest naming the device")
        + rest
    )
    assert without_metadata(sent) == SIGNATURE + ihdr + resolution + rest
    assert without_metadata(plain) == plain


@pytest.mark.parametrize(
    "broken",
    [
        png(8, 8)[:-20] + png(8, 8)[-12:],  # the last chunks cut short
        SIGNATURE + (2**31).to_bytes(4, "big") + b"IHDR" + bytes(13) + png()[-12:],
        b"GIF89a" + png()[8:],
    ],
    ids=["cut", "too-long", "not-a-png"],
)
def test_chunks_that_do_not_add_up_are_refused(broken: bytes) -> None:
    with pytest.raises(DamagedFileError):
        without_metadata(broken)
