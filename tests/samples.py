"""Sample documents generated on the fly: never real papers, never real people."""

import io
import os
import zlib
from collections.abc import Iterator

from PIL import Image

ORIENTATION = 0x0112
GPS_INFO = 0x8825


def pdf(marker: str = "", padding: int = 0) -> bytes:
    """A small valid PDF whose text contains `marker`, optionally padded to grow it."""
    text = f"BT /F1 24 Tf 72 720 Td (Carte d'identite {marker}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream",
    ]
    out = b"%PDF-1.4\n%" + os.urandom(padding) + b"\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return out


SCAN_WIDTH = 1024


def pdf_shell(picture_bytes: int) -> tuple[bytes, bytes]:
    """What goes before and after `picture_bytes` bytes of a grey picture to make them a
    one-page PDF, as a scan is: the caller sends the picture's bytes in between, as it likes
    (random ones make a big file that never needs to be held whole)."""
    drawing = b"q 612 0 0 792 0 0 cm /Scan Do Q"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /XObject << /Scan 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(drawing) + drawing + b"\nendstream",
    ]
    head = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(head))
        head += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    offsets.append(len(head))
    head += (
        b"5 0 obj\n<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace "
        b"/DeviceGray /BitsPerComponent 8 /Length %d >>\nstream\n"
        % (SCAN_WIDTH, max(1, picture_bytes // SCAN_WIDTH), picture_bytes)
    )
    xref = len(head) + picture_bytes + len(b"\nendstream\nendobj\n")
    tail = b"\nendstream\nendobj\nxref\n0 6\n0000000000 65535 f \n"
    tail += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    tail += b"trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return head, tail


def large_pdf(picture_bytes: int, piece: int = 1024 * 1024) -> Iterator[bytes]:
    """A valid PDF of a little more than `picture_bytes`, by pieces of random bytes."""
    head, tail = pdf_shell(picture_bytes)
    yield head
    for start in range(0, picture_bytes, piece):
        yield os.urandom(min(piece, picture_bytes - start))
    yield tail


def png(width: int = 4, height: int = 4) -> bytes:
    """A valid grey PNG of the given size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")
        )

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])
    rows = b"".join(b"\x00" + bytes([128]) * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def jpeg(payload: bytes = b"") -> bytes:
    """A small real JPEG whose comment segment carries `payload`."""
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "grey").save(out, "JPEG", comment=b"coffre test image " + payload)
    return out.getvalue()


def photo(kind: str = "JPEG", *, with_exif: bool = False) -> bytes:
    """A light grey 400x300 picture made with Pillow; with EXIF naming a test camera and
    asking for a quarter turn, when asked."""
    image = Image.new("RGB", (400, 300), (250, 250, 250))
    out = io.BytesIO()
    if with_exif:
        exif = Image.Exif()
        exif[0x010F] = "Appareil photo de test"  # Make
        exif[0x0112] = 6  # Orientation: turned a quarter
        image.save(out, kind, exif=exif)
    else:
        image.save(out, kind)
    return out.getvalue()


def grey16_scan(width: int = 60, height: int = 40) -> bytes:
    """A PNG as a scanner set to "16-bit grey" makes it: white paper (65535) crossed by a band of
    dark ink (5000) through the middle third of its height."""
    ink = (height // 3, 2 * height // 3)
    values = bytearray()
    for y in range(height):
        level = 5000 if ink[0] <= y < ink[1] else 65535
        values += level.to_bytes(2, "little") * width
    out = io.BytesIO()
    Image.frombytes("I;16", (width, height), bytes(values)).save(out, "PNG")
    return out.getvalue()


def changed_pixels(before: "Image.Image", after: "Image.Image") -> int:
    """How many pixels of `after` (brought to the size of `before`) differ visibly."""
    from PIL import ImageChops

    difference = ImageChops.difference(before.convert("L"), after.convert("L").resize(before.size))
    return sum(difference.point(lambda value: 255 if value > 20 else 0).histogram()[255:])


def phone_photo(
    width: int = 400,
    height: int = 200,
    *,
    orientation: int | None = None,
    gps: bool = False,
    colours: tuple[str, str] = ("red", "blue"),
) -> bytes:
    """A photo as a phone takes it: the stored pixels have their first colour on the left half,
    the second on the right; `orientation` is the EXIF tag that says how to turn it upright
    (6: a quarter turn clockwise); `gps` adds a position (a square in Orléans, no one's home)."""
    picture = Image.new("RGB", (width, height), colours[1])
    picture.paste(colours[0], (0, 0, width // 2, height))
    exif = Image.Exif()
    if orientation is not None:
        exif[ORIENTATION] = orientation
    if gps:
        exif.get_ifd(GPS_INFO).update({1: "N", 2: (47.0, 54.0, 9.0), 3: "E", 4: (1.0, 54.0, 33.0)})
    out = io.BytesIO()
    picture.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()
