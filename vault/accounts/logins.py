"""Readable logins from a name in any script: its letters written in plain ASCII (anyascii
knows every script: "Ирина Петрова" -> "irina.petrova"), or two French words drawn at random
when nothing readable is left (a name of emoji or punctuation only)."""

import re
import secrets
import unicodedata

from anyascii import anyascii

MAX_BASE = 56  # leaves room for a number that makes the login unique (64 at most)
SHORT_FILLER = "coffre"
WORDS = (
    "abeille",
    "arbre",
    "automne",
    "bateau",
    "cerise",
    "citron",
    "colline",
    "etoile",
    "fleur",
    "foret",
    "fraise",
    "girafe",
    "hibou",
    "jardin",
    "lac",
    "lumiere",
    "lune",
    "matin",
    "montagne",
    "nuage",
    "ocean",
    "oiseau",
    "olive",
    "orange",
    "papillon",
    "plage",
    "pomme",
    "prairie",
    "riviere",
    "soleil",
    "tortue",
    "vague",
)


def _letters_and_digits(text: str) -> str:
    """Everything but letters, digits and accents becomes a space: anyascii would spell an
    emoji out (":slight_smile:"), which is no part of a name."""
    return "".join(c if unicodedata.category(c)[0] in "LMN" else " " for c in text)


def _name_words(display_name: str) -> list[str]:
    plain = anyascii(_letters_and_digits(unicodedata.normalize("NFC", display_name))).lower()
    return re.findall(r"[a-z0-9]+", plain)


def word_pair() -> str:
    """Two different words, drawn with the system's secure randomness."""
    return ".".join(secrets.SystemRandom().sample(WORDS, 2))


def login_base(display_name: str) -> str:
    """The login a name suggests, before it is made unique: only [a-z0-9.], at most
    MAX_BASE characters, at least 3."""
    base = ".".join(_name_words(display_name))[:MAX_BASE].strip(".")
    if not base:
        return word_pair()
    return base if len(base) >= 3 else f"{base}.{SHORT_FILLER}"
