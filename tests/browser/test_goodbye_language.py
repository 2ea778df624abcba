"""« Quitter » clears the site's cookies (the language's too): the goodbye page, which tells
the person she may leave and that a downloaded paper stays on the computer, still speaks her
language, not the computer's, and leaves no cookie of it for the next person."""

import pytest
from playwright.sync_api import Browser, expect

from tests.app_fixtures import PASSWORD
from vault.accounts.accounts import create_person
from vault.db import transaction
from vault.runtime import Runtime
from vault.vocabulary import Role

pytestmark = pytest.mark.browser


def arabic_reader(rt: Runtime) -> None:
    with transaction(rt.sessions) as db:
        create_person(
            db,
            rt.master_keys,
            login="amina.diallo",
            display_name="أمينة ديالو",
            password=PASSWORD,
            role=Role.BENEFICIARY,
            preferred_language="ar",
        )


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_the_goodbye_page_speaks_the_persons_language(
    browser: Browser, live_url: str, rt: Runtime, javascript: bool
) -> None:
    """An Arabic reader on a French computer clicks « Quitter »: the page that tells her she may
    leave, and that a downloaded paper stays on the computer, must be in Arabic."""
    arabic_reader(rt)
    context = browser.new_context(locale="fr-FR", java_script_enabled=javascript)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(f"{live_url}/connexion")
    page.locator("#login").fill("amina.diallo")
    page.locator("#password").fill(PASSWORD)
    page.locator("form[action='/connexion'] button[type=submit]").click()
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    page.locator("form.quit button").click()
    expect(page).to_have_url(f"{live_url}/au-revoir?langue=ar")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    assert not [c for c in context.cookies() if c["name"].endswith("coffre_lang")]
    context.close()
