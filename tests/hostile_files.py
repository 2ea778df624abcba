"""Hostile files, made by the tests themselves (never kept in git as binaries), each with the
answer an upload of it must get. Every one is refused with a readable message and leaves
nothing behind; KEPT are files that look alarming but are ordinary papers, kept as they are.

Another test may import the cases: `for name, content, content_type, status in CASES`, with
`WORDS[name]`, words the refusal's message holds. `name` is also the file name sent, and
`content_type` what the client claims (coffre goes by the content alone). The page limit is
the default setting (500)."""

import io
import zipfile
import zlib
from typing import NamedTuple

from PIL import Image
from pypdf import PdfWriter

from tests.samples import jpeg, pdf, png

PAGE_LIMIT = 500
PIXEL_LIMIT = 50_000_000


class HostileFile(NamedTuple):
    name: str
    content: bytes
    content_type: str
    status: int


def raw_pdf(catalog: bytes = b"", page: bytes = b"", *others: bytes) -> bytes:
    """A one-page PDF written by hand, its catalog and page dictionaries given more entries
    and more objects after them (numbered from 5), so that what a hostile PDF holds is plain
    to read here."""
    text = b"BT /F1 24 Tf 72 720 Td (Avis) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R " + page + b" >>",
        b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream",
        *others,
    ]
    return written(objects)


def two_catalogs(
    table_line_end: bytes, shift: int, second: bytes, after_trailer: bytes = b""
) -> bytes:
    """A harmless catalog that the table names, then `second`, written after it and named by
    no table: more objects, a second catalog among them, with a script; the table's lines end
    with `table_line_end`, the first catalog's offset moved by `shift`, and `after_trailer`
    follows the trailer."""
    plain = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
    ]
    out, offsets = b"%PDF-1.7\n", []
    for number, body in enumerate(plain, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    out += second
    offsets[0] += shift
    xref = len(out)
    out += b"xref\n0 4\n0000000000 65535 f" + table_line_end
    out += b"".join(b"%010d 00000 n" % offset + table_line_end for offset in offsets)
    out += b"trailer\n<< /Size 4 /Root 1 0 R >>\n" + after_trailer
    return out + b"startxref\n%d\n%%%%EOF\n" % xref


def with_script(number: int, head: bytes = b"") -> bytes:
    """Object `number`, a catalog whose names hold a script (object 9), and object 9."""
    catalog = b"<< /Type /Catalog /Pages 2 0 R /Names << /JavaScript 9 0 R >> >>"
    names = b"<< /Names [(a) " + JS + b"] >>"
    head = head or b"%d 0 obj\n" % number
    return head + catalog + b"\nendobj\n9 0 obj\n" + names + b"\nendobj\n"


def in_object_stream() -> bytes:
    """A second catalog (object 1) and its script (object 9) inside an object stream."""
    catalog = b"<< /Type /Catalog /Pages 2 0 R /Names << /JavaScript 9 0 R >> >>"
    names = b"<< /Names [(a) " + JS + b"] >>"
    index = b"1 0 9 %d " % (len(catalog) + 1)
    data = index + catalog + b"\n" + names
    return (
        b"8 0 obj\n<< /Type /ObjStm /N 2 /First %d /Length %d >>\nstream\n"
        % (len(index), len(data))
        + data
        + b"\nendstream\nendobj\n"
    )


def written(objects: list[bytes], root: int = 1) -> bytes:
    out = b"%PDF-1.7\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        root,
        xref,
    )
    return out


def pages(count: int) -> bytes:
    """A PDF of `count` empty pages."""
    kids = b" ".join(b"%d 0 R" % (3 + n) for n in range(count))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % count,
        *[b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>"] * count,
    ]
    return written(objects)


def no_page() -> bytes:
    return written([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"])


def by_pypdf(*, attachment: bool = False, user_password: str | None = None) -> bytes:
    """A one-page PDF written by pypdf: with a file attached, or encrypted (AES-256) with this
    password to open it (the empty one: it opens without, only its permissions are limited)."""
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    if attachment:
        writer.add_attachment("facture.xml", b"<facture>123</facture>")
    if user_password is not None:
        writer.encrypt(user_password, "proprietaire", algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def chunk(kind: bytes, data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims `width` x `height` grey pixels, in a few hundred bytes: a
    decompression bomb as a reader sees it before decoding (its data ends early)."""
    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])
    rows = zlib.compress(b"\x00" * (width + 1) * 4)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


def jpeg_claiming(width: int, height: int) -> bytes:
    """A small real JPEG whose frame header (SOF0) claims `width` x `height`."""
    out = io.BytesIO()
    Image.new("L", (16, 16), 128).save(out, "JPEG")
    data = bytearray(out.getvalue())
    frame = data.index(b"\xff\xc0")
    data[frame + 5 : frame + 9] = height.to_bytes(2, "big") + width.to_bytes(2, "big")
    return bytes(data)


def zeros_compressed(size: int) -> bytes:
    packer = zlib.compressobj(9)
    block = b"\x00" * (1024 * 1024)
    return b"".join(packer.compress(block) for _ in range(size // len(block))) + packer.flush()


def png_with_chunk(kind: bytes, data: bytes) -> bytes:
    """A valid small PNG with one more chunk, right after its header."""
    picture = png(8, 8)
    after_header = 8 + 25
    return picture[:after_header] + chunk(kind, data) + picture[after_header:]


def png_with_broken_data() -> bytes:
    """Header and end as they should be, the compressed pixels garbled: only decoding tells."""
    header = (64).to_bytes(4, "big") * 2 + bytes([8, 0, 0, 0, 0])
    rows = bytearray(zlib.compress(bytes(range(256)) * 17))
    rows[10:30] = b"\xff" * 20
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", bytes(rows))
        + chunk(b"IEND", b"")
    )


def link(uri: bytes) -> bytes:
    """A link annotation over the whole page, to `uri` (a PDF string)."""
    return (
        b"<< /Type /Annot /Subtype /Link /Rect [0 0 612 792] /A << /S /URI /URI " + uri + b" >> >>"
    )


def stream(data: bytes) -> bytes:
    return b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def zip_archive() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("carte.pdf", pdf("dans une archive"))
    return out.getvalue()


HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(document.cookie)</script></svg>"
)
XFA = b'<xdp:xdp xmlns:xdp="http://ns.adobe.com/xdp/"><script>app.alert(1)</script></xdp:xdp>'
JS = b"<< /Type /Action /S /JavaScript /JS (app.alert\\(document.cookie\\)) >>"
# 16 MiB once inflated, 16 times what Pillow lets a text chunk grow to.
HUGE = zeros_compressed(16 * 1024 * 1024)

PROGRAM = "contient un programme"
OTHER_FILES = "contient d'autres fichiers"
BAD_PDF = "Ce PDF n'a pas pu être lu"
TOO_BIG_PICTURE = "Une photo est trop grande"
BAD_PICTURE = "Une photo n'a pas pu être lue"
NOT_A_PAPER = "JPG, PNG ou PDF"
CUT_SHORT = "incomplet"

CLAIMED = {".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg"}
_CASES: list[tuple[HostileFile, str]] = []


def refused(name: str, content: bytes, status: int, words: str) -> None:
    """A case: sent as `name`, with the type a client would claim from that name."""
    case = HostileFile(name, content, CLAIMED[name[name.rindex(".") :]], status)
    _CASES.append((case, words))


# Pictures that claim more pixels than the limit: refused from their header.
refused("bombe-30000x30000.png", png_claiming(30_000, 30_000), 413, TOO_BIG_PICTURE)
refused("bombe-30000x30000.jpg", jpeg_claiming(30_000, 30_000), 413, TOO_BIG_PICTURE)
# Just over the limit, under twice it: where Pillow itself only warns.
refused("juste-trop-de-pixels.png", png_claiming(7_100, 7_100), 413, TOO_BIG_PICTURE)
# Text or a colour profile that inflates far beyond what a picture needs; broken pixels.
refused("texte-enorme.png", png_with_chunk(b"zTXt", b"Comment\x00\x00" + HUGE), 422, BAD_PICTURE)
refused("profil-enorme.png", png_with_chunk(b"iCCP", b"icc\x00\x00" + HUGE), 422, BAD_PICTURE)
refused("pixels-abimes.png", png_with_broken_data(), 422, BAD_PICTURE)
# PDFs that run something, carry other files, need a password, or are too long.
refused("javascript-ouverture.pdf", raw_pdf(b"/OpenAction 5 0 R", b"", JS), 422, PROGRAM)
refused(
    "javascript-noms.pdf",
    raw_pdf(b"/Names << /JavaScript 5 0 R >>", b"", b"<< /Names [(a) 6 0 R] >>", JS),
    422,
    PROGRAM,
)
refused("javascript-page.pdf", raw_pdf(b"", b"/AA << /O 5 0 R >>", JS), 422, PROGRAM)
refused(
    "javascript-lien.pdf",
    raw_pdf(b"", b"/Annots [5 0 R]", link(b"(javascript:alert\\(1\\))")),
    422,
    PROGRAM,
)
# Browsers drop tabs and newlines anywhere in a link, and control characters around it.
for name, tricked in (
    ("javascript-lien-tabulation.pdf", b"(java\tscript:alert\\(1\\))"),
    ("javascript-lien-controle.pdf", b"(\x01 javascript:alert\\(1\\))"),
):
    refused(name, raw_pdf(b"", b"/Annots [5 0 R]", link(tricked)), 422, PROGRAM)
refused(
    "lance-un-programme.pdf",
    raw_pdf(b"/OpenAction << /S /Launch /F (C:\\\\Windows\\\\System32\\\\calc.exe) >>"),
    422,
    "peut lancer un programme",
)
refused(
    "formulaire-xfa.pdf",
    raw_pdf(b"/AcroForm << /Fields [] /XFA 5 0 R >>", b"", stream(XFA)),
    422,
    PROGRAM,
)
# A key written twice: pypdf reads the first value, PDFium (Chromium's viewer) the last. What
# one reader would run, the other would not see: refused as a PDF that cannot be read.
refused(
    "cle-en-double-javascript.pdf",
    raw_pdf(b"/Names << >> /Names << /JavaScript 5 0 R >>", b"", b"<< /Names [(a) 6 0 R] >>", JS),
    422,
    BAD_PDF,
)
refused(
    "cle-en-double-ouverture.pdf",
    raw_pdf(b"/OpenAction [3 0 R /Fit] /OpenAction 5 0 R", b"", JS),
    422,
    BAD_PDF,
)
refused(
    "cle-en-double-lancement.pdf",
    raw_pdf(b"/OpenAction << /S /GoTo /D [3 0 R /Fit] /S /Launch /F (calc.exe) >>"),
    422,
    BAD_PDF,
)
# A form field's script, on the field reached only through its widget's /Parent.
refused(
    "javascript-champ-parent.pdf",
    raw_pdf(
        b"/AcroForm << /Fields [] >>",
        b"/Annots [5 0 R]",
        b"<< /Type /Annot /Subtype /Widget /Rect [100 600 400 650] /Parent 6 0 R >>",
        b"<< /FT /Tx /T (nom) /Kids [5 0 R] /AA << /F 7 0 R /K 7 0 R >> >>",
        JS,
    ),
    422,
    PROGRAM,
)
# A table that pypdf reads and PDFium finds broken (its lines a byte short, an offset a few
# bytes off): PDFium then finds the objects by scanning the file, and takes others than pypdf:
# a second catalog, with a script, however it is written.
for name, line_end, shift, second, after in (
    ("table-lignes-courtes.pdf", b"\n", 0, with_script(1), b""),
    ("table-decalee.pdf", b" \n", 3, with_script(1), b""),
    ("table-entete-espace.pdf", b"\n", 0, with_script(1, b"1 0" + b" " * 40 + b"obj\n"), b""),
    ("table-entete-commentaire.pdf", b"\n", 0, with_script(1, b"1 0 %c\nobj\n"), b""),
    ("table-flux-objets.pdf", b"\n", 0, in_object_stream(), b""),
    (
        "table-second-trailer.pdf",
        b"\n",
        0,
        with_script(7),
        b"trailer\n<< /Size 10 /Root 7 0 R >>\n",
    ),
):
    refused(name, two_catalogs(line_end, shift, second, after), 422, PROGRAM)
refused("fichier-joint.pdf", by_pypdf(attachment=True), 422, OTHER_FILES)
refused(
    "annotation-fichier-joint.pdf",
    raw_pdf(
        b"",
        b"/Annots [5 0 R]",
        b"<< /Type /Annot /Subtype /FileAttachment /Rect [0 0 20 20] "
        b"/FS << /Type /Filespec /F (a.exe) /EF << /F 6 0 R >> >> >>",
        b"<< /Type /EmbeddedFile /Length 2 >>\nstream\nMZ\nendstream",
    ),
    422,
    OTHER_FILES,
)
refused("mot-de-passe.pdf", by_pypdf(user_password="secret"), 422, "protégé par un mot de passe")
refused("trop-de-pages.pdf", pages(PAGE_LIMIT + 1), 413, f"plus de {PAGE_LIMIT} pages")
refused("sans-page.pdf", no_page(), 422, BAD_PDF)
refused("illisible.pdf", b"%PDF-1.7\n" + b"\x00\xff pas un PDF " * 500 + b"\n%%EOF\n", 422, BAD_PDF)
# Other formats dressed as papers: refused by their first bytes.
refused("polyglotte-html-pdf.pdf", HTML + b"\n" + pdf("polyglotte"), 415, NOT_A_PAPER)
refused("page-html.png", HTML, 415, NOT_A_PAPER)
refused("dessin-svg.png", SVG, 415, NOT_A_PAPER)
refused("archive-zip.pdf", zip_archive(), 415, NOT_A_PAPER)
# Cut short: refused by their last bytes.
refused("coupe.pdf", pdf("coupe")[:-40], 422, CUT_SHORT)
refused("coupe.jpg", jpeg()[:-2], 422, CUT_SHORT)
refused("coupe.png", png()[:-12], 422, CUT_SHORT)

CASES: list[HostileFile] = [case for case, _words in _CASES]
WORDS: dict[str, str] = {case.name: words for case, words in _CASES}

# They look alarming but are ordinary papers: kept byte for byte (and served sandboxed).
KEPT: list[HostileFile] = [
    HostileFile("permissions-limitees.pdf", by_pypdf(user_password=""), CLAIMED[".pdf"], 201),
    HostileFile(
        "lien-web.pdf",
        raw_pdf(b"", b"/Annots [5 0 R]", link(b"(https://www.service-public.fr)")),
        CLAIMED[".pdf"],
        201,
    ),
    HostileFile("pleine-page.pdf", raw_pdf(b"/OpenAction [3 0 R /Fit]"), CLAIMED[".pdf"], 201),
    # A PDF first, HTML inside: a PDF to every reader, and never run as a page once served.
    HostileFile("polyglotte-pdf-html.pdf", pdf("<html><script>x</script>"), CLAIMED[".pdf"], 201),
    HostileFile("juste-assez-de-pages.pdf", pages(PAGE_LIMIT), CLAIMED[".pdf"], 201),
]
