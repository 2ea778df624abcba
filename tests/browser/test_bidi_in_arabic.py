"""Text that is not Arabic, in an Arabic page, reads as it was written: a phone number whose
groups came out in reverse order would be a wrong number to call, a recovery code shown with
its groups swapped would never work (tests/browser/bidi_probe.py asks Chromium where each
character is drawn)."""

import pytest
from playwright.sync_api import Browser, expect

from tests.app_fixtures import PASSWORD
from tests.browser.bidi_probe import SCRAMBLED
from vault.runtime import Runtime

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("path", ["/qui-gere", "/aide"])
def test_the_operators_phone_and_address_read_as_written_in_arabic(
    browser: Browser, live_url: str, rt: Runtime, path: str
) -> None:
    """The operator's phone number, in an Arabic page, must not come out with its groups in
    reverse order (« 00 26 79 38 02 » for « 02 38 79 26 00 »): the person would call a wrong
    number. Nor the address (« rue Bannier, 45000 Orléans 69 ») or the legal notice."""
    rt.settings.operator_name = "CCAS d'Orléans"
    rt.settings.operator_contact = "02 38 79 26 00\n69 rue Bannier, 45000 Orléans"
    rt.settings.operator_legal_notice = "Éditeur : CCAS d'Orléans (établissement public)."
    context = browser.new_context(locale="fr-FR")
    context.add_cookies([{"name": "coffre_lang", "value": "ar", "url": live_url}])
    page = context.new_page()
    page.goto(f"{live_url}{path}")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    scrambled = page.evaluate(SCRAMBLED, "main")
    context.close()
    assert scrambled == []


def test_a_recovery_code_starting_with_digits_reads_as_written_in_arabic(
    browser: Browser, live_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """About one sign-up in 23 gets a code whose first group is only digits (8 of the 31
    signs are digits: 1 - (1 - (8/31)**4)**10). On the Arabic codes page, « 2345-ABCD-EFGH »
    is shown « ABCD-EFGH-2345 »: copied from the screen or the printed page, it never works."""
    made = iter(["2345-ABCD-EFGH", "9876-KMNP-QRST"] + [f"ABCD-EFGH-JKM{c}" for c in "NPQRSTUV"])
    monkeypatch.setattr("vault.accounts.recovery._new_code", lambda: next(made))
    context = browser.new_context(locale="fr-FR")
    context.add_cookies([{"name": "coffre_lang", "value": "ar", "url": live_url}])
    page = context.new_page()
    page.goto(f"{live_url}/inscription")
    page.locator("#display_name").fill("أمينة بن علي")
    page.locator("form[action='/inscription'] button[type=submit]").click()
    page.locator("#password").fill(PASSWORD)
    page.locator("form[action='/inscription'] button[type=submit]").click()
    page.locator(".codes").wait_for()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    scrambled = page.evaluate(SCRAMBLED, ".codes")
    context.close()
    assert scrambled == []
