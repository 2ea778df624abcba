"""One rule names every served file (RFC 6266) and sandboxes it."""

import pytest

from webui.served import DOCUMENT_POLICY, content_disposition, served_headers


@pytest.mark.parametrize(
    ("name", "header"),
    [
        ("carte.pdf", "attachment; filename=\"carte.pdf\"; filename*=UTF-8''carte.pdf"),
        (
            "Carte d'identité.pdf",
            'attachment; filename="Carte d\'identite.pdf"; '
            "filename*=UTF-8''Carte%20d%27identit%C3%A9.pdf",
        ),
        (
            'a"b\\c\x01d%e;f.pdf',
            "attachment; filename=\"a_b_c_d_e;f.pdf\"; filename*=UTF-8''a%22b%5Cc%01d%25e%3Bf.pdf",
        ),
        (
            "بطاقة.png",
            'attachment; filename="btqh.png"; '
            "filename*=UTF-8''%D8%A8%D8%B7%D8%A7%D9%82%D8%A9.png",
        ),
        ("\u4e00.pdf", "attachment; filename=\"Yi.pdf\"; filename*=UTF-8''%E4%B8%80.pdf"),
        (
            "\U0001f4c4.pdf",
            "attachment; filename=\"document.pdf\"; filename*=UTF-8''%F0%9F%93%84.pdf",
        ),
    ],
)
def test_content_disposition(name: str, header: str) -> None:
    assert content_disposition("attachment", name) == header


def test_a_served_file_is_sandboxed_and_never_sniffed() -> None:
    headers = served_headers("inline", "carte.pdf")
    assert headers["Content-Disposition"].startswith('inline; filename="carte.pdf"')
    assert headers["Content-Security-Policy"] == DOCUMENT_POLICY
    assert DOCUMENT_POLICY.startswith("sandbox; default-src 'none'")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"] == "no-store"
