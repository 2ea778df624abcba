"""File names in an export are safe to unzip anywhere and never collide."""

import pytest

from vault.documents.export.names import MAX_STEM, UniqueNames, category_folder, safe_stem


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
        ("...", "papier"),
        ("", "papier"),
        ("trailing dot.", "trailing dot"),
    ],
)
def test_safe_stem(title: str, expected: str) -> None:
    assert safe_stem(title, "papier") == expected


def test_long_titles_are_cut() -> None:
    assert len(safe_stem("é" * 500, "papier")) == MAX_STEM


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
