"""A form is taken only whole: a body cut before its closing boundary, inside a part's header
or inside a part, is refused with a clear message and leaves nothing behind; so is a form that
sends a field twice, before or after its file."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.integration.vault.helpers import counts
from tests.integration.webui.test_pages import SAME_ORIGIN, signed_up
from tests.samples import pdf
from vault.runtime import Runtime
from webui.multipart import INCOMPLETE
from webui.uploads import TWICE

BOUNDARY = "entier"
PAPER = pdf("formulaire entier")


def fields(**values: str) -> bytes:
    return "".join(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in values.items()
    ).encode()


def file_head(filename: str = "carte.pdf") -> bytes:
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()


WHOLE = fields(category="identity", title="Carte") + file_head() + PAPER + b"\r\n"
CLOSING = f"--{BOUNDARY}--\r\n".encode()

CUT = {
    # The file and its last line break, but no closing boundary: it used to be stored, less
    # the byte the parser held back in case a boundary followed.
    "no-closing-boundary": WHOLE,
    "file-without-line-break": WHOLE[:-2],
    "closing-boundary-cut": WHOLE + CLOSING[:-5],
    "in-a-part-header": fields(category="identity") + file_head()[:40],
    "headers-without-blank-line": fields(category="identity") + file_head()[:-2],
    "in-the-file": fields(category="identity") + file_head() + PAPER[:100],
    "in-a-field-after-the-file": WHOLE + fields(title="Carte")[:-10],
    "only-fields": fields(category="identity", title="Carte"),
}


def post(client: TestClient, path: str, body: bytes, headers: dict[str, str]) -> Any:
    return client.post(
        path,
        content=body,
        headers={**headers, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
    )


@pytest.mark.parametrize("body", CUT.values(), ids=CUT.keys())
def test_a_cut_form_is_refused_and_stores_nothing(
    client: TestClient, rt: Runtime, amina: dict[str, Any], body: bytes
) -> None:
    answer = post(client, "/api/v1/vaults/me/documents", body, amina["headers"])
    assert answer.status_code == 422, answer.text
    assert answer.json() == {"detail": INCOMPLETE, "field": None}
    assert counts(rt) == (0, 0, 0)


def test_the_same_form_whole_is_taken_byte_for_byte(
    client: TestClient, amina: dict[str, Any]
) -> None:
    # An epilogue after the closing boundary is allowed (RFC 2046) and ignored.
    answer = post(
        client, "/api/v1/vaults/me/documents", WHOLE + CLOSING + b"epilogue", amina["headers"]
    )
    assert answer.status_code == 201, answer.text
    content = client.get(
        f"/api/v1/documents/{answer.json()['id']}/content", headers=amina["headers"]
    )
    assert content.content == PAPER


def test_a_cut_form_on_the_page_is_a_page_that_says_so(client: TestClient, rt: Runtime) -> None:
    csrf = signed_up(client)
    body = fields(csrf=csrf, category="identity") + file_head() + PAPER
    answer = post(client, "/papiers/ajouter", body, SAME_ORIGIN)
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("text/html")
    assert "Le formulaire envoyé est incomplet." in answer.text
    assert counts(rt) == (0, 0, 0)


TWICE_SENT = {
    "before-the-file": fields(category="identity", title="Carte")
    + fields(title="Avis")
    + file_head()
    + PAPER
    + b"\r\n",
    "around-the-file": WHOLE + fields(title="Avis"),
    "after-the-file": file_head()
    + PAPER
    + b"\r\n"
    + fields(category="identity", title="Carte")
    + fields(title="Avis"),
}


@pytest.mark.parametrize("body", TWICE_SENT.values(), ids=TWICE_SENT.keys())
def test_a_field_sent_twice_is_refused_and_stores_nothing(
    client: TestClient, rt: Runtime, amina: dict[str, Any], body: bytes
) -> None:
    answer = post(client, "/api/v1/vaults/me/documents", body + CLOSING, amina["headers"])
    assert answer.status_code == 422, answer.text
    assert answer.json() == {"detail": TWICE, "field": "title"}
    assert counts(rt) == (0, 0, 0)


@pytest.mark.parametrize("second", ["not-the-token", "the-token"])
def test_a_second_token_after_the_file_on_the_page_stores_nothing(
    client: TestClient, rt: Runtime, second: str
) -> None:
    """The token checked before the file is the form's only one: a second one, right or wrong,
    is refused with the file already stored, which is then removed."""
    csrf = signed_up(client)
    again = csrf if second == "the-token" else second
    body = fields(csrf=csrf, category="identity", title="Carte") + file_head() + PAPER + b"\r\n"
    answer = post(client, "/papiers/ajouter", body + fields(csrf=again) + CLOSING, SAME_ORIGIN)
    assert answer.status_code == 422
    assert "Le formulaire envoyé a deux fois le même champ." in answer.text
    assert 'value="Carte"' in answer.text
    assert counts(rt) == (0, 0, 0)
