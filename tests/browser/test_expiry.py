"""In a real browser: a paper expiring in 20 days comes first in the person's list, marked in
words beside an icon; the counsellor she gave access to sees it counted on their list of
people, and first on her page."""

from datetime import timedelta

import pytest
from babel.dates import format_date
from playwright.sync_api import Page, expect

from tests.browser.people import add_paper, amina_with_a_safe, claire_of_the_ccas, sign_in
from vault.consent.grants import GrantTerms, create_grant
from vault.db import transaction
from vault.documents.service import update_document
from vault.models import utcnow
from vault.runtime import Runtime

pytestmark = pytest.mark.browser


def test_an_expiring_paper_shows_first_with_its_mark(
    page: Page, live_url: str, rt: Runtime
) -> None:
    with transaction(rt.sessions) as db:
        claire = claire_of_the_ccas(db, rt)
        amina = amina_with_a_safe(db, rt)
        vault_id = create_grant(
            db, rt, amina, GrantTerms(["view"]), counsellor_id=claire.id
        ).vault_id
    expires_on = utcnow().date() + timedelta(days=20)
    passport = add_paper(rt, amina, vault_id, "Passeport")
    add_paper(rt, amina, vault_id, "Attestation CAF")
    with transaction(rt.sessions) as db:
        update_document(db, rt, amina, passport, expires_on=expires_on)
    mark = f"Expire bientôt : le {format_date(expires_on, format='long', locale='fr')}"

    sign_in(page, live_url, "amina.diallo")
    expect(page.get_by_role("heading", name="Mes papiers")).to_be_visible()
    expect(page.locator(".card-title").first).to_have_text("Passeport")
    expect(page.locator(".card").first).to_contain_text(mark)
    expect(page.locator(".card").nth(1)).not_to_contain_text("Expire")
    page.get_by_role("button", name="Quitter").click()

    sign_in(page, live_url, "claire.martin")
    person = page.get_by_role("link", name="Amina Diallo")
    expect(person).to_contain_text("1 papier expire bientôt")
    person.click()
    expect(page.locator(".card-title").first).to_have_text("Passeport")
    expect(page.locator(".card").first).to_contain_text(mark)
