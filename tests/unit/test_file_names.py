"""The name a paper's file is kept and served under: the person's name for it, without what
could hide its nature (bidi overrides, control characters, paths), ending in the extension of
the type its content was recognised as."""

import pytest

from vault.documents.filenames import download_name, kept_name

PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"


@pytest.mark.parametrize(
    ("sent", "content_type", "kept"),
    [
        ("Carte d'identité.pdf", PDF, "Carte d'identité.pdf"),
        ("RELEVE.PDF", PDF, "RELEVE.PDF"),
        ("x.pdf", PNG, "x.png"),
        ("photo.jpeg", JPEG, "photo.jpeg"),
        ("photo.JPG", JPEG, "photo.JPG"),
        ("carte.jpeg.exe", JPEG, "carte.jpeg"),
        ("carte.jpeg.exe", PNG, "carte.jpeg.png"),
        ("carte.pdf.exe", PDF, "carte.pdf"),
        ("scan", PNG, "scan.png"),
        ("Relevé 03.2024", PDF, "Relevé 03.2024.pdf"),
        ("recto.jpg", PDF, "recto.pdf"),
        ("../../etc/passwd.pdf", PDF, "passwd.pdf"),
        ("C:\\Users\\amina\\carte.pdf", PDF, "carte.pdf"),
        ("C:carte.pdf", PDF, "carte.pdf"),
        ("facture\u202efdp.exe", PDF, "facturefdp.pdf"),
        ("\u2066a\u2069\u200e\u200fb\u061c.png", PNG, "ab.png"),
        ("ligne\nretour\r\x00\x1b\x7f.pdf", PDF, "ligne retour.pdf"),
        ("  .cachée.pdf  ", PDF, "cachée.pdf"),
        ("point final.pdf.", PDF, "point final.pdf"),
        ("e\u0301te\u0301.pdf", PDF, "été.pdf"),
        ("a\u2028b.pdf", PDF, "a b.pdf"),
    ],
)
def test_kept_name(sent: str, content_type: str, kept: str) -> None:
    assert kept_name(sent, content_type) == kept


@pytest.mark.parametrize("sent", [None, "", "   ", "..", "\u202e", "/", ".pdf"])
def test_nothing_left_is_no_name(sent: str | None) -> None:
    assert kept_name(sent, PDF) is None


def test_long_names_keep_their_extension() -> None:
    name = kept_name("é" * 400 + ".exe", PDF)
    assert name is not None
    assert len(name) == 255
    assert name.endswith("é.pdf")


def test_a_download_always_has_a_name_of_its_type() -> None:
    assert download_name(None, PDF) == "document.pdf"
    assert download_name("", JPEG) == "document.jpg"
    # A name kept before names were cleaned is cleaned on its way out.
    assert download_name("x\u202egnp.pdf", PNG) == "xgnp.png"
