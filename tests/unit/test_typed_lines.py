"""A line a person typed is kept as it shows: every script's letters, nothing invisible that
could pass for text or disguise it."""

import unicodedata

import pytest

from vault.text import typed_line

PERSIAN = "می\u200cروم"  # « I go »: the non-joiner keeps « می » apart from « روم »
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"


@pytest.mark.parametrize(
    "text",
    [
        "Carte d'identité",
        "أمينة بن علي",
        "بطاقة الإقامة ٢٠٢٤",
        "قُرْآن",  # vowel marks (harakat) are marks, not format characters
        "\u0600\u0661\u0662",  # the Arabic number sign is drawn before its digits
        "Ольга Петренко",
        "ሰላም ተስፋይ",
        "王小明",
        PERSIAN,
        FAMILY,
        "Avis d'impôt 2024 ❤️",
    ],
)
def test_visible_text_is_kept_as_typed(text: str) -> None:
    assert typed_line(text) == text


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("facture\u202efdp.exe", "facturefdp.exe"),
        ("\u2066CAF\u2069 \u200e\u200fdu Loiret\u061c", "CAF du Loiret"),
        ("Ca\u200bF", "CaF"),
        ("\ufeffAvis\u2060", "Avis"),
        ("  Zoë \t  d'Arc  ", "Zoë d'Arc"),
        ("ligne\nretour\r\x00\x1b\x7f", "ligne retour"),
        ("a\u2028b\u2029c", "a b c"),
        ("e\u0301te\u0301", "été"),
        ("\u200cمی\u200c \u200c\u200dروم\u200d", "می روم"),
        ("a\u200c\u200c\u200db", "a\u200db"),
        ("Awa\u3164Ndiaye", "AwaNdiaye"),
    ],
)
def test_what_hides_goes(typed: str, kept: str) -> None:
    assert typed_line(typed) == kept


@pytest.mark.parametrize(
    "typed",
    ["", "   ", "\u200b\u2060\ufeff", "\u202e", "\u200d", " \u200c ", "\u3164", "\u2066\u2069"],
)
def test_nothing_visible_is_blank(typed: str) -> None:
    assert typed_line(typed) == ""


def test_no_format_character_is_left_but_the_joiners_and_drawn_signs() -> None:
    every_format = [
        chr(code) for code in range(0x110000) if unicodedata.category(chr(code)) == "Cf"
    ]
    left = {char for char in typed_line("a" + "".join(every_format) + "b") if char in every_format}
    drawn = "\u0600\u0601\u0602\u0603\u0604\u0605\u06dd\u070f\u0890\u0891\u08e2\U000110bd\U000110cd"
    assert left == {*drawn, "\u200d"}  # the last joiner, between two drawn signs
