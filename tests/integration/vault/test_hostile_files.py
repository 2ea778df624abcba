"""Files that parse as their type yet are hostile (tests/hostile_files.py), sent through the API
on every back end: each gets its 4xx and a message a person can act on, and the rows and the
stored objects are the same before and after. Files that only look alarming are kept."""

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.hostile_files import CASES, KEPT, WORDS, HostileFile, jpeg_claiming, png_claiming
from tests.integration.vault.helpers import counts
from tests.integration.webui.test_pages import SAME_ORIGIN, signed_up
from tests.samples import phone_photo
from vault.config import Settings
from vault.documents import format_checks
from vault.documents.content_check import ContentCheck
from vault.errors import FileTooLargeError
from vault.runtime import Runtime


def send(client: TestClient, who: dict[str, Any], *cases: HostileFile) -> Any:
    return client.post(
        "/api/v1/vaults/me/documents",
        headers=who["headers"],
        files=[("file", (c.name, c.content, c.content_type)) for c in cases],
        data={"title": "Avis", "category": "taxes"},
    )


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_a_hostile_file_is_refused_and_changes_nothing(
    client: TestClient, rt: Runtime, amina: dict[str, Any], case: HostileFile
) -> None:
    before = counts(rt)
    answer = send(client, amina, case)
    assert answer.status_code == case.status, answer.text
    assert answer.json()["field"] == "file"
    assert WORDS[case.name] in answer.json()["detail"]
    assert counts(rt) == before


@pytest.mark.parametrize("case", KEPT, ids=[case.name for case in KEPT])
def test_a_look_alike_is_kept_byte_for_byte(
    client: TestClient, amina: dict[str, Any], case: HostileFile
) -> None:
    created = send(client, amina, case)
    assert created.status_code == 201, created.text
    served = client.get(
        f"/api/v1/documents/{created.json()['id']}/content", headers=amina["headers"]
    )
    assert served.content == case.content
    assert served.headers["content-security-policy"].startswith("sandbox;")


def test_one_hostile_photo_among_good_ones_keeps_none(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    good = HostileFile("recto.jpg", phone_photo(), "image/jpeg", 201)
    bomb = HostileFile("verso.png", png_claiming(30_000, 30_000), "image/png", 413)
    answer = send(client, amina, good, bomb, good)
    assert answer.status_code == 413, answer.text
    assert counts(rt) == (0, 0, 0)


def test_the_page_says_what_is_wrong_with_a_pdf(client: TestClient, rt: Runtime) -> None:
    csrf = signed_up(client)
    (javascript,) = [case for case in CASES if case.name == "javascript-ouverture.pdf"]
    answer = client.post(
        "/papiers/ajouter",
        data={"csrf": csrf, "category": "taxes", "title": "Avis"},
        files={"file": (javascript.name, javascript.content, javascript.content_type)},
        headers=SAME_ORIGIN,
    )
    assert answer.status_code == 422
    assert 'href="#file"' in answer.text
    assert "Ce PDF contient un programme." in answer.text
    assert counts(rt) == (0, 0, 0)


def checked(picture: bytes) -> None:
    with ContentCheck(Settings(_env_file=None), "image/png") as check:
        for _piece in check.fed([picture]):
            pass
        check.verdict()


@pytest.mark.parametrize(
    "bomb", [png_claiming(30_000, 30_000), jpeg_claiming(30_000, 30_000)], ids=["png", "jpeg"]
)
def test_a_bomb_is_refused_from_its_header_in_well_under_a_second(bomb: bytes) -> None:
    """Measured as the worker's own CPU time: decoding 900 million pixels would take many
    seconds of it, whatever else the machine is doing."""
    started = time.monotonic()
    with pytest.raises(FileTooLargeError):
        checked(bomb)
    assert time.monotonic() - started < 3  # the wall clock, with room for a busy machine
    with ContentCheck(Settings(_env_file=None), "image/png") as check:
        for _piece in check.fed([bomb]):
            pass
        answer = check._worker.answer(timeout=10)
    assert answer is not None
    assert answer.status == format_checks.TOO_MANY_PIXELS
    assert answer.cpu_seconds < 0.5
