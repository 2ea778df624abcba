"""A line of text a person typed (a title, a name, a recipient, a file's name), as it is kept:
what shows on a screen, and nothing that hides or disguises.

Gone: control characters and line breaks (made spaces), invisible format characters (Unicode
category Cf: zero-width spaces, word joiners, byte order marks, the bidi marks, embeddings,
overrides and isolates, which make « facture », U+202E, « fdp.exe » read « factureexe.pdf »),
the blank Hangul fillers that pass for a letter, and the braille blank. So a value of only
invisible characters, or of marks on nothing, is blank, as one of only spaces is.

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
# Not format characters, yet blank on screen: the Hangul fillers, letters by their category,
# the combining grapheme joiner and the Khmer inherent vowels (Unicode's
# Default_Ignorable_Code_Point), and the braille blank.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u034f\u17b4\u17b5\u2800")


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
    line = " ".join(_joiners_inside_words(shown).split())
    # Marks alone (variation selectors, accents on nothing) show nothing either.
    return line if any(unicodedata.category(char)[0] not in "MZ" for char in line) else ""


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


# Letters written two ways that a search takes as one: the Arabic alif maqsura and ta marbuta,
# often typed as ya and ha; the tatweel, which only stretches a word; the ligatures of
# « Lætitia » and « Cœur ».
_SAME_LETTERS = str.maketrans(
    {"\u0649": "\u064a", "\u0629": "\u0647", "\u0640": "", "œ": "oe", "æ": "ae"}
)


def folded(text: str) -> str:
    """`text` as a search compares it: small letters without accents, nor Arabic vowel marks
    and hamza forms (« Hélène » and « helene », « أحمد » and « احمد » are one), digits of every
    script as 0-9, and anything else than a letter or a digit as a single space."""
    kept: list[str] = []
    for char in unicodedata.normalize("NFKD", text.casefold().translate(_SAME_LETTERS)):
        category = unicodedata.category(char)
        if category[0] == "M":
            continue
        if category == "Nd":
            kept.append(str(unicodedata.decimal(char)))
        else:
            kept.append(char if category[0] in "LN" else " ")
    return " ".join("".join(kept).split())


def matches(search: str, *texts: str) -> bool:
    """Whether every word of `search` is in one of `texts`, folded, spaces and punctuation
    left out (« jean pierre » finds « Jean-Pierre », « ndiaye » « N'Diaye »). A search of no
    word matches everything."""
    words = folded(search).split()
    plain = ["".join(folded(text).split()) for text in texts]
    return all(any(word in text for text in plain) for word in words)
