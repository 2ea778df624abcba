"""The separate processes that open pictures and PDFs: a hostile file can only crash, exhaust or
stall such a process, never the server. Limits are set before any image library is loaded.

    python -m vault.documents.preview_worker JOB MEMORY_MIB CPU_SECONDS MAX_PIXELS MAX_PAGES

starts a template for one job: it limits its memory, loads the libraries, does the job once on
samples made here (rehearse), then never reads a file. On its stdin, a Unix socket, the server
sends one byte and two pipe ends for each file; the template forks a child with those pipes as
its stdin and stdout, and answers with a pidfd of the child (warm_workers). The child limits its
CPU time, takes that one file, writes its answer and exits: nothing of one file is left for
another, and a fork costs ~1 ms where a new interpreter took ~130 ms of CPU to load the
libraries. The template ends when the server closes the socket.

A child reads on stdin one line of the parts' sizes in order (not for `check`), then the parts
concatenated; it writes on stdout one answer (`answer`): its status, its CPU time, the result.
Jobs:
  check      one file, read until stdin ends (sent while it is uploaded): does its format's
             library take it? (format_checks); the status is the verdict, no result
  photos     one picture: the same picture as a JPEG cleaned (upright, at most 2000 px, no
             metadata); several: one PDF, one page per picture in their order
  thumbnail  a small JPEG of one picture or of the first page of one PDF
  mark       the marked copy (watermark) of a paper; parts: its type, the text, the paper
Status: 0 done, 3 a picture has too many pixels, the other verdicts of format_checks for
`check`. A child that writes no whole answer could not do the job.

Only the standard library, the image libraries, format_checks and watermark (which keep to
the same rule) are imported here, no other coffre module: these processes get no settings, no
keys and no database.
"""

import contextlib
import importlib
import io
import os
import resource
import signal
import socket
import struct
import sys
import warnings
from typing import IO, TYPE_CHECKING

from vault.documents import format_checks
from vault.documents.pixels import eight_bit

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
    "check": ("PIL.Image", "pypdf", "pypdfium2"),
    "photos": ("PIL.Image", "pypdf"),
    "thumbnail": ("PIL.Image", "pypdfium2"),
    "mark": ("PIL.Image", "pypdfium2", "pypdf", "vault.documents.watermark"),
}


# The template's answer to a fork: the child's pid (0: none), with its pidfd.
CHILD = struct.Struct(">I")
# A child's answer: status, CPU microseconds, length of the result; then the result.
ANSWER = struct.Struct(">BQQ")


def main(argv: list[str]) -> None:
    job, memory_mib, cpu_seconds, max_pixels, max_pages = argv
    limit_memory(int(memory_mib))
    load_libraries(job)
    limit_pixels(int(max_pixels))
    rehearse(job, int(max_pages))
    # The server follows each child through its pidfd; the template reaps them as they end, so
    # that their CPU time is counted as the template's children's.
    signal.signal(signal.SIGCHLD, reap)
    server = socket.socket(fileno=0)
    while True:
        try:
            _byte, fds, _flags, _address = socket.recv_fds(server, 1, 2)
        except OSError:
            return
        if len(fds) != 2:
            return  # the server is gone (or sent nothing usable): so is the template
        pid = os.fork()
        if pid == 0:
            try:
                server.close()
                child(fds, job, int(cpu_seconds), int(max_pages))
            finally:
                # Never back into the template's loop, whatever happened; and no interpreter
                # shutdown with the libraries loaded (~30 ms).
                os._exit(0)
        for fd in fds:
            os.close(fd)
        try:
            pidfd = os.pidfd_open(pid)
        except ProcessLookupError:
            socket.send_fds(server, [CHILD.pack(0)], [])  # gone already: a failed job
            continue
        socket.send_fds(server, [CHILD.pack(pid)], [pidfd])
        os.close(pidfd)


def reap(_signal: int, _frame: object) -> None:
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass


def child(fds: list[int], job: str, cpu_seconds: int, max_pages: int) -> None:
    """One file, on the pipes the server sent."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    status, result = run(job, max_pages)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_us = int((usage.ru_utime + usage.ru_stime) * 1_000_000)
    with open(1, "wb", closefd=False) as out:
        out.write(ANSWER.pack(status, cpu_us, len(result)) + result)


def run(job: str, max_pages: int) -> tuple[int, bytes]:
    stdin = open(0, "rb", closefd=False)
    if job == "check":
        return check(received(stdin), max_pages), b""
    sizes = stdin.readline().split()
    data = stdin.read()
    parts, start = [], 0
    for size in map(int, sizes):
        parts.append(data[start : start + size])
        start += size
    del data  # each byte held once, whatever the number of photos
    from PIL import Image

    if job == "mark":
        return marked(*parts)
    try:
        result = photos(parts) if job == "photos" else thumbnail(parts[0])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return TOO_MANY_PIXELS, b""
    return 0, result


def marked(content_type: bytes, text: bytes, content: bytes) -> tuple[int, bytes]:
    from vault.documents import watermark

    try:
        copy = watermark.mark(content, content_type.decode(), text.decode())
    except watermark.CannotMarkError as refused:
        status = (
            format_checks.TOO_MANY_PAGES if refused.too_many_pages else format_checks.UNREADABLE
        )
        return status, b""
    return 0, copy.content


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
    elif job == "mark":
        for kind, sample in (("image/png", samples[0]), ("image/jpeg", samples[1])):
            marked(kind.encode(), b"Copie", sample)
        marked(b"application/pdf", b"Copie", blank_pdf())
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


def received(stdin: IO[bytes]) -> IO[bytes]:
    """Everything sent on stdin, held once: a BytesIO grows in place, and the libraries read
    it as a file, without a copy."""
    held = io.BytesIO()
    while piece := stdin.read(READ_SIZE):
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


def limit_memory(memory_mib: int) -> None:
    """Set in the template, before any library is loaded: every child inherits it."""
    memory = memory_mib * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))


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
        picture = eight_bit(opened)
        picture.thumbnail((long_side, long_side))
        return ImageOps.exif_transpose(picture)


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
    main(sys.argv[1:])
