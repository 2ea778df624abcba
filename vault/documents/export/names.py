"""Names of the files in an export, safe on every system a person may unzip it on: no folder
separators or characters Windows refuses, nothing a typed line may not hold (vault/text.py: no
control or bidi-override characters, which could disguise « facture<U+202E>fdp.exe »), no
leading dot (a hidden file), no name Windows reserves, a
length every file system takes, and no two the same."""

import unicodedata

from vault.documents.categories import CATEGORIES
from vault.text import typed_line

MAX_STEM = 80
# File systems take names of 255 bytes (ext4, Btrfs: of UTF-8), and 80 characters of emoji
# are 320: the stem stays under 200 bytes, leaving room for « (12) » and the extension.
MAX_STEM_BYTES = 200
_REFUSED = set('/\\:*?"<>|')
# Microsoft's list: the ports numbered 0 to 9 and with the superscripts ¹ ² ³, and the
# console's own names.
_WINDOWS_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    "CONIN$",
    "CONOUT$",
    *(f"{port}{n}" for port in ("COM", "LPT") for n in (*"0123456789", "¹", "²", "³")),
}
EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}


def safe_stem(text: str, fallback: str) -> str:
    """`text` as one file name without extension; `fallback` when nothing of it is left."""
    allowed = "".join(" " if char in _REFUSED else char for char in text)
    stem = _cut(typed_line(allowed).lstrip(". ")).rstrip(". ")
    if not stem or stem.split(".")[0].rstrip(" ").upper() in _WINDOWS_RESERVED:
        return fallback
    return stem


def _cut(text: str) -> str:
    """At most MAX_STEM characters and MAX_STEM_BYTES bytes of UTF-8, whole characters only;
    a joiner left at the new end goes (typed_line)."""
    cut = text[:MAX_STEM].encode()[:MAX_STEM_BYTES].decode(errors="ignore")
    return typed_line(cut)


def category_folder(category: str) -> str:
    """The folder of a category, by its French label in plain letters: « Identité » ->
    « identite »."""
    label = CATEGORIES.get(category, category)
    plain = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    words = "".join(c if c.isalnum() else " " for c in plain.lower()).split()
    return "-".join(words) or "autres"


class UniqueNames:
    """Hands out paths, « titre (2).pdf » when « titre.pdf » is taken, compared as a
    case-insensitive file system would."""

    def __init__(self, *reserved: str) -> None:
        self._taken = {name.casefold() for name in reserved}

    def path(self, folder: str, title: str, content_type: str) -> str:
        stem = safe_stem(title, "papier")
        extension = EXTENSIONS.get(content_type, "")
        candidate, number = f"{folder}/{stem}{extension}", 1
        while candidate.casefold() in self._taken:
            number += 1
            candidate = f"{folder}/{stem} ({number}){extension}"
        self._taken.add(candidate.casefold())
        return candidate
