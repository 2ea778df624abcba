"""The separate process that opens pictures and PDFs: a hostile file can only crash, exhaust or
stall this process, never the server. Its limits are set before any image library is loaded.

    python -m vault.documents.preview_worker JOB MEMORY_MIB CPU_SECONDS MAX_PIXELS MAX_PAGES

reads on stdin one line of the parts' sizes in order (not for `check`), then the parts
concatenated; writes the result on stdout.
Jobs:
  check      one file, read until stdin ends (sent while it is uploaded): does its format's
             library take it? (format_checks); nothing written, the exit status is the verdict
  photos     one picture: the same picture as a JPEG cleaned (upright, at most 2000 px, no
             metadata); several: one PDF, one page per picture in their order
  thumbnail  a small JPEG of one picture or of the first page of one PDF
Exit status: 0 done, 3 a picture has too many pixels, the other verdicts of format_checks for
`check`, any other: could not be done.

Only the standard library, the image libraries and format_checks (which keeps to the same
rule) are imported here, no other coffre module: this process gets no settings, no keys and no
database.
"""

import importlib
import io
import os
import resource
import sys
import warnings
from typing import IO, TYPE_CHECKING

from vault.documents import format_checks

if TYPE_CHECKING:
    from PIL import Image

PHOTO_LONG_SIDE = 2000
PHOTO_QUALITY = 85
# Pages sized as if the photo were a 200 dpi scan (2000 px: about 25 cm).
PHOTO_DPI = 200
THUMBNAIL_LONG_SIDE = 240
THUMBNAIL_QUALITY = 80
TOO_MANY_PIXELS = format_checks.TOO_MANY_PIXELS
READ_SIZE = 1024 * 1024
# What each job opens files with: checks read PDFs with pypdf, thumbnails draw them with pdfium.
LIBRARIES = {
    "check": ("PIL.Image", "pypdf"),
    "photos": ("PIL.Image", "pypdf"),
    "thumbnail": ("PIL.Image", "pypdfium2"),
}


def main(argv: list[str]) -> int:
    job, memory_mib, cpu_seconds, max_pixels, max_pages = argv
    limit_self(int(memory_mib), int(cpu_seconds))
    load_libraries(job)
    limit_pixels(int(max_pixels))
    rehearse(job, int(max_pages))
    if job == "check":
        return check(received(), int(max_pages))
    sizes = sys.stdin.buffer.readline().split()
    data = sys.stdin.buffer.read()
    parts, start = [], 0
    for size in map(int, sizes):
        parts.append(data[start : start + size])
        start += size
    del data  # each byte held once, whatever the number of photos
    from PIL import Image

    try:
        result = photos(parts) if job == "photos" else thumbnail(parts[0])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return TOO_MANY_PIXELS
    sys.stdout.buffer.write(result)
    return 0


def load_libraries(job: str) -> None:
    """Before the file comes: a worker started ahead (warm_workers) is then ready at once."""
    for library in LIBRARIES[job]:
        importlib.import_module(library)


def rehearse(job: str, max_pages: int) -> None:
    """The job done once on pictures and a page made here, before the file comes: the libraries
    import some of their parts only when first used (a PDF's filters, the picture formats), and
    that took ~15 ms of every upload's check."""
    from PIL import Image

    samples = []
    for kind in ("PNG", "JPEG"):
        out = io.BytesIO()
        Image.new("RGB", (8, 8), "white").save(out, kind)
        samples.append(out.getvalue())
    if job == "check":
        samples.append(pdf_of([(samples[1], (8, 8))]))
        for sample in samples:
            format_checks.verdict(io.BytesIO(sample), max_pages)
    elif job == "photos":
        photos(samples)
    else:
        for sample in [*samples, blank_pdf()]:
            thumbnail(sample)


def blank_pdf() -> bytes:
    import pypdfium2

    document = pypdfium2.PdfDocument.new()
    document.new_page(8, 8)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def received() -> IO[bytes]:
    """Everything sent on stdin, held once: a BytesIO grows in place, and the libraries read
    it as a file, without a copy."""
    held = io.BytesIO()
    while piece := sys.stdin.buffer.read(READ_SIZE):
        held.write(piece)
    held.seek(0)
    return held


def check(held: IO[bytes], max_pages: int) -> int:
    from PIL import Image

    try:
        return format_checks.verdict(held, max_pages)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return TOO_MANY_PIXELS
    except Exception:  # whatever the library says of a file it cannot read, it is refused
        return format_checks.UNREADABLE


def limit_pixels(max_pixels: int) -> None:
    """Pillow warns beyond its limit (and only fails beyond twice as much): here, both fail."""
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = max_pixels
    warnings.simplefilter("error", Image.DecompressionBombWarning)


def limit_self(memory_mib: int, cpu_seconds: int) -> None:
    memory = memory_mib * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))


def photos(parts: list[bytes]) -> bytes:
    if len(parts) == 1:
        return clean_picture(parts[0])[0]
    return pdf_of([clean_picture(part) for part in parts])


def clean_picture(data: bytes) -> tuple[bytes, tuple[int, int]]:
    """The picture upright, at most PHOTO_LONG_SIDE, saved again as a JPEG without its metadata
    (EXIF, GPS position, comments)."""
    # Drawn again from the pixels alone: the EXIF block (GPS position included), comments and
    # text chunks stay behind.
    flat = on_white(upright(data, PHOTO_LONG_SIDE))
    out = io.BytesIO()
    flat.save(out, "JPEG", quality=PHOTO_QUALITY, optimize=True)
    return out.getvalue(), flat.size


def pdf_of(pages: list[tuple[bytes, tuple[int, int]]]) -> bytes:
    """One page per JPEG, embedded as it is (a PDF shows JPEG data directly: no second loss)."""
    from pypdf import PdfWriter
    from pypdf.generic import (
        DecodedStreamObject,
        DictionaryObject,
        EncodedStreamObject,
        NameObject,
        NumberObject,
    )

    writer = PdfWriter()
    for jpeg, (width, height) in pages:
        page_width, page_height = width * 72 / PHOTO_DPI, height * 72 / PHOTO_DPI
        page = writer.add_blank_page(width=page_width, height=page_height)
        image = EncodedStreamObject()
        image._data = jpeg
        image.update(
            {
                NameObject("/Type"): NameObject("/XObject"),
                NameObject("/Subtype"): NameObject("/Image"),
                NameObject("/Width"): NumberObject(width),
                NameObject("/Height"): NumberObject(height),
                NameObject("/ColorSpace"): NameObject("/DeviceRGB"),
                NameObject("/BitsPerComponent"): NumberObject(8),
                NameObject("/Filter"): NameObject("/DCTDecode"),
            }
        )
        page[NameObject("/Resources")] = DictionaryObject(
            {
                NameObject("/XObject"): DictionaryObject(
                    {NameObject("/Photo"): writer._add_object(image)}
                )
            }
        )
        drawing = DecodedStreamObject()
        drawing.set_data(b"q %.2f 0 0 %.2f 0 0 cm /Photo Do Q" % (page_width, page_height))
        page[NameObject("/Contents")] = writer._add_object(drawing)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def thumbnail(data: bytes) -> bytes:
    if data.startswith(b"%PDF-"):
        picture = first_page(data)
        picture.thumbnail((THUMBNAIL_LONG_SIDE, THUMBNAIL_LONG_SIDE))
    else:
        picture = upright(data, THUMBNAIL_LONG_SIDE)
    out = io.BytesIO()
    on_white(picture).save(out, "JPEG", quality=THUMBNAIL_QUALITY)
    return out.getvalue()


def upright(data: bytes, long_side: int) -> "Image.Image":
    """A JPEG or PNG at most `long_side` px, turned upright from its EXIF orientation."""
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data), formats=["JPEG", "PNG"]) as opened:
        opened.thumbnail((long_side, long_side))
        return ImageOps.exif_transpose(opened)


def on_white(picture: "Image.Image") -> "Image.Image":
    """RGB for a JPEG, what was transparent turned white (not black, as a bare convert does)."""
    from PIL import Image

    with_alpha = picture.convert("RGBA")
    flat = Image.new("RGB", picture.size, "white")
    flat.paste(with_alpha, mask=with_alpha.getchannel("A"))
    return flat


def first_page(data: bytes) -> "Image.Image":
    """The first page drawn at thumbnail size, whatever size the page claims to be."""
    import pypdfium2

    document = pypdfium2.PdfDocument(data)
    page = document[0]
    width, height = page.get_size()
    scale = THUMBNAIL_LONG_SIDE / max(width, height, 1)
    picture: Image.Image = page.render(scale=scale).to_pil()
    return picture


if __name__ == "__main__":
    status = main(sys.argv[1:])
    sys.stdout.flush()
    # The server waits for this exit: skipping the interpreter's shutdown with the libraries
    # loaded saves ~30 ms of every upload.
    os._exit(status)
