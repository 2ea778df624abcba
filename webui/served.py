"""How a stored file leaves coffre (a paper, its thumbnail, an export, a marked copy): whatever
it holds, a browser that gets it runs nothing of it.

- `Content-Security-Policy: sandbox` and nothing allowed: a file that a browser would take for
  a page (an HTML or SVG polyglot) gets a unique origin, no script, no form, no request out.
  Chromium's PDF viewer still shows a PDF under it, in the paper's page and on its own
  (tests/browser/test_served_paper.py); `frame-ancestors 'self'` lets that page frame it.
- `X-Content-Type-Options: nosniff`: the type is the one recognised from the content.
- `Content-Disposition` per RFC 6266: a plain ASCII name first, for the few clients that read
  only that one, then the real name percent-encoded (RFC 8187).
"""

import unicodedata
from urllib.parse import quote

from anyascii import anyascii

DOCUMENT_POLICY = (
    "sandbox; default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
)
# Printable ASCII less what ends or escapes a quoted string, and the % some clients decode.
_PLAIN = frozenset(chr(c) for c in range(0x20, 0x7F)) - set('"\\%')


def served_headers(disposition: str, filename: str) -> dict[str, str]:
    """The headers of every served file; `disposition`: "inline" or "attachment"."""
    return {
        "Content-Disposition": content_disposition(disposition, filename),
        "Content-Security-Policy": DOCUMENT_POLICY,
        "X-Content-Type-Options": "nosniff",
        # The paper's page shows it in a frame, whatever the pages' own rule for frames.
        "X-Frame-Options": "SAMEORIGIN",
        "Cache-Control": "no-store",
    }


def content_disposition(disposition: str, filename: str) -> str:
    encoded = quote(filename, safe="")
    return f"{disposition}; filename=\"{ascii_name(filename)}\"; filename*=UTF-8''{encoded}"


def ascii_name(filename: str) -> str:
    """Letters and digits spelled in ASCII (« é » -> « e », « بطاقة » -> « btqh »), anything
    else an underscore; « document » when no letter or digit is left before the extension."""
    spelled = "".join(
        anyascii(char) if unicodedata.category(char)[0] in "LMN" else char
        for char in unicodedata.normalize("NFC", filename)
    )
    plain = " ".join("".join(c if c in _PLAIN else "_" for c in spelled).split())
    stem, dot, extension = plain.rpartition(".")
    if not dot:
        stem, extension = plain, ""
    if not any(c.isalnum() for c in stem):
        stem = "document"
    return stem + (f".{extension}" if dot else "")
