"""Uploads are judged before anything is kept: bad input gets a clear error and changes nothing."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.requests import Request

from tests.integration.vault.helpers import counts
from tests.integration.vault.test_documents_api import upload
from tests.samples import jpeg, pdf, png
from vault.errors import FileTooLargeError
from vault.runtime import Runtime
from webui.uploads import declared_oversize


@pytest.mark.parametrize(
    ("content", "filename", "status", "message"),
    [
        (b"<html><script>alert(1)</script></html>", "photo.png", 415, "JPG, PNG ou PDF"),
        (b"MZ\x90\x00 not a document", "carte.pdf", 415, "JPG, PNG ou PDF"),
        (b"", "vide.pdf", 422, "vide"),
        (b"%", "un-octet.pdf", 415, "JPG, PNG ou PDF"),
        (pdf()[:-40], "tronque.pdf", 422, "incomplet"),
        (png()[:-12], "tronque.png", 422, "incomplet"),
        (jpeg()[:-2], "tronque.jpg", 422, "incomplet"),
    ],
    ids=["html-named-png", "exe-named-pdf", "empty", "one-byte", "cut-pdf", "cut-png", "cut-jpeg"],
)
def test_refused_file_changes_nothing(
    client: TestClient,
    rt: Runtime,
    amina: dict[str, Any],
    content: bytes,
    filename: str,
    status: int,
    message: str,
) -> None:
    answer = upload(client, amina, content, filename)
    assert answer.status_code == status
    assert message in answer.json()["detail"]
    assert answer.json()["field"] == "file"
    assert counts(rt) == (0, 0, 0)


def test_declared_oversize_is_refused_before_reading(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    limit = rt.settings.max_upload_bytes
    answer = client.post(
        "/api/v1/vaults/me/documents",
        headers={
            **amina["headers"],
            "Content-Type": "multipart/form-data; boundary=x",
            "Content-Length": str(limit * 2),
        },
        content=b"",
    )
    assert answer.status_code == 413
    assert "Mo" in answer.json()["detail"]
    assert counts(rt) == (0, 0, 0)


def request_declaring(length: bytes) -> Request:
    """A request as the server hands it on; servers refuse most malformed lengths before."""
    return Request({"type": "http", "method": "POST", "headers": [(b"content-length", length)]})


@pytest.mark.parametrize("length", ["²".encode("latin-1"), "١٢".encode(), b"-1", b"1e9"])
def test_a_length_that_is_no_number_refuses_nothing_before_reading(
    rt: Runtime, length: bytes
) -> None:
    """Only the bytes read then bound the body (test_streamed_oversize_is_stopped)."""
    assert declared_oversize(request_declaring(length), rt) is None


def test_a_length_of_thousands_of_digits_is_too_large(rt: Runtime) -> None:
    """int() refuses more than 4,300 digits; such a length is beyond any limit."""
    assert isinstance(declared_oversize(request_declaring(b"9" * 5000), rt), FileTooLargeError)
    assert declared_oversize(request_declaring(b"0" * 5000 + b"12"), rt) is None


def streamed_pdf(client: TestClient, who: dict[str, Any]) -> Any:
    """A 2.5 MiB PDF sent as a stream, without Content-Length: only reading it finds its size."""
    boundary = "coffreboundary"

    def body() -> Iterator[bytes]:
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="category"\r\n\r\nidentity\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n%PDF-1.4\n"
        ).encode()
        for _ in range(40):
            yield b"0" * 65536
        yield f"\r\n%%EOF\r\n--{boundary}--\r\n".encode()

    return client.post(
        "/api/v1/vaults/me/documents",
        headers={**who["headers"], "Content-Type": f"multipart/form-data; boundary={boundary}"},
        content=body(),
    )


def test_streamed_oversize_is_stopped(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    rt.settings.max_upload_bytes = 1024 * 1024
    assert streamed_pdf(client, amina).status_code == 413
    assert counts(rt) == (0, 0, 0)


def test_bad_fields_after_the_file_remove_what_was_stored(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    for fields in ({"category": "nonsense"}, {"expires_on": "31/12/2030"}, {"title": "x" * 300}):
        answer = upload(client, amina, pdf(), **fields)
        assert answer.status_code == 422
        assert answer.json()["field"] in {"category", "expires_on", "title"}
    assert counts(rt) == (0, 0, 0)


@pytest.mark.parametrize(
    "sent", ["2030-W01-1", "20301231", "2030-12-31T00:00", "٢٠٣٠-١٢-٣١", "2031-02-30", "2030-1-5"]
)
def test_an_expiry_is_taken_only_as_a_calendar_date(
    client: TestClient, rt: Runtime, amina: dict[str, Any], sent: str
) -> None:
    """As PATCH and the schema's `format: date` take it: 2030-12-31, and no other ISO form (a
    week date, 2030-W01-1, was kept as 2029-12-31)."""
    answer = upload(client, amina, pdf(), expires_on=sent)
    assert answer.status_code == 422
    assert answer.json()["field"] == "expires_on"
    assert counts(rt) == (0, 0, 0)
    kept = upload(client, amina, pdf(), expires_on=" 2030-12-31 ")
    assert kept.json()["expires_on"] == "2030-12-31"
    patched = client.patch(
        f"/api/v1/documents/{kept.json()['id']}",
        headers=amina["headers"],
        json={"expires_on": sent},
    )
    assert patched.status_code == 422
    assert patched.json()["field"] == "expires_on"


def test_missing_file_is_a_clear_error(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    answer = client.post(
        "/api/v1/vaults/me/documents",
        headers=amina["headers"],
        files={"title": (None, "x"), "category": (None, "identity")},
    )
    assert answer.status_code == 422
    assert answer.json()["detail"] == "Choisissez un fichier."
    not_multipart = client.post("/api/v1/vaults/me/documents", headers=amina["headers"], json={})
    assert not_multipart.status_code == 422
    assert counts(rt) == (0, 0, 0)


def test_a_path_in_the_file_name_keeps_only_the_name(
    client: TestClient, amina: dict[str, Any]
) -> None:
    for sent in ("../../etc/passwd.pdf", "C:\\Users\\amina\\carte.pdf"):
        created = upload(client, amina, pdf(), sent)
        assert created.status_code == 201
        assert created.json()["filename"] in {"passwd.pdf", "carte.pdf"}
        content = client.get(
            f"/api/v1/documents/{created.json()['id']}/content", headers=amina["headers"]
        )
        assert "/" not in content.headers["content-disposition"]


def test_missing_title_takes_the_category_name(client: TestClient, amina: dict[str, Any]) -> None:
    created = upload(client, amina, pdf(), title="", category="taxes")
    assert created.json()["title"] == "Impôts"
