"""Text made only of invisible characters is no text: a link to nobody visible, a person
without a visible name or an organisation without one are refused as blank ones are, and a
paper so named takes its category's name. A bidi override never reaches a stored title."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.app_fixtures import PASSWORD, admin_headers
from tests.integration.shares.helpers import make_share
from tests.integration.shares.test_shares_api import paper
from tests.integration.vault.test_documents_api import upload
from tests.integration.webui.test_pages import SAME_ORIGIN, form_csrf
from tests.samples import pdf
from vault.db import transaction
from vault.models import Person, Share
from vault.runtime import Runtime

# A zero-width space, a word joiner, a byte order mark, a bidi override and isolate, a joiner.
# Format characters, then (review finding, they passed for a name) the braille blank, the
# combining grapheme joiner, a Khmer inherent vowel and variation selectors, which show nothing.
INVISIBLE = "\u200b\u2060\ufeff\u202e\u2066\u2069\u200d\u2800\u034f\u17b4\ufe0f\U000e0100"


@pytest.mark.parametrize("field", ["recipient", "purpose"])
def test_a_link_to_nobody_visible_is_refused(
    client: TestClient, rt: Runtime, amina: dict[str, Any], field: str
) -> None:
    answer = make_share(client, amina, paper(client, amina), **{field: INVISIBLE})
    assert answer.status_code == 422
    assert answer.json()["field"] == field
    with transaction(rt.sessions) as db:
        assert db.scalars(select(Share)).all() == []


def test_an_invisible_title_takes_the_category_name(
    client: TestClient, amina: dict[str, Any]
) -> None:
    created = upload(client, amina, pdf(), title=f" {INVISIBLE} ", category="taxes")
    assert created.status_code == 201
    assert created.json()["title"] == "Impôts"


def test_a_bidi_override_never_reaches_a_title(client: TestClient, amina: dict[str, Any]) -> None:
    created = upload(client, amina, pdf(), title="facture\u202efdp.exe", category="taxes")
    assert created.json()["title"] == "facturefdp.exe"
    renamed = client.patch(
        f"/api/v1/documents/{created.json()['id']}",
        headers=amina["headers"],
        json={"title": "avis\u2067 2024\u2069"},
    )
    assert renamed.json()["title"] == "avis 2024"


def test_a_person_without_a_visible_name_is_refused(client: TestClient, rt: Runtime) -> None:
    answer = client.post(
        "/api/v1/beneficiaries",
        json={"login": "ghost.user", "display_name": INVISIBLE, "password": PASSWORD},
    )
    assert answer.status_code == 422
    assert answer.json()["field"] == "display_name"
    with transaction(rt.sessions) as db:
        assert db.scalars(select(Person).where(Person.login == "ghost.user")).all() == []


def test_an_organisation_without_a_visible_name_is_refused(client: TestClient, rt: Runtime) -> None:
    answer = client.post(
        "/api/v1/organisations", headers=admin_headers(client, rt), json={"name": INVISIBLE}
    )
    assert answer.status_code == 422
    assert answer.json()["field"] == "name"


def test_a_name_in_persian_keeps_its_non_joiner(client: TestClient) -> None:
    """U+200C inside a word is spelling, not a trick."""
    name = "Zahra می\u200cروم"
    created = client.post(
        "/api/v1/beneficiaries",
        json={"login": "zahra.m", "display_name": name, "password": PASSWORD},
    )
    assert created.status_code == 201, created.text
    assert created.json()["display_name"] == name


def test_the_sign_up_page_asks_a_visible_name_at_its_first_step(client: TestClient) -> None:
    token = form_csrf(client, "/inscription")
    answer = client.post(
        "/inscription",
        data={"csrf": token, "step": "1", "display_name": INVISIBLE},
        headers=SAME_ORIGIN,
    )
    assert answer.status_code == 422
    assert 'href="#display_name"' in answer.text
    assert 'name="password"' not in answer.text
