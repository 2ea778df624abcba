"""The marked copy that leaves the safe: « Copie pour {recipient} — {day} — {purpose} » written
across every page or picture, repeated on a slant, see-through but readable.

A PDF is flattened, as the French government's FiligraneFacile does: each page becomes a picture,
is marked, and the pictures make a new PDF. Nothing of the original is left to remove the
marking, and nothing active (scripts, forms, attachments) travels with the copy. A photo is
turned upright and written again from its pixels only, so no EXIF (place, device) goes with it.

Drawn in the limited worker (preview_worker, job `mark`; previews.marked_copy): like that
worker, this module imports only the standard library and the image and PDF libraries.
"""

import io
import math
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import pypdfium2
from PIL import Image, ImageDraw, ImageFont, ImageOps
from pypdf import PdfReader, PdfWriter

from vault.documents.pixels import eight_bit

# A PDF page becomes a picture at this resolution, its longer side never above MAX_SIDE pixels
# (a hostile page size must not exhaust the memory).
DPI = 150
MAX_SIDE = 2600
MAX_PAGES = 40
ANGLE = 30
INK = (150, 20, 20, 115)
HALO = (255, 255, 255, 90)
# Fonts that draw accented letters, where Debian and most systems put them.
_FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
    "/usr/share/fonts/noto/NotoSans-Regular.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/Library/Fonts/Arial Unicode.ttf",
)


class CannotMarkError(Exception):
    """The paper cannot be read, or has more than MAX_PAGES pages."""

    def __init__(self, too_many_pages: bool = False) -> None:
        super().__init__("too many pages" if too_many_pages else "unreadable")
        self.too_many_pages = too_many_pages


@dataclass(frozen=True)
class MarkedCopy:
    content: bytes
    content_type: str


def marking_text(recipient: str, purpose: str, day: date) -> str:
    return f"Copie pour {recipient} — {day:%d/%m/%Y} — {purpose}"


def copy_type(content_type: str) -> str:
    """What a paper's marked copy is: a PDF stays a PDF, a PNG a PNG, any other photo a JPEG."""
    if content_type in ("application/pdf", "image/png"):
        return content_type
    return "image/jpeg"


def mark(content: bytes, content_type: str, text: str) -> MarkedCopy:
    """The marked copy of a paper; CannotMarkError when it cannot be read."""
    try:
        if content_type == "application/pdf":
            return MarkedCopy(_mark_pdf(content, text), "application/pdf")
        if content_type.startswith("image/"):
            return MarkedCopy(
                _mark_image(content, text, copy_type(content_type)), copy_type(content_type)
            )
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, pypdfium2.PdfiumError):
        raise CannotMarkError from None
    raise CannotMarkError


def _mark_image(content: bytes, text: str, output_type: str) -> bytes:
    with Image.open(io.BytesIO(content)) as opened:
        upright = eight_bit(ImageOps.exif_transpose(opened))
        upright.thumbnail((MAX_SIDE, MAX_SIDE))
        picture = upright.convert("RGBA")
    marked = _stamp(picture, text)
    out = io.BytesIO()
    # Written from the pixels alone: no EXIF, no comment, no profile of the original.
    if output_type == "image/png":
        marked.save(out, "PNG", optimize=True)
    else:
        marked.convert("RGB").save(out, "JPEG", quality=85)
    return out.getvalue()


def _mark_pdf(content: bytes, text: str) -> bytes:
    document = pypdfium2.PdfDocument(content)
    writer = PdfWriter()
    try:
        if len(document) == 0:
            raise CannotMarkError
        if len(document) > MAX_PAGES:
            raise CannotMarkError(too_many_pages=True)
        # One page's picture at a time (40 sheets of A3 would not fit in the worker at once),
        # and the writing drawn once for all the pages of one size: drawing it is most of the
        # work.
        overlay = Image.new("RGBA", (0, 0))
        for index in range(len(document)):
            picture = _render(document[index])
            if overlay.size != picture.size:
                overlay = _overlay(picture.size, text)
            page = Image.alpha_composite(picture, overlay).convert("RGB")
            flat = io.BytesIO()
            page.save(flat, "PDF", resolution=DPI)
            writer.append(PdfReader(flat))
    finally:
        document.close()
    writer.add_metadata(
        {"/Title": text, "/Subject": text, "/Keywords": text, "/Producer": "coffre"}
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _render(page: "pypdfium2.PdfPage") -> Image.Image:
    width, height = page.get_size()
    scale = min(DPI / 72, MAX_SIDE / max(width, height, 1))
    picture: Image.Image = page.render(scale=scale).to_pil()
    return picture.convert("RGBA")


def _stamp(picture: Image.Image, text: str) -> Image.Image:
    return Image.alpha_composite(picture, _overlay(picture.size, text))


def _overlay(picture_size: tuple[int, int], text: str) -> Image.Image:
    """The text in rows across a layer turned by ANGLE, the size of the picture it goes over."""
    width, height = picture_size
    size = max(12, round(min(width, height) / 22))
    font = _font(size)
    diagonal = math.ceil(math.hypot(width, height))
    layer = Image.new("RGBA", (diagonal, diagonal), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    step_x, step_y = round(right - left) + size * 2, round(bottom - top) * 4
    for row, y in enumerate(range(0, diagonal, step_y)):
        shift = (row % 2) * step_x // 2
        for x in range(-shift, diagonal, step_x):
            draw.text(
                (x, y),
                text,
                font=font,
                fill=INK,
                stroke_width=max(1, size // 12),
                stroke_fill=HALO,
            )
    turned = layer.rotate(ANGLE, resample=Image.Resampling.BICUBIC)
    offset_x, offset_y = (diagonal - width) // 2, (diagonal - height) // 2
    return turned.crop((offset_x, offset_y, offset_x + width, offset_y + height))


@cache
def _font_path() -> str | None:
    return next((path for path in _FONTS if Path(path).is_file()), None)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = _font_path()
    if path is None:
        return ImageFont.load_default(size=size)
    return ImageFont.truetype(path, size)
