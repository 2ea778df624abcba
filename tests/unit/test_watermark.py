"""The marked copy: a visible text across every page or picture, nothing else of the original
kept (no EXIF, nothing active in a PDF), and a clear refusal for a paper that cannot be marked.
It is drawn in the limited worker, never in the server's process."""

import io
from datetime import date

import pypdfium2
import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter

from tests.samples import changed_pixels, grey16_scan, pdf, photo
from vault.config import Settings
from vault.documents.previews import TOO_MANY_PAGES_TO_MARK, marked_copy
from vault.documents.watermark import MAX_PAGES, CannotMarkError, mark, marking_text
from vault.errors import DamagedFileError

TEXT = "Copie pour CAF du Loiret — 30/11/2026 — Dossier RSA"


def test_marking_text_names_recipient_day_and_purpose() -> None:
    assert marking_text("CAF du Loiret", "Dossier RSA", date(2026, 11, 30)) == TEXT


def test_a_photo_is_marked_upright_and_without_exif() -> None:
    original = photo(with_exif=True)
    marked = mark(original, "image/jpeg", TEXT)
    assert marked.content_type == "image/jpeg"
    image = Image.open(io.BytesIO(marked.content))
    assert image.size == (300, 400)  # the EXIF orientation was applied, then dropped
    assert not image.getexif()
    assert b"Appareil photo de test" not in marked.content
    assert changed_pixels(Image.new("RGB", (300, 400), (250, 250, 250)), image) > 500


def test_a_png_stays_a_png() -> None:
    marked = mark(photo("PNG"), "image/png", TEXT)
    assert marked.content_type == "image/png"
    assert Image.open(io.BytesIO(marked.content)).format == "PNG"


def test_a_pdf_is_flattened_marked_and_says_it_in_its_metadata() -> None:
    original = pdf("filigrane")
    marked = mark(original, "application/pdf", TEXT)
    assert marked.content_type == "application/pdf"
    reader = PdfReader(io.BytesIO(marked.content))
    assert len(reader.pages) == 1
    assert reader.metadata is not None
    assert TEXT in str(reader.metadata.get("/Subject"))
    before = pypdfium2.PdfDocument(original)[0].render(scale=1).to_pil()
    after = pypdfium2.PdfDocument(marked.content)[0].render(scale=1).to_pil()
    assert changed_pixels(before, after) > 500


def test_a_pdf_loses_its_scripts() -> None:
    hostile = pdf("actif").replace(
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>",
    )
    marked = mark(hostile, "application/pdf", TEXT)
    assert b"JavaScript" not in marked.content
    assert b"OpenAction" not in marked.content


@pytest.mark.parametrize(
    ("content", "content_type"),
    [(b"%PDF-1.4\n broken", "application/pdf"), (b"\xff\xd8\xff broken", "image/jpeg")],
)
def test_a_damaged_paper_cannot_be_marked(content: bytes, content_type: str) -> None:
    with pytest.raises(CannotMarkError):
        mark(content, content_type, TEXT)
    with pytest.raises(DamagedFileError):
        marked_copy(Settings(_env_file=None), content, content_type, TEXT)


def test_the_worker_draws_the_copy_within_its_limits() -> None:
    settings = Settings(_env_file=None)
    drawn = marked_copy(settings, pdf("filigrane"), "application/pdf", TEXT)
    assert drawn.content_type == "application/pdf"
    reader = PdfReader(io.BytesIO(drawn.content))
    assert reader.metadata is not None
    assert TEXT in str(reader.metadata.get("/Subject"))
    # Drawn in the worker: with too little memory there, no copy, and the server is unharmed.
    starved = settings.model_copy(update={"preview_memory_mib": 8})
    with pytest.raises(DamagedFileError):
        marked_copy(starved, pdf("filigrane"), "application/pdf", TEXT)


def test_the_most_pages_allowed_are_marked_within_the_workers_limits() -> None:
    """MAX_PAGES pages of A3 (a scanned file of large sheets): one page's picture at a time,
    never all of them at once, and the writing drawn once for pages of the same size."""
    writer = PdfWriter()
    for _page in range(MAX_PAGES):
        writer.add_blank_page(width=842, height=1191)
    out = io.BytesIO()
    writer.write(out)
    # The worker's own memory; more time than by default, which a busy machine may need (3 s
    # of the default 10 on this one, while other suites ran).
    settings = Settings(_env_file=None, preview_timeout_seconds=20)
    drawn = marked_copy(settings, out.getvalue(), "application/pdf", TEXT)
    reader = PdfReader(io.BytesIO(drawn.content))
    assert len(reader.pages) == MAX_PAGES
    assert reader.metadata is not None
    assert TEXT in str(reader.metadata.get("/Subject"))
    width, height = reader.pages[-1].mediabox.width, reader.pages[-1].mediabox.height
    assert (round(width), round(height)) == (842, 1191)  # the sheet keeps its size


def test_too_many_pages_is_said_as_such() -> None:
    writer = PdfWriter()
    for _page in range(MAX_PAGES + 1):
        writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(DamagedFileError) as refused:
        marked_copy(Settings(_env_file=None), out.getvalue(), "application/pdf", TEXT)
    assert refused.value.template == TOO_MANY_PAGES_TO_MARK


def test_a_16_bit_grey_scan_keeps_its_ink_under_the_mark() -> None:
    """Review finding: the marked copy of a scan in "16-bit grey" was a white page (Pillow
    turned every value above 255 to white)."""
    marked = mark(grey16_scan(600, 400), "image/png", TEXT)
    low, _high = Image.open(io.BytesIO(marked.content)).convert("L").getextrema()
    assert low < 100  # type: ignore[operator]
