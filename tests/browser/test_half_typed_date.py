"""In a real browser: a paper's end date half erased on « Modifier » (a day left without its
month). Chromium sends such a field empty, which the server would read as « no end date »;
the browser itself must stop the form, so the date stays."""

from datetime import date

import pytest
from playwright.sync_api import Page, expect

from tests.browser.people import add_paper, amina_with_a_safe, sign_in
from vault.accounts.accounts import vault_of
from vault.db import transaction
from vault.documents.service import update_document
from vault.models import Document
from vault.runtime import Runtime

pytestmark = pytest.mark.browser

END = date(2030, 12, 31)


def test_a_half_erased_end_date_is_not_sent_as_no_date(
    page: Page, live_url: str, rt: Runtime
) -> None:
    with transaction(rt.sessions) as db:
        amina = amina_with_a_safe(db, rt)
        vault = vault_of(db, amina.id)
        assert vault is not None
        vault_id = vault.id
    paper = add_paper(rt, amina, vault_id, "Titre de séjour", category="residence")
    with transaction(rt.sessions) as db:
        update_document(db, rt, amina, paper, expires_on=END)

    sign_in(page, live_url, "amina.diallo")
    page.goto(f"{live_url}/papiers/{paper}/modifier")
    field = page.locator("#expires_on")
    expect(field).to_have_value(END.isoformat())
    field.click()
    page.keyboard.press("Home")
    page.keyboard.press("Backspace")
    assert field.evaluate("input => input.validity.badInput") is True
    page.get_by_role("button", name="Enregistrer").click()

    expect(page).to_have_url(f"{live_url}/papiers/{paper}/modifier")
    with transaction(rt.sessions) as db:
        assert db.get_one(Document, paper).expires_on == END
