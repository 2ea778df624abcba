"""The hostile strings and bodies the corpus sends."""

from collections.abc import Iterable

from tests.samples import pdf

from .cases import CSRF_MARK

XSS = (
    "<script>alert('coffre')</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(document.cookie)",
)
SQL = ("' OR 1=1 --", '"; DROP TABLE people; --')
HOSTILE = XSS + SQL
# Longer than any field the API allows, made of a hostile string.
HUGE = XSS[1] * 20_000

RANDOM_ID = "6f1c1a52-5d0e-4c83-9a4e-2b1f0e3d7a99"
BAD_UTF8 = b"\xff\xfe\xc3\x28\xed\xa0\x80"
# Enough of a PDF to pass the upload's check: the refusal comes after the file is stored.
# A real one-page PDF: every upload is opened by its format's library before it is kept.
A_PDF = pdf("Avis")
JSON_TYPE = {"Content-Type": "application/json"}
BOUNDARY = b"hostile-boundary"
MULTIPART = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY.decode()}"}


def multipart(
    fields: Iterable[tuple[bytes, bytes]], file: tuple[bytes, bytes] | None = None
) -> bytes:
    """A multipart form written byte by byte, with names and values no client library would
    send (bad UTF-8 in a file name); the page's token first, as a browser sends it."""
    parts = [(b'name="csrf"', CSRF_MARK)]
    parts += [(b'name="' + name + b'"', value) for name, value in fields]
    if file is not None:
        parts.append((b'name="file"; filename="' + file[0] + b'"', file[1]))
    body = b"".join(
        b"--"
        + BOUNDARY
        + b"\r\nContent-Disposition: form-data; "
        + head
        + b"\r\n\r\n"
        + value
        + b"\r\n"
        for head, value in parts
    )
    return body + b"--" + BOUNDARY + b"--\r\n"
