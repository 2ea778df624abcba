"""Motion photos: a Pixel or a Samsung phone keeps a short video after the picture's end, in the
same .jpg file. The picture is whole, so it is taken (cleaned like any photo: the video does
not stay); a picture cut short is still refused, whatever follows it."""

import io
import secrets
import struct
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from tests.hostile_files import CUT_SHORT, HostileFile
from tests.integration.vault.helpers import counts
from tests.integration.vault.test_hostile_files import send
from tests.samples import phone_photo
from vault.documents.inspection import InspectedUpload
from vault.runtime import Runtime


def video() -> bytes:
    """The start of an MP4 as a camera writes it (an `ftyp` box, then media data), its bytes
    random: the end marker of a JPEG may well appear in them."""
    ftyp = struct.pack(">I4s4sI8s", 24, b"ftyp", b"mp42", 0, b"isommp42")
    media = secrets.token_bytes(300_000) + b"\xff\xd9" + secrets.token_bytes(2_000)
    return ftyp + struct.pack(">I4s", 8 + len(media), b"mdat") + media


def samsung_field(name: bytes, data: bytes) -> bytes:
    """A field of Samsung's trailer: two zero bytes, its type, the length of its name, the
    name, the data."""
    return b"\x00\x00\x30\x0a" + struct.pack("<I", len(name)) + name + data


def samsung_trailer(*fields: bytes) -> bytes:
    """The fields, then the directory that says where each is, ending with `SEFT`."""
    directory = b"SEFH" + struct.pack("<II", 107, len(fields))
    directory += b"".join(struct.pack("<HHII", 0, 0x0A30, 0, len(f)) for f in fields)
    return b"".join(fields) + directory + struct.pack("<I", len(directory)) + b"SEFT"


PIXEL = phone_photo() + video()
SAMSUNG = phone_photo() + samsung_trailer(samsung_field(b"MotionPhoto_Data", video()))
# An older Samsung: the time of the shot in a field of its own, first.
SAMSUNG_WITH_TIME = phone_photo() + samsung_trailer(
    samsung_field(b"Image_UTC_Data", b"1733312345678"),
    samsung_field(b"MotionPhoto_Data", video()),
)
MOTION_PHOTOS = {"pixel": PIXEL, "samsung": SAMSUNG, "samsung-time": SAMSUNG_WITH_TIME}


@pytest.mark.parametrize("content", MOTION_PHOTOS.values(), ids=MOTION_PHOTOS.keys())
def test_a_motion_photo_is_kept_without_its_video(
    client: TestClient, amina: dict[str, Any], content: bytes
) -> None:
    created = send(client, amina, HostileFile("PXL_20261204.MP.jpg", content, "image/jpeg", 201))
    assert created.status_code == 201, created.text
    served = client.get(
        f"/api/v1/documents/{created.json()['id']}/content", headers=amina["headers"]
    ).content
    assert b"ftyp" not in served
    assert Image.open(io.BytesIO(served)).size == (400, 200)


CUT_SHORT_FILES = {
    "picture-cut-then-mp4": phone_photo()[:-400] + video(),
    "picture-cut-then-samsung": phone_photo()[:-400]
    + samsung_trailer(samsung_field(b"MotionPhoto_Data", video())),
    # Whole picture, but the trailer cut: it cannot be told from a picture cut short.
    "samsung-trailer-cut": SAMSUNG[:-100],
}


@pytest.mark.parametrize("content", CUT_SHORT_FILES.values(), ids=CUT_SHORT_FILES.keys())
def test_a_file_cut_short_is_refused_even_with_a_video_after(
    client: TestClient, rt: Runtime, amina: dict[str, Any], content: bytes
) -> None:
    answer = send(client, amina, HostileFile("coupe.jpg", content, "image/jpeg", 422))
    assert answer.status_code == 422, answer.text
    assert CUT_SHORT in answer.json()["detail"]
    assert counts(rt) == (0, 0, 0)


@pytest.mark.parametrize("content", MOTION_PHOTOS.values(), ids=MOTION_PHOTOS.keys())
def test_the_video_is_found_wherever_the_pieces_break(content: bytes) -> None:
    """The picture's end and the video's start may come in two pieces of the upload."""
    picture_end = len(phone_photo())
    for cut in range(picture_end - 2, picture_end + 17):
        upload = InspectedUpload([content[:cut], content[cut:]], max_bytes=len(content))
        assert upload.content_type() == "image/jpeg"
        assert b"".join(upload) == content
