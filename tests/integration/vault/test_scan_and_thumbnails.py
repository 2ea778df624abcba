"""Photos taken with a phone become one clean paper; every paper gets a small thumbnail, made in
a limited process so that a hostile file costs nothing but its thumbnail."""

import io
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from PIL.PngImagePlugin import PngInfo
from pypdf import PdfReader
from sqlalchemy import select

from tests.app_fixtures import PASSWORD
from tests.integration.accounts.test_assisted_reset import give, setup, signed_in
from tests.integration.vault.helpers import counts, thumbnails_drawn_with
from tests.samples import GPS_INFO, ORIENTATION, grey16_scan, jpeg, pdf, phone_photo, png
from vault.db import transaction
from vault.documents.bin import erase_expired
from vault.documents.previews import MAX_PHOTOS, THUMBNAIL
from vault.models import Blob, utcnow
from vault.runtime import Runtime


def send(
    client: TestClient, who: dict[str, Any], *files: tuple[str, bytes], vault: str = "me"
) -> Any:
    return client.post(
        f"/api/v1/vaults/{vault}/documents",
        headers=who["headers"],
        files=[("file", (name, content, "application/octet-stream")) for name, content in files],
        data={"title": "Carte d'identité", "category": "identity"},
    )


def content_of(client: TestClient, who: dict[str, Any], document_id: str) -> bytes:
    answer = client.get(f"/api/v1/documents/{document_id}/content", headers=who["headers"])
    assert answer.status_code == 200, answer.text
    return answer.content


def pages_of(content: bytes) -> list[Image.Image]:
    reader = PdfReader(io.BytesIO(content))
    pictures: list[Image.Image] = []
    for page in reader.pages:
        (embedded,) = page.images
        pictures.append(Image.open(io.BytesIO(embedded.data)))
    return pictures


def colour_at(picture: Image.Image, x: float, y: float) -> str:
    red, _green, blue = picture.convert("RGB").getpixel(
        (int(x * (picture.width - 1)), int(y * (picture.height - 1)))
    )  # type: ignore[misc]
    return "red" if red > blue else "blue"


def thumbnail(client: TestClient, who: dict[str, Any], document_id: str) -> Any:
    return client.get(f"/api/v1/documents/{document_id}/thumbnail", headers=who["headers"])


def test_two_photos_become_one_pdf_upright_in_order_without_exif(
    client: TestClient, amina: dict[str, Any]
) -> None:
    turned = phone_photo(400, 200, orientation=6, gps=True)
    located = phone_photo(300, 150, gps=True, colours=("blue", "red"))
    created = send(client, amina, ("recto.jpg", turned), ("verso.jpg", located))
    assert created.status_code == 201, created.text
    assert created.json()["content_type"] == "application/pdf"

    content = content_of(client, amina, created.json()["id"])
    assert created.json()["size"] == len(content)
    first, second = pages_of(content)
    # The first photo stood on its side: upright, it is tall, its left half now on top.
    assert first.size == (200, 400)
    assert (colour_at(first, 0.5, 0.1), colour_at(first, 0.5, 0.9)) == ("red", "blue")
    assert second.size == (300, 150)
    assert (colour_at(second, 0.1, 0.5), colour_at(second, 0.9, 0.5)) == ("blue", "red")
    for page in (first, second):
        assert not page.getexif()
        assert "exif" not in page.info
    assert b"Exif" not in content


def test_a_single_photo_stays_a_photo_upright_reduced_without_gps(
    client: TestClient, amina: dict[str, Any]
) -> None:
    created = send(client, amina, ("carte.jpg", phone_photo(3000, 1000, orientation=6, gps=True)))
    assert created.status_code == 201, created.text
    assert created.json()["content_type"] == "image/jpeg"
    cleaned = Image.open(io.BytesIO(content_of(client, amina, created.json()["id"])))
    assert cleaned.size == (667, 2000)
    exif = cleaned.getexif()
    assert ORIENTATION not in exif
    assert not exif.get_ifd(GPS_INFO)
    assert "exif" not in cleaned.info
    assert b"Exif" not in content_of(client, amina, created.json()["id"])


MAKE = 0x010F


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """(type, data) of each chunk of a PNG, in order."""
    chunks, at = [], 8
    while at < len(data):
        length = int.from_bytes(data[at : at + 4], "big")
        chunks.append((data[at + 4 : at + 8], data[at + 8 : at + 8 + length]))
        at += 12 + length
    return chunks


def located_png() -> bytes:
    """A PNG as a phone or a scanning app may save it: EXIF with a position, text chunks
    (plain, compressed, international), and a resolution."""
    picture = Image.new("RGB", (64, 40), "red")
    picture.paste("blue", (0, 0, 32, 40))
    exif = Image.Exif()
    exif[MAKE] = "Téléphone"
    exif.get_ifd(GPS_INFO).update({1: "N", 2: (47.0, 54.0, 9.0), 3: "E", 4: (1.0, 54.0, 33.0)})
    text = PngInfo()
    text.add_text("Author", "Amina Diallo")
    text.add_text("Comment", "rue des Carmes, Orléans " * 20, zip=True)
    text.add_itxt("Description", "Carte d'identité", lang="fr", tkey="Description")
    out = io.BytesIO()
    picture.save(out, "PNG", pnginfo=text, exif=exif, dpi=(300, 300))
    return out.getvalue()


def test_a_single_png_loses_its_metadata_and_keeps_its_picture(
    client: TestClient, amina: dict[str, Any]
) -> None:
    picture = located_png()
    sent = [kind for kind, _data in png_chunks(picture)]
    assert {b"eXIf", b"tEXt", b"zTXt", b"iTXt"} <= set(sent)
    created = send(client, amina, ("scan.png", picture))
    assert created.status_code == 201, created.text
    assert created.json()["content_type"] == "image/png"
    kept = content_of(client, amina, created.json()["id"])
    assert created.json()["size"] == len(kept)
    assert [kind for kind, _data in png_chunks(kept)] == [
        kind for kind in sent if kind not in (b"eXIf", b"tEXt", b"zTXt", b"iTXt")
    ]
    for words in (b"Exif", b"Amina", b"Author", b"Comment", b"Description"):
        assert words not in kept
    # The picture itself is kept as it was sent: the same compressed pixels, the same
    # resolution; nothing is drawn again.
    assert [d for k, d in png_chunks(kept) if k == b"IDAT"] == [
        d for k, d in png_chunks(picture) if k == b"IDAT"
    ]
    with Image.open(io.BytesIO(kept)) as shown, Image.open(io.BytesIO(picture)) as original:
        assert shown.tobytes() == original.tobytes()
        assert round(shown.info["dpi"][0]) == 300
        assert not shown.getexif()


def test_a_plain_png_is_kept_byte_for_byte(client: TestClient, amina: dict[str, Any]) -> None:
    picture = png(64, 40)
    created = send(client, amina, ("scan.png", picture))
    assert created.status_code == 201, created.text
    assert content_of(client, amina, created.json()["id"]) == picture


@pytest.mark.parametrize(
    ("files", "status", "words"),
    [
        ((("a.jpg", phone_photo()), ("b.pdf", pdf())), 422, "soit des photos, soit un seul PDF"),
        ((("b.pdf", pdf()), ("a.jpg", phone_photo())), 422, "soit des photos, soit un seul PDF"),
        ((("a.pdf", pdf()), ("b.pdf", pdf())), 422, "soit des photos, soit un seul PDF"),
        ((("a.jpg", phone_photo()), ("b.txt", b"bonjour")), 415, "JPG, PNG ou PDF"),
    ],
    ids=["photo-then-pdf", "pdf-then-photo", "two-pdfs", "photo-then-text"],
)
def test_refused_mixtures_store_nothing(
    client: TestClient,
    rt: Runtime,
    amina: dict[str, Any],
    files: tuple[tuple[str, bytes], ...],
    status: int,
    words: str,
) -> None:
    answer = send(client, amina, *files)
    assert answer.status_code == status, answer.text
    assert words in answer.json()["detail"]
    assert counts(rt) == (0, 0, 0)


def test_too_many_photos_are_refused(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    small = jpeg()
    answer = send(client, amina, *[(f"{n}.jpg", small) for n in range(MAX_PHOTOS + 1)])
    assert answer.status_code == 422, answer.text
    assert f"{MAX_PHOTOS} photos au plus" in answer.json()["detail"]
    assert counts(rt) == (0, 0, 0)


def huge_png(width: int, height: int) -> bytes:
    """A PNG that claims many pixels yet is small: a single colour compresses to almost nothing."""
    out = io.BytesIO()
    Image.new("L", (width, height)).save(out, "PNG")
    return out.getvalue()


def test_a_photo_with_too_many_pixels_is_refused(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    answer = send(client, amina, ("a.jpg", phone_photo()), ("b.png", huge_png(10_000, 6_000)))
    assert answer.status_code == 413, answer.text
    assert "trop grande" in answer.json()["detail"]
    assert counts(rt) == (0, 0, 0)


def thumbnails(rt: Runtime, document_id: str) -> list[Blob]:
    with transaction(rt.sessions) as db:
        return list(
            db.scalars(select(Blob).where(Blob.document_id == document_id, Blob.role == THUMBNAIL))
        )


@pytest.mark.parametrize(
    ("name", "content"), [("photo.jpg", phone_photo(800, 600)), ("avis.pdf", pdf("vignette"))]
)
def test_a_thumbnail_is_made_for_a_photo_and_a_pdf(
    client: TestClient, rt: Runtime, amina: dict[str, Any], name: str, content: bytes
) -> None:
    created = send(client, amina, (name, content))
    assert created.status_code == 201, created.text
    document_id = created.json()["id"]
    answer = thumbnail(client, amina, document_id)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "image/jpeg"
    assert answer.headers["cache-control"] == "no-store"
    small = Image.open(io.BytesIO(answer.content))
    assert max(small.size) == 240
    # Encrypted like the original: the stored object is not the picture.
    (blob,) = thumbnails(rt, document_id)
    assert answer.content not in b"".join(rt.store.get(blob.object_name))


def test_someone_else_gets_404_for_a_thumbnail(
    client: TestClient, amina: dict[str, Any], bruno: dict[str, Any]
) -> None:
    document_id = send(client, amina, ("photo.jpg", phone_photo())).json()["id"]
    assert thumbnail(client, bruno, document_id).status_code == 404


def test_a_paper_whose_drawing_fails_is_kept_without_thumbnail(
    client: TestClient, rt: Runtime, amina: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    thumbnails_drawn_with(monkeypatch, preview_memory_mib=8)
    paper = pdf("sans vignette")
    created = send(client, amina, ("avis.pdf", paper))
    assert created.status_code == 201, created.text
    document_id = created.json()["id"]
    assert content_of(client, amina, document_id) == paper
    assert thumbnails(rt, document_id) == []
    assert thumbnail(client, amina, document_id).status_code == 404


def test_a_worker_out_of_time_leaves_no_thumbnail(
    client: TestClient, rt: Runtime, amina: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    thumbnails_drawn_with(monkeypatch, preview_timeout_seconds=0.001)
    created = send(client, amina, ("avis.pdf", pdf("lent")))
    assert created.status_code == 201, created.text
    assert thumbnails(rt, created.json()["id"]) == []
    assert thumbnail(client, amina, created.json()["id"]).status_code == 404


def test_a_paper_in_the_bin_shows_no_thumbnail_and_is_erased_with_it(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    document_id = send(client, amina, ("photo.jpg", phone_photo())).json()["id"]
    assert counts(rt) == (1, 2, 2)
    deleted = client.delete(f"/api/v1/documents/{document_id}", headers=amina["headers"])
    assert deleted.status_code == 204
    assert thumbnail(client, amina, document_id).status_code == 404
    with transaction(rt.sessions) as db:
        names = erase_expired(db, rt, utcnow() + timedelta(days=rt.settings.bin_days, minutes=1))
    assert len(names) == 2
    for name in names:
        rt.store.delete(name)
    assert counts(rt) == (0, 0, 0)


def darkest(picture: Image.Image) -> int:
    low, _high = picture.convert("L").getextrema()
    return int(low)  # type: ignore[arg-type]


@pytest.mark.parametrize(("width", "height"), [(60, 40), (3000, 2100)])
def test_a_16_bit_grey_scan_keeps_its_ink(
    client: TestClient, amina: dict[str, Any], width: int, height: int
) -> None:
    """Review finding: a scan in "16-bit grey" came out as a white page, answered 201: Pillow
    turned every value above 255 to white when it made the photo a page, its thumbnail and the
    marked copy of a link. A large one was refused, the library unable to reduce it."""
    scan = grey16_scan(width, height)
    two = send(client, amina, ("recto.png", scan), ("verso.jpg", phone_photo()))
    assert two.status_code == 201, two.text
    first, _second = pages_of(content_of(client, amina, two.json()["id"]))
    assert darkest(first) < 100
    alone = send(client, amina, ("recto.png", scan))
    assert alone.status_code == 201, alone.text
    drawn = thumbnail(client, amina, alone.json()["id"])
    assert drawn.status_code == 200, drawn.text
    assert darkest(Image.open(io.BytesIO(drawn.content))) < 100


def test_a_helpers_look_at_a_thumbnail_is_an_opening_in_the_history(
    client: TestClient, rt: Runtime
) -> None:
    """Review finding: the person read « Claire Martin a regardé la fiche de « Carte » » (its
    details), while the 240 px picture of a card's first page is the card itself."""
    amina, claire, _org = setup(client, rt)
    document_id = send(client, amina, ("carte.jpg", phone_photo(800, 600))).json()["id"]
    give(client, amina, claire, scopes=["view"])
    helper = signed_in(client, "claire.martin", PASSWORD)
    assert thumbnail(client, {"headers": helper}, document_id).status_code == 200
    newest = client.get("/api/v1/journal", headers=amina["headers"]).json()[0]
    assert (newest["action"], newest["actor_name"]) == ("document_downloaded", "Claire Martin")
