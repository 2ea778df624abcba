"""Whatever a paper holds, a browser that gets it runs nothing of it: every served paper,
thumbnail, export and marked copy comes sandboxed, never sniffed, and named by one rule
(RFC 6266: an ASCII name, then the real one percent-encoded); the name ends in the type its
content was recognised as."""

import re
from typing import Any
from urllib.parse import unquote

from fastapi.testclient import TestClient

from tests.integration.shares.helpers import download, make_share, token_of, visitor
from tests.integration.vault.test_documents_api import upload
from tests.integration.webui.test_pages import SAME_ORIGIN, signed_up
from tests.samples import pdf, png

# RFC 6266 with RFC 8187: token; filename="printable ASCII but quote and backslash";
# filename*=UTF-8''attr-chars and %XX.
DISPOSITION = re.compile(
    r"(?P<kind>attachment|inline); "
    r'filename="(?P<fallback>[\x20\x21\x23-\x5b\x5d-\x7e]+)"; '
    r"filename\*=UTF-8''(?P<encoded>[A-Za-z0-9!#$&+.^_`|~%-]+)"
)
# Browsers send a quote in a file name as %22 (HTML's multipart rules): none here.
SENT = "Relevé mars\u202e; 100%.pdf"
KEPT = "Relevé mars; 100%.png"


def served_safely(answer: Any, kind: str, name: str) -> str:
    """Checks the headers of a served file; returns its ASCII fallback name."""
    assert answer.status_code == 200, answer.text
    policy = [part.strip() for part in answer.headers["content-security-policy"].split(";")]
    assert policy[0] == "sandbox"
    assert "default-src 'none'" in policy
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["cache-control"] == "no-store"
    found = DISPOSITION.fullmatch(answer.headers["content-disposition"])
    assert found is not None, answer.headers["content-disposition"]
    assert found["kind"] == kind
    assert unquote(found["encoded"], errors="strict") == name
    assert "%" not in found["fallback"]
    return found["fallback"]


def test_a_png_sent_as_a_pdf_is_kept_and_served_as_a_png(
    client: TestClient, amina: dict[str, Any]
) -> None:
    created = upload(client, amina, png(16, 16), SENT)
    assert created.status_code == 201, created.text
    assert created.json()["filename"] == KEPT
    document_id = created.json()["id"]
    content = client.get(f"/api/v1/documents/{document_id}/content", headers=amina["headers"])
    assert content.headers["content-type"] == "image/png"
    assert served_safely(content, "attachment", KEPT) == "Releve mars; 100_.png"
    small = client.get(f"/api/v1/documents/{document_id}/thumbnail", headers=amina["headers"])
    served_safely(small, "inline", "vignette.jpg")


def test_the_pages_serve_papers_and_thumbnails_sandboxed(client: TestClient) -> None:
    csrf = signed_up(client)
    added = client.post(
        "/papiers/ajouter",
        data={"csrf": csrf, "category": "identity", "title": "Carte"},
        files={"file": ("بطاقة.pdf", pdf("page"), "application/pdf")},
        headers=SAME_ORIGIN,
        follow_redirects=True,
    )
    assert added.status_code == 200, added.text
    path = str(added.url.path)
    # Shown in the browser, under no name of the person's (the viewer titles the tab with it,
    # and the browser's history keeps it); downloaded, after the warning, under its own.
    assert served_safely(client.get(f"{path}/fichier"), "inline", "document.pdf")
    served_safely(client.get(f"{path}/fichier?telecharger=1"), "attachment", "بطاقة.pdf")
    served_safely(client.get(f"{path}/vignette"), "inline", "vignette.jpg")
    exported = client.post("/compte/export", data={"csrf": csrf}, headers=SAME_ORIGIN)
    assert exported.headers["content-type"] == "application/zip"
    served_safely(exported, "attachment", export_name(exported))


def export_name(answer: Any) -> str:
    name = unquote(answer.headers["content-disposition"].rsplit("''", 1)[1])
    assert re.fullmatch(r"coffre-\d{4}-\d\d-\d\d\.zip", name)
    return name


def test_the_api_export_and_a_marked_copy_are_sandboxed(
    client: TestClient, amina: dict[str, Any]
) -> None:
    document_id = upload(client, amina, pdf("copie")).json()["id"]
    exported = client.get("/api/v1/vaults/me/export", headers=amina["headers"])
    served_safely(exported, "attachment", export_name(exported))
    token = token_of(make_share(client, amina, document_id))
    copy = download(visitor(client), token)
    served_safely(copy, "attachment", "copie.pdf")
