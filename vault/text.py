"""A line of text a person typed (a title, a name, a recipient, a file's name), as it is kept:
what shows on a screen, and nothing that hides or disguises.

Gone: control characters and line breaks (made spaces), invisible format characters (Unicode
category Cf: zero-width spaces, word joiners, byte order marks, the bidi marks, embeddings,
overrides and isolates, which make « facture », U+202E, « fdp.exe » read « factureexe.pdf »),
and the blank Hangul fillers that pass for a letter. So a value of only invisible characters is
blank, as one of only spaces is.

Kept: every letter and mark of every script, Arabic included (its letters and vowel marks are
not format characters, and our pages set the direction of typed text: webui/pages/typed_text.py,
so no bidi mark is needed). Two format characters are letters' business inside a word, and stay
there: the zero-width non-joiner (U+200C), which Persian, Kurdish and Indic words need (« می »,
U+200C, « روم »: « I go »), and the zero-width joiner (U+200D), which Indic scripts and emoji
made of several need (a family: man, U+200D, woman, U+200D, girl). Alone, at a word's edge or
doubled, they show nothing and go. The Arabic number signs and end of ayah (U+0600-0605,
U+06DD...) are format characters drawn as a sign: they stay too."""

import unicodedata

# Line and paragraph separators break a line as a control character does: made spaces.
_BREAKS = frozenset({"Cc", "Zl", "Zp"})
_JOINERS = frozenset({"\u200c", "\u200d"})
# Format characters drawn as a visible sign before the digits they span (Unicode's
# Prepended_Concatenation_Mark): Arabic, Syriac and Kaithi number signs.
_DRAWN_SIGNS = frozenset(
    "\u0600\u0601\u0602\u0603\u0604\u0605\u06dd\u070f\u0890\u0891\u08e2\U000110bd\U000110cd"
)
_KEPT_FORMAT = _JOINERS | _DRAWN_SIGNS
# Letters by their category, blank on screen (Unicode's Default_Ignorable_Code_Point).
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0")


def typed_line(text: str) -> str:
    """`text` in Unicode's composed form (NFC), with what hides dropped, its spaces made one
    and trimmed: "" when nothing visible was typed."""
    shown: list[str] = []
    for char in unicodedata.normalize("NFC", text):
        category = unicodedata.category(char)
        if category in _BREAKS:
            shown.append(" ")
        elif category == "Cf" and char not in _KEPT_FORMAT:
            continue
        elif char not in _BLANK_LETTERS:
            shown.append(char)
    return " ".join(_joiners_inside_words(shown).split())


def _joiners_inside_words(chars: list[str]) -> str:
    """A joiner stays only between two characters it can join: neither a space nor a joiner."""
    kept: list[str] = []
    for position, char in enumerate(chars):
        if char in _JOINERS:
            after = chars[position + 1] if position + 1 < len(chars) else " "
            if not (kept and _joinable(kept[-1]) and _joinable(after)):
                continue
        kept.append(char)
    return "".join(kept)


def _joinable(char: str) -> bool:
    return not char.isspace() and char not in _JOINERS
