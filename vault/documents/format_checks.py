"""What a file's own format library says of it, run only inside the limited worker process
(preview_worker, job `check`): Pillow for pictures, pypdf and PDFium for PDFs. Like the
worker, it imports only the standard library and those libraries.

A picture must stay within the pixel limit (Pillow reads that from the header: a picture of
30,000 x 30,000 pixels in a few KB is refused before any pixel is decoded) and then decode
whole, every frame of it, trailing chunks included.

A PDF must open, give each key of a dictionary once (pypdf reads the first value of a key
written twice, PDFium, Chromium's viewer, the last: what one reader runs, the other would not
see), without a password (a PDF that only restricts printing or copying opens
without one, and is kept as it is), have at least one page and no more than the limit, and
hold nothing that runs or carries other files, as pypdf reads it and as PDFium does (the
copy PDFium writes of what it read is judged too): JavaScript (the names tree, /JS in any action,
a javascript: link, an XFA form, whose scripts some readers run), a /Launch action, attached
files (/EmbeddedFiles, a file specification with /EF, a file attachment annotation, a /GoToE
action). These are refused rather than
removed: removing them means writing the PDF anew, which breaks its signature and may change
what it shows, while the person can print it again as a plain PDF in a minute.
"""

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

# The worker's exit status: the verdict.
FINE = 0
TOO_MANY_PIXELS = 3
NEEDS_PASSWORD = 4
RUNS_A_PROGRAM = 5
LAUNCHES_A_PROGRAM = 6
CARRIES_FILES = 7
TOO_MANY_PAGES = 8
UNREADABLE = 9

# Where a PDF keeps only what is drawn or described (page contents, fonts and pictures,
# appearances, metadata, the structure of its text): never an action, and often most of the
# file, so the walk neither reads nor follows them. /P only leads back up to a page. /Parent
# is followed: a widget's leads to its form field, which may hold the field's scripts.
_NOT_FOLLOWED = frozenset(
    {
        "/Contents",
        "/Resources",
        "/AP",
        "/Metadata",
        "/Thumb",
        "/StructTreeRoot",
        "/StructParents",
        "/P",
    }
)


def verdict(held: IO[bytes], max_pages: int) -> int:
    """The verdict on the file in `held` (its start already told PDF from picture). Raises
    when the library cannot read it: the worker then exits UNREADABLE."""
    start = held.read(5)
    held.seek(0)
    if start == b"%PDF-":
        return pdf_verdict(held, max_pages)
    picture_must_decode(held)
    return FINE


def picture_must_decode(held: IO[bytes]) -> None:
    """Raises unless every frame decodes; the caller has set Pillow's pixel limit and made its
    decompression-bomb warning an error."""
    from PIL import Image, ImageSequence

    with Image.open(held, formats=["JPEG", "PNG"]) as picture:
        for frame in ImageSequence.Iterator(picture):
            frame.load()


def pdf_verdict(held: IO[bytes], max_pages: int) -> int:
    from pypdf import PdfReader

    with _keys_given_twice() as twice:
        reader = PdfReader(held)
        # pypdf opens with the empty password by itself, as every viewer does.
        if reader.is_encrypted and not reader.decrypt(""):
            return NEEDS_PASSWORD
        pages = len(reader.pages)
        if pages == 0:
            return UNREADABLE
        if pages > max_pages:
            return TOO_MANY_PAGES
        found = _active_content(reader.trailer)
    if found == FINE and set(twice) - _NOT_FOLLOWED:
        return UNREADABLE
    if found == FINE:
        return _as_pdfium_reads(held, pages)
    return found


def _as_pdfium_reads(held: IO[bytes], pages: int) -> int:
    """The verdict on the file as PDFium (Chromium's viewer) reads it: PDFium writes anew what
    it found, and pypdf judges that copy too. Where pypdf reads a table that PDFium finds
    broken (a line too short, an offset a few bytes off), PDFium finds the objects by scanning
    the file, and may take others than pypdf did: a second catalog, with a script. A copy with
    another number of pages is refused as unreadable."""
    import pypdfium2
    import pypdfium2.raw
    from pypdf import PdfReader

    held.seek(0)
    document = pypdfium2.PdfDocument(held)
    copy = io.BytesIO()
    try:
        seen_pages = len(document)
        document.save(copy, flags=pypdfium2.raw.FPDF_REMOVE_SECURITY)
    finally:
        document.close()
    copy.seek(0)
    reader = PdfReader(copy)
    if seen_pages != pages or len(reader.pages) != pages:
        return UNREADABLE
    return _active_content(reader.trailer)


class _TwiceNoted(logging.Handler):
    """Notes the keys pypdf says a dictionary gives twice (it keeps the first value, and
    warns, outside its strict mode)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.keys: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if str(record.msg).startswith("Multiple definitions in dictionary"):
            values = record.args if isinstance(record.args, dict) else {}
            self.keys.append(str(values.get("key", "")))


@contextmanager
def _keys_given_twice() -> Iterator[list[str]]:
    logger = logging.getLogger("pypdf")
    noted, level = _TwiceNoted(), logger.level
    logger.addHandler(noted)
    logger.setLevel(logging.WARNING)
    try:
        yield noted.keys
    finally:
        logger.removeHandler(noted)
        logger.setLevel(level)


def _active_content(trailer: object) -> int:
    """Walks every object reachable from the trailer (the catalog, its names, outlines,
    forms, pages and their annotations, and every action they chain to), each once."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    seen: set[tuple[int, int]] = set()
    waiting = [trailer]
    while waiting:
        item = waiting.pop()
        if isinstance(item, IndirectObject):
            if (item.idnum, item.generation) in seen:
                continue
            seen.add((item.idnum, item.generation))
            item = item.get_object()
        if isinstance(item, DictionaryObject):
            found = _what_it_does(item)
            if found != FINE:
                return found
            waiting.extend(value for key, value in item.items() if key not in _NOT_FOLLOWED)
        elif isinstance(item, ArrayObject):
            waiting.extend(item)
    return FINE


def _what_it_does(entry: "dict[str, object]") -> int:
    action = _resolved(entry.get("/S"))
    if "/JS" in entry or "/JavaScript" in entry or "/XFA" in entry or action == "/JavaScript":
        return RUNS_A_PROGRAM
    if action == "/URI" and _as_browsers_read(_text(entry.get("/URI"))).startswith("javascript:"):
        return RUNS_A_PROGRAM
    if action == "/Launch":
        return LAUNCHES_A_PROGRAM
    if (
        "/EmbeddedFiles" in entry
        or "/EF" in entry
        or action == "/GoToE"
        or _resolved(entry.get("/Type")) == "/EmbeddedFile"
        or _resolved(entry.get("/Subtype")) == "/FileAttachment"
    ):
        return CARRIES_FILES
    return FINE


def _as_browsers_read(url: str) -> str:
    """A link as a browser takes it (the WHATWG URL standard): tabs and newlines anywhere
    dropped, control characters and spaces around it trimmed; lower case, to compare."""
    kept = url.translate({ord("\t"): None, ord("\n"): None, ord("\r"): None})
    return kept.strip("".join(map(chr, range(0x21)))).lower()


def _resolved(value: object) -> object:
    from pypdf.generic import IndirectObject

    return value.get_object() if isinstance(value, IndirectObject) else value


def _text(value: object) -> str:
    value = _resolved(value)
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return str(value) if value is not None else ""
