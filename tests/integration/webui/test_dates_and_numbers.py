"""Dates and numbers on the pages, in the person's language: a paper's expiry date, when it was
added (a date and a time of day), and the space used and left (a number with a thousands
separator and a decimal one). The formats are written out here, not computed with the code under
test; the words around them come from the catalogues, so a reworded translation keeps the test."""

from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from tests.app_fixtures import PASSWORD
from tests.integration.webui.test_pages import SAME_ORIGIN, as_read, form_csrf
from tests.samples import pdf
from vault.accounts.accounts import create_person, vault_of
from vault.db import transaction
from vault.documents.service import DocumentFields, create_document, plan_upload, store_upload
from vault.models import Document
from vault.runtime import Runtime
from webui import i18n

MiB = 1024 * 1024
EXPIRES_ON = date(2031, 3, 7)
# 14:05 on the wall in Orléans (COFFRE_TIMEZONE, Europe/Paris: UTC+1 in November).
ADDED_AT = datetime(2025, 11, 4, 13, 5, tzinfo=UTC)
QUOTA = int(1234.5 * MiB)

# language -> (the expiry day, the moment it was added, the quota's number)
FORMATS = {
    "fr": ("7 mars 2031", "4 novembre 2025, 14:05", "1 234,5"),
    "en": ("7 March 2031", "4 November 2025, 14:05", "1,234.5"),
    "ar": ("7 مارس 2031", "4 نوفمبر 2025، 2:05 م", "1,234.5"),
}


def plain_spaces(text: str) -> str:
    """CLDR puts narrow or no-break spaces in numbers and times; the reader sees a space."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


def said(language: str, message: str, **params: Any) -> str:
    with i18n.speaking(language):
        return i18n.gettext(message) % params


def amina_speaking(rt: Runtime, language: str) -> str:
    """Amina, whose stored language is `language`, with one paper added at ADDED_AT."""
    with transaction(rt.sessions) as db:
        amina = create_person(
            db,
            rt.master_keys,
            login="amina.diallo",
            display_name="Amina Diallo",
            password=PASSWORD,
            role="beneficiary",
            preferred_language=language,
        )
        vault = vault_of(db, amina.id)
        assert vault is not None
        plan = plan_upload(db, rt, amina, vault.id)
    stored = store_upload(rt, plan, [pdf("Titre de séjour")])
    with transaction(rt.sessions) as db:
        fields = DocumentFields("Titre de séjour", "identity", expires_on=EXPIRES_ON)
        document_id = create_document(db, rt, amina, stored, fields).id
        db.execute(update(Document).where(Document.id == document_id).values(created_at=ADDED_AT))
    return document_id


def signed_in(client: TestClient) -> None:
    token = form_csrf(client, "/connexion")
    answer = client.post(
        "/connexion",
        data={"csrf": token, "login": "amina.diallo", "password": PASSWORD},
        headers=SAME_ORIGIN,
    )
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize("language", ["fr", "en", "ar"])
def test_dates_and_numbers_are_in_the_persons_language(
    client: TestClient, rt: Runtime, monkeypatch: pytest.MonkeyPatch, language: str
) -> None:
    monkeypatch.setattr(rt.settings, "quota_bytes", QUOTA)
    document_id = amina_speaking(rt, language)
    signed_in(client)
    expires, added, quota = FORMATS[language]

    paper = plain_spaces(as_read(client.get(f"/papiers/{document_id}").text))
    assert f"<dd>{expires}</dd>" in paper
    assert said(language, "%(moment)s par %(name)s", moment=added, name="Amina Diallo") in paper

    papers = plain_spaces(client.get("/papiers").text)
    assert plain_spaces(said(language, "%(size)s Mo", size=quota)) in papers
