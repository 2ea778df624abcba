"""File names in an export are safe to unzip anywhere and never collide."""

import pytest

from vault.documents.export.names import (
    MAX_STEM,
    MAX_STEM_BYTES,
    UniqueNames,
    category_folder,
    safe_stem,
)


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Carte d'identité", "Carte d'identité"),
        ("../../etc/passwd", "etc passwd"),
        ('a\\b:c*d?e"f<g>h|i', "a b c d e f g h i"),
        ("..hidden", "hidden"),
        ("facture\u202efdp.exe", "facturefdp.exe"),
        ("\u200b\u2060", "papier"),
        ("line\nbreak\x00", "line break"),
        ("CON", "papier"),
        ("nul.txt", "papier"),
        ("COM¹", "papier"),
        ("lpt²", "papier"),
        ("COM0", "papier"),
        ("CONIN$", "papier"),
        ("conout$", "papier"),
        ("aux .pdf", "papier"),
        ("...", "papier"),
        ("", "papier"),
        ("trailing dot.", "trailing dot"),
    ],
)
def test_safe_stem(title: str, expected: str) -> None:
    assert safe_stem(title, "papier") == expected


def test_long_titles_are_cut() -> None:
    assert len(safe_stem("é" * 500, "papier")) == MAX_STEM


@pytest.mark.parametrize(
    ("letter", "kept"),
    [("\U0001f3e0", 50), ("ሰ", 66), ("ب", MAX_STEM), ("a", MAX_STEM)],
)
def test_long_titles_are_cut_to_whole_letters_a_file_system_takes(letter: str, kept: int) -> None:
    stem = safe_stem(letter * 150, "papier")
    assert stem == letter * kept
    assert len(stem.encode()) <= MAX_STEM_BYTES


def test_a_cut_leaves_no_joiner_at_the_end() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # 18 bytes
    # 13 + 10 * 18 bytes, then the next family's man and joiner fill the 200.
    stem = safe_stem("a" * 13 + family * 30, "papier")
    assert stem == "a" * 13 + family * 10 + "\U0001f468"


def test_folders_are_plain_words() -> None:
    assert category_folder("identity") == "identite"
    assert category_folder("residence") == "titre-de-sejour"
    assert category_folder("income") == "revenus-et-aides"


def test_names_are_unique_whatever_the_case() -> None:
    names = UniqueNames("manifest.json")
    assert names.path("identite", "Carte", "application/pdf") == "identite/Carte.pdf"
    assert names.path("identite", "carte", "application/pdf") == "identite/carte (2).pdf"
    assert names.path("identite", "Carte", "application/pdf") == "identite/Carte (3).pdf"
    assert names.path("identite", "Carte", "image/png") == "identite/Carte.png"
