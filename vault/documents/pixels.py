"""Pictures brought to the 8 bits per channel that every later step (a page, a thumbnail, a
marked copy) draws from. Imports only Pillow, lazily: the limited worker uses it."""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image

# Pillow's modes of one grey channel over 16 bits (and "I", as it may read them).
_WIDE_GREY = frozenset({"I;16", "I;16L", "I;16B", "I;16N", "I"})


def eight_bit(picture: "Image.Image") -> "Image.Image":
    """A 16-bit grey scan scaled to 8 bits: converted as it is, Pillow turns every value above
    255 to white, and the page comes out blank. Any other picture is returned as it is."""
    if picture.mode not in _WIDE_GREY:
        return picture
    scaled = picture.convert("I").point(lambda value: value * (1 / 257)).convert("L")
    transparent = picture.info.get("transparency")
    if isinstance(transparent, int):
        # The grey that stands for "transparent", on the same scale as the pixels.
        scaled.info["transparency"] = transparent // 257
    return scaled
