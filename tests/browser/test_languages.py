"""Journeys in three languages, with and without JavaScript: switch to Arabic before signing
up, sign up with a name in Arabic script and get a readable login, the pages stay in Arabic
(right to left); switch to English after signing in, and the choice is kept for the next
sign-in on another computer."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.app_fixtures import PASSWORD
from tests.browser.screenshots import save_screenshot

pytestmark = pytest.mark.browser

ARABIC = re.compile(r"[\u0600-\u06FF]")
LOGIN = re.compile(r"^[a-z0-9]+(\.[a-z0-9]+)*$")


def speaks(page: Page, language: str, direction: str) -> None:
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("html")).to_have_attribute("dir", direction)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_arabic_sign_up_then_english_kept_for_next_time(
    browser: Browser, live_url: str, tmp_path: Path, javascript: bool
) -> None:
    shots = Path(os.environ.get("COFFRE_TEST_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    suffix = "js" if javascript else "nojs"
    context = browser.new_context(
        locale="fr-FR", java_script_enabled=javascript, viewport={"width": 320, "height": 640}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()

    page.goto(f"{live_url}/connexion")
    speaks(page, "fr", "ltr")
    page.get_by_role("link", name="العربية").click()
    speaks(page, "ar", "rtl")
    assert ARABIC.search(page.locator("h1").inner_text())
    save_screenshot(page, shots / f"ar-320-connexion-{suffix}.png")

    page.locator('a[href="/inscription"]').first.click()
    speaks(page, "ar", "rtl")
    page.locator("#display_name").fill("أمينة بن علي")
    expect(page.locator("#preferred_language")).to_have_value("ar")
    page.locator("form[action='/inscription'] button[type=submit]").click()
    login = page.locator("#login").input_value()
    assert LOGIN.match(login), login
    assert login != "personne"
    page.locator("#password").fill(PASSWORD)
    page.locator("form[action='/inscription'] button[type=submit]").click()
    speaks(page, "ar", "rtl")
    expect(page.locator("strong.secret").first).to_have_text(login)
    save_screenshot(page, shots / f"ar-320-codes-{suffix}.png")

    page.get_by_role("link", name="English").click()
    speaks(page, "en", "ltr")
    page.locator("form.quit button").click()
    context.close()

    # Another computer, whose browser asks for French: the stored choice wins after sign-in.
    elsewhere = browser.new_context(locale="fr-FR", java_script_enabled=javascript)
    elsewhere.set_default_timeout(10_000)
    page = elsewhere.new_page()
    page.goto(f"{live_url}/connexion")
    speaks(page, "fr", "ltr")
    page.locator("#login").fill(login)
    page.locator("#password").fill(PASSWORD)
    page.locator("form[action='/connexion'] button[type=submit]").click()
    speaks(page, "en", "ltr")
    elsewhere.close()
